"""Issue 11: a teacher chooses, per school, which emails they get (new bookings,
cancellations, moved bookings, waitlist activity, a daily agenda of tomorrow), on their
profile screen; a teacher given a colleague's work on deactivation is told with an ICS."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from booking.models import Session
from booking.notifications import teacher_messages
from booking.services import bookings
from booking.services import teachers as teacher_service
from booking.services import waitlist
from site_platform.models import Membership, TeacherNotice
from site_platform.teacher_models import teacher_wants
from tests.booking.booking_helpers import future, make_class, make_one_on_one
from tests.booking.helpers import make_teacher
from tests.conftest import host_client, make_tenant, make_user

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
PROFILE = {"display_name": "", "bio": "", "languages": "", "levels": "", "timezone": "Asia/Ho_Chi_Minh"}



def emails_to(address):
    return [message for message in mail.outbox if address in " ".join(message.to)]


def save_preferences(client, membership, **ticked):
    """Post the profile form as the browser does: a ticked box is sent, an unticked one is not."""
    data = {**PROFILE, **{name: "on" for name, on in ticked.items() if on}}
    response = client.post(f"/admin/teachers/{membership.pk}/profile/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    membership.refresh_from_db()


def test_the_profile_screen_offers_the_emails_and_saves_them_per_school(tenant, teacher):
    second_school = make_tenant("danang", name="Da Nang Language House")
    Membership.objects.create(tenant=second_school, user=teacher, role=Membership.Role.TEACHER)
    membership = Membership.objects.get(tenant=tenant, user=teacher)
    client = host_client(user=teacher)
    page = client.get(f"/admin/teachers/{membership.pk}/profile/").content.decode()
    assert "Emails from Hanoi English Centre" in page
    for label in ("each new booking", "each cancellation", "each moved booking", "waitlist activity",
                  "daily agenda"):
        assert label.lower() in page.lower()
    save_preferences(client, membership, notify_reschedule=True, daily_agenda=True)
    assert (membership.notify_new_booking, membership.notify_cancellation, membership.notify_reschedule,
            membership.notify_waitlist, membership.daily_agenda) == (False, False, True, False, True)
    assert not teacher_wants(tenant.pk, teacher.pk, "booking")
    assert teacher_wants(tenant.pk, teacher.pk, "agenda")
    # The other school keeps its own choices (the defaults).
    assert teacher_wants(second_school.pk, teacher.pk, "booking")
    assert not teacher_wants(second_school.pk, teacher.pk, "agenda")


def test_a_teacher_who_turned_off_booking_emails_gets_none_and_others_still_do(run_on_commit, tenant, teacher):
    quiet = Membership.objects.get(tenant=tenant, user=teacher)
    save_preferences(host_client(user=teacher), quiet, notify_reschedule=True, notify_waitlist=True)
    colleague = make_teacher(tenant, "minh@hanoi.test", first_name="Minh")
    quiet_class, (quiet_session,) = make_class(tenant, teacher, title="Grammar")
    busy_class, (busy_session,) = make_class(tenant, colleague, title="Speaking")
    first, second = make_user("a@example.com"), make_user("b@example.com")
    quiet_booking = run_on_commit(bookings.create_booking, event_type=quiet_class, session=quiet_session,
                                  attendee=first)
    busy_booking = run_on_commit(bookings.create_booking, event_type=busy_class, session=busy_session,
                                 attendee=second)
    assert emails_to("linh@hanoi.test") == []
    [notice] = emails_to("minh@hanoi.test")
    assert notice.subject.startswith("New booking:")
    assert len(emails_to("a@example.com")) == 1  # the student's confirmation is not the teacher's to turn off

    mail.outbox.clear()
    for booking, student in ((quiet_booking, first), (busy_booking, second)):
        run_on_commit(bookings.cancel_booking, booking, reason="", actor=student, by_role="student")
    assert emails_to("linh@hanoi.test") == []
    [notice] = emails_to("minh@hanoi.test")
    assert notice.subject.startswith("Cancelled:")


def test_a_teacher_who_turned_off_cancellations_hears_nothing_of_a_cancelled_session(run_on_commit, tenant,
                                                                                     teacher, tenant_admin):
    Membership.objects.filter(tenant=tenant, user=teacher).update(notify_cancellation=False)
    event_type, (session,) = make_class(tenant, teacher, title="Grammar")
    run_on_commit(bookings.create_booking, event_type=event_type, session=session, attendee=make_user("a@ex.com"))
    mail.outbox.clear()
    run_on_commit(bookings.cancel_session_with_bookings, session, actor=tenant_admin, reason="Flood",
                  by_role="admin")
    assert emails_to("linh@hanoi.test") == []
    assert len(emails_to("a@ex.com")) == 1


def test_waitlist_activity_reaches_the_teacher_who_wants_it(run_on_commit, tenant, teacher):
    event_type, (session,) = make_class(tenant, teacher, capacity=1, title="Grammar")
    holder = make_user("holder@example.com")
    booking = run_on_commit(bookings.create_booking, event_type=event_type, session=session, attendee=holder)
    run_on_commit(waitlist.join_waitlist, session, make_user("next@example.com", first_name="Thu"))
    mail.outbox.clear()
    run_on_commit(bookings.cancel_booking, booking, reason="", actor=holder, by_role="student")
    waitlist_notices = [m for m in emails_to("linh@hanoi.test") if m.subject.startswith("Waitlist:")]
    assert len(waitlist_notices) == 1
    assert "Thu" in waitlist_notices[0].subject and "Grammar" in waitlist_notices[0].subject
    entry_id = TeacherNotice.objects.get(user=teacher).key.split(":")[1]
    assert teacher_messages.send_waitlist_activity(int(entry_id)) is False  # a second run sends nothing
    assert len([m for m in emails_to("linh@hanoi.test") if m.subject.startswith("Waitlist:")]) == 1


def test_no_waitlist_email_for_a_teacher_who_turned_it_off(run_on_commit, tenant, teacher):
    Membership.objects.filter(tenant=tenant, user=teacher).update(notify_waitlist=False)
    event_type, (session,) = make_class(tenant, teacher, capacity=1)
    holder = make_user("holder@example.com")
    booking = run_on_commit(bookings.create_booking, event_type=event_type, session=session, attendee=holder)
    run_on_commit(waitlist.join_waitlist, session, make_user("next@example.com"))
    mail.outbox.clear()
    run_on_commit(bookings.cancel_booking, booking, reason="", actor=holder, by_role="student")
    assert [m for m in emails_to("linh@hanoi.test") if m.subject.startswith("Waitlist:")] == []
    assert len(emails_to("next@example.com")) == 1  # the student's offer still goes out


def _evening(days_ahead, hour):
    """Real time `days_ahead` days from now at `hour`:00 in Ho Chi Minh City."""
    local = timezone.now().astimezone(HCM) + dt.timedelta(days=days_ahead)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def test_the_daily_agenda_goes_out_once_in_the_evening_of_the_teachers_zone(tenant, teacher):
    Membership.objects.filter(tenant=tenant, user=teacher).update(daily_agenda=True)
    evening = _evening(3, 19)
    tomorrow_10 = (evening + dt.timedelta(days=1)).replace(hour=10)
    event_type, _sessions = make_class(tenant, teacher, sessions=0, title="Grammar")
    Session.objects.create(tenant=tenant, event_type=event_type, teacher=teacher, start=tomorrow_10,
                           end=tomorrow_10 + dt.timedelta(hours=1), capacity=8)
    day_after = tomorrow_10 + dt.timedelta(days=1)
    Session.objects.create(tenant=tenant, event_type=event_type, teacher=teacher, start=day_after,
                           end=day_after + dt.timedelta(hours=1), capacity=8)
    lesson_type = make_one_on_one(tenant, teacher, title="Private lesson")
    student = make_user("an@example.com", first_name="An", last_name="Le")
    lesson_start = (tomorrow_10 + dt.timedelta(hours=6)).astimezone(dt.UTC)  # 09:00 UTC
    bookings.create_booking(event_type=lesson_type, start=lesson_start, attendee=student)
    mail.outbox.clear()

    assert teacher_messages.send_daily_agendas(now=evening - dt.timedelta(hours=2)) == 0  # 17:00 there: not yet
    assert emails_to("linh@hanoi.test") == []
    teacher_messages.send_daily_agendas(now=evening)
    teacher_messages.send_daily_agendas(now=evening + dt.timedelta(hours=1))  # the next hourly run
    [agenda] = emails_to("linh@hanoi.test")
    assert agenda.subject.startswith("Tomorrow at Hanoi English Centre: 2 classes")
    assert "10:00" in agenda.body and "16:00" in agenda.body and "Asia/Ho_Chi_Minh" in agenda.body
    assert "One-to-one with An Le" in agenda.body
    [(name, content, mimetype)] = agenda.attachments
    events = Calendar.from_ical(content).walk("VEVENT")
    assert sorted(event.decoded("dtstart") for event in events) == [tomorrow_10, lesson_start]


def test_no_agenda_for_a_teacher_with_nothing_tomorrow_or_who_did_not_ask(tenant, teacher):
    colleague = make_teacher(tenant, "minh@hanoi.test", zone="Asia/Ho_Chi_Minh")
    Membership.objects.filter(tenant=tenant, user=teacher).update(daily_agenda=True)  # nothing tomorrow
    evening = _evening(3, 19)
    tomorrow_10 = (evening + dt.timedelta(days=1)).replace(hour=10)
    event_type, _sessions = make_class(tenant, colleague, sessions=0)
    Session.objects.create(tenant=tenant, event_type=event_type, teacher=colleague, start=tomorrow_10,
                           end=tomorrow_10 + dt.timedelta(hours=1), capacity=8)  # colleague did not ask
    teacher_messages.send_daily_agendas(now=evening)
    assert mail.outbox == []


def test_a_teacher_given_a_colleagues_work_is_told_with_its_calendar(run_on_commit, tenant, tenant_admin, teacher):
    successor = make_teacher(tenant, "minh@hanoi.test", first_name="Minh")
    event_type, (session,) = make_class(tenant, teacher, title="Grammar")
    lesson_type = make_one_on_one(tenant, teacher, title="Private lesson")
    make_one_on_one(tenant, successor, title="Minh's lessons")
    lesson = bookings.create_booking(event_type=lesson_type, start=future(5, 14), attendee=make_user("an@example.com"))
    mail.outbox.clear()
    membership = Membership.objects.get(tenant=tenant, user=teacher)
    run_on_commit(teacher_service.deactivate_teacher, membership, actor=tenant_admin,
                  sessions={session.pk: successor}, bookings={lesson.pk: successor})
    [notice] = [m for m in emails_to("minh@hanoi.test") if m.subject.startswith("You now teach")]
    assert notice.subject == "You now teach 2 more classes at Hanoi English Centre"
    assert "Grammar" in notice.body and "Private lesson" in notice.body
    [(name, content, mimetype)] = notice.attachments
    assert name == "schedule.ics" and "method=REQUEST" in mimetype
    starts = sorted(event.decoded("dtstart") for event in Calendar.from_ical(content).walk("VEVENT"))
    assert starts == sorted([session.start, lesson.start])
    assert emails_to("linh@hanoi.test") == []  # the teacher who left is not sent their old work
    key = TeacherNotice.objects.get(user=successor).key
    assert teacher_messages.send_work_reassigned(tenant.pk, successor.pk, [session.pk], [lesson.pk], key) is False
    assert len([m for m in emails_to("minh@hanoi.test") if m.subject.startswith("You now teach")]) == 1


def test_a_teacher_of_two_schools_turns_booking_emails_off_in_one_only(run_on_commit, tenant, teacher):
    second_school = make_tenant("danang", name="Da Nang Language House")
    Membership.objects.create(tenant=second_school, user=teacher, role=Membership.Role.TEACHER)
    save_preferences(host_client(user=teacher), Membership.objects.get(tenant=tenant, user=teacher))
    hanoi_class, (hanoi_session,) = make_class(tenant, teacher, title="Hanoi Grammar")
    danang_class, (danang_session,) = make_class(second_school, teacher, title="Da Nang Speaking")
    run_on_commit(bookings.create_booking, event_type=hanoi_class, session=hanoi_session,
                  attendee=make_user("a@example.com"))
    run_on_commit(bookings.create_booking, event_type=danang_class, session=danang_session,
                  attendee=make_user("b@example.com"))
    [notice] = emails_to("linh@hanoi.test")
    assert "Da Nang Speaking" in notice.subject


def test_the_agenda_follows_each_teachers_own_evening(tenant, teacher):
    londoner = make_teacher(tenant, "tom@hanoi.test", zone="Europe/London")
    Membership.objects.filter(tenant=tenant).update(daily_agenda=True)
    evening = _evening(3, 19)  # 19:00 in Ho Chi Minh City is late morning in London
    event_type, _sessions = make_class(tenant, teacher, sessions=0)
    for person in (teacher, londoner):
        start = evening + dt.timedelta(hours=16)  # 11:00 tomorrow in HCM, 04:00 tomorrow in London
        Session.objects.create(tenant=tenant, event_type=event_type, teacher=person, start=start,
                               end=start + dt.timedelta(hours=1), capacity=8)
    teacher_messages.send_daily_agendas(now=evening)
    assert len(emails_to("linh@hanoi.test")) == 1
    assert emails_to("tom@hanoi.test") == []  # not yet evening in London
    teacher_messages.send_daily_agendas(now=evening + dt.timedelta(hours=8))  # 19:00 in London
    [agenda] = emails_to("tom@hanoi.test")
    assert "04:00" in agenda.body and "Europe/London" in agenda.body
    assert len(emails_to("linh@hanoi.test")) == 1


def test_the_agenda_task_is_on_the_beat_schedule_and_registered(settings):
    from site_platform.celery import app

    app.loader.import_default_modules()
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["booking.notifications.teacher_messages.send_daily_agendas"] == 3600.0
    assert "booking.notifications.teacher_messages.send_daily_agendas" in app.tasks
