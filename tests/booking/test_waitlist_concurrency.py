"""Real threads against PostgreSQL: waitlist offers and claims lock only the session (or
the entry), never the event type's row, so bookings of the class in flight at the same
time neither deadlock with them nor hold them up, and seats stay right."""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, transaction

from booking.models import Booking, Session, WaitlistEntry
from booking.services import bookings, waitlist
from tests.booking.booking_helpers import make_class
from tests.booking.helpers import make_teacher
from tests.booking.test_concurrency import race
from tests.conftest import make_tenant, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _seats(session):
    return Session.objects.get(pk=session.pk).seats_taken


def _claim_while_another_booking_commits(other_session, event_type, claim):
    """Thread 1 books `other_session` (a session of the same class) and, its booking counted
    towards the month, waits for thread 2 to start claiming before it commits (its foreign
    keys are checked then, taking a share of the event type's row). Thread 2 claims."""
    booked, claiming = threading.Event(), threading.Event()
    outcome = {}

    def booker():
        try:
            with transaction.atomic():
                outcome["other"] = bookings.create_booking(event_type=event_type, session=other_session,
                                                           attendee=make_user("inflight@example.com"))
                booked.set()
                claiming.wait(timeout=10)
                time.sleep(1)  # the claim is now waiting for the month's usage row
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcome["booker_error"] = repr(error)
        finally:
            booked.set()
            connection.close()

    def claimer():
        try:
            booked.wait(timeout=10)
            claiming.set()
            outcome["result"] = claim()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = repr(error)
        finally:
            claiming.set()
            connection.close()

    threads = [threading.Thread(target=booker), threading.Thread(target=claimer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


def _full_class_with_a_waiting_student(subdomain):
    tenant = make_tenant(subdomain)
    teacher = make_teacher(tenant, f"t@{subdomain}.test")
    event_type, (session, other) = make_class(tenant, teacher, capacity=2, sessions=2)
    holders = [bookings.create_booking(event_type=event_type, session=session, attendee=make_user(f"h{n}@example.com"))
               for n in range(2)]
    waiting_user = make_user("waiting@example.com")
    entry = waitlist.join_waitlist(session, waiting_user)
    assert entry.status == WaitlistEntry.Status.WAITING
    return event_type, session, other, holders, entry, waiting_user


def test_an_offer_is_claimed_while_a_booking_of_the_same_class_commits():
    event_type, session, other, holders, entry, user = _full_class_with_a_waiting_student("claiminflight")
    bookings.cancel_booking(holders[0], actor=holders[0].attendee)
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED

    outcome = _claim_while_another_booking_commits(
        other, event_type, lambda: waitlist.claim_offer(entry, token=entry.offer_token, user=user))

    assert "error" not in outcome and "booker_error" not in outcome, outcome  # no deadlock
    assert outcome["result"].status == Booking.Status.CONFIRMED
    assert Booking.objects.filter(attendee=user, session=session, status=Booking.Status.CONFIRMED).count() == 1
    assert Booking.objects.filter(attendee__email="inflight@example.com", session=other).count() == 1
    assert _seats(session) == 2
    assert _seats(other) == 1
    assert bookings.seat_drift() == []


def test_offers_claims_and_bookings_of_a_class_at_once_never_deadlock_or_oversell():
    tenant = make_tenant("waitrace")
    teacher = make_teacher(tenant, "t@waitrace.test")
    event_type, sessions = make_class(tenant, teacher, capacity=3, sessions=3)
    holders, entries, waiting = [], [], []
    for index, session in enumerate(sessions):
        holders.append([bookings.create_booking(event_type=event_type, session=session,
                                                attendee=make_user(f"h{index}-{n}@example.com")) for n in range(3)])
        user = make_user(f"w{index}@example.com")
        waiting.append(user)
        entries.append(waitlist.join_waitlist(session, user))
    # Session 2's offer is already made: its student claims it during the race.
    bookings.cancel_booking(holders[2][0], actor=holders[2][0].attendee)
    entries[2].refresh_from_db()
    token = entries[2].offer_token
    newcomers = [make_user(f"new{n}@example.com") for n in range(15)]
    roomy = Session.objects.create(tenant=tenant, event_type=event_type, teacher=teacher,
                                   start=sessions[2].start + timedelta(days=7),
                                   end=sessions[2].end + timedelta(days=7), capacity=20)

    def act(index):
        if index == 0:  # frees a seat of session 0: offered to its line
            bookings.cancel_booking(holders[0][0], actor=holders[0][0].attendee)
            return holders[0][0]
        if index == 1:  # frees a seat of session 1: offered to its line
            bookings.cancel_booking(holders[1][0], actor=holders[1][0].attendee)
            return holders[1][0]
        if index == 2:
            return waitlist.claim_offer(entries[2], token=token, user=waiting[2])
        # Half book the class's session with room (they land), half a full one (refused).
        target = roomy if index % 2 else sessions[index % 3]
        return bookings.create_booking(event_type=event_type, session=target, attendee=newcomers[index - 3])

    outcomes = race(18, act)

    kinds = Counter(kind for kind, _ in outcomes)
    assert "crashed" not in kinds, outcomes
    landed = [index for index in range(3, 18) if index % 2]
    assert kinds == {"booked": 3 + len(landed), "refused": 15 - len(landed)}, outcomes  # freed seats: the line
    assert {message for kind, message in outcomes if kind == "refused"} == {"This session is fully booked."}
    for entry in entries[:2]:
        entry.refresh_from_db()
        assert entry.status == WaitlistEntry.Status.OFFERED
    entries[2].refresh_from_db()
    assert entries[2].status == WaitlistEntry.Status.CLAIMED
    assert [_seats(session) for session in sessions] == [3, 3, 3]
    assert _seats(roomy) == len(landed)
    assert bookings.seat_drift() == []
