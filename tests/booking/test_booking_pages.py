"""What a student sees on the booking pages: the calendar file and add-to-calendar links
on the confirmation and in My bookings, the booking form in reading order, the zone
named and detected, no inline styles or scripts."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from icalendar import Calendar

from booking.models import Booking
from booking.services import bookings
from tests.booking.booking_helpers import make_class
from tests.conftest import host_client, make_user

pytestmark = pytest.mark.django_db

LEVEL = {"Your level": "B1"}


@pytest.fixture
def workshop(tenant, teacher):
    event_type, sessions = make_class(tenant, teacher, capacity=4, sessions=2, slug="speaking-club",
                                      title="Speaking Club", address="12 Trang Tien, Hanoi",
                                      location_kind="in_person",
                                      questions=[{"label": "Your level", "kind": "choice", "choices": ["A1", "B1"],
                                                  "required": True},
                                                 {"label": "First class with us?", "kind": "yes_no"}])
    return event_type, sessions


@pytest.fixture
def booking(workshop, student):
    event_type, (session, _) = workshop
    return bookings.create_booking(event_type=event_type, session=session, attendee=student, answers=LEVEL)


def links(html):
    """{accessible link text: href} of every link on the page (aria-hidden text left out)."""
    html = re.sub(r'<span aria-hidden="true">.*?</span>', "", html)
    return {re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", text))).strip(): unescape(href)
            for href, text in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', html, re.S)}


def parse_event(body):
    calendar = Calendar.from_ical(body)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return calendar, events[0]


# The calendar file -----------------------------------------------------------------------------

def test_confirmation_page_offers_the_calendar_file_and_it_holds_the_booking(tenant, booking, student):
    client = host_client(tenant, user=student)
    page = client.get(f"/bookings/{booking.uid}/").content.decode()
    ics_href = links(page)["Download calendar file (.ics)"]
    assert ics_href == f"/bookings/{booking.uid}/calendar.ics"

    response = client.get(ics_href)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"] == (
        f'attachment; filename="speaking-club-{booking.start:%Y-%m-%d}.ics"')
    calendar, event = parse_event(response.content)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(event["UID"]) == f"booking-{booking.uid}@{settings.PLATFORM_DOMAIN}"
    assert event["SEQUENCE"] == booking.sequence
    assert event.decoded("DTSTART") == booking.start and event.decoded("DTEND") == booking.end
    assert str(event["SUMMARY"]) == "Speaking Club with Linh Nguyen"
    assert str(event["LOCATION"]) == "12 Trang Tien, Hanoi"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ATTENDEE"]) == "mailto:student@example.com"


def test_the_manage_token_opens_the_calendar_file_without_signing_in(tenant, booking):
    client = host_client(tenant)
    page = client.get(booking.manage_path()).content.decode()
    ics_href = links(page)["Download calendar file (.ics)"]
    assert ics_href == f"/bookings/{booking.uid}/calendar.ics?token={booking.manage_token}"
    response = client.get(ics_href)
    assert response.status_code == 200
    _calendar, event = parse_event(response.content)
    assert str(event["UID"]).startswith(f"booking-{booking.uid}")
    # The calendar's description carries the manage link, so the event leads back here.
    assert booking.manage_url() in str(event["DESCRIPTION"])


def test_a_wrong_or_old_token_gets_no_calendar_file(tenant, booking, workshop):
    client = host_client(tenant)
    assert client.get(f"/bookings/{booking.uid}/calendar.ics?token=not-the-token").status_code == 404
    old_token = booking.manage_token
    _event_type, (_, second) = workshop
    bookings.reschedule_booking(booking, new_session=second, actor=booking.attendee, by_role=Booking.Role.STUDENT)
    assert client.get(f"/bookings/{booking.uid}/calendar.ics?token={old_token}").status_code == 404
    booking.refresh_from_db()
    moved = client.get(f"/bookings/{booking.uid}/calendar.ics?token={booking.manage_token}")
    _calendar, event = parse_event(moved.content)
    assert event.decoded("DTSTART") == second.start and event["SEQUENCE"] == booking.sequence >= 1


def test_signing_in_is_asked_without_a_token_and_a_stranger_gets_404(tenant, booking):
    anonymous = host_client(tenant).get(f"/bookings/{booking.uid}/calendar.ics")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/?next=")
    stranger = make_user("stranger@example.com")
    assert host_client(tenant, user=stranger).get(f"/bookings/{booking.uid}/calendar.ics").status_code == 404


def test_another_tenants_host_answers_404_even_with_the_token(tenant, other_tenant, booking, student):
    path = f"/bookings/{booking.uid}/calendar.ics"
    assert host_client(other_tenant, user=student).get(path).status_code == 404
    assert host_client(other_tenant).get(f"{path}?token={booking.manage_token}").status_code == 404
    assert host_client(tenant, user=student).get(path).status_code == 200


def test_a_cancelled_booking_shows_no_calendar_links_and_its_file_cancels_the_event(tenant, booking, student):
    bookings.cancel_booking(booking, reason="Ill", actor=student, by_role=Booking.Role.STUDENT)
    client = host_client(tenant, user=student)
    page = client.get(f"/bookings/{booking.uid}/").content.decode()
    assert "This booking is cancelled." in page
    assert "Download calendar file" not in page and "Add to Google Calendar" not in page
    calendar, event = parse_event(client.get(f"/bookings/{booking.uid}/calendar.ics").content)
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"


# Add-to-calendar links -------------------------------------------------------------------------

def test_google_and_outlook_links_carry_the_title_utc_times_and_place(tenant, booking, student):
    page = host_client(tenant, user=student).get(f"/bookings/{booking.uid}/").content.decode()
    found = links(page)
    google = urlsplit(found["Add to Google Calendar"])
    assert google.netloc == "calendar.google.com"
    query = parse_qs(google.query)
    assert query["text"] == ["Speaking Club with Linh Nguyen"]
    assert query["dates"] == [f"{booking.start:%Y%m%dT%H%M%SZ}/{booking.end:%Y%m%dT%H%M%SZ}"]
    assert query["location"] == ["12 Trang Tien, Hanoi"]

    outlook = urlsplit(found["Add to Outlook"])
    assert outlook.netloc == "outlook.live.com"
    query = parse_qs(outlook.query)
    assert query["subject"] == ["Speaking Club with Linh Nguyen"]
    assert query["startdt"] == [f"{booking.start:%Y-%m-%dT%H:%M:%SZ}"]
    assert query["enddt"] == [f"{booking.end:%Y-%m-%dT%H:%M:%SZ}"]
    assert query["location"] == ["12 Trang Tien, Hanoi"]
    assert booking.manage_url() in query["body"][0]


def test_my_bookings_offers_calendar_links_for_upcoming_bookings_on_their_own_host(tenant, other_tenant, booking,
                                                                                   student):
    client = host_client(other_tenant, user=student)
    page = client.get("/bookings/").content.decode()
    found = links(page)
    assert found["Download calendar file (.ics) for Speaking Club"] == (
        f"{tenant.root_url}/bookings/{booking.uid}/calendar.ics")
    assert "Speaking Club with Linh Nguyen" in parse_qs(
        urlsplit(found["Add Speaking Club to Google Calendar"]).query)["text"]
    assert urlsplit(found["Add Speaking Club to Outlook"]).netloc == "outlook.live.com"


def test_my_bookings_without_bookings_says_so_and_points_to_booking(tenant, student):
    page = host_client(tenant, user=student).get("/bookings/").content.decode()
    assert "You have no bookings yet." in page
    assert "Download calendar file" not in page


# Booking form order, zone ----------------------------------------------------------------------

def test_booking_form_reads_what_when_where_price_seats_questions_then_the_button(tenant, workshop, student):
    _event_type, (session, _) = workshop
    page = host_client(tenant, user=student).get(f"/book/session/{session.pk}/?tz=Europe/London").content.decode()
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))
    local = session.start.astimezone(ZoneInfo("Europe/London"))
    order = ["Speaking Club", "Linh Nguyen", local.strftime("%H:%M"), "Europe/London", "12 Trang Tien, Hanoi",
             "Free", "4 seats left", "Your level", "Confirm booking"]
    positions = [text.find(part, text.find("What")) for part in order]
    assert -1 not in positions, list(zip(order, positions))
    assert positions == sorted(positions), list(zip(order, positions))


def test_without_a_zone_the_teachers_zone_is_named_and_detection_is_offered(tenant, workshop, student):
    _event_type, (session, _) = workshop
    client = host_client(tenant, user=student)
    page = client.get(f"/book/session/{session.pk}/").content.decode()
    assert 'class="zone-name">Asia/Ho_Chi_Minh<' in page
    assert 'data-detect-zone' in page and "js/booking-zone.js" in page
    client.cookies["tz"] = "Europe/Berlin"
    chosen = client.get(f"/book/session/{session.pk}/").content.decode()
    assert 'class="zone-name">Europe/Berlin<' in chosen and "data-detect-zone" not in chosen


@pytest.mark.parametrize("path", ["/book/speaking-club/", "/bookings/", "/accounts/login/"])
def test_student_pages_have_no_inline_styles_or_scripts(tenant, workshop, student, path):
    client = host_client(tenant, user=student if path == "/bookings/" else None)
    page = client.get(path).content.decode()
    assert " style=" not in page and "<style" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/ld\+json)", page)


def test_form_fields_and_sign_in_pages_link_their_stylesheets(tenant, workshop, student):
    _event_type, (session, _) = workshop
    form = host_client(tenant, user=student).get(f"/book/session/{session.pk}/").content.decode()
    assert " style=" not in form and "<fieldset" in form
    assert "css/accounts.css" in host_client(tenant).get("/accounts/login/").content.decode()
