"""Public endpoints and a signed-in student's bookings, as a client sees them."""

import pytest
from django.test import Client

from booking.models import Booking, EventType, PersonalToken, WhitelistEntry
from tests.api.conftest import ApiClient
from tests.booking.booking_helpers import make_class
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_workshops_list_published_classes_with_next_sessions_and_seats_left(anon, workshop, other_workshop, tenant,
                                                                            teacher):
    event_type, sessions = workshop
    make_class(tenant, teacher, title="Draft class", is_published=False)
    sessions[0].seats_taken = 4
    sessions[0].save()
    body = anon.get("/api/v1/public/workshops").json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["title"] == "Conversation club"
    assert [s["id"] for s in item["next_sessions"]] == [s.pk for s in sessions]
    assert item["seats_left"] == 6 and item["next_sessions"][0]["seats_left"] == 6
    assert item["next_sessions"][0]["start"].endswith("+00:00")
    assert "Saigon secret class" not in str(body)


def test_workshops_are_paginated_and_bad_parameters_are_400(anon, tenant, teacher):
    for number in range(3):
        make_class(tenant, teacher, title=f"Class {number}", sessions=1)
    body = anon.get("/api/v1/public/workshops?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    response = anon.get("/api/v1/public/workshops?kind=cooking")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_parameter" and "kind" in response.json()["fields"]
    assert anon.get("/api/v1/public/workshops?page=99").status_code == 404


def test_landing_shows_the_hosts_tenant_only(anon, tenant, workshop, other_workshop):
    body = anon.get("/api/v1/public/landing").json()
    assert body["name"] == "Hanoi English Centre"
    assert [e["title"] for e in body["event_types"]] == ["Conversation club"]
    assert set(body["branding"]) >= {"primary_colour", "logo_url"}


def test_unknown_api_path_is_json_404(anon):
    anon.check_schema = False
    response = anon.get("/api/v1/nothing/here")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.fixture
def booked(student_client, workshop):
    event_type, sessions = workshop
    response = student_client.post_json("/api/v1/me/bookings",
                                        {"event_type": event_type.pk, "session": sessions[0].pk, "seats": 2})
    assert response.status_code == 201, response.content
    return response.json()


def test_student_books_lists_cancels_and_reschedules(student_client, workshop, booked, tenant):
    event_type, sessions = workshop
    sessions[0].refresh_from_db()
    assert sessions[0].seats_taken == 2 and booked["status"] == "confirmed"
    assert Booking.objects.get(uid=booked["uid"]).source == Booking.Source.DIRECT

    someone_else = make_user("other@example.com")
    other = ApiClient(tenant)
    other.force_login(someone_else)
    assert other.get("/api/v1/me/bookings").json()["count"] == 0
    assert other.get(f"/api/v1/me/bookings/{booked['uid']}").status_code == 404
    assert other.post_json(f"/api/v1/me/bookings/{booked['uid']}/cancel").status_code == 404

    listing = student_client.get("/api/v1/me/bookings").json()
    assert [b["uid"] for b in listing["results"]] == [booked["uid"]]

    moved = student_client.post_json(f"/api/v1/me/bookings/{booked['uid']}/reschedule", {"session": sessions[1].pk})
    assert moved.status_code == 200 and moved.json()["session_id"] == sessions[1].pk
    cancelled = student_client.post_json(f"/api/v1/me/bookings/{booked['uid']}/cancel", {"reason": "ill"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    for session in sessions:
        session.refresh_from_db()
        assert session.seats_taken == 0


def test_booking_errors_have_the_right_status(student_client, workshop, other_workshop, tenant, teacher):
    event_type, sessions = workshop
    full_type, full_sessions = make_class(tenant, teacher, capacity=1, title="Tiny")
    full_sessions[0].seats_taken = 1
    full_sessions[0].save()
    response = student_client.post_json("/api/v1/me/bookings",
                                        {"event_type": full_type.pk, "session": full_sessions[0].pk})
    assert response.status_code == 409 and response.json()["code"] == "full"

    EventType.objects.filter(pk=event_type.pk).update(whitelist_enabled=True)
    response = student_client.post_json("/api/v1/me/bookings", {"event_type": event_type.pk,
                                                                "session": sessions[0].pk})
    assert response.status_code == 403 and response.json()["code"] == "whitelist_only"

    response = student_client.post_json("/api/v1/me/bookings", {"event_type": "x", "seats": -1})
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"event_type", "seats"}

    response = student_client.post("/api/v1/me/bookings", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "malformed"

    other_type, other_sessions = other_workshop
    response = student_client.post_json("/api/v1/me/bookings", {"event_type": other_type.pk,
                                                                "session": other_sessions[0].pk})
    assert response.status_code == 404
    response = student_client.post_json("/api/v1/me/bookings", {"event_type": full_type.pk,
                                                                "session": other_sessions[0].pk})
    assert response.status_code == 404
    assert other_sessions[0].bookings.count() == 0


def test_whitelisted_student_may_book(student_client, workshop, student):
    event_type, sessions = workshop
    EventType.objects.filter(pk=event_type.pk).update(whitelist_enabled=True)
    WhitelistEntry.objects.create(tenant=event_type.tenant, event_type=event_type, email=student.email)
    response = student_client.post_json("/api/v1/me/bookings", {"event_type": event_type.pk,
                                                                "session": sessions[0].pk})
    assert response.status_code == 201


def test_anonymous_is_401_and_session_writes_need_csrf(anon, tenant, student, workshop):
    assert anon.get("/api/v1/me/bookings").status_code == 401
    assert anon.get("/api/v1/me/bookings")["WWW-Authenticate"].startswith("Bearer")
    strict = ApiClient(tenant, enforce_csrf_checks=True)
    strict.force_login(student)
    event_type, sessions = workshop
    response = strict.post_json("/api/v1/me/bookings", {"event_type": event_type.pk, "session": sessions[0].pk})
    assert response.status_code == 403 and "CSRF" in response.json()["message"]


def test_personal_token_made_in_a_session_works_until_revoked_and_only_on_its_tenant(
        student_client, tenant, other_tenant, student, workshop):
    made = student_client.post_json("/api/v1/me/tokens", {"name": "My script"})
    assert made.status_code == 201
    token = made.json()["token"]
    assert token.startswith("lsp_") and not PersonalToken.objects.filter(key_hash=token).exists()
    with_token = ApiClient(tenant, key=token)
    assert with_token.get("/api/v1/me/bookings").status_code == 200
    assert with_token.post_json("/api/v1/me/tokens", {"name": "again"}).status_code == 403
    assert ApiClient(other_tenant, key=token).get("/api/v1/me/bookings").status_code == 401
    assert "token" not in student_client.get("/api/v1/me/tokens").json()["results"][0]
    assert with_token.delete(f"/api/v1/me/tokens/{made.json()['id']}").status_code == 204
    assert with_token.get("/api/v1/me/bookings").status_code == 401


def test_platform_host_has_no_api(db):
    assert Client(HTTP_HOST="platform.test").get("/api/v1/public/workshops").status_code == 404
