"""Admin listings of Immersio pushes (with "Retry now") and received webhooks: each
tenant admin sees their own tenant's rows; another tenant's row is 404."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from booking.models import EventType
from booking.services.sessions import create_session
from integrations.immersio import push
from integrations.models import ImmersioWebhookEvent, PushOutbox
from tests.conftest import host_client

from .conftest import ORG

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_push(fake, tenant, connection, teacher):
    fake.add_course(ORG, "c1", title="IELTS")
    event_type = EventType.objects.create(tenant=tenant, kind="live_class", title="IELTS", slug="ielts",
                                          immersio_course_id="c1", seats_per_session=8)
    start = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    session = create_session(event_type=event_type, teacher=teacher, start=start, end=start + timedelta(hours=1))
    fake.fail_next(422, path="/v1/live-classes/")
    row = push.enqueue(tenant.pk, PushOutbox.Kind.LIVE_CLASS, f"session:{session.pk}", {"session_id": session.pk})
    assert push.deliver(row.pk).status == "failed"
    row.refresh_from_db()
    return row


@pytest.fixture
def other_push(other_tenant, other_connection):
    return PushOutbox.objects.create(tenant=other_tenant, kind="live_class", object_key="session:999999",
                                     payload={"session_id": 999999}, idempotency_key="theirs-1",
                                     status="failed", last_error="Saigon's own error",
                                     next_attempt_at=timezone.now())


def test_pushes_listed_per_tenant_with_status_attempts_and_error(failed_push, other_push, tenant_admin):
    client = host_client(user=tenant_admin)
    page = client.get(reverse("immersio_pushes:index"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"session:{failed_push.payload['session_id']}" in html and "Failed" in html
    assert "validation" in html  # the last error Immersio gave
    assert "Retry now" in html
    assert "session:999999" not in html and "Saigon&#x27;s own error" not in html
    assert client.get(reverse("immersio_pushes:inspect", args=[failed_push.pk])).status_code == 200
    assert client.get(reverse("immersio_pushes:inspect", args=[other_push.pk])).status_code == 404
    filtered = client.get(reverse("immersio_pushes:index"), {"status": "sent"}).content.decode()
    assert f"session:{failed_push.payload['session_id']}" not in filtered


def test_retry_now_sends_a_failed_push_again(failed_push, fake, tenant_admin, django_capture_on_commit_callbacks):
    client = host_client(user=tenant_admin)
    retry_url = reverse("immersio_pushes:retry", args=[failed_push.pk])
    assert "Retry now" in client.get(retry_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url)
    assert response.status_code == 302
    failed_push.refresh_from_db()
    assert failed_push.status == "sent" and failed_push.attempts == 2 and failed_push.last_error == ""
    assert str(failed_push.payload["session_id"]) in fake.orgs[ORG].live_classes
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("sent again" in m for m in messages)

    with django_capture_on_commit_callbacks(execute=True):  # sent: nothing more to retry
        client.post(retry_url)
    assert len(fake.requests_to("PUT", "/v1/live-classes/")) == 2  # the refused try and the retry


def test_retry_of_another_tenants_push_is_404(failed_push, other_push, tenant_admin):
    client = host_client(user=tenant_admin)
    assert client.get(reverse("immersio_pushes:retry", args=[other_push.pk])).status_code == 404
    assert client.post(reverse("immersio_pushes:retry", args=[other_push.pk])).status_code == 404
    other_push.refresh_from_db()
    assert other_push.status == "failed" and other_push.attempts == 0


def test_a_retried_push_gets_a_new_48_hour_window(failed_push, fake, tenant_admin,
                                                  django_capture_on_commit_callbacks):
    PushOutbox.objects.filter(pk=failed_push.pk).update(created_at=timezone.now() - timedelta(days=5))
    fake.fail_next(500, times=100)
    with django_capture_on_commit_callbacks(execute=True):
        host_client(user=tenant_admin).post(reverse("immersio_pushes:retry", args=[failed_push.pk]))
    failed_push.refresh_from_db()
    assert failed_push.status == "pending" and failed_push.last_error.startswith("server_error")
    assert failed_push.give_up_at > timezone.now() + timedelta(hours=47)


def test_received_webhooks_listed_per_tenant(tenant, other_tenant, tenant_admin, connection, other_connection):
    ours = ImmersioWebhookEvent.objects.create(tenant=tenant, event_id="evt_ours", type="course.updated",
                                               payload={"id": "evt_ours"}, processed_at=timezone.now(),
                                               outcome="done: courses updated 1")
    theirs = ImmersioWebhookEvent.objects.create(tenant=other_tenant, event_id="evt_theirs", type="teacher.updated",
                                                 payload={"id": "evt_theirs"})
    client = host_client(user=tenant_admin)
    html = client.get(reverse("immersio_webhooks:index")).content.decode()
    assert "evt_ours" in html and "done: courses updated 1" in html and "evt_theirs" not in html
    assert client.get(reverse("immersio_webhooks:inspect", args=[ours.pk])).status_code == 200
    assert client.get(reverse("immersio_webhooks:inspect", args=[theirs.pk])).status_code == 404
