"""Real threads against PostgreSQL: no session is sold past capacity and no teacher is
double-booked, whatever the interleaving."""

from collections import Counter

import pytest

from booking.errors import BookingError
from booking.models import Booking, BookingSeat, Session
from booking.services import bookings
from tests.booking.booking_helpers import future, make_class, make_one_on_one
from tests.concurrency import race as threads_race
from tests.conftest import make_tenant, make_user
from tests.booking.helpers import make_teacher

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(count, book):
    """Run book(i) in `count` threads released together (tests.concurrency.race).

    Returns one outcome per thread, in order: ("booked", pk), ("refused", message) for a
    BookingError, or ("crashed", repr) for anything else."""

    def outcome(result):
        if isinstance(result, BookingError):
            return ("refused", result.message)
        if isinstance(result, Exception):
            return ("crashed", repr(result))
        return result

    return [outcome(result) for result in threads_race(count, lambda index: ("booked", book(index).pk))]


def test_fifty_threads_race_for_the_last_five_seats():
    tenant = make_tenant("race")
    teacher = make_teacher(tenant, "t@race.test")
    event_type, (session,) = make_class(tenant, teacher, capacity=30)
    Session.objects.filter(pk=session.pk).update(seats_taken=25)
    students = [make_user(f"s{i}@example.com") for i in range(50)]

    outcomes = race(50, lambda i: bookings.create_booking(event_type=event_type, session=session,
                                                          attendee=students[i]))

    kinds = Counter(kind for kind, _ in outcomes)
    assert kinds == {"booked": 5, "refused": 45}, outcomes
    assert {message for kind, message in outcomes if kind == "refused"} == {"This session is fully booked."}
    session.refresh_from_db()
    assert session.seats_taken == 30
    assert Booking.objects.filter(session=session, status="confirmed").count() == 5
    assert sum(BookingSeat.objects.filter(session=session).values_list("seats", flat=True)) + 25 == \
        session.seats_taken


def test_twenty_threads_race_for_one_one_to_one_slot():
    tenant = make_tenant("race2")
    teacher = make_teacher(tenant, "t@race2.test")
    event_type = make_one_on_one(tenant, teacher)
    start = future(3, 11)
    students = [make_user(f"p{i}@example.com") for i in range(20)]

    outcomes = race(20, lambda i: bookings.create_booking(event_type=event_type, start=start,
                                                          attendee=students[i]))

    kinds = Counter(kind for kind, _ in outcomes)
    assert kinds == {"booked": 1, "refused": 19}, outcomes
    assert Booking.objects.filter(teacher=teacher, start=start).count() == 1


def test_twenty_double_clicks_give_one_booking():
    tenant = make_tenant("race3")
    teacher = make_teacher(tenant, "t@race3.test")
    event_type, (session,) = make_class(tenant, teacher, capacity=30)
    student = make_user("clicker@example.com")

    outcomes = race(20, lambda i: bookings.create_booking(event_type=event_type, session=session, attendee=student))

    assert {outcome for outcome in outcomes} == {("booked", Booking.objects.get().pk)}
    session.refresh_from_db()
    assert session.seats_taken == 1


def test_cancel_and_book_race_never_oversells():
    tenant = make_tenant("race4")
    teacher = make_teacher(tenant, "t@race4.test")
    event_type, (session,) = make_class(tenant, teacher, capacity=5)
    holders = [bookings.create_booking(event_type=event_type, session=session, attendee=make_user(f"h{i}@e.com"))
               for i in range(5)]
    newcomers = [make_user(f"n{i}@example.com") for i in range(10)]

    def act(i):
        if i < 5:
            bookings.cancel_booking(holders[i], reason="", by_role="admin")
            return holders[i]
        return bookings.create_booking(event_type=event_type, session=session, attendee=newcomers[i - 5])

    outcomes = race(15, act)
    assert not [o for o in outcomes if o[0] == "crashed"], outcomes
    session.refresh_from_db()
    assert session.seats_taken == Booking.objects.filter(session=session, status="confirmed").count() <= 5
    assert bookings.seat_drift() == []


def test_exclusion_constraint_refuses_an_overlap_written_directly():
    from django.db import IntegrityError, transaction
    tenant = make_tenant("race5")
    teacher = make_teacher(tenant, "t@race5.test")
    event_type = make_one_on_one(tenant, teacher)
    start = future(3, 11)
    first = bookings.create_booking(event_type=event_type, start=start, attendee=make_user("a@example.com"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(tenant=tenant, event_type=event_type, teacher=teacher, start=first.start,
                               end=first.end, attendee=first.attendee, attendee_email="a@example.com")
