"""Real threads against PostgreSQL: the last seat of a course run (a whole-series event
type) goes to exactly one booking, whether students book the run or move their course
booking into it, and no session of either run drifts from its bookings."""

from collections import Counter

import pytest

from booking.models import Booking
from booking.services import bookings
from tests.booking.helpers import make_teacher
from tests.booking.series_helpers import make_course, make_run, taken
from tests.booking.test_concurrency import race
from tests.conftest import make_tenant, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_threads_race_for_the_last_seat_of_a_course_run_by_booking_and_rescheduling():
    tenant = make_tenant("seriesrace")
    teacher = make_teacher(tenant, "t@seriesrace.test")
    course = make_course(tenant, teacher)
    run_a = make_run(course, teacher, days=3, capacity=20)
    run_b = make_run(course, teacher, days=5, hour=14, capacity=3)
    for n in range(2):
        bookings.create_booking(event_type=course, session=run_b[0], attendee=make_user(f"early{n}@example.com"))
    assert taken(run_b) == [2, 2, 2]  # one seat left in every session of run B
    movers = [make_user(f"mover{n}@example.com") for n in range(10)]
    moving = [bookings.create_booking(event_type=course, session=run_a[0], attendee=movers[n]) for n in range(10)]
    newcomers = [make_user(f"new{n}@example.com") for n in range(10)]

    def act(index):
        if index % 2:
            return bookings.reschedule_booking(moving[index // 2], new_session=run_b[0], actor=movers[index // 2])
        return bookings.create_booking(event_type=course, session=run_b[0], attendee=newcomers[index // 2])

    outcomes = race(20, act)

    kinds = Counter(kind for kind, _ in outcomes)
    assert kinds == {"booked": 1, "refused": 19}, outcomes
    assert {message for kind, message in outcomes if kind == "refused"} == {"This session is fully booked."}
    assert taken(run_b) == [3, 3, 3]
    in_b = Booking.objects.filter(series_id=run_b[0].series_id, status__in=Booking.HOLDING).count()
    in_a = Booking.objects.filter(series_id=run_a[0].series_id, status__in=Booking.HOLDING).count()
    assert in_b == 3
    assert taken(run_a) == [in_a] * 3
    assert bookings.seat_drift() == []


def test_a_freed_course_seat_goes_to_the_waitlist_offer_whatever_books_at_the_same_time():
    from booking.models import WaitlistEntry, WaitlistSeat
    from booking.services import waitlist

    tenant = make_tenant("serieswait")
    teacher = make_teacher(tenant, "t@serieswait.test")
    course = make_course(tenant, teacher)
    run = make_run(course, teacher, days=3, capacity=3)
    holders = [bookings.create_booking(event_type=course, session=run[0], attendee=make_user(f"h{n}@example.com"))
               for n in range(3)]
    waiting_user = make_user("waiting@example.com")
    entry = waitlist.join_waitlist(run[0], waiting_user)
    others = [make_user(f"o{n}@example.com") for n in range(19)]

    def act(index):
        if index == 0:
            bookings.cancel_booking(holders[0], actor=holders[0].attendee)
            return holders[0]
        return bookings.create_booking(event_type=course, session=run[0], attendee=others[index - 1])

    outcomes = race(20, act)

    kinds = Counter(kind for kind, _ in outcomes)
    assert kinds == {"booked": 1, "refused": 19}, outcomes  # the cancellation; no direct booking lands
    assert outcomes[0][0] == "booked"
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    assert WaitlistSeat.objects.filter(entry=entry).count() == 3
    assert taken(run) == [3, 3, 3]
    assert bookings.seat_drift() == []
    booking = waitlist.claim_offer(entry, token=entry.offer_token, user=waiting_user)
    assert booking.series_id == run[0].series_id
    assert taken(run) == [3, 3, 3] and bookings.seat_drift() == []
