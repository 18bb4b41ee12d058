"""The ICS builder, read back with icalendar."""

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from booking import ics

UTC = ZoneInfo("UTC")
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def entry(**fields):
    values = {
        "uid": ics.booking_event_uid("7f0c3a52-5a4e-4e36-9f0e-0d9d7f1d2b11"),
        "sequence": 0,
        "start": datetime(2026, 3, 9, 10, 0, tzinfo=HCM),
        "end": datetime(2026, 3, 9, 11, 30, tzinfo=HCM),
        "summary": "IELTS Speaking with Linh",
        "description": "Cancel or reschedule: https://hanoi.platform.test/bookings/x/manage/?token=t",
        "location": "12 Tràng Tiền, Hà Nội",
        "url": "https://meet.example.com/abc",
        "organizer": ics.Person("Hanoi English Centre", "no-reply@platform.test"),
        "attendees": [ics.Person("An Lê", "an@example.com")],
    }
    values.update(fields)
    return ics.CalendarEntry(**values)


def parse(data):
    return Calendar.from_ical(data)


def test_uid_is_stable_and_names_the_platform(settings):
    assert ics.booking_event_uid("abc") == "booking-abc@platform.test"
    assert ics.booking_event_uid("abc", 42) == "booking-abc-42@platform.test"
    assert ics.session_event_uid(7) == "session-7@platform.test"


def test_invitation_is_a_request_with_utc_times():
    calendar = parse(ics.invitation_ics([entry()]))
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert str(calendar["PRODID"]) == ics.PRODID
    event, = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2026, 3, 9, 3, 0, tzinfo=UTC)
    assert event.decoded("DTSTART").tzinfo is not None and event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == datetime(2026, 3, 9, 4, 30, tzinfo=UTC)
    assert event["SEQUENCE"] == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "IELTS Speaking with Linh"
    assert str(event["LOCATION"]) == "12 Tràng Tiền, Hà Nội"
    assert str(event["URL"]) == "https://meet.example.com/abc"
    assert "manage/?token=t" in str(event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == "mailto:no-reply@platform.test"
    assert event["ORGANIZER"].params["CN"] == "Hanoi English Centre"
    assert str(event["ATTENDEE"]) == "mailto:an@example.com"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert "DTSTAMP" in event


def test_reschedule_keeps_uid_and_raises_sequence():
    first = parse(ics.invitation_ics([entry()])).walk("VEVENT")[0]
    moved = parse(ics.invitation_ics([entry(sequence=1, start=datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
                                            end=datetime(2026, 3, 10, 10, 0, tzinfo=UTC))])).walk("VEVENT")[0]
    assert moved["UID"] == first["UID"]
    assert moved["SEQUENCE"] > first["SEQUENCE"]
    assert moved.decoded("DTSTART") == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def test_cancellation_is_a_cancel_with_cancelled_status():
    calendar = parse(ics.invitation_ics([entry(sequence=2, cancelled=True)]))
    assert calendar["METHOD"] == "CANCEL"
    event, = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 2
    assert str(event["TRANSP"]) == "TRANSPARENT"


def test_a_feed_has_no_method_and_carries_its_name():
    calendar = ics.build_calendar([entry(), entry(uid="session-1@platform.test")], name="Linh's classes")
    parsed = parse(calendar.to_ical())
    assert "METHOD" not in parsed
    assert str(parsed["X-WR-CALNAME"]) == "Linh's classes"
    assert [str(e["UID"]) for e in parsed.walk("VEVENT")] == [entry().uid, "session-1@platform.test"]


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        ics.build_event(entry(start=datetime(2026, 3, 9, 10, 0)))


def test_google_calendar_link_prefills_the_event_in_utc():
    url = ics.google_calendar_url(entry())
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == ics.GOOGLE_CALENDAR_URL
    query = parse_qs(parts.query)
    assert query == {
        "action": ["TEMPLATE"],
        "text": ["IELTS Speaking with Linh"],
        "dates": ["20260309T030000Z/20260309T043000Z"],
        "details": [entry().description],
        "location": ["12 Tràng Tiền, Hà Nội"],
    }


def test_google_link_falls_back_to_the_meeting_link_as_location():
    query = parse_qs(urlsplit(ics.google_calendar_url(entry(location="", description=""))).query)
    assert query["location"] == ["https://meet.example.com/abc"]
    assert "details" not in query
