"""The waitlist of a full whole-series course (a run booked as one booking): an offer
holds a seat in every future session of the run; claiming books the run; an offer that
expires or is left gives every seat back to the next in line."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from booking.errors import BookingError
from booking.models import Booking, BookingSeat, WaitlistEntry, WaitlistSeat
from booking.services import bookings, waitlist
from tests.booking.series_helpers import make_course, make_run, taken
from tests.conftest import host_client, make_user



@pytest.fixture
def full_run(tenant, teacher):
    course = make_course(tenant, teacher)
    run = make_run(course, teacher, days=3, capacity=2)
    holders = [bookings.create_booking(event_type=course, session=run[0], attendee=make_user(f"h{n}@example.com"))
               for n in range(2)]
    assert taken(run) == [2, 2, 2]
    return course, run, holders


def test_a_student_cannot_join_while_the_run_has_seats(tenant, teacher, student):
    course = make_course(tenant, teacher)
    run = make_run(course, teacher, days=3, capacity=2)
    with pytest.raises(BookingError) as refused:
        waitlist.join_waitlist(run[0], student)
    assert refused.value.code == "waitlist_has_seats"
    assert not WaitlistEntry.objects.exists()


def test_offer_holds_a_seat_in_every_session_and_the_claim_books_the_run(run_on_commit, full_run, student):
    course, run, holders = full_run
    entry = waitlist.join_waitlist(run[1], student)  # any session of the run: the line is the run's
    assert (entry.status, entry.series_id, entry.session_id) == ("waiting", run[0].series_id, run[0].pk)
    assert waitlist.join_waitlist(run[2], student).pk == entry.pk  # joining twice: the same entry
    mail.outbox.clear()

    run_on_commit(bookings.cancel_booking, holders[0], actor=holders[0].attendee)
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    assert taken(run) == [2, 2, 2]  # the freed seats are held for the offer, in every session
    assert sorted(WaitlistSeat.objects.filter(entry=entry).values_list("session_id", flat=True)) == \
        sorted(s.pk for s in run)
    assert bookings.seat_drift() == []
    offer, = [m for m in mail.outbox if student.email in m.to[0]]
    assert entry.claim_path() in offer.body
    # Nobody else can take the held seats.
    with pytest.raises(BookingError, match="fully booked"):
        bookings.create_booking(event_type=course, session=run[0], attendee=make_user("late@example.com"))

    response = host_client(entry.tenant, user=student).post(f"/waitlist/{entry.pk}/claim/",
                                                            {"token": entry.offer_token})
    assert response.status_code == 302
    booking = Booking.objects.get(attendee=student)
    assert (booking.series_id, booking.source, booking.status) == (run[0].series_id, "waitlist", "confirmed")
    assert sorted(BookingSeat.objects.filter(booking=booking).values_list("session_id", flat=True)) == \
        sorted(s.pk for s in run)
    assert taken(run) == [2, 2, 2]
    assert not WaitlistSeat.objects.exists()
    assert bookings.seat_drift() == []


def test_an_expired_offer_gives_every_seat_to_the_next_in_line(full_run, student):
    course, run, holders = full_run
    first = waitlist.join_waitlist(run[0], student)
    second_student = make_user("second@example.com")
    second = waitlist.join_waitlist(run[0], second_student)
    bookings.cancel_booking(holders[0], actor=holders[0].attendee)
    first.refresh_from_db()
    assert first.status == "offered"

    assert waitlist.expire_offers(now=first.offer_expires_at + timedelta(seconds=1)) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("expired", "offered")
    assert taken(run) == [2, 2, 2]
    assert sorted(WaitlistSeat.objects.filter(entry=second).values_list("session_id", flat=True)) == \
        sorted(s.pk for s in run)
    assert bookings.seat_drift() == []

    waitlist.leave_waitlist(second)
    assert taken(run) == [1, 1, 1]  # nobody else waiting: the seats are free to book
    assert bookings.seat_drift() == []


def test_a_seat_free_in_only_some_sessions_makes_no_offer(full_run, student):
    course, run, holders = full_run
    entry = waitlist.join_waitlist(run[0], student)
    # A per-session seat frees up in one session only (an admin correction): no offer.
    from booking.models import Session
    Session.objects.filter(pk=run[1].pk).update(seats_taken=1)
    assert waitlist.offer_freed_seats([run[1].pk]) == []
    entry.refresh_from_db()
    assert entry.status == "waiting"
    assert taken(run) == [2, 1, 2]


def test_the_course_page_offers_the_waitlist_of_a_full_run(full_run, student, tenant):
    course, run, holders = full_run
    client = host_client(tenant, user=student)
    page = client.get(f"/book/{course.slug}/").content.decode()
    # One "join" link for the run, on its first session.
    assert page.count("Join the waitlist for this course") == 1
    assert f"/waitlist/session/{run[0].pk}/join/" in page
    response = client.post(f"/waitlist/session/{run[0].pk}/join/", {"seats": 1})
    assert response.status_code in (200, 302)
    entry = WaitlistEntry.objects.get(user=student)
    assert entry.series_id == run[0].series_id and entry.status == "waiting"
