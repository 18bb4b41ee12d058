"""Waitlist: join a full session, the first in line gets a time-limited offer that holds
the seat, claims it; an unclaimed offer expires and passes to the next person."""

from datetime import timedelta

import pytest
from django.utils import timezone

from booking import signals, tasks
from booking.errors import BookingError
from booking.models import Booking, Session, WaitlistEntry
from booking.services import bookings, waitlist
from tests.booking.booking_helpers import make_class
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_session(tenant, teacher, student):
    event_type, (session,) = make_class(tenant, teacher, capacity=1)
    holder = bookings.create_booking(event_type=event_type, session=session, attendee=make_user("h@example.com"))
    return event_type, session, holder


def taken(session):
    session.refresh_from_db()
    return session.seats_taken


def test_cannot_join_while_seats_are_left(tenant, teacher, student):
    _event_type, (session,) = make_class(tenant, teacher, capacity=2)
    with pytest.raises(BookingError, match="still has seats"):
        waitlist.join_waitlist(session, student)


def test_offer_holds_the_seat_and_claim_books_it(full_session, student, django_capture_on_commit_callbacks):
    event_type, session, holder = full_session
    first = waitlist.join_waitlist(session, student)
    assert waitlist.join_waitlist(session, student).pk == first.pk  # joining twice: one entry
    second = waitlist.join_waitlist(session, make_user("second@example.com"))
    heard = []
    receiver = lambda sender, **kwargs: heard.append(kwargs["entry_id"])  # noqa: E731
    signals.waitlist_offered.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            bookings.cancel_booking(holder, reason="", actor=None, by_role="admin")
    finally:
        signals.waitlist_offered.disconnect(receiver)
    first.refresh_from_db()
    second.refresh_from_db()
    assert heard == [first.pk]
    assert first.status == "offered" and second.status == "waiting"
    assert first.offer_expires_at == pytest.approx(timezone.now() + timedelta(hours=12), abs=timedelta(seconds=10))
    assert taken(session) == 1  # held for the offer
    with pytest.raises(BookingError, match="fully booked"):
        bookings.create_booking(event_type=event_type, session=session, attendee=make_user("x@example.com"))
    with pytest.raises(BookingError, match="not valid"):
        waitlist.claim_offer(first, token="wrong", user=student)
    booking = waitlist.claim_offer(first, token=first.offer_token, user=student)
    assert waitlist.claim_offer(first, token=first.offer_token, user=student).pk == booking.pk
    assert booking.status == "confirmed" and booking.source == "waitlist" and taken(session) == 1
    assert bookings.seat_drift() == []


def test_unclaimed_offer_expires_and_passes_to_the_next(full_session, student):
    _event_type, session, holder = full_session
    first = waitlist.join_waitlist(session, student)
    second = waitlist.join_waitlist(session, make_user("second@example.com"))
    bookings.cancel_booking(holder, reason="", by_role="admin")
    first.refresh_from_db()
    later = first.offer_expires_at + timedelta(seconds=1)
    assert waitlist.expire_offers(now=later) == 1
    assert waitlist.expire_offers(now=later) == 0  # twice: harmless
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "expired" and second.status == "offered" and taken(session) == 1
    with pytest.raises(BookingError, match="expired"):
        waitlist.claim_offer(first, token=first.offer_token, user=student, now=later)
    assert bookings.seat_drift() == []


def test_expiry_task_with_nobody_left_frees_the_seat(full_session, student):
    _event_type, session, holder = full_session
    entry = waitlist.join_waitlist(session, student)
    bookings.cancel_booking(holder, reason="", by_role="admin")
    WaitlistEntry.objects.filter(pk=entry.pk).update(offer_expires_at=timezone.now() - timedelta(minutes=1))
    assert tasks.expire_waitlist_offers.delay().get() == 1
    assert tasks.expire_waitlist_offers.delay().get() == 0
    assert taken(session) == 0


def test_an_expired_hold_offers_the_seat(tenant, teacher, student):
    from decimal import Decimal
    event_type, (session,) = make_class(tenant, teacher, capacity=1, price=Decimal("10"))
    bookings.create_booking(event_type=event_type, session=session, attendee=make_user("h@example.com"),
                            now=timezone.now() - timedelta(hours=1))
    entry = waitlist.join_waitlist(session, student)
    bookings.expire_holds()
    entry.refresh_from_db()
    assert entry.status == "offered" and taken(session) == 1
    booking = waitlist.claim_offer(entry, token=entry.offer_token, user=student)
    assert booking.status == Booking.Status.PENDING_PAYMENT


def test_someone_else_cannot_claim_the_offer(full_session, student):
    _event_type, session, holder = full_session
    entry = waitlist.join_waitlist(session, student)
    bookings.cancel_booking(holder, reason="", by_role="admin")
    entry.refresh_from_db()
    with pytest.raises(BookingError, match="not valid"):
        waitlist.claim_offer(entry, token=entry.offer_token, user=make_user("thief@example.com"))


def test_cancelling_the_session_closes_its_waitlist(full_session, student, teacher):
    _event_type, session, _holder = full_session
    entry = waitlist.join_waitlist(session, student)
    bookings.cancel_session_with_bookings(session, actor=teacher, reason="Closed")
    entry.refresh_from_db()
    assert entry.status == "expired" and taken(session) == 0
    assert Session.objects.get(pk=session.pk).is_cancelled
