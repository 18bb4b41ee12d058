"""Real threads against PostgreSQL: adding participants to groups never sells a session
past capacity, whatever the interleaving."""

from collections import Counter

import pytest

from booking.models import Booking, BookingParticipant, EventType
from booking.services import bookings
from booking.services import participants as group
from tests.booking.booking_helpers import make_class
from tests.booking.helpers import make_teacher
from tests.booking.test_concurrency import race
from tests.conftest import make_tenant, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_add_participant_calls_never_pass_capacity():
    tenant = make_tenant("grouprace")
    teacher = make_teacher(tenant, "t@grouprace.test")
    event_type, (session,) = make_class(tenant, teacher, capacity=10, max_seats_per_booking=10,
                                        participant_names=EventType.ParticipantNames.REQUIRED)
    groups = []
    for n in range(5):
        booker = make_user(f"booker{n}@example.com")
        groups.append(bookings.create_booking(event_type=event_type, session=session, attendee=booker, seats=1,
                                              participants=[{"name": f"First {n}", "email": f"first{n}@x.test"}]))
    # 5 of 10 seats taken; 20 threads, four per group, each add one participant.
    outcomes = race(20, lambda i: group.add_participants(
        groups[i % 5], [{"name": f"Added {i}", "email": f"added{i}@x.test"}], actor=groups[i % 5].attendee))

    kinds = Counter(kind for kind, _ in outcomes)
    assert kinds == {"booked": 5, "refused": 15}, outcomes
    assert {message for kind, message in outcomes if kind == "refused"} == {"This session is fully booked."}
    session.refresh_from_db()
    assert session.seats_taken == 10
    assert sum(Booking.objects.filter(session=session).values_list("seats", flat=True)) == 10
    assert BookingParticipant.objects.filter(booking__session=session, status="active").count() == 10
    assert bookings.seat_drift() == []


def test_concurrent_give_up_and_add_keep_the_count_true():
    tenant = make_tenant("grouprace2")
    teacher = make_teacher(tenant, "t@grouprace2.test")
    event_type, (session,) = make_class(tenant, teacher, capacity=4, max_seats_per_booking=4,
                                        participant_names=EventType.ParticipantNames.REQUIRED)
    booker = make_user("booker@example.com")
    booking = bookings.create_booking(
        event_type=event_type, session=session, attendee=booker, seats=4,
        participants=[{"name": f"P{n}", "email": f"p{n}@x.test"} for n in range(4)])
    leavers = list(booking.participants.order_by("pk"))[:2]

    def act(i):
        if i < 2:
            group.give_up_own_seat(leavers[i], token=leavers[i].manage_token)
            return leavers[i]
        return group.add_participants(booking, [{"name": f"New {i}", "email": f"new{i}@x.test"}], actor=booker)

    outcomes = race(6, act)

    assert not [o for o in outcomes if o[0] == "crashed"], outcomes
    session.refresh_from_db()
    booking.refresh_from_db()
    assert session.seats_taken == booking.seats <= 4
    assert BookingParticipant.objects.filter(booking=booking, status="active").count() == booking.seats
    assert bookings.seat_drift() == []
