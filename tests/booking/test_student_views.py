"""Student pages on a tenant host: event page, booking form, my bookings, manage link,
cancel, reschedule, waitlist; another tenant's uid is 404 everywhere."""

from decimal import Decimal

import pytest

from booking.models import Booking, Session, WaitlistEntry
from booking.services import bookings
from tests.booking.booking_helpers import future, make_class, make_one_on_one
from tests.booking.helpers import make_teacher
from tests.conftest import host_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def workshop(tenant, teacher):
    event_type, sessions = make_class(tenant, teacher, capacity=3, sessions=2, slug="club",
                                      questions=[{"label": "Your level", "kind": "choice", "choices": ["A1", "B1"],
                                                  "required": True}])
    return event_type, sessions


def test_event_page_lists_sessions_with_seats_in_the_students_zone(tenant, workshop):
    event_type, (first, second) = workshop
    response = host_client(tenant).get("/book/club/?tz=America/New_York")
    text = response.content.decode()
    assert response.status_code == 200
    assert "America/New_York" in text and "3 seats left" in text
    local = first.start.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert local.strftime("%H:%M") in text
    assert response.cookies["tz"].value == "America/New_York"


def test_booking_requires_sign_in(tenant, workshop):
    _event_type, (session, _) = workshop
    response = host_client(tenant).get(f"/book/session/{session.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_book_a_session_and_see_the_confirmation(tenant, workshop, student):
    _event_type, (session, _) = workshop
    client = host_client(tenant, user=student)
    assert client.get(f"/book/session/{session.pk}/").status_code == 200
    response = client.post(f"/book/session/{session.pk}/", {"seats": "2", "q_0": "B1"})
    booking = Booking.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/bookings/{booking.uid}/"
    page = client.get(response["Location"]).content.decode()
    assert "Confirmed" in page and "B1" in page
    session.refresh_from_db()
    assert session.seats_taken == 2 and booking.answers == {"Your level": "B1"}


def test_double_submit_gives_one_booking(tenant, workshop, student):
    _event_type, (session, _) = workshop
    client = host_client(tenant, user=student)
    for _ in range(2):
        assert client.post(f"/book/session/{session.pk}/", {"seats": "1", "q_0": "A1"}).status_code == 302
    assert Booking.objects.count() == 1
    session.refresh_from_db()
    assert session.seats_taken == 1


@pytest.mark.parametrize("data, message", [
    ({"seats": "9", "q_0": "A1"}, "Select a valid choice"),
    ({"seats": "1"}, "This field is required"),
    ({"seats": "1", "q_0": "C2"}, "Select a valid choice"),
])
def test_bad_input_is_a_clear_error_and_no_row(tenant, workshop, student, data, message):
    _event_type, (session, _) = workshop
    response = host_client(tenant, user=student).post(f"/book/session/{session.pk}/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Booking.objects.exists()
    session.refresh_from_db()
    assert session.seats_taken == 0


def test_unknown_session_is_404(tenant, workshop, student):
    assert host_client(tenant, user=student).post("/book/session/999999/", {"seats": "1"}).status_code == 404


def test_full_session_says_fully_booked(tenant, workshop, student):
    event_type, (session, _) = workshop
    Session.objects.filter(pk=session.pk).update(seats_taken=3)
    response = host_client(tenant, user=student).post(f"/book/session/{session.pk}/", {"seats": "1", "q_0": "A1"})
    assert response.status_code == 400
    assert "This session is fully booked." in response.content.decode()
    assert not Booking.objects.exists()


def test_one_to_one_slot_booking(tenant, teacher, student):
    make_one_on_one(tenant, teacher, slug="private")
    client = host_client(tenant, user=student)
    page = client.get("/book/private/?tz=UTC").content.decode()
    assert "/book/private/slot/?start=" in page
    start = future(2, 10)
    response = client.post("/book/private/slot/", {"start": start.isoformat()})
    booking = Booking.objects.get()
    assert response.status_code == 302 and booking.start == start and booking.teacher == teacher
    again = make_user("late@example.com")
    refused = host_client(tenant, user=again).post("/book/private/slot/", {"start": start.isoformat()})
    assert refused.status_code == 400 and "not available" in refused.content.decode()


def test_my_bookings_lists_every_tenant_each_linking_to_its_own_host(tenant, other_tenant, teacher, workshop,
                                                                     student):
    event_type, (session, _) = workshop
    bookings.create_booking(event_type=event_type, session=session, attendee=student, answers={"Your level": "A1"})
    saigon_teacher = make_teacher(other_tenant, "tu@saigon.test")
    other_type, (other_session,) = make_class(other_tenant, saigon_teacher, slug="saigon-club", title="Saigon club")
    other = bookings.create_booking(event_type=other_type, session=other_session, attendee=student)
    page = host_client(tenant, user=student).get("/bookings/").content.decode()
    assert "Hanoi English Centre" in page and "Saigon Language School" in page
    assert f"{other_tenant.root_url}/bookings/{other.uid}/" in page
    assert page.index("Hanoi English Centre") < page.index("Saigon Language School")


def test_another_tenants_uid_is_404_everywhere(tenant, other_tenant, workshop, student):
    event_type, (session, _) = workshop
    booking = bookings.create_booking(event_type=event_type, session=session, attendee=student,
                                      answers={"Your level": "A1"})
    client = host_client(other_tenant, user=student)
    token = booking.manage_token
    assert client.get(f"/bookings/{booking.uid}/").status_code == 404
    assert client.get(f"/bookings/{booking.uid}/manage/?token={token}").status_code == 404
    assert client.post(f"/bookings/{booking.uid}/cancel/", {"token": token}).status_code == 404
    assert client.get(f"/bookings/{booking.uid}/reschedule/?token={token}").status_code == 404
    assert client.get(f"/book/session/{session.pk}/").status_code == 404
    assert client.get(f"/waitlist/session/{session.pk}/join/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_someone_elses_booking_is_404_when_signed_in(tenant, workshop, student):
    event_type, (session, _) = workshop
    booking = bookings.create_booking(event_type=event_type, session=session, attendee=student,
                                      answers={"Your level": "A1"})
    stranger = make_user("stranger@example.com")
    assert host_client(tenant, user=stranger).get(f"/bookings/{booking.uid}/").status_code == 404


def test_cancel_through_the_manage_link_without_signing_in(tenant, workshop, student):
    event_type, (session, _) = workshop
    booking = bookings.create_booking(event_type=event_type, session=session, attendee=student, seats=2,
                                      answers={"Your level": "A1"})
    client = host_client(tenant)
    page = client.get(booking.manage_path())
    assert page.status_code == 200 and "Cancel booking" in page.content.decode()
    wrong = client.post(f"/bookings/{booking.uid}/cancel/", {"token": "not-the-token", "reason": "x"})
    assert wrong.status_code == 403 and "not valid" in wrong.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    response = client.post(f"/bookings/{booking.uid}/cancel/", {"token": booking.manage_token, "reason": "Sick"},
                           follow=True)
    assert "Your booking is cancelled." in response.content.decode()
    booking.refresh_from_db()
    session.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and booking.cancellation_reason == "Sick"
    assert booking.cancelled_by_role == "student" and session.seats_taken == 0


def test_reschedule_through_the_manage_link_rotates_the_token(tenant, workshop, student):
    event_type, (first, second) = workshop
    booking = bookings.create_booking(event_type=event_type, session=first, attendee=student,
                                      answers={"Your level": "A1"})
    old_token = booking.manage_token
    client = host_client(tenant)
    page = client.get(f"/bookings/{booking.uid}/reschedule/?token={old_token}")
    assert page.status_code == 200 and f'value="{second.pk}"' in page.content.decode()
    response = client.post(f"/bookings/{booking.uid}/reschedule/", {"token": old_token, "session": second.pk})
    booking.refresh_from_db()
    assert response.status_code == 302 and booking.session == second
    assert booking.manage_token != old_token and booking.manage_token in response["Location"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.seats_taken, second.seats_taken) == (0, 1)
    stale = client.post(f"/bookings/{booking.uid}/cancel/", {"token": old_token})
    assert stale.status_code == 403
    assert client.get(f"/bookings/{booking.uid}/manage/?token={old_token}").status_code == 403
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_reschedule_one_to_one_to_another_slot(tenant, teacher, student):
    event_type = make_one_on_one(tenant, teacher, slug="private")
    booking = bookings.create_booking(event_type=event_type, start=future(2, 10), attendee=student)
    client = host_client(tenant, user=student)
    page = client.get(f"/bookings/{booking.uid}/reschedule/?tz=UTC").content.decode()
    new_start = future(2, 14)
    assert new_start.isoformat() in page
    client.post(f"/bookings/{booking.uid}/reschedule/", {"start": new_start.isoformat()})
    booking.refresh_from_db()
    assert booking.start == new_start and booking.sequence == 1


def test_join_waitlist_and_claim_offer(tenant, workshop, student):
    event_type, (session, _) = workshop
    Session.objects.filter(pk=session.pk).update(seats_taken=3)
    client = host_client(tenant, user=student)
    response = client.post(f"/waitlist/session/{session.pk}/join/", {"seats": "1"}, follow=True)
    assert "number 1 in line" in response.content.decode()
    entry = WaitlistEntry.objects.get()
    holder = Booking.objects.create(tenant=tenant, event_type=event_type, session=session, teacher=session.teacher,
                                    start=session.start, end=session.end, attendee=make_user("h@example.com"),
                                    attendee_email="h@example.com", seats=1)
    holder.seat_rows.create(tenant=tenant, session=session, seats=1)
    bookings.cancel_booking(holder, reason="", by_role="admin")
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED
    assert host_client(tenant, user=student).get(f"/waitlist/{entry.pk}/claim/?token=wrong").status_code == 403
    page = client.get(entry.claim_path())
    assert page.status_code == 200 and "Claim my seat" in page.content.decode()
    response = client.post(f"/waitlist/{entry.pk}/claim/", {"token": entry.offer_token, "q_0": "A1"})
    booking = Booking.objects.get(attendee=student)
    assert response.status_code == 302 and booking.status == Booking.Status.CONFIRMED
    session.refresh_from_db()
    assert session.seats_taken == 3


def test_paid_booking_waits_for_payment(tenant, teacher, student):
    event_type, (session,) = make_class(tenant, teacher, capacity=3, price=Decimal("20"), slug="paid")
    client = host_client(tenant, user=student)
    response = client.post(f"/book/session/{session.pk}/", {"seats": "1"})
    booking = Booking.objects.get()
    assert response.status_code == 302  # to the payment step (payments issue) or the booking page
    assert booking.status == Booking.Status.PENDING_PAYMENT and booking.amount == Decimal("20")
    page = client.get(f"/bookings/{booking.uid}/").content.decode()
    assert "Waiting for payment" in page and "held until" in page
