"""A teacher's own sessions: meeting link (attendees told once, in their language),
messages to attendees (one task per recipient, sent once, limited, audited), and the
schedule export. Another teacher's or tenant's session is out of reach."""

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from wagtail.users.models import UserProfile

from booking.models import Session
from booking.notifications import teacher_messages
from booking.services import bookings
from booking.services import teachers as teacher_service
from booking.services.teachers import TeacherError
from site_platform.models import AuditEntry, TeacherMessage, TeacherMessageDelivery
from tests.booking.booking_helpers import future, make_class, make_one_on_one
from tests.booking.helpers import make_teacher
from tests.conftest import host_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def club(tenant, teacher, student):
    event_type, (session, later) = make_class(tenant, teacher, capacity=6, sessions=2, slug="club",
                                              title="Speaking Club", meeting_url="https://meet.example.com/club")
    booking = bookings.create_booking(event_type=event_type, session=session, attendee=student)
    viet = make_user("viet@example.com", first_name="Vy")
    UserProfile.objects.update_or_create(user=viet, defaults={"preferred_language": "vi"})
    other = bookings.create_booking(event_type=event_type, session=session, attendee=viet)
    gone = bookings.create_booking(event_type=event_type, session=session, attendee=make_user("gone@example.com"))
    bookings.cancel_booking(gone, actor=None)
    mail.outbox.clear()
    return {"event_type": event_type, "session": session, "later": later, "booking": booking, "viet": other}


def test_meeting_url_for_prefers_the_sessions_own_link(club):
    session = club["session"]
    assert teacher_service.meeting_url_for(session) == "https://meet.example.com/club"
    Session.objects.filter(pk=session.pk).update(meeting_url="https://zoom.example.com/j/1")
    session.refresh_from_db()
    assert teacher_service.meeting_url_for(session) == "https://zoom.example.com/j/1"


def test_teacher_changes_the_link_and_active_attendees_are_told_once(club, teacher,
                                                                     django_capture_on_commit_callbacks):
    client = host_client(user=teacher)
    session = club["session"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/teacher/sessions/{session.pk}/meeting-link/",
                               {"meeting_url": "https://zoom.example.com/j/42"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.meeting_url == "https://zoom.example.com/j/42"
    assert sorted(m.to[0].split("<")[-1].rstrip(">") for m in mail.outbox) == ["student@example.com",
                                                                              "viet@example.com"]
    english = next(m for m in mail.outbox if "student@example.com" in m.to[0])
    assert english.subject.startswith("New meeting link: Speaking Club")
    assert "https://zoom.example.com/j/42" in english.body
    assert "Hanoi English Centre" in english.from_email
    vietnamese = next(m for m in mail.outbox if "viet@example.com" in m.to[0])
    assert "Tháng" in vietnamese.subject  # the date in the student's language (Vietnamese)
    assert "https://zoom.example.com/j/42" in vietnamese.body
    # The later session keeps the event type's link.
    club["later"].refresh_from_db()
    assert club["later"].meeting_url == ""
    assert AuditEntry.objects.filter(action="booking.session_meeting_url_changed",
                                     target=f"session:{session.pk}").exists()
    page = client.get(f"/admin/teacher/sessions/{session.pk}/attendees/").content.decode()
    assert "https://zoom.example.com/j/42" in page


def test_the_notice_task_run_twice_sends_once(club, teacher, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        teacher_service.set_meeting_url(club["session"], "https://zoom.example.com/j/7", actor=teacher)
    message = TeacherMessage.objects.get(session=club["session"])
    sent = len(mail.outbox)
    assert teacher_messages.send_teacher_message(message.pk, club["booking"].pk, "student@example.com") is False
    assert len(mail.outbox) == sent == 2
    assert TeacherMessageDelivery.objects.filter(message=message).count() == 2


def test_link_for_the_rest_of_the_series(tenant, teacher, student, django_capture_on_commit_callbacks):
    from booking.services.sessions import create_series

    event_type, _ = make_class(tenant, teacher, sessions=0, slug="course", title="Course")
    series, sessions, _skipped = create_series(event_type=event_type, teacher=teacher, weekdays=[0, 3],
                                               start_time=future().time(), starts_on=future().date(),
                                               duration_minutes=60, count=4, capacity=5)
    with django_capture_on_commit_callbacks(execute=True):
        changed = teacher_service.set_meeting_url(sessions[1], "https://zoom.example.com/course", actor=teacher,
                                                  whole_series=True)
    assert [s.pk for s in changed] == [s.pk for s in sessions[1:]]
    links = dict(Session.objects.filter(series=series).values_list("pk", "meeting_url"))
    assert links[sessions[0].pk] == ""
    assert {links[s.pk] for s in sessions[1:]} == {"https://zoom.example.com/course"}
    assert mail.outbox == []  # nobody booked: nobody told


def test_a_bad_link_is_refused_and_nothing_changes(club, teacher):
    client = host_client(user=teacher)
    session = club["session"]
    response = client.post(f"/admin/teacher/sessions/{session.pk}/meeting-link/",
                           {"meeting_url": "javascript:alert(1)"}, follow=True)
    assert "is not a valid web address" in response.content.decode()
    session.refresh_from_db()
    assert session.meeting_url == ""
    assert not TeacherMessage.objects.exists()
    with pytest.raises(TeacherError) as same:
        teacher_service.set_meeting_url(session, "", actor=teacher)
    assert same.value.code == "url_same"


def test_message_to_attendees_one_email_each_listed_and_audited(club, teacher,
                                                                django_capture_on_commit_callbacks):
    client = host_client(user=teacher)
    session = club["session"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/teacher/sessions/{session.pk}/message/",
                               {"subject": "Bring your workbook", "message": "Page 12, please.\nSee you!"})
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    english = next(m for m in mail.outbox if "student@example.com" in m.to[0])
    assert english.subject.startswith("Bring your workbook · Speaking Club")
    assert "Page 12, please." in english.body and "gone@example.com" not in english.to[0]
    html = english.alternatives[0][0]
    assert "Page 12, please.<br>See you!" in html
    message = TeacherMessage.objects.get()
    assert message.recipient_count == 2 and message.sender == teacher
    assert AuditEntry.objects.filter(action="booking.attendees_messaged").count() == 1
    page = client.get(f"/admin/teacher/sessions/{session.pk}/attendees/").content.decode()
    assert "Bring your workbook" in page


def test_a_booking_cancelled_before_the_task_runs_gets_nothing(club, teacher, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        teacher_service.message_attendees(club["session"], subject="Hi", body="Hello", actor=teacher)
    bookings.cancel_booking(club["viet"], actor=None)
    mail.outbox.clear()
    for callback in callbacks:
        callback()
    assert [m.to[0] for m in mail.outbox] == ["An Le <student@example.com>"]


def test_messages_are_limited_per_session_per_day(club, teacher):
    for number in range(teacher_service.MESSAGES_PER_SESSION_PER_DAY):
        teacher_service.message_attendees(club["session"], subject=f"Note {number}", body="text", actor=teacher)
    with pytest.raises(TeacherError) as refusal:
        teacher_service.message_attendees(club["session"], subject="One more", body="text", actor=teacher)
    assert "already written 3 messages" in refusal.value.message
    TeacherMessage.objects.update(created_at=timezone.now() - timedelta(days=2))
    teacher_service.message_attendees(club["session"], subject="Next day", body="text", actor=teacher)


def test_empty_or_oversized_messages_are_refused(club, teacher):
    client = host_client(user=teacher)
    url = f"/admin/teacher/sessions/{club['session'].pk}/message/"
    assert "Write a subject." in client.post(url, {"subject": " ", "message": "x"}, follow=True).content.decode()
    assert "Write a message." in client.post(url, {"subject": "x", "message": ""}, follow=True).content.decode()
    too_long = client.post(url, {"subject": "x", "message": "y" * 5001}, follow=True).content.decode()
    assert "too long" in too_long
    assert not TeacherMessage.objects.exists()


def test_another_teachers_or_tenants_session_is_404(tenant, other_tenant, club, student):
    colleague = make_teacher(tenant, "james@hanoi.test")
    outsider = make_teacher(other_tenant, "minh@saigon.test")
    session = club["session"]
    for user in (colleague, outsider, student):
        client = host_client(user=user)
        assert client.post(f"/admin/teacher/sessions/{session.pk}/meeting-link/",
                           {"meeting_url": "https://evil.example.com"}).status_code in (302, 404)
        assert client.post(f"/admin/teacher/sessions/{session.pk}/message/",
                           {"subject": "x", "message": "y"}).status_code in (302, 404)
    session.refresh_from_db()
    assert session.meeting_url == ""
    assert not TeacherMessage.objects.exists()
    assert host_client(user=colleague).post(f"/admin/teacher/sessions/{session.pk}/message/",
                                            {"subject": "x", "message": "y"}).status_code == 404


def test_schedule_export_lists_own_upcoming_sessions_and_bookings_in_the_teachers_zone(
        tenant, other_tenant, teacher, student, club):
    colleague = make_teacher(tenant, "james@hanoi.test")
    make_class(tenant, colleague, slug="theirs", title="James Grammar")
    tutoring = make_one_on_one(tenant, teacher, slug="tutoring", title="Private lesson")
    bookings.create_booking(event_type=tutoring, start=future(2, 10), attendee=student)
    past = Session.objects.create(tenant=tenant, event_type=club["event_type"], teacher=teacher,
                                  start=timezone.now() - timedelta(days=2),
                                  end=timezone.now() - timedelta(days=2, hours=-1), capacity=3)
    response = host_client(user=teacher).get(f"/admin/teacher/schedule/{tenant.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["title"] for row in rows] == ["Private lesson", "Speaking Club", "Speaking Club"]
    assert {row["time_zone"] for row in rows} == {"Asia/Ho_Chi_Minh"}
    lesson = rows[0]
    assert lesson["kind"] == "one_to_one" and lesson["seats_or_student"] == "An Le"
    assert lesson["start_local"].endswith("17:00")  # 10:00 UTC in Ho Chi Minh City
    assert rows[1]["seats_or_student"] == "2/6"
    assert rows[1]["meeting_link"] == "https://meet.example.com/club"
    assert f"session:{past.pk}" not in response.content.decode()
    assert host_client(user=teacher).get(f"/admin/teacher/schedule/{other_tenant.pk}/export/").status_code == 404
    assert host_client(user=student).get(f"/admin/teacher/schedule/{tenant.pk}/export/").status_code in (302, 404)


def test_messages_are_in_the_students_data_export_and_erased_with_it(tenant, club, teacher, student, tenant_admin,
                                                                      django_capture_on_commit_callbacks):
    from site_platform import data_rights

    with django_capture_on_commit_callbacks(execute=True):
        teacher_service.message_attendees(club["session"], subject="Room change", body="Room 4 today.",
                                          actor=teacher)
    exported = data_rights.export_student(tenant, student)["records"]["teacher_messages"]
    assert [(m["subject"], m["message"]) for m in exported] == [("Room change", "Room 4 today.")]
    data_rights.erase_student(tenant, student, actor=tenant_admin)
    assert not TeacherMessageDelivery.objects.filter(recipient="student@example.com").exists()
    assert TeacherMessageDelivery.objects.filter(recipient="viet@example.com").exists()
    assert data_rights.export_student(tenant, student)["records"]["teacher_messages"] == []
