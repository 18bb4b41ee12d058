"""Pins what one booking POST costs in queries, so it cannot grow unnoticed.

Counted end to end: middleware (session, user), the view, `create_booking`'s
transaction, and everything that runs after commit (the language, Immersio,
payments, webhooks and page-cache receivers, and the confirmation emails, which the
test settings send in-process as eager Celery tasks). If a change needs more queries,
look at what was added (the failure lists them) before raising a limit.

Measured by these tests (SQLite and PostgreSQL alike; the test's own transaction turns
BEGIN/COMMIT into savepoints): a successful booking 56 queries before the clean-up of
2026-11 (docs/booking.md, "Benchmark"), 40 after, of which 20 are the two eager emails;
`create_booking` alone 19 before, 10 after; a "fully booked" refusal 17 before, 15 after.
Then the teacher's email preference (+1 booked), and two savings: the zone of a session's
page is its teacher's (no read of the event type's hosts: -1 refused) and sessions are
`cached_db` (the session row is read from the cache: -1 each). Now: booked 40, refused 11.
"""

import pytest

from booking.models import Booking, Session
from tests.booking.booking_helpers import make_class
from tests.conftest import host_client, make_user

pytestmark = pytest.mark.django_db

BOOKED_MAX = 40  # 41 with the teacher's email preference, - the session row (cached_db sessions)
BOOKED_TRANSACTION_MAX = 10  # create_booking's own statements, from the whitelist check to the audit entry
REFUSED_MAX = 11  # 13 before: - the event type's hosts (the session's teacher gives the zone), - the session row


@pytest.fixture
def session(tenant, teacher):
    _event_type, (session,) = make_class(tenant, teacher, capacity=2, sessions=1, slug="club")
    return session


def _warm(tenant, session):
    """One booking first, so one-off work (the month's usage row, caches) is not counted."""
    other = make_user("warm@example.com")
    assert host_client(tenant, user=other).post(f"/book/session/{session.pk}/", {"seats": "1"}).status_code == 302


def test_a_booking_costs_at_most_its_queries(tenant, session, student, django_assert_max_num_queries,
                                             django_capture_on_commit_callbacks):
    _warm(tenant, session)
    client = host_client(tenant, user=student)
    with django_assert_max_num_queries(BOOKED_MAX):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/book/session/{session.pk}/", {"seats": "1"})
    assert response.status_code == 302
    assert Booking.objects.filter(attendee=student, status=Booking.Status.CONFIRMED).count() == 1


def test_the_booking_transaction_costs_at_most_its_statements(tenant, session, student,
                                                              django_assert_max_num_queries):
    from booking.services import bookings

    _warm(tenant, session)
    session = Session.objects.select_related("event_type").get(pk=session.pk)
    with django_assert_max_num_queries(BOOKED_TRANSACTION_MAX):
        bookings.create_booking(event_type=session.event_type, session=session, attendee=student, actor=student)


def test_a_fully_booked_refusal_costs_at_most_its_queries(tenant, session, student, django_assert_max_num_queries,
                                                          django_capture_on_commit_callbacks):
    Session.objects.filter(pk=session.pk).update(seats_taken=session.capacity)
    host_client(tenant, user=make_user("warm@example.com")).post(f"/book/session/{session.pk}/", {"seats": "1"})
    client = host_client(tenant, user=student)
    with django_assert_max_num_queries(REFUSED_MAX):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/book/session/{session.pk}/", {"seats": "1"})
    assert response.status_code == 400
    assert "This session is fully booked." in response.content.decode()
    assert not Booking.objects.filter(attendee=student).exists()


def test_a_session_cancelled_after_the_view_read_it_is_still_refused_as_cancelled(tenant, session, student):
    """create_booking uses the view's Session instance instead of reading it again; when the
    seats UPDATE refuses, the row is read to give the same answer as before."""
    from booking.errors import BookingError
    from booking.services import bookings

    stale = Session.objects.select_related("event_type").get(pk=session.pk)
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    with pytest.raises(BookingError) as refused:
        bookings.create_booking(event_type=stale.event_type, session=stale, attendee=student, actor=student)
    assert refused.value.code == "session_cancelled"
    Session.objects.filter(pk=session.pk).update(status=Session.Status.SCHEDULED)
    stale = Session.objects.select_related("event_type").get(pk=session.pk)
    Session.objects.filter(pk=session.pk).update(seats_taken=session.capacity)
    with pytest.raises(BookingError) as refused:
        bookings.create_booking(event_type=stale.event_type, session=stale, attendee=student, actor=student)
    assert refused.value.code == "full"
    assert not Booking.objects.exists()
    assert Session.objects.get(pk=session.pk).seats_taken == session.capacity


def test_a_session_moved_after_the_view_read_it_is_booked_at_its_new_time(tenant, session, student):
    from datetime import timedelta

    from booking.services import bookings

    stale = Session.objects.select_related("event_type").get(pk=session.pk)
    Session.objects.filter(pk=session.pk).update(start=session.start + timedelta(hours=2),
                                                 end=session.end + timedelta(hours=2))
    booking = bookings.create_booking(event_type=stale.event_type, session=stale, attendee=student, actor=student)
    assert booking.start == session.start + timedelta(hours=2) and booking.end == session.end + timedelta(hours=2)
    assert Session.objects.get(pk=session.pk).seats_taken == 1
