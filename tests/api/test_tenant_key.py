"""The school's API key: event types with recurrence, whitelist, sessions, bookings,
export, stats; every key endpoint refuses no key, a revoked key, another tenant's key,
and another tenant's ids."""

import pytest
from django.utils import timezone

from booking.models import EventType, Session, WhitelistEntry
from booking.services import bookings as booking_service
from integrations.payments.models import StripeAccount
from tests.api.conftest import ApiClient, new_key

pytestmark = pytest.mark.django_db


def test_event_type_crud_with_recurrence(key_client, teacher, tenant):
    created = key_client.post_json("/api/v1/tenant/event-types", {
        "kind": "workshop", "title": "Pronunciation", "hosts": [teacher.pk], "seats_per_session": 8,
        "is_published": True,
        "recurrence": {"teacher": teacher.pk, "weekdays": [0, 2], "start_time": "18:00",
                       "starts_on": "2031-01-06", "count": 4, "timezone": "Asia/Ho_Chi_Minh"}})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["hosts"] == [teacher.pk] and len(body["series"]["sessions"]) == 4
    assert body["series"]["sessions"][0]["start"] == "2031-01-06T11:00:00+00:00"
    assert Session.objects.filter(event_type_id=body["id"]).count() == 4
    url = f"/api/v1/tenant/event-types/{body['id']}"
    assert key_client.get(url).json()["title"] == "Pronunciation"
    # A published event type takes a price once the school's Stripe account is connected.
    StripeAccount.objects.create(tenant=tenant, account_id="acct_hanoi", access_token="sk_test_oauth_x",
                                 connected_at=timezone.now())
    patched = key_client.patch_json(url, {"title": "Pronunciation lab", "price": "12.50", "currency": "usd"})
    assert patched.status_code == 200 and patched.json()["price"] == "12.50" and patched.json()["currency"] == "USD"
    more = key_client.post_json(f"{url}/series", {"teacher": teacher.pk, "weekdays": [4], "start_time": "09:00",
                                                  "starts_on": "2031-02-01", "until": "2031-02-28"})
    assert more.status_code == 201 and len(more.json()["sessions"]) == 4
    assert key_client.delete(url).status_code == 204
    assert not EventType.objects.filter(pk=body["id"]).exists()


def test_event_type_refusals(key_client, workshop, student, other_tenant):
    from tests.conftest import make_user

    response = key_client.post_json("/api/v1/tenant/event-types", {"title": "Visit", "location_kind": "in_person"})
    assert response.status_code == 422 and "address" in response.json()["fields"]
    outsider = make_user("outsider@example.com")
    response = key_client.post_json("/api/v1/tenant/event-types", {"title": "X", "hosts": [outsider.pk]})
    assert response.status_code == 422 and "hosts" in response.json()["fields"]
    event_type, sessions = workshop
    booking_service.create_booking(event_type=event_type, session=sessions[0], attendee=student)
    response = key_client.delete(f"/api/v1/tenant/event-types/{event_type.pk}")
    assert response.status_code == 409 and response.json()["code"] == "event_type_in_use"
    response = key_client.post_json(f"/api/v1/tenant/event-types/{event_type.pk}/series",
                                    {"teacher": sessions[0].teacher_id, "weekdays": [1], "start_time": "10:00",
                                     "starts_on": "2031-01-01"})
    assert response.status_code == 422 and response.json()["code"] == "recurrence_no_end"


def test_whitelist_add_replace_remove_answers_the_total(key_client, workshop):
    event_type, _sessions = workshop
    url = f"/api/v1/tenant/event-types/{event_type.pk}/whitelist"
    added = key_client.post_json(url, {"mode": "add", "emails": ["A@x.test", "b@x.test", "a@x.test"]}).json()
    assert added == {"mode": "add", "added": 2, "removed": 0, "total": 2}
    replaced = key_client.post_json(url, {"mode": "replace", "emails": ["b@x.test", "c@x.test"]}).json()
    assert replaced == {"mode": "replace", "added": 1, "removed": 1, "total": 2}
    removed = key_client.post_json(url, {"mode": "remove", "emails": ["c@x.test", "zz@x.test"]}).json()
    assert removed["total"] == 1 and removed["removed"] == 1
    assert key_client.get(url).json()["results"][0]["email"] == "b@x.test"
    bad = key_client.post_json(url, {"mode": "add", "emails": ["not-an-email"]})
    assert bad.status_code == 422 and bad.json()["code"] == "email_invalid"
    assert key_client.post_json(url, {"mode": "merge", "emails": []}).status_code == 422
    assert WhitelistEntry.objects.filter(event_type=event_type).count() == 1


def test_sessions_bookings_export_and_stats(key_client, workshop, other_workshop, student):
    event_type, sessions = workshop
    booking = booking_service.create_booking(event_type=event_type, session=sessions[0], attendee=student, seats=2)
    other_type, other_sessions = other_workshop
    sessions_body = key_client.get(f"/api/v1/tenant/sessions?event_type={event_type.pk}").json()
    assert [s["id"] for s in sessions_body["results"]] == [s.pk for s in sessions]
    assert sessions_body["results"][0]["seats_taken"] == 2
    assert key_client.get(f"/api/v1/tenant/sessions?event_type={other_type.pk}").json()["count"] == 0
    assert key_client.get("/api/v1/tenant/sessions?start_from=tomorrow").status_code == 400
    bookings = key_client.get("/api/v1/tenant/bookings?status=confirmed").json()
    assert [b["uid"] for b in bookings["results"]] == [str(booking.uid)]
    assert bookings["results"][0]["attendee_email"] == student.email
    export = key_client.get("/api/v1/tenant/bookings/export")
    assert export["Content-Type"].startswith("text/csv")
    text = b"".join(export.streaming_content).decode()
    assert str(booking.uid) in text and "Saigon" not in text
    stats = key_client.get("/api/v1/tenant/stats?period=year").json()
    assert stats["bookings"] == 1 and stats["period"] == "year"
    assert key_client.get("/api/v1/tenant/stats?period=decade").status_code == 400


KEY_ENDPOINTS = [
    ("get", "/api/v1/tenant/event-types"),
    ("post", "/api/v1/tenant/event-types"),
    ("get", "/api/v1/tenant/event-types/{id}"),
    ("patch", "/api/v1/tenant/event-types/{id}"),
    ("delete", "/api/v1/tenant/event-types/{id}"),
    ("post", "/api/v1/tenant/event-types/{id}/series"),
    ("post", "/api/v1/tenant/event-types/{id}/sessions"),
    ("get", "/api/v1/tenant/event-types/{id}/whitelist"),
    ("post", "/api/v1/tenant/event-types/{id}/whitelist"),
    ("get", "/api/v1/tenant/sessions"),
    ("get", "/api/v1/tenant/bookings"),
    ("get", "/api/v1/tenant/bookings/export"),
    ("get", "/api/v1/tenant/stats"),
    ("get", "/api/v1/tenant/payments"),
    ("get", "/api/v1/tenant/refunds"),
]


def call(client, method, path):
    if method in ("post", "patch"):
        return getattr(client, f"{method}_json")(path, {"mode": "add", "emails": ["x@y.test"]})
    return getattr(client, method)(path)


@pytest.mark.parametrize("method,path", KEY_ENDPOINTS)
def test_every_key_endpoint_refuses_missing_revoked_and_foreign_keys(method, path, tenant, other_tenant, api_key,
                                                                     other_key, workshop, other_workshop, student):
    event_type, _sessions = workshop
    other_type, _other_sessions = other_workshop
    url = path.format(id=event_type.pk)
    revoked, revoked_clear = new_key(tenant, "old")
    revoked.revoke()
    for client in (ApiClient(tenant), ApiClient(tenant, key=revoked_clear), ApiClient(tenant, key=other_key[1]),
                   ApiClient(tenant, key="lsk_nothing_here"), ApiClient(tenant, key="garbage")):
        response = call(client, method, url)
        assert response.status_code == 401, (client, response.content)
        assert response.json()["code"] in ("not_authenticated", "key_invalid")
    signed_in = ApiClient(tenant)
    signed_in.force_login(student)
    assert call(signed_in, method, url).status_code == 401  # a session is no key
    if "{id}" in path:
        response = call(ApiClient(tenant, key=api_key[1]), method, path.format(id=other_type.pk))
        assert response.status_code == 404
    assert EventType.objects.filter(pk=other_type.pk, title="Saigon secret class").exists()


STUDENT_ENDPOINTS = [("get", "/api/v1/me/bookings"), ("post", "/api/v1/me/bookings"),
                     ("get", "/api/v1/me/tokens"),
                     ("get", "/api/v1/me/bookings/3f1e0c1a-5b7d-4c2e-9a10-2b3c4d5e6f70/payment"),
                     ("post", "/api/v1/me/bookings/3f1e0c1a-5b7d-4c2e-9a10-2b3c4d5e6f70/pay")]


@pytest.mark.parametrize("method,path", STUDENT_ENDPOINTS)
def test_student_endpoints_refuse_a_tenant_key(method, path, key_client):
    response = call(key_client, method, path)
    assert response.status_code == 403 and response.json()["code"] == "student_required"


def test_key_use_is_recorded(key_client, api_key):
    key_client.get("/api/v1/tenant/stats")
    api_key[0].refresh_from_db()
    assert api_key[0].last_used_at is not None and api_key[0].last_used_at <= timezone.now()


def test_a_paid_event_type_is_not_published_without_a_stripe_account(key_client, tenant, teacher):
    from integrations.payments.errors import PaymentError

    expected = PaymentError("publish_needs_account").message
    paid = {"kind": "workshop", "title": "Paid lab", "hosts": [teacher.pk], "price": "25.00", "currency": "USD"}
    refused = key_client.post_json("/api/v1/tenant/event-types", dict(paid, is_published=True))
    assert refused.status_code == 422
    assert refused.json()["code"] == "publish_refused" and refused.json()["message"] == expected
    assert refused.json()["fields"] == {"is_published": [expected]}
    assert not EventType.objects.filter(title="Paid lab").exists()

    draft = key_client.post_json("/api/v1/tenant/event-types", paid)
    assert draft.status_code == 201 and draft.json()["is_published"] is False
    url = f"/api/v1/tenant/event-types/{draft.json()['id']}"
    refused = key_client.patch_json(url, {"is_published": True})
    assert refused.status_code == 422 and refused.json()["message"] == expected
    assert not EventType.objects.get(pk=draft.json()["id"]).is_published

    free = key_client.post_json("/api/v1/tenant/event-types", {"kind": "workshop", "title": "Free lab",
                                                               "hosts": [teacher.pk], "is_published": True})
    assert free.status_code == 201
    free_url = f"/api/v1/tenant/event-types/{free.json()['id']}"
    raised = key_client.patch_json(free_url, {"price": "10.00"})
    assert raised.status_code == 422 and raised.json()["code"] == "publish_refused"
    assert EventType.objects.get(pk=free.json()["id"]).price == 0

    StripeAccount.objects.create(tenant=tenant, account_id="acct_hanoi", access_token="sk_test_oauth_x",
                                 connected_at=timezone.now())
    published = key_client.patch_json(url, {"is_published": True})
    assert published.status_code == 200 and published.json()["is_published"] is True
    assert key_client.patch_json(free_url, {"price": "10.00"}).status_code == 200


def test_another_schools_stripe_account_does_not_count(key_client, other_tenant, teacher):
    StripeAccount.objects.create(tenant=other_tenant, account_id="acct_saigon", access_token="sk_test_oauth_y",
                                 connected_at=timezone.now())
    refused = key_client.post_json("/api/v1/tenant/event-types", {
        "kind": "workshop", "title": "Paid lab", "hosts": [teacher.pk], "price": "25.00", "is_published": True})
    assert refused.status_code == 422 and refused.json()["code"] == "publish_refused"


def test_a_write_to_an_unknown_api_address_is_a_json_404(key_client, workshop):
    """Found by schemathesis: a negative id (no URL pattern) answered Django's HTML CSRF page."""
    key_client.check_schema = False
    event_type, _sessions = workshop
    for path in ("/api/v1/tenant/event-types/-5/sessions", "/api/v1/tenant/event-types/%0A"):
        response = key_client.post_json(path, {"teacher": 1})
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = key_client.delete("/api/v1/tenant/event-types/a%0Ab")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert EventType.objects.filter(pk=event_type.pk).exists()


def test_times_out_of_the_calendar_are_refused_not_a_500(key_client, workshop, teacher):
    """Found by schemathesis: a session in year 1 overflowed in the teacher's busy-time query."""
    event_type, sessions = workshop
    response = key_client.post_json(f"/api/v1/tenant/event-types/{event_type.pk}/sessions", {
        "teacher": teacher.pk, "start": "0001-01-01T02:00:00+01:00", "end": "0001-04-01T00:01:00Z"})
    assert response.status_code == 422 and set(response.json()["fields"]) == {"start", "end"}
    response = key_client.post_json(f"/api/v1/tenant/event-types/{event_type.pk}/series", {
        "teacher": teacher.pk, "weekdays": [0], "start_time": "10:00", "starts_on": "9999-12-01", "count": 3})
    assert response.status_code == 422 and "starts_on" in response.json()["fields"]
    assert Session.objects.filter(event_type=event_type).count() == len(sessions)
