"""The booking lifecycle services: seats, holds, confirm after expiry, cancel and refund
policy, reschedule, attendance, whole-series bookings, signals, drift check."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from booking import signals, tasks
from booking.errors import BookingError
from booking.models import Booking, BookingSeat, EventType, Session, SessionSeries
from booking.services import bookings
from booking.services.slots import load_teacher_busy, one_on_one_slots
from site_platform.models import AuditEntry
from tests.booking.booking_helpers import future, make_class, make_one_on_one
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def seats_taken(session):
    session.refresh_from_db()
    return session.seats_taken


@pytest.fixture
def paid_class(tenant, teacher):
    event_type, (session,) = make_class(tenant, teacher, capacity=2, price=Decimal("30"), slug="paid", hold_minutes=15)
    return event_type, session


def test_free_booking_is_confirmed_and_announced_after_commit(tenant, teacher, student, django_capture_on_commit_callbacks):
    event_type, (session,) = make_class(tenant, teacher, capacity=5)
    heard = []
    receiver = lambda sender, **kwargs: heard.append(kwargs)  # noqa: E731
    signals.booking_created.connect(receiver)
    signals.booking_confirmed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            booking = bookings.create_booking(event_type=event_type, session=session, attendee=student, seats=2)
    finally:
        signals.booking_created.disconnect(receiver)
        signals.booking_confirmed.disconnect(receiver)
    assert booking.status == Booking.Status.CONFIRMED and booking.amount == 0
    assert [k["booking_id"] for k in heard] == [booking.pk, booking.pk]
    assert seats_taken(session) == 2
    assert AuditEntry.objects.filter(action="booking.created", target=f"booking:{booking.uid}").exists()


def test_paid_booking_holds_seats_until_expiry_and_expiry_twice_is_harmless(paid_class, student):
    event_type, session = paid_class
    booking = bookings.create_booking(event_type=event_type, session=session, attendee=student, seats=2)
    assert booking.status == Booking.Status.PENDING_PAYMENT and booking.amount == Decimal("60")
    assert booking.hold_expires_at == pytest.approx(timezone.now() + timedelta(minutes=15), abs=timedelta(seconds=5))
    other = make_user("other@example.com")
    with pytest.raises(BookingError, match="fully booked"):
        bookings.create_booking(event_type=event_type, session=session, attendee=other)
    assert bookings.expire_holds(now=timezone.now()) == 0  # not yet
    later = booking.hold_expires_at + timedelta(seconds=1)
    assert bookings.expire_holds(now=later) == 1
    assert bookings.expire_holds(now=later) == 0
    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED and seats_taken(session) == 0
    assert bookings.create_booking(event_type=event_type, session=session, attendee=other).status == "pending_payment"


def test_expire_holds_task_runs_twice(paid_class, student):
    event_type, session = paid_class
    booking = bookings.create_booking(event_type=event_type, session=session, attendee=student,
                                      now=timezone.now() - timedelta(minutes=30))
    assert tasks.expire_holds.delay().get() == 1
    assert tasks.expire_holds.delay().get() == 0
    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED and seats_taken(session) == 0


def test_payment_after_expiry_does_not_resurrect_a_resold_seat(paid_class, student):
    event_type, session = paid_class
    late = bookings.create_booking(event_type=event_type, session=session, attendee=student, seats=2,
                                   now=timezone.now() - timedelta(minutes=20))
    bookings.expire_holds()
    buyer = make_user("buyer@example.com")
    resold = bookings.create_booking(event_type=event_type, session=session, attendee=buyer, seats=2)
    bookings.confirm_booking(resold, payment_reference="pi_2")
    result = bookings.confirm_booking(late, payment_reference="pi_1")
    assert result.status == Booking.Status.EXPIRED and result.needs_refund
    assert seats_taken(session) == 2
    assert bookings.confirm_booking(late, payment_reference="pi_1").needs_refund  # twice: same
    assert AuditEntry.objects.filter(action="booking.payment_after_release").count() == 1
    assert bookings.seat_drift() == []


def test_payment_after_expiry_with_the_seat_still_free_confirms(paid_class, student):
    event_type, session = paid_class
    late = bookings.create_booking(event_type=event_type, session=session, attendee=student,
                                   now=timezone.now() - timedelta(minutes=20))
    bookings.expire_holds()
    result = bookings.confirm_booking(late, payment_reference="pi_1")
    assert result.status == Booking.Status.CONFIRMED and not result.needs_refund
    assert seats_taken(session) == 1


def test_confirm_twice_changes_nothing(paid_class, student, django_capture_on_commit_callbacks):
    event_type, session = paid_class
    booking = bookings.create_booking(event_type=event_type, session=session, attendee=student)
    heard = []
    receiver = lambda sender, **kwargs: heard.append(kwargs["booking_id"])  # noqa: E731
    signals.booking_confirmed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            bookings.confirm_booking(booking, payment_reference="pi")
            bookings.confirm_booking(booking, payment_reference="pi")
    finally:
        signals.booking_confirmed.disconnect(receiver)
    assert heard == [booking.pk]
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED and booking.hold_expires_at is None


def test_refund_policy(tenant, teacher, student):
    event_type, (session,) = make_class(tenant, teacher, capacity=5, price=Decimal("40"), refund_window_hours=48,
                                        late_cancel_refund_percent=25)
    booking = bookings.create_booking(event_type=event_type, session=session, attendee=student)
    booking = bookings.confirm_booking(booking)
    start = booking.start
    assert booking.refund_amount(start - timedelta(hours=49)) == Decimal("40")
    assert booking.refund_amount(start - timedelta(hours=47)) == Decimal("10.00")
    assert booking.refund_amount(start - timedelta(hours=1), by_role="teacher") == Decimal("40")
    assert booking.can_cancel(start - timedelta(minutes=1)) and not booking.can_cancel(start)
    bookings.cancel_booking(booking, reason="late", actor=student, now=start - timedelta(hours=2))
    booking.refresh_from_db()
    assert booking.refund_due == Decimal("10.00") and booking.status == "cancelled"


def test_student_cannot_cancel_after_start_but_teacher_can(tenant, teacher, student):
    event_type, (session,) = make_class(tenant, teacher, capacity=5)
    booking = bookings.create_booking(event_type=event_type, session=session, attendee=student)
    with pytest.raises(BookingError) as error:
        bookings.cancel_booking(booking, reason="", actor=student, now=session.start + timedelta(minutes=5))
    assert error.value.code == "change_too_late"
    assert bookings.cancel_booking(booking, reason="teacher ill", actor=teacher, by_role="teacher",
                                   now=session.start + timedelta(minutes=5))
    assert seats_taken(session) == 0


def test_cancel_session_cancels_every_booking_and_frees_seats(tenant, teacher, student,
                                                              django_capture_on_commit_callbacks):
    event_type, (session,) = make_class(tenant, teacher, capacity=5)
    first = bookings.create_booking(event_type=event_type, session=session, attendee=student, seats=2)
    second = bookings.create_booking(event_type=event_type, session=session, attendee=make_user("b@example.com"))
    heard = []
    receiver = lambda sender, **kwargs: heard.append((kwargs["booking_id"], kwargs["by_role"],  # noqa: E731
                                                      kwargs["session_cancelled"]))
    signals.booking_cancelled.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert bookings.cancel_session_with_bookings(session, actor=teacher, reason="Flood") == 2
            assert bookings.cancel_session_with_bookings(session, actor=teacher, reason="Flood") == 0
    finally:
        signals.booking_cancelled.disconnect(receiver)
    assert sorted(heard) == sorted([(first.pk, "teacher", True), (second.pk, "teacher", True)])
    session.refresh_from_db()
    assert session.is_cancelled and session.seats_taken == 0
    assert set(Booking.objects.values_list("status", flat=True)) == {"cancelled"}


def test_reschedule_to_a_full_session_is_refused_and_nothing_moves(tenant, teacher, student):
    event_type, (first, second) = make_class(tenant, teacher, capacity=1, sessions=2)
    mine = bookings.create_booking(event_type=event_type, session=first, attendee=student)
    bookings.create_booking(event_type=event_type, session=second, attendee=make_user("b@example.com"))
    with pytest.raises(BookingError, match="fully booked"):
        bookings.reschedule_booking(mine, new_session=second, actor=student)
    mine.refresh_from_db()
    assert mine.session == first and seats_taken(first) == 1 and seats_taken(second) == 1


def test_reschedule_to_another_event_types_session_is_refused(tenant, teacher, student):
    event_type, (first,) = make_class(tenant, teacher, capacity=3)
    _other, (foreign,) = make_class(tenant, teacher, capacity=3, days=5)
    mine = bookings.create_booking(event_type=event_type, session=first, attendee=student)
    with pytest.raises(BookingError) as error:
        bookings.reschedule_booking(mine, new_session=foreign, actor=student)
    assert error.value.code == "wrong_session"


def test_whole_series_booking_takes_a_seat_in_every_future_session(tenant, teacher, student):
    event_type, sessions = make_class(tenant, teacher, capacity=4, sessions=3,
                                      booked_as=EventType.BookedAs.WHOLE_SERIES)
    series = SessionSeries.objects.create(tenant=tenant, event_type=event_type, teacher=teacher, weekdays=[0],
                                          start_time=sessions[0].start.time(), duration_minutes=60,
                                          starts_on=sessions[0].start.date(), count=3, capacity=4)
    Session.objects.filter(pk__in=[s.pk for s in sessions]).update(series=series)
    booking = bookings.create_booking(event_type=event_type, session=sessions[0], attendee=student, seats=2)
    assert booking.series == series
    assert sorted(BookingSeat.objects.filter(booking=booking).values_list("session_id", flat=True)) == \
        sorted(s.pk for s in sessions)
    assert [seats_taken(s) for s in sessions] == [2, 2, 2]
    Session.objects.filter(pk=sessions[2].pk).update(seats_taken=3)
    with pytest.raises(BookingError, match="fully booked"):
        bookings.create_booking(event_type=event_type, session=sessions[0], attendee=make_user("c@example.com"),
                                seats=2)
    assert [seats_taken(s) for s in sessions] == [2, 2, 3]  # nothing half-taken
    with pytest.raises(BookingError) as error:
        bookings.reschedule_booking(booking, new_session=sessions[1], actor=student)
    assert error.value.code == "reschedule_same"  # another session of its own run
    bookings.cancel_booking(booking, reason="", actor=student)
    assert [seats_taken(s) for s in sessions] == [0, 0, 1]


@pytest.mark.parametrize("seats", [0, -1, "two", 6, None])
def test_bad_seats_are_refused_without_a_row(tenant, teacher, student, seats):
    event_type, (session,) = make_class(tenant, teacher, capacity=10, max_seats_per_booking=5)
    with pytest.raises(BookingError) as error:
        bookings.create_booking(event_type=event_type, session=session, attendee=student, seats=seats)
    assert error.value.message == "Choose between 1 and 5 seats."
    assert not Booking.objects.exists() and seats_taken(session) == 0


def test_answers_are_checked_against_the_questions(tenant, teacher, student):
    event_type, (session,) = make_class(tenant, teacher, capacity=10, questions=[
        {"label": "Level", "kind": "choice", "choices": ["A1", "A2"], "required": True},
        {"label": "Camera on?", "kind": "yes_no", "required": False},
        {"label": "Goals", "kind": "text"},
    ])
    with pytest.raises(BookingError, match="Please answer “Level”."):
        bookings.create_booking(event_type=event_type, session=session, attendee=student, answers={})
    with pytest.raises(BookingError, match="not one of the choices"):
        bookings.create_booking(event_type=event_type, session=session, attendee=student, answers={"Level": "C2"})
    booking = bookings.create_booking(event_type=event_type, session=session, attendee=student,
                                      answers={"Level": "A2", "Camera on?": True, "Unknown": "x", "Goals": " talk "})
    assert booking.answers == {"Level": "A2", "Camera on?": "yes", "Goals": "talk"}


def test_unknown_cancelled_or_foreign_session_is_refused(tenant, other_tenant, teacher, student):
    event_type, (session,) = make_class(tenant, teacher, capacity=3)
    for bad in (None, 999999, "x"):
        with pytest.raises(BookingError) as error:
            bookings.create_booking(event_type=event_type, session=bad, attendee=student)
        assert error.value.code == "session_not_found"
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    with pytest.raises(BookingError, match="cancelled"):
        bookings.create_booking(event_type=event_type, session=session, attendee=student)
    assert not Booking.objects.exists()


def test_unpublished_event_type_is_not_bookable(tenant, teacher, student):
    event_type, (session,) = make_class(tenant, teacher, capacity=3, is_published=False)
    with pytest.raises(BookingError, match="not open"):
        bookings.create_booking(event_type=event_type, session=session, attendee=student)


def test_one_to_one_booking_is_busy_time_for_slots_and_sessions(tenant, teacher, student):
    event_type = make_one_on_one(tenant, teacher, buffer_after_minutes=30)
    start = future(2, 10)
    booking = bookings.create_booking(event_type=event_type, start=start, attendee=student)
    busy = load_teacher_busy(tenant, [teacher.pk], start - timedelta(hours=1), start + timedelta(hours=3))[teacher.pk]
    assert (start, start + timedelta(minutes=90), "booking") in busy.busy and start in busy.appointments
    window = (start - timedelta(hours=2), start + timedelta(hours=4))
    starts = {s.start for s in one_on_one_slots(event_type, *window, timezone.now())}
    assert start not in starts and start + timedelta(hours=1) not in starts  # the buffer
    assert start + timedelta(hours=2) in starts
    bookings.cancel_booking(booking, reason="", actor=student)
    assert start in {s.start for s in one_on_one_slots(event_type, *window, timezone.now())}


def test_one_to_one_respects_the_daily_limit(tenant, teacher, student):
    event_type = make_one_on_one(tenant, teacher, daily_limit_per_teacher=1)
    bookings.create_booking(event_type=event_type, start=future(2, 10), attendee=student)
    with pytest.raises(BookingError) as error:
        bookings.create_booking(event_type=event_type, start=future(2, 14), attendee=make_user("b@example.com"))
    assert error.value.code == "slot_unavailable"


def test_mark_attendance_after_the_start_only(tenant, teacher, student):
    event_type, (session,) = make_class(tenant, teacher, capacity=3)
    booking = bookings.create_booking(event_type=event_type, session=session, attendee=student)
    with pytest.raises(BookingError):
        bookings.mark_attendance(booking, attended=False, actor=teacher)
    after = session.end + timedelta(minutes=1)
    assert bookings.mark_attendance(booking, attended=False, actor=teacher, now=after)
    assert not bookings.mark_attendance(booking, attended=False, actor=teacher, now=after)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW and seats_taken(session) == 1
    assert bookings.mark_attendance(booking, attended=True, actor=teacher, now=after)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED and booking.attended is True


def test_drift_check_logs_a_session_whose_count_is_wrong(tenant, teacher, student, caplog):
    event_type, (session,) = make_class(tenant, teacher, capacity=5)
    bookings.create_booking(event_type=event_type, session=session, attendee=student, seats=2)
    assert bookings.check_seat_drift() == []
    Session.objects.filter(pk=session.pk).update(seats_taken=4)
    with caplog.at_level("ERROR", logger="booking.seats"):
        assert tasks.check_seat_drift.delay().get() == 1
    assert f"Seat drift on session {session.pk}: seats_taken=4" in caplog.text


def test_demo_has_bookings_and_a_waitlist_and_runs_twice():
    from booking.models import WaitlistEntry
    from site_platform.demo import seed_demo

    seed_demo()
    counts = (Booking.objects.count(), WaitlistEntry.objects.count(), AuditEntry.objects.count())
    statuses = set(Booking.objects.values_list("status", flat=True))
    assert {"confirmed", "cancelled"} <= statuses and WaitlistEntry.objects.filter(status="waiting").exists()
    seed_demo()
    assert (Booking.objects.count(), WaitlistEntry.objects.count(), AuditEntry.objects.count()) == counts
    assert bookings.seat_drift() == []
