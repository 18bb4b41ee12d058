"""The admin's ICS export of sessions gives each session the link students join by: the
session's own meeting link when it has one, else the event type's."""

from icalendar import Calendar

from booking.models import EventType, Session
from tests.booking.test_admin import world  # noqa: F401 - the admin fixture

TYPE_LINK = "https://meet.example.com/club"
OWN_LINK = "https://meet.example.com/james-room"


def _locations(world):
    response = world["admin"].get(f"/admin/sessions/export/?format=ics&teacher={world['james'].pk}")
    assert response.status_code == 200
    return [str(event.get("location", "")) for event in Calendar.from_ical(response.content).walk("VEVENT")]


def test_ics_export_gives_the_sessions_own_link_over_the_event_types(world):
    EventType.objects.filter(pk=world["mine"].pk).update(meeting_url=TYPE_LINK)
    Session.objects.filter(pk=world["my_session"].pk).update(meeting_url=OWN_LINK)

    assert _locations(world) == [OWN_LINK]


def test_ics_export_falls_back_to_the_event_types_link(world):
    EventType.objects.filter(pk=world["mine"].pk).update(meeting_url=TYPE_LINK)

    assert _locations(world) == [TYPE_LINK]
