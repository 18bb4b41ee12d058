"""Webhooks from Immersio on the tenant's host: signature, window, once per id, quick answer."""

import json
import time

from booking.models import EventType, WhitelistEntry
from integrations.immersio.sync import sync_tenant
from integrations.immersio.tasks import process_webhook_event
from integrations.immersio.webhooks import signature_header
from integrations.models import ImmersioWebhookEvent
from tests.conftest import host_client

from .conftest import ORG

URL = "/integrations/immersio/webhook/"


def post(tenant, event, *, secret=None, timestamp=None, header=None):
    body = json.dumps(event).encode()
    if header is None:
        header = signature_header(secret or f"whsec-{tenant.subdomain}", body, timestamp)
    return host_client(tenant).post(URL, data=body, content_type="application/json",
                                    HTTP_X_IMMERSIO_SIGNATURE=header)


def enrolled(event_id="evt_1", student_id="s9"):
    return {"id": event_id, "type": "student.enrolled", "created_at": "2026-11-21T09:00:00Z",
            "data": {"course_id": "c1", "student": {"id": student_id, "email": "nine@example.com"}}}


def mapped_course(fake, tenant):
    fake.add_course(ORG, "c1", title="IELTS")
    sync_tenant(tenant.pk)
    return EventType.objects.get(tenant=tenant, immersio_course_id="c1")


def test_good_event_is_acted_on_in_a_task(fake, tenant, connection, django_capture_on_commit_callbacks):
    event_type = mapped_course(fake, tenant)
    fake.add_student(ORG, "s9", email="Nine@Example.com", first_name="Nine")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(tenant, enrolled())
    assert response.status_code == 200 and response.json() == {"received": True, "ignored": False}
    assert len(callbacks) == 1
    stored = ImmersioWebhookEvent.objects.get(tenant=tenant, event_id="evt_1")
    assert stored.processed_at is not None and stored.type == "student.enrolled"
    assert WhitelistEntry.objects.filter(event_type=event_type, email="nine@example.com").exists()
    assert len(fake.requests_to("GET", "/v1/students/s9")) == 1  # the current state was fetched

    process_webhook_event.delay(stored.pk)  # a second run does nothing
    assert len(fake.requests_to("GET", "/v1/students/s9")) == 1


def test_withdrawn_student_leaves_the_whitelist(fake, tenant, connection, django_capture_on_commit_callbacks):
    event_type = mapped_course(fake, tenant)
    fake.add_student(ORG, "s9", email="nine@example.com", course_id="c1")
    sync_tenant(tenant.pk)
    assert WhitelistEntry.objects.filter(event_type=event_type, email="nine@example.com").exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(tenant, {"id": "evt_2", "type": "student.withdrawn",
                                 "data": {"course_id": "c1", "student_id": "s9"}})
    assert response.status_code == 200
    assert not WhitelistEntry.objects.filter(event_type=event_type, email="nine@example.com").exists()


def test_course_archived_unpublishes(fake, tenant, connection, django_capture_on_commit_callbacks):
    event_type = mapped_course(fake, tenant)
    EventType.objects.filter(pk=event_type.pk).update(is_published=True)
    fake.update_course(ORG, "c1", status="archived")
    with django_capture_on_commit_callbacks(execute=True):
        assert post(tenant, {"id": "evt_3", "type": "course.archived", "data": {"id": "c1"}}).status_code == 200
    event_type.refresh_from_db()
    assert not event_type.is_published


def test_bad_signature_is_refused(fake, tenant, connection):
    response = post(tenant, enrolled(), secret="not-the-secret")
    assert response.status_code == 400
    assert post(tenant, enrolled(), header="garbage").status_code == 400
    assert post(tenant, enrolled(), header="").status_code == 400
    assert not ImmersioWebhookEvent.objects.exists()


def test_tampered_body_is_refused(fake, tenant, connection):
    body = json.dumps(enrolled()).encode()
    header = signature_header("whsec-hanoi", body)
    response = host_client(tenant).post(URL, data=body.replace(b"s9", b"s8"), content_type="application/json",
                                        HTTP_X_IMMERSIO_SIGNATURE=header)
    assert response.status_code == 400


def test_stale_timestamp_is_refused(fake, tenant, connection):
    assert post(tenant, enrolled(), timestamp=time.time() - 301).status_code == 400
    assert post(tenant, enrolled(), timestamp=time.time() + 301).status_code == 400
    assert not ImmersioWebhookEvent.objects.exists()
    assert post(tenant, enrolled(), timestamp=time.time() - 250).status_code == 200


def test_replayed_event_id_is_answered_200_and_changes_nothing(fake, tenant, connection,
                                                             django_capture_on_commit_callbacks):
    mapped_course(fake, tenant)
    fake.add_student(ORG, "s9", email="nine@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assert post(tenant, enrolled()).status_code == 200
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = post(tenant, enrolled())
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert callbacks == []
    assert ImmersioWebhookEvent.objects.filter(tenant=tenant).count() == 1
    assert len(fake.requests_to("GET", "/v1/students/s9")) == 1


def test_unknown_type_is_answered_200_and_ignored(fake, tenant, connection, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(tenant, {"id": "evt_x", "type": "invoice.paid", "data": {}})
    assert response.status_code == 200 and response.json()["ignored"] is True
    assert callbacks == []
    assert ImmersioWebhookEvent.objects.get(event_id="evt_x").outcome.startswith("ignored")


def test_get_and_unsigned_garbage(fake, tenant, connection):
    assert host_client(tenant).get(URL).status_code == 405
    body = b"not json"
    response = host_client(tenant).post(URL, data=body, content_type="application/json",
                                        HTTP_X_IMMERSIO_SIGNATURE=signature_header("whsec-hanoi", body))
    assert response.status_code == 400


def test_a_webhook_signed_for_one_tenant_is_refused_on_the_other(fake, tenant, connection, other_tenant,
                                                                 other_connection):
    response = post(other_tenant, enrolled(), secret="whsec-hanoi")
    assert response.status_code == 400
    assert post(tenant, enrolled(), secret="whsec-saigon").status_code == 400
    assert not ImmersioWebhookEvent.objects.exists()


def test_same_event_id_may_arrive_for_two_tenants(fake, tenant, connection, other_tenant, other_connection):
    assert post(tenant, {"id": "evt_same", "type": "other.thing"}).status_code == 200
    assert post(other_tenant, {"id": "evt_same", "type": "other.thing"}).status_code == 200
    assert ImmersioWebhookEvent.objects.filter(event_id="evt_same").count() == 2


def test_no_connection_answers_404(tenant):
    body = b"{}"
    response = host_client(tenant).post(URL, data=body, content_type="application/json",
                                        HTTP_X_IMMERSIO_SIGNATURE=signature_header("x", body))
    assert response.status_code == 404
