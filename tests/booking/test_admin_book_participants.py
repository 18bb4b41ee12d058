"""The admin's "Book someone in" names the participants of a group when the event type
asks for them: one per line, "name, email"; bad lines are a clear error with nothing
written; seats left out stay unnamed for the booker to name later."""

import pytest
from django.core import mail

from booking.models import Booking, BookingParticipant, EventType
from tests.booking.booking_helpers import make_class
from tests.conftest import host_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def kids(tenant, teacher):
    return make_class(tenant, teacher, capacity=10, slug="kids", title="Kids' English", max_seats_per_booking=4,
                      participant_names=EventType.ParticipantNames.REQUIRED)


def post(admin_user, data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return host_client(user=admin_user).post("/admin/bookings/book/", data)


def test_admin_books_a_group_with_named_participants(kids, tenant_admin, django_capture_on_commit_callbacks):
    event_type, (session,) = kids
    response = post(tenant_admin, {
        "event_type": event_type.pk, "session": session.pk, "email": "parent@example.com", "seats": 3,
        "participants": "Minh Tran, minh@kids.test\n\nLan Tran, <lan@kids.test>\n"}, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    booking = Booking.objects.get(attendee_email="parent@example.com")
    assert (booking.source, booking.seats) == ("admin", 3)
    assert list(booking.participants.order_by("pk").values_list("name", "email")) == [
        ("Minh Tran", "minh@kids.test"), ("Lan Tran", "lan@kids.test"), ("", "")]
    # Each named participant is told on their own.
    assert sorted(m.to[0] for m in mail.outbox if "kids.test" in m.to[0]) == [
        "Lan Tran <lan@kids.test>", "Minh Tran <minh@kids.test>"]
    session.refresh_from_db()
    assert session.seats_taken == 3


@pytest.mark.parametrize("participants, message", [
    ("Minh, minh@kids.test\nLan, lan@kids.test\nBao, bao@kids.test", "3 people named for 2 seats"),
    ("Minh minh@kids.test", "Line 1: write “name, email”."),
    ("Minh, not-an-email", "Line 1: write “name, email”."),
    ("Minh, minh@kids.test\nMinh again, MINH@kids.test", "minh@kids.test is named twice in this group."),
])
def test_bad_participant_lines_are_refused_with_nothing_written(kids, tenant_admin, participants, message,
                                                                django_capture_on_commit_callbacks):
    event_type, (session,) = kids
    response = post(tenant_admin, {"event_type": event_type.pk, "session": session.pk,
                                   "email": "parent@example.com", "seats": 2, "participants": participants},
                    django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert not Booking.objects.exists() and not BookingParticipant.objects.exists()
    session.refresh_from_db()
    assert session.seats_taken == 0


def test_participants_on_an_event_type_that_does_not_name_them_are_refused(tenant, teacher, tenant_admin,
                                                                           django_capture_on_commit_callbacks):
    event_type, (session,) = make_class(tenant, teacher, slug="plain")
    response = post(tenant_admin, {"event_type": event_type.pk, "session": session.pk,
                                   "email": "parent@example.com", "seats": 1,
                                   "participants": "Minh, minh@kids.test"}, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "This event does not take named participants." in response.content.decode()
    assert not Booking.objects.exists()
