"""Health check, the Celery worker, production settings and encrypted secrets."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core import mail

from tests.conftest import host_client, make_tenant

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_when_database_and_cache_answer(tenant):
    for client in (host_client(), host_client(tenant)):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


def test_healthz_answers_503_when_the_cache_is_unreachable(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    response = host_client().get("/healthz", HTTP_HOST="10.0.0.5")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("error")


def run_settings_check(env):
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "site_platform.settings.production", **env},
        capture_output=True, text=True, cwd=settings.BASE_DIR,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DATABASE_URL"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {"SECRET_KEY": "x" * 50, "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY.split(",")[0],
           "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
    del env[missing]
    result = run_settings_check(env)
    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


def test_production_starts_with_its_secrets():
    result = run_settings_check({
        "SECRET_KEY": "x" * 50, "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY.split(",")[0],
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
    })
    assert result.returncode == 0, result.stderr


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_sends_the_invitation():
    """With REDIS_URL set the task goes through Redis to a worker, not in-process."""
    from celery.contrib.testing.worker import start_worker

    from site_platform.celery import app

    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10,
                          queues=settings.CELERY_QUEUE_NAMES):
            from site_platform.tasks import send_tenant_invitation

            tenant = make_tenant("workers", admin_email="boss@workers.test")  # sends nothing itself
            admin = tenant.memberships.get().user
            result = send_tenant_invitation.delay(tenant.pk, admin.pk)
            deadline = time.monotonic() + 20
            while not mail.outbox and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
    assert result.id
    assert [m.to for m in mail.outbox] == [["boss@workers.test"]]


def test_check_deploy_with_production_settings_is_clean():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "site_platform.settings.production",
             "SECRET_KEY": "k" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789",
             "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY.split(",")[0],
             "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"},
        capture_output=True, text=True, cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("task, queue", [
    ("booking.tasks.expire_holds", "checkout"),
    ("integrations.payments.tasks.retry_failed_refunds", "checkout"),
    ("booking.notifications.tasks.send_booking_confirmed", "emails"),
    ("site_platform.tasks.send_tenant_invitation", "emails"),
    ("integrations.immersio.tasks.sweep_push_outbox", "integrations"),
    ("integrations.webhooks.tasks.sweep_deliveries", "integrations"),
    ("integrations.tasks.refresh_calendar_feed", "integrations"),
])
def test_tasks_go_to_their_queue(task, queue):
    from site_platform.celery import app

    assert app.amqp.router.route({}, task)["queue"].name == queue
