"""Outgoing webhooks against a real receiver on loopback (an http.server thread).

Signatures are checked with the `standardwebhooks` package, an implementation of
the Standard Webhooks check independent of ours. Time moves forward by passing a
later `now` to the services; nothing is frozen or patched.
"""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from booking.services import bookings
from integrations.webhooks import services
from integrations.webhooks.errors import WebhookError
from integrations.webhooks.models import Delivery, Endpoint
from integrations.webhooks.tasks import deliver
from site_platform.models import AuditEntry, Plan, Tenant
from site_platform.usage import PlanLimitError
from tests.booking.booking_helpers import make_class
from tests.conftest import host_client

pytestmark = pytest.mark.django_db


class Receiver:
    """A webhook receiver on 127.0.0.1 that records each request and answers with
    the status codes it is told to (200 once the list runs out)."""

    def __init__(self):
        self.requests = []
        self.statuses = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                receiver.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                payload = b'{"ok": true}' if status < 300 else b"receiver is down"
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def loopback_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def growth_tenant(tenant):
    Tenant.objects.filter(pk=tenant.pk).update(plan=Plan.objects.get(code="growth"))
    tenant.refresh_from_db()
    return tenant


@pytest.fixture
def endpoint(growth_tenant, receiver, loopback_allowed, tenant_admin):
    return services.create_endpoint(tenant=growth_tenant, url=receiver.url,
                                    events=["booking.created", "booking.confirmed", "booking.cancelled"],
                                    actor=tenant_admin)


def verify(request, secret):
    """The standardwebhooks library's own check; raises when the signature is wrong."""
    return Webhook(secret).verify(request["body"], request["headers"])


def test_booking_events_arrive_signed_in_the_standard_webhooks_format(endpoint, receiver, teacher, student,
                                                                       django_capture_on_commit_callbacks):
    event_type, (session,) = make_class(endpoint.tenant, teacher, capacity=5)
    with django_capture_on_commit_callbacks(execute=True):
        booking = bookings.create_booking(event_type=event_type, session=session, attendee=student)

    assert [json.loads(r["body"])["type"] for r in receiver.requests] == ["booking.created", "booking.confirmed"]
    for request in receiver.requests:
        payload = verify(request, endpoint.secret)
        assert payload["data"]["id"] == str(booking.uid)
        assert payload["data"]["attendee"]["email"] == "student@example.com"
        assert request["headers"]["webhook-id"].startswith("msg_")
        assert request["headers"]["webhook-signature"].startswith("v1,")
    with pytest.raises(Exception):
        Webhook(services.models.new_secret()).verify(receiver.requests[0]["body"], receiver.requests[0]["headers"])
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}
    attempt = Delivery.objects.first().attempt_log.get()
    assert attempt.response_status == 200 and attempt.response_body == '{"ok": true}'


def test_unsubscribed_events_and_other_tenants_send_nothing(endpoint, receiver, other_tenant, student,
                                                            django_capture_on_commit_callbacks):
    from tests.booking.helpers import make_teacher

    Tenant.objects.filter(pk=other_tenant.pk).update(plan=Plan.objects.get(code="growth"))
    other_teacher = make_teacher(other_tenant, "t@saigon.test")
    event_type, (session,) = make_class(other_tenant, other_teacher, capacity=5)
    with django_capture_on_commit_callbacks(execute=True):
        bookings.create_booking(event_type=event_type, session=session, attendee=student)
    assert receiver.requests == [] and not Delivery.objects.exists()


def test_delivery_task_run_twice_sends_once(endpoint, receiver):
    (delivery,) = services.enqueue_event(endpoint.tenant_id, "booking.cancelled", {"id": "x"})
    deliver(delivery.pk)
    deliver(delivery.pk)
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 1


def test_failures_are_retried_on_the_schedule_then_given_up(endpoint, receiver):
    receiver.statuses = [500] * 8
    start = timezone.now()
    (delivery,) = services.enqueue_event(endpoint.tenant_id, "booking.cancelled", {"id": "x"}, now=start)
    services.attempt_delivery(delivery.pk, now=start)
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.next_attempt_at == start + timedelta(seconds=5)

    expected = [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                timedelta(hours=5), timedelta(hours=10), timedelta(hours=10)]
    now = start
    for delay in expected:
        assert services.sweep(now=now + delay - timedelta(seconds=1), inline=True) == 0  # not due yet
        now += delay
        assert services.sweep(now=now, inline=True) == 1
    delivery.refresh_from_db()
    assert len(receiver.requests) == 8 and delivery.attempts == 8
    assert delivery.status == "failed" and delivery.next_attempt_at is None
    assert list(delivery.attempt_log.values_list("response_status", flat=True)) == [500] * 8
    assert delivery.attempt_log.last().response_body == "receiver is down"
    assert services.sweep(now=now + timedelta(days=1), inline=True) == 0


def test_a_retry_that_succeeds_clears_the_failure(endpoint, receiver):
    receiver.statuses = [503]
    start = timezone.now()
    (delivery,) = services.enqueue_event(endpoint.tenant_id, "booking.cancelled", {"id": "x"}, now=start)
    services.attempt_delivery(delivery.pk, now=start)
    endpoint.refresh_from_db()
    assert endpoint.failing_since == start
    services.sweep(now=start + timedelta(seconds=6), inline=True)
    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert delivery.status == "succeeded" and endpoint.failing_since is None
    # Each attempt of one message carries the same webhook-id, signed anew.
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1
    verify(receiver.requests[-1], endpoint.secret)


def test_endpoint_failing_for_five_days_is_disabled_and_the_admin_emailed(endpoint, receiver,
                                                                          django_capture_on_commit_callbacks):
    receiver.statuses = [500] * 50
    start = timezone.now()
    (first,) = services.enqueue_event(endpoint.tenant_id, "booking.created", {"id": "1"}, now=start)
    services.attempt_delivery(first.pk, now=start)

    almost = start + timedelta(days=5) - timedelta(minutes=1)
    (second,) = services.enqueue_event(endpoint.tenant_id, "booking.created", {"id": "2"}, now=almost)
    services.attempt_delivery(second.pk, now=almost)
    endpoint.refresh_from_db()
    assert endpoint.is_active and not mail.outbox

    later = start + timedelta(days=5, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.sweep(now=later, inline=True)  # the second delivery's retry is due, fails again
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at == later
    assert [m.subject for m in mail.outbox] == [f"Webhook endpoint disabled: {endpoint.url}"]
    assert mail.outbox[0].to == ["owner@hanoi.test"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"failed"}
    assert AuditEntry.objects.filter(action="webhook.endpoint_disabled", tenant=endpoint.tenant).count() == 1
    sent = len(receiver.requests)
    assert services.enqueue_event(endpoint.tenant_id, "booking.created", {"id": "3"}, now=later) == []
    assert len(receiver.requests) == sent


def test_private_addresses_are_refused_by_default(growth_tenant):
    for url in ("https://127.0.0.1/hooks", "https://10.0.0.8/x", "https://169.254.169.254/latest/meta-data",
                "https://[::1]/x", "https://localhost/x", "http://example.com/x"):
        with pytest.raises(WebhookError):
            services.create_endpoint(tenant=growth_tenant, url=url, events=["booking.created"])
    assert not Endpoint.objects.exists()


def test_an_address_that_became_private_is_not_dialled(growth_tenant, receiver, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    endpoint = services.create_endpoint(tenant=growth_tenant, url=receiver.url, events=["booking.created"])
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    (delivery,) = services.enqueue_event(growth_tenant.pk, "booking.created", {"id": "x"})
    attempt = services.attempt_delivery(delivery.pk)
    assert receiver.requests == []
    assert attempt.response_status is None and "private" in attempt.error
    assert endpoint.deliveries.get().status == "pending"


def test_plan_without_webhooks_cannot_register_endpoints(tenant, loopback_allowed, receiver):
    Tenant.objects.filter(pk=tenant.pk).update(plan=Plan.objects.get(code="starter"))
    tenant.refresh_from_db()
    with pytest.raises(PlanLimitError, match="Your Starter plan does not include outgoing webhooks"):
        services.create_endpoint(tenant=tenant, url=receiver.url, events=["booking.created"])


def test_admin_sends_a_test_event_and_redelivers(endpoint, receiver, tenant_admin,
                                                 django_capture_on_commit_callbacks):
    client = host_client(None, user=tenant_admin)
    assert client.get(f"/admin/webhook-endpoints/{endpoint.pk}/test/").status_code == 200
    response = client.post(f"/admin/webhook-endpoints/{endpoint.pk}/test/", follow=True)
    assert "Test event delivered (HTTP 200)." in response.content.decode()
    assert json.loads(receiver.requests[0]["body"])["type"] == "webhook.test"
    verify(receiver.requests[0], endpoint.secret)

    delivery = Delivery.objects.get()
    page = client.get(f"/admin/webhook-deliveries/inspect/{delivery.pk}/").content.decode()
    assert "webhook.test" in page and "200" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/webhook-deliveries/{delivery.pk}/redeliver/")
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["headers"]["webhook-id"] == receiver.requests[1]["headers"]["webhook-id"]
    assert Delivery.objects.count() == 2
    assert AuditEntry.objects.filter(action="webhook.redelivered", actor=tenant_admin).exists()


def test_admin_registers_an_endpoint_and_sees_the_secret(growth_tenant, tenant_admin, receiver, loopback_allowed):
    client = host_client(None, user=tenant_admin)
    response = client.post("/admin/webhook-endpoints/new/", {
        "tenant": growth_tenant.pk, "url": receiver.url, "description": "CRM",
        "events": ["booking.created", "session.cancelled"]})
    endpoint = Endpoint.objects.get()
    assert response.status_code == 200 and endpoint.secret in response.content.decode()
    assert endpoint.secret.startswith("whsec_") and endpoint.events == ["booking.created", "session.cancelled"]
    assert endpoint.secret not in client.get("/admin/webhook-endpoints/").content.decode()
    shown = client.post(f"/admin/webhook-endpoints/{endpoint.pk}/secret/").content.decode()
    assert endpoint.secret in shown
    assert AuditEntry.objects.filter(action="webhook.secret_shown", actor=tenant_admin).exists()


def test_other_tenants_admin_cannot_see_or_use_the_endpoint(endpoint, other_tenant_admin):
    client = host_client(None, user=other_tenant_admin)
    assert endpoint.url not in client.get("/admin/webhook-endpoints/").content.decode()
    assert client.get(f"/admin/webhook-endpoints/{endpoint.pk}/secret/").status_code in (403, 404)
    assert client.post(f"/admin/webhook-endpoints/{endpoint.pk}/test/").status_code in (403, 404)
