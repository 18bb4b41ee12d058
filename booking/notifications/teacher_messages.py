"""Emails a teacher sends to the attendees of one of their sessions: a message they
wrote, or the notice of a new meeting link.

`queue_message` enqueues, after commit, one Celery task per recipient. The task
reloads the rows, sends only to an attendee whose booking is still active on that
session, in the tenant's branding and the student's language and time zone, and
writes a `TeacherMessageDelivery` row in the transaction that sends: a task run
twice finds the row and sends nothing.

The copies sent to a student are part of their data rights export and erasure
(registered below with `site_platform.data_rights`).
"""

import datetime as dt
import logging
from dataclasses import dataclass
from email.utils import formataddr

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from site_platform.data_rights import PersonalDataSource
from site_platform.data_rights import register as register_personal_data

from .branding import branding_for_tenant
from .emails import format_day_time, format_when, from_address
from .models import BookingLanguage
from .recipients import student_recipient

logger = logging.getLogger(__name__)

RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}


@dataclass(frozen=True)
class Attendee:
    booking_id: int
    email: str
    name: str


def active_recipients(session):
    """Who a message about `session` goes to: the booker of every active booking that
    holds seats in it, and the named participants of those bookings; each address once."""
    from booking.models import Booking, BookingParticipant, BookingSeat

    seats = (BookingSeat.objects.filter(session=session, booking__status__in=Booking.ACTIVE)
             .select_related("booking", "booking__attendee").order_by("booking__created_at", "booking_id"))
    found, seen = [], set()
    bookings = []
    for seat in seats:
        booking = seat.booking
        bookings.append(booking.pk)
        email = booking.attendee_email.lower()
        if email not in seen:
            seen.add(email)
            found.append(Attendee(booking.pk, booking.attendee_email, booking.attendee.get_full_name()))
    participants = (BookingParticipant.objects.filter(booking_id__in=bookings, status=BookingParticipant.Status.ACTIVE)
                    .exclude(email="").order_by("booking_id", "pk"))
    for participant in participants:
        email = participant.email.lower()
        if email not in seen:
            seen.add(email)
            found.append(Attendee(participant.booking_id, participant.email, participant.name))
    return found


def queue_message(message):
    """After commit, one `send_teacher_message` task per current recipient of the message's session."""
    def enqueue():
        for attendee in active_recipients(message.session):
            send_teacher_message.delay(message.pk, attendee.booking_id, attendee.email)

    transaction.on_commit(enqueue)


def _teacher_name(session):
    from site_platform.models import Membership

    membership = Membership.objects.filter(tenant_id=session.tenant_id, user_id=session.teacher_id).first()
    return membership.public_name if membership else str(session.teacher)


def send_message_to(message, booking, email):
    """Send `message` to `email` (an attendee of `booking`) once. Returns True if this call sent it."""
    from booking.services.teachers import meeting_url_for
    from site_platform.models import TeacherMessage, TeacherMessageDelivery

    session, tenant = message.session, message.tenant
    is_booker = email.lower() == booking.attendee_email.lower()
    booked_language = BookingLanguage.objects.filter(booking=booking).values_list("language", flat=True).first()
    recipient = student_recipient(user=booking.attendee if is_booker else None, email=email, tenant=tenant,
                                  teacher=session.teacher, booked_language=booked_language or "")
    if not is_booker:
        name = booking.participants.filter(email__iexact=email).values_list("name", flat=True).first() or ""
        recipient = type(recipient)(email=email, name=name, language=recipient.language, zone=recipient.zone)
    with transaction.atomic():
        try:
            with transaction.atomic():
                TeacherMessageDelivery.objects.create(message=message, recipient=email.lower(),
                                                      language=recipient.language)
        except IntegrityError:
            logger.info("teacher message %s already sent to %s", message.pk, email)
            return False
        with translation.override(recipient.language):
            event_type = session.event_type
            meeting_link = message.kind == TeacherMessage.Kind.MEETING_LINK
            context = {
                "branding": branding_for_tenant(tenant), "tenant": tenant, "session": session,
                "event_type": event_type, "teacher_name": _teacher_name(session), "recipient": recipient,
                "when": format_when(session.start, session.end, recipient.zone), "zone_name": recipient.zone_name,
                "message": message, "meeting_url": message.body if meeting_link else meeting_url_for(session),
                "manage_url": booking.manage_url() if is_booker else "",
                "platform_name": settings.PLATFORM_NAME, "LANGUAGE_CODE": recipient.language,
            }
            date = format_day_time(session.start, recipient.zone)
            if meeting_link:
                template = "teacher_meeting_link"
                subject = _("New meeting link: %(event)s on %(date)s") % {"event": event_type.title, "date": date}
            else:
                template = "teacher_message"
                subject = _("%(subject)s · %(event)s on %(date)s") % {
                    "subject": message.subject, "event": event_type.title, "date": date}
            text = render_to_string(f"emails/{template}.txt", context)
            html = render_to_string(f"emails/{template}.html", context)
        email_message = EmailMultiAlternatives(subject=subject, body=text, from_email=from_address(tenant),
                                               to=[formataddr((recipient.name, email))])
        email_message.attach_alternative(html, "text/html")
        email_message.send()
    return True


@shared_task(name="booking.notifications.teacher_messages.send_teacher_message", **RETRY)
def send_teacher_message(message_id, booking_id, email):
    """One recipient's copy of a teacher's message; nothing if their booking is no longer
    active on the session, or the tenant is not serving."""
    from booking.models import Booking, BookingSeat
    from site_platform.models import TeacherMessage

    message = (TeacherMessage.objects.select_related("tenant", "session", "session__event_type",
                                                     "session__teacher").filter(pk=message_id).first())
    booking = Booking.objects.select_related("attendee", "tenant").filter(pk=booking_id).first()
    if message is None or booking is None or booking.tenant_id != message.tenant_id:
        return False
    if message.tenant.status != message.tenant.Status.ACTIVE or booking.status not in Booking.ACTIVE:
        return False
    if not BookingSeat.objects.filter(booking=booking, session=message.session).exists():
        return False
    return send_message_to(message, booking, email)


def export_messages(tenant, user):
    """A student's data rights: the teachers' messages emailed to them in this tenant."""
    from site_platform.models import TeacherMessageDelivery

    deliveries = (TeacherMessageDelivery.objects.filter(message__tenant=tenant, recipient__iexact=user.email)
                  .select_related("message").order_by("sent_at", "pk"))
    return [{"subject": d.message.subject, "message": d.message.body, "kind": d.message.kind,
             "recipient": d.recipient, "sent_at": d.sent_at} for d in deliveries]


def erase_messages(tenant, user, placeholder):
    from site_platform.models import TeacherMessageDelivery

    return TeacherMessageDelivery.objects.filter(message__tenant=tenant, recipient__iexact=user.email).update(
        recipient=placeholder)


register_personal_data(PersonalDataSource("teacher_messages", export_messages, erase_messages))


# Emails to a teacher about their own work ------------------------------------------------------

AGENDA_HOUR = 18  # local time from which the evening's agenda of tomorrow goes out


def send_teacher_notice(*, tenant, teacher, key, template, subject, context, entries=()):
    """Send the teacher `teacher` of `tenant` one email about `key`, once: the TeacherNotice
    row is written in the transaction that sends. `subject` is called with the recipient
    (inside their language) and returns the subject line; `context` likewise returns the
    template context. `entries` (calendar entries) go along as an ICS. Returns True if this
    call sent it."""
    from booking import ics
    from site_platform.models import TeacherNotice

    from .recipients import teacher_recipient

    recipient = teacher_recipient(tenant, teacher)
    with transaction.atomic():
        try:
            with transaction.atomic():
                TeacherNotice.objects.create(tenant=tenant, user=teacher, key=key)
        except IntegrityError:
            logger.info("teacher notice %s already sent to user %s", key, teacher.pk)
            return False
        with translation.override(recipient.language):
            full_context = {"branding": branding_for_tenant(tenant), "tenant": tenant, "recipient": recipient,
                            "zone_name": recipient.zone_name, "platform_name": settings.PLATFORM_NAME,
                            "LANGUAGE_CODE": recipient.language, **context(recipient)}
            subject_line = subject(recipient)
            text = render_to_string(f"emails/{template}.txt", full_context)
            html = render_to_string(f"emails/{template}.html", full_context)
        email_message = EmailMultiAlternatives(subject=subject_line, body=text, from_email=from_address(tenant),
                                               to=[formataddr((recipient.name, recipient.email))])
        email_message.attach_alternative(html, "text/html")
        if entries:
            email_message.attach("schedule.ics", ics.invitation_ics(list(entries)),
                                 f"text/calendar; charset=utf-8; method={ics.METHOD_REQUEST}")
        email_message.send()
    return True


def _work_rows(sessions, bookings, zone):
    rows = [{"when": format_when(s.start, s.end, zone), "start": s.start, "title": s.event_type.title,
             "who": _("%(taken)s of %(capacity)s seats booked") % {"taken": s.seats_taken, "capacity": s.capacity}}
            for s in sessions]
    rows += [{"when": format_when(b.start, b.end, zone), "start": b.start, "title": b.event_type.title,
              "who": _("One-to-one with %(student)s") % {
                  "student": b.attendee.get_full_name() or b.attendee_email}}
             for b in bookings]
    return sorted(rows, key=lambda row: row["start"])


def _entries(sessions, bookings):
    from booking.feed_views import _booking_entry, _session_entry

    return [_session_entry(s) for s in sessions] + [_booking_entry(b) for b in bookings]


@shared_task(name="booking.notifications.teacher_messages.send_daily_agenda", **RETRY)
def send_daily_agenda(membership_id, day):
    """One teacher's agenda of `day` (ISO date, in their time zone) at one school: their
    scheduled sessions and active one-to-one bookings that day. Nothing when they have
    none, have turned the agenda off, or have had it already."""
    import zoneinfo

    from booking.models import Booking, Session
    from site_platform.models import Membership
    from site_platform.teacher_models import teacher_wants

    membership = Membership.objects.select_related("tenant", "user").filter(pk=membership_id, is_active=True).first()
    if membership is None or membership.tenant.status != membership.tenant.Status.ACTIVE:
        return False
    if not teacher_wants(membership.tenant_id, membership.user_id, "agenda"):
        return False
    tenant, teacher = membership.tenant, membership.user
    try:
        zone = zoneinfo.ZoneInfo(membership.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    date = dt.date.fromisoformat(day)
    start = dt.datetime.combine(date, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    sessions = list(Session.objects.filter(tenant=tenant, teacher=teacher, status=Session.Status.SCHEDULED,
                                           start__gte=start, start__lt=end)
                    .select_related("event_type").order_by("start", "pk"))
    bookings = list(Booking.objects.filter(tenant=tenant, teacher=teacher, session__isnull=True,
                                           status__in=Booking.ACTIVE, start__gte=start, start__lt=end)
                    .select_related("event_type", "attendee").order_by("start", "pk"))
    if not sessions and not bookings:
        return False
    from django.utils.formats import date_format

    return send_teacher_notice(
        tenant=tenant, teacher=teacher, key=f"agenda:{day}", template="teacher_daily_agenda",
        subject=lambda recipient: _("Tomorrow at %(school)s: %(count)s classes (%(date)s)") % {
            "school": tenant.name, "count": len(sessions) + len(bookings),
            "date": date_format(date, "DATE_FORMAT")},
        context=lambda recipient: {"rows": _work_rows(sessions, bookings, recipient.zone),
                                   "date": date_format(date, "DATE_FORMAT")},
        entries=_entries(sessions, bookings))


@shared_task(name="booking.notifications.teacher_messages.send_daily_agendas")
def send_daily_agendas(now=None):
    """Periodic (hourly): every active teacher who wants the agenda and for whom it is
    past AGENDA_HOUR locally gets tomorrow's (their tomorrow), once per day. Returns how
    many tasks were queued (a teacher with nothing tomorrow is queued and sends nothing)."""
    import zoneinfo

    from django.utils import timezone as dj_timezone
    from django.utils.dateparse import parse_datetime

    from site_platform.models import Membership

    now = parse_datetime(now) if isinstance(now, str) else (now or dj_timezone.now())
    count = 0
    memberships = (Membership.objects.filter(is_active=True, daily_agenda=True, tenant__status="active",
                                             role__in=(Membership.Role.TEACHER, Membership.Role.ADMIN))
                   .values_list("pk", "timezone"))
    for membership_id, zone_name in memberships.iterator():
        try:
            local = now.astimezone(zoneinfo.ZoneInfo(zone_name or "UTC"))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            local = now.astimezone(zoneinfo.ZoneInfo("UTC"))
        if local.hour < AGENDA_HOUR:
            continue
        send_daily_agenda.delay(membership_id, (local.date() + dt.timedelta(days=1)).isoformat())
        count += 1
    return count


@shared_task(name="booking.notifications.teacher_messages.send_work_reassigned", **RETRY)
def send_work_reassigned(tenant_id, teacher_id, session_ids, booking_ids, key):
    """Tell a teacher the sessions and one-to-one bookings given to them (a colleague's
    deactivation) with an ICS of them; only those still theirs and not over. Once per `key`."""
    from django.utils import timezone as dj_timezone

    from booking.models import Booking, Session
    from site_platform.models import Membership

    membership = (Membership.objects.select_related("tenant", "user")
                  .filter(tenant_id=tenant_id, user_id=teacher_id, is_active=True).first())
    if membership is None or membership.tenant.status != membership.tenant.Status.ACTIVE:
        return False
    now = dj_timezone.now()
    sessions = list(Session.objects.filter(pk__in=session_ids, tenant_id=tenant_id, teacher_id=teacher_id,
                                           status=Session.Status.SCHEDULED, end__gt=now)
                    .select_related("event_type").order_by("start", "pk"))
    bookings = list(Booking.objects.filter(pk__in=booking_ids, tenant_id=tenant_id, teacher_id=teacher_id,
                                           status__in=Booking.ACTIVE, end__gt=now)
                    .select_related("event_type", "attendee").order_by("start", "pk"))
    if not sessions and not bookings:
        return False
    tenant = membership.tenant
    return send_teacher_notice(
        tenant=tenant, teacher=membership.user, key=key, template="teacher_work_reassigned",
        subject=lambda recipient: _("You now teach %(count)s more classes at %(school)s") % {
            "count": len(sessions) + len(bookings), "school": tenant.name},
        context=lambda recipient: {"rows": _work_rows(sessions, bookings, recipient.zone)},
        entries=_entries(sessions, bookings))


@shared_task(name="booking.notifications.teacher_messages.send_waitlist_activity", **RETRY)
def send_waitlist_activity(entry_id):
    """Tell the session's teacher that a freed seat was offered to someone on the waitlist
    (if they want waitlist emails); once per offer."""
    from booking.models import WaitlistEntry
    from site_platform.teacher_models import teacher_wants

    entry = (WaitlistEntry.objects.select_related("tenant", "user", "session__event_type", "session__teacher")
             .filter(pk=entry_id).first())
    if entry is None or entry.status != entry.Status.OFFERED or entry.tenant.status != entry.tenant.Status.ACTIVE:
        return False
    session = entry.session
    if not teacher_wants(entry.tenant_id, session.teacher_id, "waitlist"):
        return False
    student = (entry.user.get_full_name() if entry.user_id else "") or entry.email
    return send_teacher_notice(
        tenant=entry.tenant, teacher=session.teacher, key=f"waitlist_offer:{entry.pk}",
        template="teacher_waitlist_offer",
        subject=lambda recipient: _("Waitlist: a seat of %(event)s on %(date)s offered to %(student)s") % {
            "event": session.event_type.title, "date": format_day_time(session.start, recipient.zone),
            "student": student},
        context=lambda recipient: {
            "session": session, "event_type": session.event_type, "student": student,
            "when": format_when(session.start, session.end, recipient.zone),
            "expires": format_day_time(entry.offer_expires_at, recipient.zone) if entry.offer_expires_at else ""})


def _on_waitlist_offered(sender, entry_id, **kwargs):
    try:
        send_waitlist_activity.delay_on_commit(entry_id)
    except Exception:
        logger.exception("could not queue the teacher's waitlist notice of entry %s", entry_id)


def _connect():
    from booking import signals

    signals.waitlist_offered.connect(_on_waitlist_offered, dispatch_uid="teacher_messages.waitlist_offered")


_connect()
