"""The production command (scripts/production: migrate, collectstatic, then gunicorn,
a Celery worker and beat under honcho) against PostgreSQL and Redis: a booking made
over HTTP has its email sent by the real worker, and everything stops cleanly."""

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from booking.models import Booking
from tests.booking.booking_helpers import make_class
from tests.conftest import PASSWORD, make_tenant, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


class Browser:
    """Just enough of a browser over HTTP behind a TLS proxy: cookies kept by hand
    (they are Secure), Origin and Referer sent as a browser does."""

    def __init__(self, port, host):
        self.base, self.host, self.cookies = f"http://127.0.0.1:{port}", host, {}
        self.http = httpx.Client(timeout=20, follow_redirects=False)

    def request(self, method, path, data=None):
        headers = {
            "Host": self.host, "X-Forwarded-Proto": "https", "Origin": f"https://{self.host}",
            "Referer": f"https://{self.host}{path}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        response = self.http.request(method, self.base + path, data=data, headers=headers)
        for header in response.headers.get_list("set-cookie"):
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name.strip()] = value.strip()
        return response

    def post_form(self, path, fields):
        page = self.request("GET", path)
        assert page.status_code == 200, (path, page.status_code)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return self.request("POST", path, {"csrfmiddlewaretoken": token, **fields})


def test_booking_over_http_emails_through_the_real_worker_and_stops_cleanly(tmp_path):
    tenant = make_tenant("prodstack")
    teacher = make_user("teacher@prodstack.test")
    event_type, (session,) = make_class(tenant, teacher, capacity=5, title="Evening conversation")
    learner = make_user("learner@example.com", first_name="Lan")
    # The test settings hash with MD5 for speed; production knows only its own hashers.
    learner.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    learner.save(update_fields=["password"])

    port = free_port()
    outbox = tmp_path / "mail"
    outbox.mkdir()
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
        "DJANGO_SETTINGS_MODULE": "site_platform.settings.production",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": "production-stack-test-secret-key-0123456789-abcdefghijklmnop",
        "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY,
        "PLATFORM_DOMAIN": settings.PLATFORM_DOMAIN, "PLATFORM_PORT": "443",
        "SECURE_SSL_REDIRECT": "0", "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1",
        "CELERY_CONCURRENCY": "1", "CELERY_BEAT_SCHEDULE_FILE": str(tmp_path / "beat-schedule"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(outbox),
        "CACHE_KEY_PREFIX": "prodstack", "C_FORCE_ROOT": "1", "STATIC_ROOT": str(tmp_path / "static"),
    }
    bin_dir = Path(os.sys.executable).parent
    env["PATH"] = f"{bin_dir}:{env.get('PATH', '')}"
    log = open(tmp_path / "honcho.log", "w")
    stack = subprocess.Popen(["bash", "scripts/production"], cwd=settings.BASE_DIR, env=env,
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def web_answers():
            try:
                return httpx.get(f"http://127.0.0.1:{port}/readyz", headers={"Host": "platform.test"},
                                 timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(web_answers, 240, "gunicorn to answer /readyz")
        log_text = lambda: (tmp_path / "honcho.log").read_text()  # noqa: E731
        wait_until(lambda: "worker.1" in log_text() and "ready" in log_text(), 90, "the Celery worker")
        assert "beat.1" in log_text()

        browser = Browser(port, tenant.hostname)
        login = browser.post_form("/accounts/login/", {"login": "learner@example.com", "password": PASSWORD})
        assert login.status_code == 302, login.text[:500]
        booked = browser.post_form(f"/book/session/{session.pk}/", {"seats": "1"})
        assert booked.status_code == 302, booked.text[:2000]
        booking = Booking.objects.get(attendee__email="learner@example.com")
        assert booking.status == Booking.Status.CONFIRMED

        wait_until(lambda: any(outbox.iterdir()), 60, "the confirmation email from the worker")
        sent = "\n".join(path.read_text() for path in outbox.iterdir())
        assert "learner@example.com" in sent
        assert "Evening conversation" in sent
        assert "celery@" in log_text() or "Task" in log_text()
    finally:
        os.killpg(stack.pid, signal.SIGTERM)
        try:
            stack.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
            raise AssertionError("the stack did not stop within 30 s of SIGTERM")
        log.close()
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
