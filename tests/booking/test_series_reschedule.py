"""A whole-series booking (a course of weekly classes) moves to another run of the same
course: its seats in every future session move at once, or not at all; payment, uid and
history stay; the student is told with an ICS that adds the new sessions and one that
removes the old."""

from decimal import Decimal

import pytest
from django.core import mail
from icalendar import Calendar

from booking.errors import BookingError
from booking.models import Booking, BookingSeat, Session
from booking.services import bookings
from site_platform.models import AuditEntry
from tests.booking.booking_helpers import make_class
from tests.booking.series_helpers import make_course, make_run, taken
from tests.conftest import host_client



@pytest.fixture
def course(tenant, teacher):
    return make_course(tenant, teacher)


def attachment(message, name):
    (content,) = [content for filename, content, _mimetype in message.attachments if filename == name]
    return Calendar.from_ical(content)


def test_a_course_booking_moves_to_another_run_with_its_seats_payment_and_history(run_on_commit, tenant, teacher,
                                                                                 student):
    course = make_course(tenant, teacher, price=Decimal("120"))
    run_a = make_run(course, teacher, days=3)
    run_b = make_run(course, teacher, days=5, hour=14)
    booking = bookings.create_booking(event_type=course, session=run_a[0], attendee=student, seats=2)
    bookings.confirm_booking(booking, payment_reference="pi_course_1")
    booking.refresh_from_db()
    before = {"uid": booking.uid, "amount": booking.amount, "token": booking.manage_token,
              "sequence": booking.sequence}
    mail.outbox.clear()

    moved = run_on_commit(bookings.reschedule_booking, booking, new_session=run_b[0], actor=student)

    assert (moved.uid, moved.amount, moved.payment_reference) == (before["uid"], Decimal("240"), "pi_course_1")
    assert moved.status == Booking.Status.CONFIRMED
    assert moved.series_id == run_b[0].series_id and moved.session_id == run_b[0].pk
    assert (moved.start, moved.end) == (run_b[0].start, run_b[-1].end)
    assert moved.sequence == before["sequence"] + 1 and moved.reschedule_count == 1
    assert moved.manage_token != before["token"]
    assert taken(run_a) == [0, 0, 0] and taken(run_b) == [2, 2, 2]
    assert sorted(BookingSeat.objects.filter(booking=moved).values_list("session_id", flat=True)) == \
        sorted(s.pk for s in run_b)
    assert bookings.seat_drift() == []
    assert AuditEntry.objects.filter(action="booking.rescheduled", target=f"booking:{booking.uid}").exists()

    message, = [m for m in mail.outbox if student.email in m.to[0]]
    assert message.subject.startswith("Booking moved")
    added = attachment(message, "invite.ics")
    assert added["METHOD"] == "REQUEST"
    assert sorted(str(e["UID"]) for e in added.walk("VEVENT")) == sorted(
        f"booking-{booking.uid}-{s.pk}@platform.test" for s in run_b)
    removed = attachment(message, "cancel.ics")
    assert removed["METHOD"] == "CANCEL"
    assert sorted(str(e["UID"]) for e in removed.walk("VEVENT")) == sorted(
        f"booking-{booking.uid}-{s.pk}@platform.test" for s in run_a)
    assert {str(e["STATUS"]) for e in removed.walk("VEVENT")} == {"CANCELLED"}
    assert all(e["SEQUENCE"] == moved.sequence for e in removed.walk("VEVENT"))


def test_refused_whole_when_one_session_of_the_other_run_lacks_a_seat(course, teacher, student):
    run_a = make_run(course, teacher, days=3)
    run_b = make_run(course, teacher, days=5, capacity=8)
    booking = bookings.create_booking(event_type=course, session=run_a[0], attendee=student, seats=2)
    Session.objects.filter(pk=run_b[2].pk).update(seats_taken=7)  # one seat left in its last session

    with pytest.raises(BookingError) as refused:
        bookings.reschedule_booking(booking, new_session=run_b[0], actor=student)

    assert refused.value.message == "This session is fully booked."
    assert taken(run_a) == [2, 2, 2] and taken(run_b) == [0, 0, 7]
    booking.refresh_from_db()
    assert (booking.series_id, booking.sequence, booking.reschedule_count) == (run_a[0].series_id, 0, 0)
    assert sorted(BookingSeat.objects.filter(booking=booking).values_list("session_id", flat=True)) == \
        sorted(s.pk for s in run_a)


def test_the_same_run_or_another_event_types_session_is_refused(tenant, course, teacher, student):
    run_a = make_run(course, teacher, days=3)
    booking = bookings.create_booking(event_type=course, session=run_a[0], attendee=student)
    with pytest.raises(BookingError) as same:
        bookings.reschedule_booking(booking, new_session=run_a[1], actor=student)
    assert same.value.code == "reschedule_same"
    _other, (elsewhere,) = make_class(tenant, teacher, slug="other-class")
    with pytest.raises(BookingError) as wrong:
        bookings.reschedule_booking(booking, new_session=elsewhere, actor=student)
    assert wrong.value.code == "wrong_session"
    assert taken(run_a) == [1, 1, 1]


def test_student_moves_their_course_to_another_run_from_the_booking_page(tenant, course, teacher, student):
    run_a = make_run(course, teacher, days=3)
    run_b = make_run(course, teacher, days=5, hour=14)
    booking = bookings.create_booking(event_type=course, session=run_a[0], attendee=student)
    client = host_client(tenant, user=student)

    assert f"/bookings/{booking.uid}/reschedule/" in client.get(f"/bookings/{booking.uid}/").content.decode()
    page = client.get(f"/bookings/{booking.uid}/reschedule/")
    assert page.status_code == 200
    offered = [s.pk for s in page.context["sessions"]]
    assert offered == [run_b[0].pk]  # the other run, once; not the student's own run

    response = client.post(f"/bookings/{booking.uid}/reschedule/", {"session": run_b[0].pk})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.series_id == run_b[0].series_id
    assert taken(run_a) == [0, 0, 0] and taken(run_b) == [1, 1, 1]


def test_each_participant_of_a_moved_course_gets_the_new_run_and_loses_the_old(run_on_commit, tenant, teacher,
                                                                              student):
    from booking.models import EventType

    course = make_course(tenant, teacher, slug="kids-course",
                         participant_names=EventType.ParticipantNames.REQUIRED)
    run_a = make_run(course, teacher, days=3)
    run_b = make_run(course, teacher, days=5, hour=14)
    booking = run_on_commit(bookings.create_booking, event_type=course, session=run_a[0], attendee=student, seats=2,
                            participants=[{"name": "Minh", "email": "minh@kids.test"},
                                          {"name": "Lan", "email": "lan@kids.test"}])
    mail.outbox.clear()

    run_on_commit(bookings.reschedule_booking, booking, new_session=run_b[0], actor=student)

    lan, = [m for m in mail.outbox if "lan@kids.test" in m.to[0]]
    added = attachment(lan, "invite.ics")
    assert sorted(str(e["UID"]) for e in added.walk("VEVENT")) == sorted(
        f"booking-{booking.uid}-{s.pk}@platform.test" for s in run_b)
    removed = attachment(lan, "cancel.ics")
    assert sorted(str(e["UID"]) for e in removed.walk("VEVENT")) == sorted(
        f"booking-{booking.uid}-{s.pk}@platform.test" for s in run_a)
    assert all(str(e["ATTENDEE"]) == "mailto:lan@kids.test" for e in removed.walk("VEVENT"))
    assert taken(run_b) == [2, 2, 2] and taken(run_a) == [0, 0, 0]
