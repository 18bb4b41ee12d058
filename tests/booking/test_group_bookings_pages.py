"""Group booking pages on a tenant host: the booking form names participants, the booking
page manages the group, each participant's own page gives up their seat; wrong tokens
and another tenant's ids are refused."""

import re

import pytest
from django.core import mail

from booking.models import Booking, BookingParticipant, EventType, Session
from tests.booking.booking_helpers import make_class
from tests.conftest import host_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def kids_class(tenant, teacher):
    event_type, (session,) = make_class(tenant, teacher, capacity=10, slug="kids", title="Kids' English",
                                        participant_names=EventType.ParticipantNames.REQUIRED,
                                        max_seats_per_booking=4)
    return event_type, session


@pytest.fixture
def parent(db):
    return make_user("parent@example.com", first_name="Hoa", last_name="Tran")


def form_data(*kids, seats=None):
    data = {"seats": str(seats or len(kids))}
    for number, (name, email) in enumerate(kids, start=1):
        data[f"participant_{number}_name"] = name
        data[f"participant_{number}_email"] = email
    return data


KIDS = [("Minh", "minh@kids.test"), ("Lan", "lan@kids.test"), ("Bao", "bao@kids.test")]


def book_kids(client, session, kids=KIDS):
    return client.post(f"/book/session/{session.pk}/", form_data(*kids))


def test_booking_form_asks_for_each_participant(tenant, kids_class, parent):
    _event_type, session = kids_class
    page = host_client(tenant, user=parent).get(f"/book/session/{session.pk}/").content.decode()
    assert "Who is coming?" in page
    for number in range(1, 5):
        assert f'name="participant_{number}_name"' in page and f'name="participant_{number}_email"' in page


def test_parent_books_three_children_and_each_is_told(tenant, kids_class, parent, django_capture_on_commit_callbacks):
    _event_type, session = kids_class
    client = host_client(tenant, user=parent)
    with django_capture_on_commit_callbacks(execute=True):
        response = book_kids(client, session)

    assert response.status_code == 302
    booking = Booking.objects.get(attendee=parent)
    assert booking.seats == 3 and sorted(booking.participants.values_list("name", flat=True)) == ["Bao", "Lan", "Minh"]
    assert {m.to[0].split("<")[-1].rstrip(">") for m in mail.outbox} >= {"minh@kids.test", "lan@kids.test",
                                                                          "bao@kids.test", "parent@example.com"}
    page = client.get(response["Location"]).content.decode()
    assert "Who is coming" in page and "Minh" in page and "lan@kids.test" in page


def test_missing_names_are_a_clear_error_and_nothing_is_booked(tenant, kids_class, parent):
    _event_type, session = kids_class
    response = host_client(tenant, user=parent).post(f"/book/session/{session.pk}/",
                                                     form_data(KIDS[0], ("", ""), seats=2))
    assert response.status_code == 400
    assert "Give the name and email of participant 2." in response.content.decode()
    assert not Booking.objects.exists()


def test_more_names_than_seats_is_refused(tenant, kids_class, parent):
    _event_type, session = kids_class
    data = form_data(*KIDS, seats=2)
    response = host_client(tenant, user=parent).post(f"/book/session/{session.pk}/", data)
    assert response.status_code == 400
    assert "You named 3 participants for 2 seats" in response.content.decode()
    assert not Booking.objects.exists()


def test_booker_adds_replaces_and_removes_from_the_booking_page(tenant, kids_class, parent,
                                                                 django_capture_on_commit_callbacks):
    _event_type, session = kids_class
    client = host_client(tenant, user=parent)
    book_kids(client, session, KIDS[:2])
    booking = Booking.objects.get(attendee=parent)
    detail = f"/bookings/{booking.uid}/"

    with django_capture_on_commit_callbacks(execute=True):
        added = client.post(f"{detail}participants/add/", {"add-name": "Bao", "add-email": "bao@kids.test"})
    assert added.status_code == 302
    booking.refresh_from_db()
    assert booking.seats == 3

    lan = booking.participants.get(email="lan@kids.test")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{detail}participants/{lan.uid}/replace/", {f"p{lan.pk}-name": "Vy",
                                                                 f"p{lan.pk}-email": "vy@kids.test"})
    lan.refresh_from_db()
    assert lan.status == BookingParticipant.Status.REPLACED
    assert any("lan@kids.test" in m.to[0] and m.subject.startswith("Your place is cancelled") for m in mail.outbox)

    bao = booking.participants.get(email="bao@kids.test")
    response = client.post(f"{detail}participants/{bao.uid}/remove/", follow=True)
    booking.refresh_from_db()
    session.refresh_from_db()
    assert (booking.seats, session.seats_taken) == (2, 2)
    page = response.content.decode()
    assert "Bao is taken out of this booking" in page
    assert "vy@kids.test" in page and "bao@kids.test" not in page


def test_add_beyond_the_group_limit_is_a_message_not_an_error_page(tenant, kids_class, parent):
    _event_type, session = kids_class
    client = host_client(tenant, user=parent)
    book_kids(client, session, KIDS + [("Huy", "huy@kids.test")])
    booking = Booking.objects.get(attendee=parent)
    response = client.post(f"/bookings/{booking.uid}/participants/add/",
                           {"add-name": "Vy", "add-email": "vy@kids.test"}, follow=True)
    assert response.status_code == 200
    assert "A booking can hold at most 4 seats; this group would have 5." in response.content.decode()
    assert booking.participants.count() == 4


def test_participant_gives_up_their_seat_through_their_link(tenant, kids_class, parent,
                                                             django_capture_on_commit_callbacks):
    _event_type, session = kids_class
    book_kids(host_client(tenant, user=parent), session)
    minh = BookingParticipant.objects.get(email="minh@kids.test")
    anonymous = host_client(tenant)

    page = anonymous.get(f"/bookings/participants/{minh.uid}/?token={minh.manage_token}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Give up my seat" in text and "Nothing is refunded" in text and "Hoa Tran will be told" in text

    wrong = anonymous.post(f"/bookings/participants/{minh.uid}/", {"token": "not-the-token"})
    assert wrong.status_code == 403 and "This link is not valid any more" in wrong.content.decode()
    session.refresh_from_db()
    assert session.seats_taken == 3

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = anonymous.post(f"/bookings/participants/{minh.uid}/", {"token": minh.manage_token})
    assert done.status_code == 200 and "Your seat is given up" in done.content.decode()
    session.refresh_from_db()
    assert session.seats_taken == 2
    assert [m for m in mail.outbox if "parent@example.com" in m.to[0] and "Minh gave up" in m.subject]

    again = anonymous.get(f"/bookings/participants/{minh.uid}/?token={minh.manage_token}")
    assert again.status_code == 403


def test_another_tenants_participant_and_booking_are_404(tenant, other_tenant, kids_class, parent):
    _event_type, session = kids_class
    book_kids(host_client(tenant, user=parent), session)
    minh = BookingParticipant.objects.get(email="minh@kids.test")
    booking = minh.booking
    elsewhere = host_client(other_tenant, user=parent)
    assert elsewhere.get(f"/bookings/participants/{minh.uid}/?token={minh.manage_token}").status_code == 404
    assert elsewhere.post(f"/bookings/{booking.uid}/participants/{minh.uid}/remove/").status_code == 404
    assert elsewhere.post(f"/bookings/{booking.uid}/participants/add/",
                          {"add-name": "X", "add-email": "x@kids.test"}).status_code == 404
    assert BookingParticipant.objects.filter(status="active").count() == 3


def test_someone_elses_group_is_404_and_a_participant_of_another_booking_too(tenant, kids_class, parent):
    _event_type, session = kids_class
    book_kids(host_client(tenant, user=parent), session)
    booking = Booking.objects.get(attendee=parent)
    stranger = make_user("stranger@example.com")
    host_client(tenant, user=stranger).post(f"/book/session/{session.pk}/", form_data(("Tam", "tam@kids.test")))
    theirs = BookingParticipant.objects.get(email="tam@kids.test")

    assert host_client(tenant, user=stranger).post(
        f"/bookings/{booking.uid}/participants/add/", {"add-name": "X", "add-email": "x@kids.test"}).status_code == 404
    # The parent's own booking page cannot reach a participant of another booking.
    assert host_client(tenant, user=parent).post(
        f"/bookings/{booking.uid}/participants/{theirs.uid}/remove/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "active"


def test_my_bookings_names_the_group(tenant, kids_class, parent):
    _event_type, session = kids_class
    client = host_client(tenant, user=parent)
    book_kids(client, session)
    page = client.get("/bookings/").content.decode()
    assert re.search(r"For 3 people:\s*Minh, Lan, Bao", page)


def test_group_refused_whole_on_the_page_when_seats_are_short(tenant, kids_class, parent):
    _event_type, session = kids_class
    Session.objects.filter(pk=session.pk).update(seats_taken=8)
    response = host_client(tenant, user=parent).post(f"/book/session/{session.pk}/", form_data(*KIDS))
    assert response.status_code == 400 and "This session is fully booked." in response.content.decode()
    session.refresh_from_db()
    assert session.seats_taken == 8 and not BookingParticipant.objects.exists()


def test_group_pages_have_no_inline_styles_or_scripts(tenant, kids_class, parent):
    _event_type, session = kids_class
    client = host_client(tenant, user=parent)
    pages = [client.get(f"/book/session/{session.pk}/").content.decode()]
    book_kids(client, session)
    booking = Booking.objects.get(attendee=parent)
    minh = booking.participants.get(email="minh@kids.test")
    pages.append(client.get(f"/bookings/{booking.uid}/").content.decode())
    pages.append(host_client(tenant).get(f"/bookings/participants/{minh.uid}/?token={minh.manage_token}")
                 .content.decode())
    for page in pages:
        assert " style=" not in page and "<style" not in page
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/ld\+json)", page)
        assert "css/booking-group.css" in page
