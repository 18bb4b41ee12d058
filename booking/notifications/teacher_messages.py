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
