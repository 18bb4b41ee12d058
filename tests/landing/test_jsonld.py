"""schema.org JSON-LD for the sessions on pages with a workshop list or booking widget."""

import json
import re

import pytest

from booking.models import EventType
from tests.conftest import host_client, make_user
from tests.landing.conftest import full_body, make_workshops, set_body

pytestmark = pytest.mark.django_db


def json_ld(html):
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(found) == 1
    return json.loads(found[0])


def test_courses_and_events_for_the_sessions_shown(tenant):
    teachers = [make_user("linh@hanoi.test", first_name="Linh", last_name="Nguyen")]
    event_types = make_workshops(tenant, teachers, 3, sessions_each=2, capacity=6, full_first=True)
    EventType.objects.filter(pk=event_types[2].pk).update(location_kind="in_person", address="12 Trang Tien\nHanoi")
    set_body(tenant, full_body(widget_event_type=event_types[1].slug))

    document = json_ld(host_client(tenant).get("/").content.decode())

    assert document["@context"] == "https://schema.org"
    nodes = document["@graph"]
    courses = [node for node in nodes if node["@type"] == "Course"]
    events = [node for node in nodes if node["@type"] == "Event"]
    assert {course["name"] for course in courses} == {"Workshop 000", "Workshop 001", "Workshop 002"}
    assert len(events) == 6  # each session once, though the widget shows some of them again
    assert len({event["offers"]["url"] for event in events}) == 6
    # The school is written once and referenced by @id from every course and event.
    organizations = [node for node in nodes if node["@type"] == "Organization"]
    assert organizations == [{"@type": "Organization", "@id": "http://hanoi.platform.test/#organization",
                              "name": "Hanoi English Centre", "url": "http://hanoi.platform.test/"}]
    for course in courses:
        assert course["provider"] == {"@id": "http://hanoi.platform.test/#organization"}
        assert course["url"].startswith("http://hanoi.platform.test/book/")
        assert course["description"] and course["offers"]["priceCurrency"] == "VND"
    for event in events:
        assert event["organizer"] == {"@id": "http://hanoi.platform.test/#organization"}
        # Only what Google's event results read: no per-session copies of the course.
        assert not {"description", "superEvent", "maximumAttendeeCapacity", "remainingAttendeeCapacity"} & set(event)
    first = next(event for event in events if event["name"] == "Workshop 000")
    assert first["startDate"].endswith("Z") and first["endDate"] > first["startDate"]
    assert first["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert first["location"]["@type"] == "VirtualLocation"
    assert first["performer"] == {"@type": "Person", "name": "Linh Nguyen"}
    assert first["offers"]["priceCurrency"] == "VND"
    availability = {event["offers"]["availability"] for event in events if event["name"] == "Workshop 000"}
    assert availability == {"https://schema.org/SoldOut", "https://schema.org/InStock"}
    sold_out = next(e for e in events if e["offers"]["availability"].endswith("SoldOut"))
    assert "/waitlist/session/" in sold_out["offers"]["url"]
    in_person = next(event for event in events if event["name"] == "Workshop 002")
    assert in_person["location"]["@type"] == "Place"
    assert in_person["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"


def test_no_json_ld_without_booking_blocks_and_text_is_escaped(tenant):
    set_body(tenant, [{"type": "text", "value": "<p>Hello</p>"}])
    assert "application/ld+json" not in host_client(tenant).get("/").content.decode()

    teachers = [make_user("linh@hanoi.test")]
    event_types = make_workshops(tenant, teachers, 1)
    EventType.objects.filter(pk=event_types[0].pk).update(title="</script><script>alert(1)</script>")
    set_body(tenant, full_body())
    html = host_client(tenant).get("/").content.decode()
    assert "<script>alert(1)" not in html
    nodes = json_ld(html)["@graph"]
    course = next(node for node in nodes if node["@type"] == "Course")
    assert course["name"] == "</script><script>alert(1)</script>"
