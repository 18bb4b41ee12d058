"""A teacher's private ICS feed: their sessions (with seats booked) and one-to-one
bookings, behind a secret token, on their own tenant's host only."""

from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from booking.models import Booking, EventType, Session
from booking.notifications.models import TeacherCalendarToken
from site_platform.models import Membership
from tests.booking.helpers import make_event_type, make_teacher
from tests.conftest import host_client

def hours_ahead(hours):
    return (timezone.now() + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


def make_session(event_type, teacher, start, *, capacity=10, seats_taken=0, **fields):
    return Session.objects.create(tenant=event_type.tenant, event_type=event_type, teacher=teacher, start=start,
                                  end=start + timedelta(hours=1), capacity=capacity, seats_taken=seats_taken,
                                  **fields)


def make_one_on_one(event_type, teacher, student, start, **fields):
    return Booking.objects.create(tenant=event_type.tenant, event_type=event_type, teacher=teacher, start=start,
                                  end=start + timedelta(minutes=45), attendee=student,
                                  attendee_email=student.email, **fields)


def fetch(tenant, url_or_path):
    path_part = url_or_path.split(tenant.hostname, 1)[-1]
    return host_client(tenant).get(path_part)


def events_by_uid(response):
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def classes(tenant, teacher):
    return make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, slug="speaking", title="Speaking Class",
                           seats_per_session=10, meeting_url="https://meet.example.com/speak", hosts=[teacher])


@pytest.fixture
def tutoring(tenant, teacher):
    return make_event_type(tenant, kind=EventType.Kind.ONE_ON_ONE, slug="tutoring", title="Private Tutoring",
                           hosts=[teacher])


def test_feed_lists_sessions_with_seats_and_one_to_one_bookings(tenant, teacher, student, classes, tutoring):
    session = make_session(classes, teacher, hours_ahead(48), capacity=12, seats_taken=5)
    cancelled_session = make_session(classes, teacher, hours_ahead(72), status=Session.Status.CANCELLED)
    colleague = make_teacher(tenant, "minh@hanoi.test", zone="Asia/Ho_Chi_Minh", first_name="Minh")
    someone_elses = make_session(classes, colleague, hours_ahead(50))
    lesson = make_one_on_one(tutoring, teacher, student, hours_ahead(30))
    unpaid = make_one_on_one(tutoring, teacher, student, hours_ahead(90), status=Booking.Status.PENDING_PAYMENT)
    dropped = make_one_on_one(tutoring, teacher, student, hours_ahead(100), status=Booking.Status.CANCELLED)

    token = TeacherCalendarToken.for_teacher(tenant, teacher)
    assert token.feed_url.startswith(f"http://{tenant.hostname}/calendar/teacher/")
    response = fetch(tenant, token.feed_url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "private" in response["Cache-Control"]

    calendar = Calendar.from_ical(response.content)
    assert "METHOD" not in calendar
    assert "Hanoi English Centre" in str(calendar["X-WR-CALNAME"])
    events = events_by_uid(response)
    assert set(events) == {
        f"session-{session.pk}@platform.test", f"booking-{lesson.uid}@platform.test",
        f"booking-{unpaid.uid}@platform.test",
    }
    assert f"session-{cancelled_session.pk}@platform.test" not in events
    assert f"session-{someone_elses.pk}@platform.test" not in events
    assert f"booking-{dropped.uid}@platform.test" not in events

    class_event = events[f"session-{session.pk}@platform.test"]
    assert str(class_event["SUMMARY"]) == "Speaking Class (5/12 booked)"
    assert "5 of 12 seats booked" in str(class_event["DESCRIPTION"])
    assert class_event.decoded("DTSTART") == session.start
    assert str(class_event["URL"]) == "https://meet.example.com/speak"

    lesson_event = events[f"booking-{lesson.uid}@platform.test"]
    assert str(lesson_event["SUMMARY"]) == "Private Tutoring with An Le"
    assert student.email in str(lesson_event["DESCRIPTION"])
    assert lesson_event.decoded("DTEND") - lesson_event.decoded("DTSTART") == timedelta(minutes=45)
    assert "awaiting payment" in str(events[f"booking-{unpaid.uid}@platform.test"]["SUMMARY"])


def test_wrong_token_is_404(tenant, teacher):
    TeacherCalendarToken.for_teacher(tenant, teacher)
    assert fetch(tenant, "/calendar/teacher/not-the-token.ics").status_code == 404


def test_feed_answers_only_on_its_own_tenants_host(tenant, other_tenant, teacher, classes):
    make_session(classes, teacher, hours_ahead(48))
    token = TeacherCalendarToken.for_teacher(tenant, teacher)
    path_part = f"/calendar/teacher/{token.token}.ics"
    assert host_client(tenant).get(path_part).status_code == 200
    assert host_client(other_tenant).get(path_part).status_code == 404


def test_each_tenant_feed_shows_only_its_own_classes(tenant, other_tenant, teacher, classes):
    # One teacher working for two schools has one feed per school.
    from site_platform.services.tenants import add_member

    add_member(other_tenant, teacher.email, Membership.Role.TEACHER, timezone="Asia/Ho_Chi_Minh")
    other_classes = make_event_type(other_tenant, kind=EventType.Kind.WORKSHOP, slug="writing", title="Writing",
                                    seats_per_session=4, hosts=[teacher])
    here = make_session(classes, teacher, hours_ahead(48))
    there = make_session(other_classes, teacher, hours_ahead(60), capacity=4)
    token_here = TeacherCalendarToken.for_teacher(tenant, teacher)
    token_there = TeacherCalendarToken.for_teacher(other_tenant, teacher)
    assert token_here.token != token_there.token
    assert set(events_by_uid(fetch(tenant, token_here.feed_url))) == {f"session-{here.pk}@platform.test"}
    assert set(events_by_uid(fetch(other_tenant, token_there.feed_url))) == {f"session-{there.pk}@platform.test"}


def test_rotating_the_token_retires_the_old_url(tenant, teacher):
    old = TeacherCalendarToken.for_teacher(tenant, teacher)
    old_url = old.feed_url
    new = TeacherCalendarToken.rotate(tenant, teacher)
    assert new.pk == old.pk and new.token != old.token
    assert fetch(tenant, old_url).status_code == 404
    assert fetch(tenant, new.feed_url).status_code == 200


def test_a_teacher_who_left_has_no_feed(tenant, teacher):
    token = TeacherCalendarToken.for_teacher(tenant, teacher)
    Membership.objects.filter(tenant=tenant, user=teacher).update(is_active=False)
    assert fetch(tenant, token.feed_url).status_code == 404


def test_a_colleagues_feed_does_not_show_my_students(tenant, teacher, student, tutoring):
    colleague = make_teacher(tenant, "minh@hanoi.test", zone="UTC", first_name="Minh")
    make_one_on_one(tutoring, teacher, student, hours_ahead(30))
    response = fetch(tenant, TeacherCalendarToken.for_teacher(tenant, colleague).feed_url)
    assert response.status_code == 200
    assert student.email.encode() not in response.content
