"""Group bookings with named participants through the API: a student names them when
booking; the school sees them in the bookings list and the CSV export."""

import pytest

from booking.models import Booking, BookingParticipant, EventType
from tests.booking.booking_helpers import make_class

pytestmark = pytest.mark.django_db


@pytest.fixture
def group_class(tenant, teacher):
    return make_class(tenant, teacher, capacity=6, title="Group club",
                      participant_names=EventType.ParticipantNames.REQUIRED)


def test_student_books_for_named_participants_and_the_school_sees_them(student_client, key_client, group_class):
    event_type, sessions = group_class
    group = [{"name": "Binh Tran", "email": "Binh@Example.com"}, {"name": "Chi Vo", "email": "chi@example.com"}]
    made = student_client.post_json("/api/v1/me/bookings", {"event_type": event_type.pk, "session": sessions[0].pk,
                                                            "seats": 2, "participants": group})
    assert made.status_code == 201, made.content
    assert made.json()["participants"] == [{"name": "Binh Tran", "email": "binh@example.com"},
                                           {"name": "Chi Vo", "email": "chi@example.com"}]
    booking = Booking.objects.get(uid=made.json()["uid"])
    assert booking.participants.filter(status=BookingParticipant.Status.ACTIVE).count() == 2

    mine = student_client.get("/api/v1/me/bookings").json()["results"][0]
    assert [p["name"] for p in mine["participants"]] == ["Binh Tran", "Chi Vo"]
    listed = key_client.get("/api/v1/tenant/bookings").json()["results"][0]
    assert listed["participants"] == made.json()["participants"]
    export = b"".join(key_client.get("/api/v1/tenant/bookings/export").streaming_content).decode()
    header, row = export.splitlines()[:2]
    assert header.endswith(",participants")
    assert row.endswith("Binh Tran <binh@example.com>; Chi Vo <chi@example.com>")


def test_missing_or_repeated_participants_are_refused_with_nothing_booked(student_client, group_class):
    event_type, sessions = group_class
    url = "/api/v1/me/bookings"
    body = {"event_type": event_type.pk, "session": sessions[0].pk, "seats": 2}
    response = student_client.post_json(url, dict(body, participants=[{"name": "Binh", "email": "b@example.com"}]))
    assert response.status_code == 422 and response.json()["code"] == "participant_name_missing"
    twice = [{"name": "Binh", "email": "b@example.com"}, {"name": "Binh again", "email": "B@example.com"}]
    response = student_client.post_json(url, dict(body, participants=twice))
    assert response.status_code == 422 and response.json()["code"] == "participant_duplicate"
    response = student_client.post_json(url, dict(body, participants=[{"name": "X", "email": 5}] * 1001))
    assert response.status_code == 422 and "participants" in response.json()["fields"]
    assert not Booking.objects.exists() and not BookingParticipant.objects.exists()
    sessions[0].refresh_from_db()
    assert sessions[0].seats_taken == 0


def test_names_given_later_show_as_seats_to_name(student_client, key_client, tenant, teacher):
    event_type, sessions = make_class(tenant, teacher, capacity=6, title="Later club",
                                      participant_names=EventType.ParticipantNames.LATER)
    made = student_client.post_json("/api/v1/me/bookings", {
        "event_type": event_type.pk, "session": sessions[0].pk, "seats": 2,
        "participants": [{"name": "Binh Tran", "email": "binh@example.com"}]})
    assert made.status_code == 201, made.content
    assert made.json()["participants"] == [{"name": "Binh Tran", "email": "binh@example.com"},
                                           {"name": "", "email": ""}]
    export = b"".join(key_client.get("/api/v1/tenant/bookings/export").streaming_content).decode()
    assert export.splitlines()[1].endswith("Binh Tran <binh@example.com>; (to be named)")
