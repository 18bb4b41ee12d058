"""Booking emails, end to end: a service changes a booking, its signal is sent on
commit, the receiver queues the task (eager in tests), the email lands in the
outbox. ICS attachments are parsed with icalendar."""

import re
from email.utils import parseaddr
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone, translation
from icalendar import Calendar
from wagtail.models import Site
from wagtail.users.models import UserProfile

from booking.models import Booking, EventType, Session
from booking.notifications import tasks
from booking.notifications.models import BookingLanguage, NotificationLog
from booking.services import bookings as booking_service
from booking.services import waitlist as waitlist_service
from tests.booking.helpers import make_event_type
from tests.conftest import host_client, make_user

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")


def day_at(days, hour, minute=0):
    """A UTC time `days` from today at hour:minute."""
    base = timezone.now().astimezone(UTC) + timedelta(days=days)
    return base.replace(hour=hour, minute=minute, second=0, microsecond=0)



@pytest.fixture
def live_class(tenant, teacher):
    return make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, slug="conversation", title="Conversation Club",
                           seats_per_session=10, max_seats_per_booking=3, meeting_url="https://meet.example.com/abc",
                           hosts=[teacher])


def make_session(event_type, teacher, start, *, capacity=10, minutes=60):
    return Session.objects.create(tenant=event_type.tenant, event_type=event_type, teacher=teacher, start=start,
                                  end=start + timedelta(minutes=minutes), capacity=capacity)


@pytest.fixture
def session(live_class, teacher):
    # 03:00 UTC is 10:00 in Ho Chi Minh City all year round.
    return make_session(live_class, teacher, day_at(3, 3))


@pytest.fixture
def later_session(live_class, teacher):
    return make_session(live_class, teacher, day_at(4, 5))


def emails_to(address):
    return [message for message in mail.outbox if any(address in to for to in message.to)]


def html_of(message):
    (html, mimetype), = message.alternatives
    assert mimetype == "text/html"
    return html


def ics_of(message):
    """The parsed invite.ics attachment and its MIME type."""
    attachments = [a for a in message.attachments if a[0] == "invite.ics"]
    assert len(attachments) == 1
    _name, content, mimetype = attachments[0]
    return Calendar.from_ical(content), mimetype


def only_event(calendar):
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def link_after(text, label):
    """The URL on the line after `label:` in a text email."""
    match = re.search(re.escape(label) + r":\s*\n(\S+)", text)
    assert match, f"no {label!r} link in:\n{text}"
    return match.group(1)


@pytest.fixture
def booked(run_on_commit, session, student):
    booking = run_on_commit(booking_service.create_booking, event_type=session.event_type, session=session,
                            attendee=student)
    assert booking.status == Booking.Status.CONFIRMED
    return booking


# Confirmation ------------------------------------------------------------------------------------

def test_confirmation_goes_to_the_student_with_times_in_their_zone_and_an_ics(booked, session, student, tenant,
                                                                              settings):
    message, = emails_to(student.email)
    assert message.to == [f"An Le <{student.email}>"]
    assert parseaddr(message.from_email) == (tenant.name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1])
    assert "Booking confirmed: Conversation Club" in message.subject
    # No zone of their own: the class's zone (the teacher's), named in the email.
    assert "10:00–11:00" in message.body
    assert "Asia/Ho_Chi_Minh" in message.body
    assert "Linh Nguyen" in message.body
    assert "https://meet.example.com/abc" in message.body
    html = html_of(message)
    assert "10:00–11:00" in html and "Hanoi English Centre" in html

    calendar, mimetype = ics_of(message)
    assert "method=REQUEST" in mimetype
    assert calendar["METHOD"] == "REQUEST"
    event = only_event(calendar)
    assert str(event["UID"]) == f"booking-{booked.uid}@platform.test"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == session.start
    assert event.decoded("DTEND") == session.end
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]) == "https://meet.example.com/abc"
    assert str(event["LOCATION"]) == "https://meet.example.com/abc"
    assert booked.manage_url() in str(event["DESCRIPTION"])
    assert str(event["ATTENDEE"]) == f"mailto:{student.email}"
    assert str(event["ORGANIZER"]).startswith("mailto:")
    assert event["ORGANIZER"].params["CN"] == tenant.name


def test_confirmation_has_an_add_to_google_calendar_link(booked, session, student):
    message, = emails_to(student.email)
    url = link_after(message.body, "Add to Google Calendar")
    parts = urlsplit(url)
    assert parts.netloc == "calendar.google.com"
    query = parse_qs(parts.query)
    assert query["action"] == ["TEMPLATE"]
    assert query["dates"] == [f"{session.start:%Y%m%dT%H%M%SZ}/{session.end:%Y%m%dT%H%M%SZ}"]
    assert query["text"] == ["Conversation Club with Linh Nguyen"]
    assert url.replace("&", "&amp;") in html_of(message)


def test_manage_link_opens_the_booking_without_signing_in(booked, student, tenant):
    message, = emails_to(student.email)
    url = link_after(message.body, "Manage booking")
    assert url == booked.manage_url()
    parts = urlsplit(url)
    assert parts.netloc == tenant.hostname
    response = host_client(tenant).get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    assert "Conversation Club" in response.content.decode()


def test_teacher_is_told_of_the_booking_in_their_own_zone(run_on_commit, live_class, teacher, tenant):
    profile = UserProfile.get_for_user(teacher)
    profile.current_time_zone = "Europe/London"  # the membership's zone comes first
    profile.save()
    session = make_session(live_class, teacher, day_at(3, 3))
    student = make_user("mai@example.com", first_name="Mai", last_name="Tran")
    UserProfile.objects.create(user=student, current_time_zone="Europe/London")
    run_on_commit(booking_service.create_booking, event_type=live_class, session=session, attendee=student, seats=2)
    to_teacher, = emails_to(teacher.email)
    assert to_teacher.subject.startswith("New booking: Mai Tran, Conversation Club")
    assert "mai@example.com" in to_teacher.body
    assert "10:00–11:00" in to_teacher.body and "Asia/Ho_Chi_Minh" in to_teacher.body
    assert "Seats: 2" in to_teacher.body
    assert not to_teacher.attachments
    to_student, = emails_to(student.email)
    london = session.start.astimezone(LONDON)
    assert f"{london:%H:%M}–{(london + timedelta(hours=1)):%H:%M}" in to_student.body
    assert "Europe/London" in to_student.body


def test_paid_booking_is_confirmed_by_email_only_once_paid(run_on_commit, live_class, session, student, teacher):
    live_class.price = 20
    live_class.save()
    booking = run_on_commit(booking_service.create_booking, event_type=live_class, session=session, attendee=student)
    assert booking.status == Booking.Status.PENDING_PAYMENT
    assert mail.outbox == []
    run_on_commit(booking_service.confirm_booking, booking, payment_reference="pi_1")
    assert len(emails_to(student.email)) == 1
    assert len(emails_to(teacher.email)) == 1


# Reschedule and cancel ---------------------------------------------------------------------------

def test_reschedule_moves_the_same_calendar_event(run_on_commit, booked, later_session, student, teacher, tenant):
    first, = emails_to(student.email)
    first_event = only_event(ics_of(first)[0])
    old_manage_url = booked.manage_url()
    mail.outbox.clear()

    moved = run_on_commit(booking_service.reschedule_booking, booked, new_session=later_session, actor=student)
    message, = emails_to(student.email)
    assert message.subject.startswith("Booking moved: Conversation Club is now on")
    assert "12:00–13:00" in message.body  # 05:00 UTC in Ho Chi Minh City
    assert "It was on" in message.body and "10:00–11:00" in message.body
    calendar, mimetype = ics_of(message)
    assert calendar["METHOD"] == "REQUEST" and "method=REQUEST" in mimetype
    event = only_event(calendar)
    assert event["UID"] == first_event["UID"]
    assert event["SEQUENCE"] == 1 > first_event["SEQUENCE"]
    assert event.decoded("DTSTART") == later_session.start

    # The new email carries the new link; the old one no longer works.
    new_url = link_after(message.body, "Manage booking")
    assert new_url == moved.manage_url() != old_manage_url
    client = host_client(tenant)
    assert client.get(urlsplit(new_url).path + "?" + urlsplit(new_url).query).status_code == 200
    assert client.get(urlsplit(old_manage_url).path + "?" + urlsplit(old_manage_url).query).status_code in (403, 404)

    to_teacher, = emails_to(teacher.email)
    assert to_teacher.subject.startswith("Moved: An Le, Conversation Club is now on")


def test_cancellation_cancels_the_calendar_event(run_on_commit, booked, later_session, student, teacher):
    run_on_commit(booking_service.reschedule_booking, booked, new_session=later_session, actor=student)
    mail.outbox.clear()

    run_on_commit(booking_service.cancel_booking, booked, reason="I have an exam", actor=student)
    message, = emails_to(student.email)
    assert message.subject.startswith("Booking cancelled: Conversation Club")
    assert "As you asked, this booking is cancelled" in message.body
    assert "I have an exam" in message.body
    calendar, mimetype = ics_of(message)
    assert calendar["METHOD"] == "CANCEL" and "method=CANCEL" in mimetype
    event = only_event(calendar)
    assert str(event["UID"]) == f"booking-{booked.uid}@platform.test"
    assert event["SEQUENCE"] == 2
    assert str(event["STATUS"]) == "CANCELLED"

    to_teacher, = emails_to(teacher.email)
    assert to_teacher.subject.startswith("Cancelled: An Le, Conversation Club")
    assert "I have an exam" in to_teacher.body


def test_teacher_cancelling_a_booking_is_not_told_of_it(run_on_commit, booked, student, teacher):
    mail.outbox.clear()
    run_on_commit(booking_service.cancel_booking, booked, reason="I am ill", actor=teacher,
                  by_role=Booking.Role.TEACHER)
    message, = emails_to(student.email)
    assert "Hanoi English Centre has cancelled this booking" in message.body
    assert emails_to(teacher.email) == []


def test_cancelled_session_tells_every_attendee_and_the_teacher_once(run_on_commit, session, student, teacher,
                                                                      tenant_admin):
    others = [make_user(f"s{n}@example.com", first_name=f"S{n}") for n in range(2)]
    for attendee in [student, *others]:
        run_on_commit(booking_service.create_booking, event_type=session.event_type, session=session,
                      attendee=attendee)
    mail.outbox.clear()

    run_on_commit(booking_service.cancel_session_with_bookings, session, actor=tenant_admin, reason="Flooding",
                  by_role=Booking.Role.ADMIN)
    for attendee in [student, *others]:
        message, = emails_to(attendee.email)
        assert only_event(ics_of(message)[0])["STATUS"] == "CANCELLED"
        assert "Flooding" in message.body
    to_teacher, = emails_to(teacher.email)
    assert to_teacher.subject.startswith("Session cancelled: Conversation Club")
    assert "Its 3 students have been told" in to_teacher.body


# Waitlist and reminder ---------------------------------------------------------------------------

def test_waitlist_offer_email_carries_the_claim_link_and_deadline(run_on_commit, live_class, teacher, student,
                                                                  tenant):
    session = make_session(live_class, teacher, day_at(3, 3), capacity=1)
    waiting = make_user("wait@example.com", first_name="Binh")
    first = run_on_commit(booking_service.create_booking, event_type=live_class, session=session, attendee=student)
    entry = run_on_commit(waitlist_service.join_waitlist, session, waiting)
    mail.outbox.clear()

    run_on_commit(booking_service.cancel_booking, first, actor=student)
    entry.refresh_from_db()
    assert entry.status == entry.Status.OFFERED
    message, = emails_to(waiting.email)
    assert message.subject.startswith("A seat is free for you: Conversation Club")
    assert entry.claim_url() in message.body
    assert entry.offer_expires_at.astimezone(HCM).strftime("%H:%M") in message.body
    assert entry.claim_url().replace("&", "&amp;") in html_of(message)
    response = host_client(tenant, user=waiting).get(urlsplit(entry.claim_url()).path + "?"
                                                      + urlsplit(entry.claim_url()).query)
    assert response.status_code == 200

    tasks.send_waitlist_offer(entry.pk)
    assert len(emails_to(waiting.email)) == 1


def test_reminder_goes_out_once_a_day_before(run_on_commit, live_class, teacher, student):
    tomorrow = make_session(live_class, teacher, timezone.now() + timedelta(hours=24, minutes=10))
    next_week = make_session(live_class, teacher, timezone.now() + timedelta(days=7))
    other = make_user("other@example.com")
    soon = run_on_commit(booking_service.create_booking, event_type=live_class, session=tomorrow, attendee=student)
    run_on_commit(booking_service.create_booking, event_type=live_class, session=next_week, attendee=student)
    cancelled = run_on_commit(booking_service.create_booking, event_type=live_class, session=tomorrow, attendee=other)
    run_on_commit(booking_service.cancel_booking, cancelled, actor=other)
    mail.outbox.clear()

    assert tasks.send_due_reminders() == 1
    assert tasks.send_due_reminders() == 0
    tasks.send_booking_reminder(soon.pk)
    message, = mail.outbox
    assert message.to == [f"An Le <{student.email}>"]
    assert message.subject.startswith("Reminder: Conversation Club")
    assert soon.manage_url() in message.body
    assert NotificationLog.objects.filter(booking=soon, kind="reminder").count() == 1


# Idempotence -------------------------------------------------------------------------------------

def test_every_task_run_twice_sends_once(run_on_commit, booked, later_session, student, teacher):
    tasks.send_booking_confirmed(booked.pk)
    run_on_commit(booking_service.reschedule_booking, booked, new_session=later_session, actor=student)
    tasks.send_booking_rescheduled(booked.pk)
    run_on_commit(booking_service.cancel_booking, booked, actor=student)
    tasks.send_booking_cancelled(booked.pk)
    tasks.send_booking_confirmed(booked.pk)  # no longer confirmed: nothing

    kinds = sorted(NotificationLog.objects.filter(booking=booked).values_list("kind", "recipient"))
    assert kinds == sorted([
        ("confirmed", student.email), ("teacher_booked", teacher.email),
        ("rescheduled", student.email), ("teacher_rescheduled", teacher.email),
        ("cancelled", student.email), ("teacher_cancelled", teacher.email),
    ])
    assert len(mail.outbox) == 6


def test_a_failed_send_is_not_recorded_so_a_retry_sends(booked, student, settings):
    NotificationLog.objects.all().delete()
    mail.outbox.clear()
    settings.EMAIL_BACKEND = "tests.booking.test_notifications.BrokenBackend"
    with pytest.raises(OSError):
        tasks.send_booking_confirmed(booked.pk)
    assert not NotificationLog.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tasks.send_booking_confirmed(booked.pk)
    assert len(emails_to(student.email)) == 1


class BrokenBackend:
    """An email backend whose server is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("connection refused")


# Language and branding ---------------------------------------------------------------------------

def test_vietnamese_student_gets_vietnamese_email(run_on_commit, session, student, teacher):
    UserProfile.objects.create(user=student, preferred_language="vi")
    run_on_commit(booking_service.create_booking, event_type=session.event_type, session=session, attendee=student)
    message, = emails_to(student.email)
    assert NotificationLog.objects.get(kind="confirmed").language == "vi"
    assert 'lang="vi"' in html_of(message)
    # Day and month names come from Django's Vietnamese catalogue.
    assert "Tháng" in message.subject and "Tháng" in message.body
    assert "Thứ" in message.body or "Chủ nhật" in message.body
    # The teacher keeps their own language.
    to_teacher, = emails_to(teacher.email)
    assert to_teacher.subject.startswith("New booking")


@pytest.fixture
def notification_translations(settings, tmp_path):
    """The Vietnamese catalogue of docs/notifications-vi.po, compiled, ahead of the project's own."""
    import polib

    target = tmp_path / "locale" / "vi" / "LC_MESSAGES"
    target.mkdir(parents=True)
    polib.pofile(str(settings.BASE_DIR / "docs" / "notifications-vi.po")).save_as_mofile(str(target / "django.mo"))
    settings.LOCALE_PATHS = [tmp_path / "locale", *settings.LOCALE_PATHS]


def test_vietnamese_wording_of_every_student_email(notification_translations, run_on_commit, session,
                                                   later_session, student, teacher):
    UserProfile.objects.create(user=student, preferred_language="vi")
    booking = run_on_commit(booking_service.create_booking, event_type=session.event_type, session=session,
                            attendee=student)
    run_on_commit(booking_service.reschedule_booking, booking, new_session=later_session, actor=student)
    run_on_commit(booking_service.cancel_booking, booking, reason="Bận việc", actor=student)
    confirmed, moved, cancelled = emails_to(student.email)
    assert confirmed.subject.startswith("Đã xác nhận đặt chỗ: Conversation Club vào")
    assert "Xin chào An Le," in confirmed.body and "Quản lý lượt đặt" in confirmed.body
    assert "Thêm vào Google Calendar" in html_of(confirmed)
    assert "Conversation Club với Linh Nguyen" in str(only_event(ics_of(confirmed)[0])["SUMMARY"])
    assert moved.subject.startswith("Đã đổi lịch: Conversation Club nay vào")
    assert "Trước đó là" in moved.body
    assert cancelled.subject.startswith("Đã hủy đặt chỗ: Conversation Club vào")
    assert "Theo yêu cầu của bạn" in cancelled.body and "Lý do: Bận việc" in cancelled.body
    # The teacher, without a preference, reads English.
    assert all(message.subject.startswith(("New booking", "Moved", "Cancelled"))
               for message in emails_to(teacher.email))


def test_language_of_the_booking_request_is_kept_for_later_emails(run_on_commit, session, student, teacher):
    with translation.override("vi"):
        booking = run_on_commit(booking_service.create_booking, event_type=session.event_type, session=session,
                                attendee=student)
    assert BookingLanguage.objects.get(booking=booking).language == "vi"
    mail.outbox.clear()
    # Later, in a worker with no request: the cancellation is still in Vietnamese.
    run_on_commit(booking_service.cancel_booking, booking, actor=teacher, by_role=Booking.Role.TEACHER)
    message, = emails_to(student.email)
    assert "Tháng" in message.body
    assert NotificationLog.objects.get(kind="cancelled").language == "vi"


def test_an_admin_booking_for_a_student_does_not_set_their_language(run_on_commit, later_session, student,
                                                                   tenant_admin):
    with translation.override("vi"):
        booking = run_on_commit(booking_service.create_booking, event_type=later_session.event_type,
                                session=later_session, attendee=student, actor=tenant_admin,
                                source=Booking.Source.ADMIN)
    assert not BookingLanguage.objects.filter(booking=booking).exists()
    assert NotificationLog.objects.get(booking=booking, kind="confirmed").language == "en"


def test_email_wears_the_tenant_branding(run_on_commit, tenant, session, student):
    from landing.models import BrandingSettings

    site = Site.objects.get(root_page=tenant.root_page, hostname=tenant.hostname)
    BrandingSettings.objects.update_or_create(site=site, defaults={
        "use_custom_colours": True, "primary_colour": "#7c2d12", "on_primary_colour": "#ffffff"})
    run_on_commit(booking_service.create_booking, event_type=session.event_type, session=session, attendee=student)
    html = html_of(emails_to(student.email)[0])
    assert "background:#7c2d12" in html
    assert "Hanoi English Centre" in html


def test_each_tenant_emails_in_its_own_name_and_host(run_on_commit, tenant, other_tenant, session, student):
    from tests.booking.helpers import make_teacher

    teacher = make_teacher(other_tenant, "tuan@saigon.test", zone="Asia/Ho_Chi_Minh", first_name="Tuan")
    workshop = make_event_type(other_tenant, kind=EventType.Kind.WORKSHOP, slug="writing", title="Writing Workshop",
                               seats_per_session=5, hosts=[teacher])
    other_session = make_session(workshop, teacher, day_at(5, 3))
    here = run_on_commit(booking_service.create_booking, event_type=session.event_type, session=session,
                         attendee=student)
    there = run_on_commit(booking_service.create_booking, event_type=workshop, session=other_session,
                          attendee=student)
    mine, theirs = sorted(emails_to(student.email), key=lambda m: "Writing" in m.subject)
    assert "Hanoi English Centre" in mine.from_email and tenant.hostname in mine.body
    assert "Saigon Language School" in theirs.from_email and other_tenant.hostname in theirs.body
    assert tenant.hostname not in theirs.body and "Hanoi" not in html_of(theirs)
    # One tenant's manage link does not open on the other's host.
    path = urlsplit(there.manage_url())
    assert host_client(tenant).get(f"{path.path}?{path.query}").status_code == 404
    assert host_client(tenant).get(f"{urlsplit(here.manage_url()).path}?{urlsplit(here.manage_url()).query}"
                                   ).status_code == 200


@pytest.fixture
def course(tenant, teacher):
    """A three-week course booked as a whole, starting in two days at 03:00 UTC."""
    from booking.models import SessionSeries

    course = make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, slug="course", title="Ten-week Course",
                             seats_per_session=8, booked_as=EventType.BookedAs.WHOLE_SERIES, hosts=[teacher])
    first = day_at(2, 3)
    series = SessionSeries.objects.create(tenant=tenant, event_type=course, teacher=teacher, timezone="UTC",
                                          weekdays=[first.weekday()], start_time=first.time(),
                                          duration_minutes=60, starts_on=first.date(), count=3, capacity=8)
    sessions = [Session.objects.create(tenant=tenant, event_type=course, series=series, teacher=teacher,
                                       start=first + timedelta(weeks=n), end=first + timedelta(weeks=n, hours=1),
                                       capacity=8) for n in range(3)]
    return course, sessions


def test_whole_series_booking_invites_to_every_session(run_on_commit, course, student):
    course, sessions = course
    booking = run_on_commit(booking_service.create_booking, event_type=course, session=sessions[0], attendee=student)
    message, = emails_to(student.email)
    events = ics_of(message)[0].walk("VEVENT")
    assert [event.decoded("DTSTART") for event in events] == [s.start for s in sessions]
    assert [str(event["UID"]) for event in events] == [
        f"booking-{booking.uid}-{s.pk}@platform.test" for s in sessions]
    assert all(event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=1) for event in events)
    assert message.body.count("10:00–11:00") == 3


def test_one_cancelled_session_of_a_course_is_taken_out_of_the_calendar(run_on_commit, course, student, teacher,
                                                                        tenant_admin):
    course, sessions = course
    booking = run_on_commit(booking_service.create_booking, event_type=course, session=sessions[0], attendee=student)
    invited = {str(e["UID"]): e for e in ics_of(emails_to(student.email)[0])[0].walk("VEVENT")}
    mail.outbox.clear()

    run_on_commit(booking_service.cancel_session_with_bookings, sessions[1], actor=tenant_admin,
                  reason="Public holiday", by_role=Booking.Role.ADMIN)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    message, = emails_to(student.email)
    assert message.subject.startswith("Session cancelled: Ten-week Course")
    assert "Public holiday" in message.body and "Your other sessions stay booked" in message.body
    calendar, _mimetype = ics_of(message)
    assert calendar["METHOD"] == "CANCEL"
    event = only_event(calendar)
    uid = f"booking-{booking.uid}-{sessions[1].pk}@platform.test"
    assert str(event["UID"]) == uid and str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] > invited[uid]["SEQUENCE"]
    to_teacher, = emails_to(teacher.email)
    assert "Its 1 student has been told" in to_teacher.body
    tasks.send_session_cancelled(sessions[1].pk, reason="Public holiday")
    assert len(mail.outbox) == 2

    # The reminder and later emails list only the sessions still on.
    mail.outbox.clear()
    run_on_commit(booking_service.cancel_booking, booking, actor=student)
    remaining = [str(e["UID"]) for e in ics_of(emails_to(student.email)[0])[0].walk("VEVENT")]
    assert uid not in remaining and len(remaining) == 2


def test_each_session_of_a_course_gets_its_own_reminder(run_on_commit, tenant, teacher, student):
    from booking.models import SessionSeries

    course = make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, slug="evening", title="Evening Course",
                             seats_per_session=8, booked_as=EventType.BookedAs.WHOLE_SERIES, hosts=[teacher])
    first = (timezone.now() + timedelta(hours=24, minutes=30)).replace(second=0, microsecond=0)
    series = SessionSeries.objects.create(tenant=tenant, event_type=course, teacher=teacher, timezone="UTC",
                                          weekdays=[first.weekday()], start_time=first.time(),
                                          duration_minutes=60, starts_on=first.date(), count=2, capacity=8)
    sessions = [Session.objects.create(tenant=tenant, event_type=course, series=series, teacher=teacher,
                                       start=first + timedelta(weeks=n), end=first + timedelta(weeks=n, hours=1),
                                       capacity=8) for n in range(2)]
    booking = run_on_commit(booking_service.create_booking, event_type=course, session=sessions[0], attendee=student)
    mail.outbox.clear()

    assert tasks.send_due_reminders() == 1
    assert tasks.send_due_reminders() == 0
    message, = mail.outbox
    local = sessions[0].start.astimezone(HCM)
    assert message.subject == f"Reminder: Evening Course on {local:%A} {local.day} {local:%B %Y, %H:%M}"
    assert f"{local:%H:%M}–{(local + timedelta(hours=1)):%H:%M}" in message.body
    log = NotificationLog.objects.get(kind="reminder")
    assert (log.booking, log.session) == (booking, sessions[0])
    # The next session's reminder is its own, a week later.
    tasks.send_booking_reminder(booking.pk, sessions[1].pk)
    assert len(mail.outbox) == 1
