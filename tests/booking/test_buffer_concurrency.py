"""Real threads against PostgreSQL: one-to-one buffers hold under a race. The exclusion
constraint only refuses overlapping bookings; the teacher-time advisory lock
(`bookings.lock_teacher_time`) makes bookings inside one another's buffers wait for each
other, so the second one's slot check sees the first."""

from collections import Counter
from datetime import timedelta
from itertools import combinations

import pytest

from booking.models import Booking
from booking.services import bookings
from tests.booking.booking_helpers import future, make_one_on_one
from tests.booking.helpers import make_teacher
from tests.booking.test_concurrency import race
from tests.conftest import make_tenant, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# 30-minute lessons with 15 minutes before and after: two lessons need starts 60 minutes apart.
NEEDED_GAP = timedelta(minutes=60)


def test_twenty_threads_booking_inside_each_others_buffers_land_only_non_conflicting_lessons():
    tenant = make_tenant("bufferrace")
    teacher = make_teacher(tenant, "t@bufferrace.test")
    event_type = make_one_on_one(tenant, teacher, buffer_before_minutes=15, buffer_after_minutes=15,
                                 slot_interval_minutes=10)
    event_type.duration_minutes = 30
    event_type.save(update_fields=["duration_minutes"])
    first = future(3, 10)
    # 10:00, 10:10, ... 13:10: every start lies inside the buffers of its neighbours.
    starts = [first + timedelta(minutes=10 * i) for i in range(20)]
    students = [make_user(f"b{i}@example.com") for i in range(20)]

    outcomes = race(20, lambda i: bookings.create_booking(event_type=event_type, start=starts[i],
                                                          attendee=students[i]))

    kinds = Counter(kind for kind, _ in outcomes)
    assert set(kinds) <= {"booked", "refused"}, outcomes
    landed = sorted(Booking.objects.filter(teacher=teacher, status__in=Booking.HOLDING).values_list("start",
                                                                                                    flat=True))
    assert len(landed) == kinds["booked"]
    # Whatever the order, at least two fit (e.g. 10:50 and 12:40 cover every other start) and at most four.
    assert 2 <= len(landed) <= 4, landed
    for earlier, later in combinations(landed, 2):
        assert later - earlier >= NEEDED_GAP, landed
    # Refused by the slot check after waiting for the lock, never by the constraint's "just booked".
    assert {message for kind, message in outcomes if kind == "refused"} == {
        "This time is not available. Please choose another."}, outcomes


def test_rescheduling_into_a_concurrent_bookings_buffer_is_refused():
    tenant = make_tenant("bufferrace2")
    teacher = make_teacher(tenant, "t@bufferrace2.test")
    event_type = make_one_on_one(tenant, teacher, buffer_before_minutes=15, buffer_after_minutes=15,
                                 slot_interval_minutes=10)
    event_type.duration_minutes = 30
    event_type.save(update_fields=["duration_minutes"])
    first = future(3, 10)
    students = [make_user(f"r{i}@example.com") for i in range(10)]
    # Ten lessons far apart, each moved at once to a start 10 minutes after the previous one's new start.
    lessons = [bookings.create_booking(event_type=event_type, start=future(5, 8) + timedelta(hours=i),
                                       attendee=students[i]) for i in range(10)]
    targets = [first + timedelta(minutes=10 * i) for i in range(10)]

    outcomes = race(10, lambda i: bookings.reschedule_booking(lessons[i], new_start=targets[i], actor=students[i]))

    assert {kind for kind, _ in outcomes} <= {"booked", "refused"}, outcomes
    assert {message for kind, message in outcomes if kind == "refused"} <= {
        "This time is not available. Please choose another."}, outcomes
    moved = sorted(Booking.objects.filter(teacher=teacher, status__in=Booking.HOLDING,
                                          start__lt=first + timedelta(hours=3)).values_list("start", flat=True))
    assert len(moved) == sum(1 for kind, _ in outcomes if kind == "booked") >= 1
    for earlier, later in combinations(moved, 2):
        assert later - earlier >= NEEDED_GAP, moved
