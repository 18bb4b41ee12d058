"""The school's API key: event types with recurrence, whitelist, sessions, bookings,
export, stats; every key endpoint refuses no key, a revoked key, another tenant's key,
and another tenant's ids."""

import pytest
from django.utils import timezone

from booking.models import EventType, Session, WhitelistEntry
from booking.services import bookings as booking_service
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
                     ("get", "/api/v1/me/tokens")]


@pytest.mark.parametrize("method,path", STUDENT_ENDPOINTS)
def test_student_endpoints_refuse_a_tenant_key(method, path, key_client):
    response = call(key_client, method, path)
    assert response.status_code == 403 and response.json()["code"] == "student_required"


def test_key_use_is_recorded(key_client, api_key):
    key_client.get("/api/v1/tenant/stats")
    api_key[0].refresh_from_db()
    assert api_key[0].last_used_at is not None and api_key[0].last_used_at <= timezone.now()
