"""ICS calendars for bookings and teachers' feeds, built with icalendar.

A booking is one calendar event for its whole life: its UID never changes
(`booking-<uid>@<PLATFORM_DOMAIN>`) and its SEQUENCE grows with each
reschedule and cancellation, so a calendar that imported the confirmation
moves or removes the same event when the later email arrives (RFC 5545
§3.8.7.4, RFC 5546 §2.1.4). Emails carry METHOD:REQUEST (new or moved) or
METHOD:CANCEL with STATUS:CANCELLED; feeds carry no METHOD (RFC 5546 says a
published calendar without scheduling semantics leaves it out).

Times are written in UTC; calendars show them in the reader's own zone.
"""

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

UTC = dt.timezone.utc
PRODID = "-//Lingua Sites//Booking//EN"
GOOGLE_CALENDAR_URL = "https://calendar.google.com/calendar/render"

METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"
METHOD_PUBLISH = "PUBLISH"


@dataclass
class Person:
    name: str
    email: str


@dataclass
class CalendarEntry:
    """One VEVENT: everything a calendar needs, nothing from the database."""

    uid: str
    sequence: int
    start: dt.datetime
    end: dt.datetime
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    cancelled: bool = False
    organizer: Person | None = None
    attendees: list[Person] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    last_modified: dt.datetime | None = None


def booking_event_uid(booking_uid, session_id=None):
    """The UID of a booking's calendar event: stable for the booking's whole life.

    A whole-series booking is one event per session it holds, told apart by `session_id`.
    """
    part = f"-{session_id}" if session_id is not None else ""
    return f"booking-{booking_uid}{part}@{settings.PLATFORM_DOMAIN}"


def session_event_uid(session_id):
    """The UID of a class or workshop session in a teacher's feed."""
    return f"session-{session_id}@{settings.PLATFORM_DOMAIN}"


def _utc(value):
    if timezone.is_naive(value):
        raise ValueError("calendar times must be timezone-aware")
    return value.astimezone(UTC)


def _address(person, *, role=None, partstat=None):
    address = vCalAddress(f"mailto:{person.email}")
    if person.name:
        address.params["CN"] = vText(person.name)
    if role:
        address.params["ROLE"] = vText(role)
    if partstat:
        address.params["PARTSTAT"] = vText(partstat)
        address.params["RSVP"] = vText("FALSE")
    return address


def build_event(entry, *, stamp=None):
    """An icalendar Event for `entry`."""
    event = Event()
    event.add("uid", entry.uid)
    event.add("sequence", entry.sequence)
    event.add("dtstamp", _utc(stamp or timezone.now()))
    event.add("dtstart", _utc(entry.start))
    event.add("dtend", _utc(entry.end))
    event.add("summary", entry.summary)
    if entry.description:
        event.add("description", entry.description)
    if entry.location:
        event.add("location", entry.location)
    if entry.url:
        event.add("url", entry.url)
    if entry.last_modified:
        event.add("last-modified", _utc(entry.last_modified))
    if entry.categories:
        event.add("categories", entry.categories)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if entry.cancelled else "OPAQUE")
    if entry.organizer:
        event.add("organizer", _address(entry.organizer))
    for attendee in entry.attendees:
        event.add("attendee", _address(attendee, role="REQ-PARTICIPANT", partstat="ACCEPTED"))
    return event


def build_calendar(entries, *, method=None, name=None, stamp=None):
    """A VCALENDAR of `entries`. `method` is REQUEST or CANCEL for an email, None for a feed."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    for entry in entries:
        calendar.add_component(build_event(entry, stamp=stamp))
    return calendar


def invitation_ics(entries, *, stamp=None):
    """The bytes of an email attachment for one booking's events: REQUEST, or CANCEL once cancelled."""
    method = METHOD_CANCEL if any(entry.cancelled for entry in entries) else METHOD_REQUEST
    return build_calendar(entries, method=method, stamp=stamp).to_ical()


def google_calendar_url(entry):
    """A link that opens Google Calendar's "add event" form filled in with `entry`."""
    dates = "/".join(_utc(value).strftime("%Y%m%dT%H%M%SZ") for value in (entry.start, entry.end))
    query = {"action": "TEMPLATE", "text": entry.summary, "dates": dates}
    if entry.description:
        query["details"] = entry.description
    location = entry.location or entry.url
    if location:
        query["location"] = location
    return f"{GOOGLE_CALENDAR_URL}?{urlencode(query)}"
