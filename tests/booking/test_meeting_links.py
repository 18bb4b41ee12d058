"""A session's own meeting link (`Session.meeting_url`, empty = the event type's) is the
link a student sees everywhere: the booking page, the participant's page, the
confirmation, reminder and reschedule emails, the ICS (LOCATION, URL, DESCRIPTION) and
the teacher's calendar feed."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from booking.models import EventType, Session, SessionSeries
from booking.notifications import tasks
from booking.notifications.models import TeacherCalendarToken
from booking.services import bookings as booking_service
from tests.booking.helpers import make_event_type
from tests.conftest import host_client, make_user

TYPE_LINK = "https://meet.example.com/club"
OWN_LINK = "https://zoom.example.com/j/1111"
OTHER_LINK = "https://zoom.example.com/j/2222"



def in_days(days, hour=3):
    return (timezone.now() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def make_session(event_type, teacher, start, **fields):
    return Session.objects.create(tenant=event_type.tenant, event_type=event_type, teacher=teacher, start=start,
                                  end=start + timedelta(hours=1), capacity=10, **fields)


@pytest.fixture
def club(tenant, teacher):
    return make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, slug="club", title="Conversation Club",
                           seats_per_session=10, max_seats_per_booking=3, meeting_url=TYPE_LINK, hosts=[teacher])


def emails_to(address):
    return [message for message in mail.outbox if any(address in to for to in message.to)]


def ics_events(message):
    (content,) = [content for name, content, _mimetype in message.attachments if name == "invite.ics"]
    return Calendar.from_ical(content).walk("VEVENT")


def assert_event_has_link(event, link):
    assert str(event["LOCATION"]) == link
    assert str(event["URL"]) == link
    assert f"Join: {link}" in str(event["DESCRIPTION"])
    assert TYPE_LINK not in str(event["DESCRIPTION"]) or link == TYPE_LINK


def test_confirmation_email_ics_and_booking_page_use_the_sessions_own_link(run_on_commit, tenant, club, teacher,
                                                                           student):
    session = make_session(club, teacher, in_days(3), meeting_url=OWN_LINK)
    booking = run_on_commit(booking_service.create_booking, event_type=club, session=session, attendee=student)

    message, = emails_to(student.email)
    assert OWN_LINK in message.body and TYPE_LINK not in message.body
    event, = ics_events(message)
    assert_event_has_link(event, OWN_LINK)

    page = host_client(tenant, user=student).get(f"/bookings/{booking.uid}/")
    assert page.status_code == 200
    assert f'href="{OWN_LINK}"' in page.content.decode() and TYPE_LINK not in page.content.decode()
    calendar = host_client(tenant, user=student).get(f"/bookings/{booking.uid}/calendar.ics")
    assert_event_has_link(Calendar.from_ical(calendar.content).walk("VEVENT")[0], OWN_LINK)


def test_a_session_without_its_own_link_shows_the_event_types(run_on_commit, tenant, club, teacher, student):
    session = make_session(club, teacher, in_days(3))
    booking = run_on_commit(booking_service.create_booking, event_type=club, session=session, attendee=student)
    event, = ics_events(emails_to(student.email)[0])
    assert_event_has_link(event, TYPE_LINK)
    page = host_client(tenant, user=student).get(f"/bookings/{booking.uid}/")
    assert f'href="{TYPE_LINK}"' in page.content.decode()


def test_rescheduled_email_carries_the_new_sessions_link(run_on_commit, club, teacher, student):
    first = make_session(club, teacher, in_days(3), meeting_url=OWN_LINK)
    later = make_session(club, teacher, in_days(4), meeting_url=OTHER_LINK)
    booking = run_on_commit(booking_service.create_booking, event_type=club, session=first, attendee=student)
    mail.outbox.clear()

    run_on_commit(booking_service.reschedule_booking, booking, new_session=later, actor=student)
    message, = emails_to(student.email)
    assert message.subject.startswith("Booking moved")
    assert OTHER_LINK in message.body and OWN_LINK not in message.body
    event, = ics_events(message)
    assert_event_has_link(event, OTHER_LINK)


def test_reminder_uses_the_sessions_own_link(run_on_commit, club, teacher, student):
    start = (timezone.now() + timedelta(hours=24, minutes=10)).replace(second=0, microsecond=0)
    session = make_session(club, teacher, start, meeting_url=OWN_LINK)
    run_on_commit(booking_service.create_booking, event_type=club, session=session, attendee=student)
    mail.outbox.clear()

    assert tasks.send_due_reminders() == 1
    message, = emails_to(student.email)
    assert message.subject.startswith("Reminder")
    (html, _mimetype), = message.alternatives
    assert OWN_LINK in message.body and OWN_LINK in html
    assert TYPE_LINK not in message.body and TYPE_LINK not in html


def test_whole_series_booking_has_each_sessions_link_in_its_calendar_and_reminders(run_on_commit, tenant, teacher,
                                                                                   student):
    course = make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, slug="course", title="Evening Course",
                             seats_per_session=8, booked_as=EventType.BookedAs.WHOLE_SERIES, meeting_url=TYPE_LINK,
                             hosts=[teacher])
    now = timezone.now().replace(second=0, microsecond=0)
    # The first session in 3 hours, the second inside the reminder window, the third next week.
    starts = [now + timedelta(hours=3), now + timedelta(hours=24, minutes=10), now + timedelta(days=8)]
    series = SessionSeries.objects.create(tenant=tenant, event_type=course, teacher=teacher, timezone="UTC",
                                          weekdays=[starts[0].weekday()], start_time=starts[0].time(),
                                          duration_minutes=60, starts_on=starts[0].date(), count=3, capacity=8)
    links = ["", OWN_LINK, OTHER_LINK]
    sessions = [make_session(course, teacher, starts[n], series=series, meeting_url=links[n]) for n in range(3)]
    booking = run_on_commit(booking_service.create_booking, event_type=course, session=sessions[0],
                            attendee=student)
    assert booking.session == sessions[0]
    events = sorted(ics_events(emails_to(student.email)[0]), key=lambda event: event.decoded("DTSTART"))
    for event, link in zip(events, [TYPE_LINK, OWN_LINK, OTHER_LINK], strict=True):
        assert_event_has_link(event, link)
    mail.outbox.clear()

    # The second session's reminder names its own link, not the first session's.
    assert tasks.send_due_reminders() == 1
    message, = emails_to(student.email)
    (html, _mimetype), = message.alternatives
    assert OWN_LINK in message.body and OWN_LINK in html
    assert TYPE_LINK not in message.body and TYPE_LINK not in html


def test_each_participant_gets_the_sessions_own_link(run_on_commit, tenant, teacher):
    kids = make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, slug="kids", title="Kids Club",
                           seats_per_session=10, max_seats_per_booking=3, meeting_url=TYPE_LINK,
                           participant_names=EventType.ParticipantNames.REQUIRED, hosts=[teacher])
    session = make_session(kids, teacher, in_days(3), meeting_url=OWN_LINK)
    parent = make_user("parent@kids.test", first_name="Mai")
    booking = run_on_commit(booking_service.create_booking, event_type=kids, session=session, attendee=parent,
                            seats=2, participants=[{"name": "Lan", "email": "lan@kids.test"},
                                                   {"name": "Vy", "email": "vy@kids.test"}])
    message, = emails_to("lan@kids.test")
    event, = ics_events(message)
    assert_event_has_link(event, OWN_LINK)

    participant = booking.participants.get(email="lan@kids.test")
    page = host_client(tenant).get(participant.manage_path())
    assert page.status_code == 200
    assert f'href="{OWN_LINK}"' in page.content.decode() and TYPE_LINK not in page.content.decode()


def test_teacher_feed_shows_the_sessions_own_link(tenant, club, teacher):
    own = make_session(club, teacher, in_days(2), meeting_url=OWN_LINK)
    plain = make_session(club, teacher, in_days(3))
    token = TeacherCalendarToken.for_teacher(tenant, teacher)
    response = host_client(tenant).get(token.feed_url.split(tenant.hostname, 1)[-1])
    events = {str(event["UID"]): event for event in Calendar.from_ical(response.content).walk("VEVENT")}
    own_event = events[f"session-{own.pk}@platform.test"]
    assert str(own_event["URL"]) == OWN_LINK and str(own_event["LOCATION"]) == OWN_LINK
    assert f"Join: {OWN_LINK}" in str(own_event["DESCRIPTION"])
    plain_event = events[f"session-{plain.pk}@platform.test"]
    assert str(plain_event["URL"]) == TYPE_LINK
