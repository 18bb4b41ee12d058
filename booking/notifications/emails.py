"""Render and send one booking email, once.

Each `send_*` function takes rows the task has already loaded and checked,
renders `templates/emails/booking_<kind>.{txt,html}` in the recipient's language
and time zone and the tenant's branding, and sends it inside the transaction
that records it in `NotificationLog`. If the log row exists (the task ran
before) nothing is sent; if sending fails the row is rolled back and a retry
sends again.
"""

import logging
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _

from booking import ics
from booking.services.teachers import meeting_url_for

from .branding import branding_for_tenant
from .models import BookingLanguage, NotificationLog
from .recipients import student_recipient, teacher_recipient

logger = logging.getLogger(__name__)

Kind = NotificationLog.Kind


def format_when(start, end, zone):
    """'Monday 5 January 2026, 10:00–11:00' in `zone` and the active language."""
    start_local, end_local = start.astimezone(zone), end.astimezone(zone)
    day = formats.date_format(start_local, "l j F Y")
    if start_local.date() == end_local.date():
        end_text = formats.date_format(end_local, "H:i")
    else:
        end_text = formats.date_format(end_local, "l j F Y, H:i")
    return f"{day}, {formats.date_format(start_local, 'H:i')}–{end_text}"


def format_day_time(value, zone):
    return formats.date_format(value.astimezone(zone), "l j F Y, H:i")


def from_address(tenant):
    """The platform's sending address under the tenant's name."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((tenant.name, address or settings.DEFAULT_FROM_EMAIL))


def location_of(event_type, meeting_url=None):
    """The address of an in-person class, else the meeting link (`meeting_url`: the
    session's effective link, `Booking.join_url`; None: the event type's)."""
    if event_type.location_kind == event_type.LocationKind.IN_PERSON:
        return event_type.address
    return event_type.meeting_url if meeting_url is None else meeting_url


def booking_sessions(booking):
    """[(session_id or None, start, end, meeting link)]: one per session a whole-series
    booking holds, else the booking's own time; the link is each session's effective one
    (`Booking.join_url`)."""
    if booking.series_id:
        from booking.models import BookingSeat, Session

        # A session cancelled on its own was taken out of the calendar by its own email.
        rows = (BookingSeat.objects.filter(booking=booking, session__status=Session.Status.SCHEDULED)
                .select_related("session").order_by("session__start", "session_id"))
        times = []
        for row in rows:
            times.append((row.session_id, row.session.start, row.session.end, booking.join_url(row.session)))
        if times:
            return times
    return [(None, booking.start, booking.end, booking.join_url())]


def booking_times(booking):
    """[(session_id or None, start, end)]: one per session a whole-series booking holds,
    else the booking's own time."""
    return [(session_id, start, end) for session_id, start, end, _url in booking_sessions(booking)]


def calendar_entries(booking, *, recipient_name=""):
    """The booking's calendar events (one, or one per session of a series), in the active
    language; each with its session's meeting link (LOCATION, URL, "Join:" in DESCRIPTION)."""
    event_type, tenant = booking.event_type, booking.tenant
    teacher_name = str(booking.teacher)
    manage_url = booking.manage_url()
    common = {
        "sequence": booking.sequence,
        "summary": _("%(event)s with %(teacher)s") % {"event": event_type.title, "teacher": teacher_name},
        "cancelled": booking.status == booking.Status.CANCELLED,
        "organizer": ics.Person(tenant.name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]),
        "attendees": [ics.Person(recipient_name, booking.attendee_email)],
        "last_modified": booking.updated_at,
    }
    entries = []
    for session_id, start, end, meeting_url in booking_sessions(booking):
        lines = [_("Teacher: %(teacher)s") % {"teacher": teacher_name}]
        if meeting_url:
            lines.append(_("Join: %(url)s") % {"url": meeting_url})
        if event_type.location_kind == event_type.LocationKind.IN_PERSON and event_type.address:
            lines.append(_("Address: %(address)s") % {"address": event_type.address})
        lines.append(_("Cancel or reschedule: %(url)s") % {"url": manage_url})
        entries.append(ics.CalendarEntry(
            uid=ics.booking_event_uid(booking.uid, session_id), start=start, end=end,
            description="\n".join(lines), location=location_of(event_type, meeting_url),
            url=meeting_url or manage_url, **common))
    return entries


def deliver(*, log, recipient, template, subject, context, attachments=()):
    """Send once: the NotificationLog row `log` (unsaved) is the proof of sending.

    Returns True when this call sent the email, False when it had been sent before.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                log.recipient = recipient.email
                log.language = recipient.language
                log.save()
        except IntegrityError:
            logger.info("notification already sent: %s %s to %s", log.kind,
                        log.booking_id or log.waitlist_entry_id or log.session_id, recipient.email)
            return False
        with translation.override(recipient.language):
            context = {**context, "recipient": recipient, "LANGUAGE_CODE": recipient.language}
            text = render_to_string(f"emails/{template}.txt", context)
            html = render_to_string(f"emails/{template}.html", context)
        message = EmailMultiAlternatives(subject=subject, body=text, from_email=from_address(log.tenant),
                                         to=[formataddr((recipient.name, recipient.email))])
        message.attach_alternative(html, "text/html")
        for filename, content, mimetype in attachments:
            message.attach(filename, content, mimetype)
        message.send()
    return True


def _booking_context(booking, recipient):
    """What every booking email shows, in the recipient's zone (call inside translation.override)."""
    event_type = booking.event_type
    entries = calendar_entries(booking, recipient_name=recipient.name)
    first = entries[0]
    return {
        "branding": branding_for_tenant(booking.tenant),
        "tenant": booking.tenant,
        "booking": booking,
        "event_type": event_type,
        "teacher_name": str(booking.teacher),
        "student_name": booking.attendee.get_full_name() or booking.attendee_email,
        "when": format_when(first.start, first.end, recipient.zone),
        "all_sessions": [format_when(e.start, e.end, recipient.zone) for e in entries] if len(entries) > 1 else [],
        "zone_name": recipient.zone_name,
        "location": first.location,
        "is_online": event_type.location_kind == event_type.LocationKind.ONLINE,
        "meeting_url": booking.join_url(),
        "manage_url": booking.manage_url(),
        "google_calendar_url": ics.google_calendar_url(first),
        "platform_name": settings.PLATFORM_NAME,
        "entries": entries,
    }


def _student(booking):
    booked_language = BookingLanguage.objects.filter(booking=booking).values_list("language", flat=True).first()
    return student_recipient(user=booking.attendee, email=booking.attendee_email, tenant=booking.tenant,
                             teacher=booking.teacher, booked_language=booked_language or "")


def _ics_attachment(entries):
    method = ics.METHOD_CANCEL if entries[0].cancelled else ics.METHOD_REQUEST
    return ("invite.ics", ics.invitation_ics(entries), f"text/calendar; charset=utf-8; method={method}")


def send_booking_email(booking, kind, *, extra=None, session=None):
    """The student's email of `kind` (confirmed, rescheduled, cancelled, reminder) for `booking`;
    with `session`, about that one session of a whole-series booking (its reminder)."""
    recipient = _student(booking)
    with translation.override(recipient.language):
        context = {**_booking_context(booking, recipient), **(extra or {})}
        start = booking.start
        if session is not None:
            start = session.start
            meeting_url = booking.join_url(session)
            context.update({"when": format_when(session.start, session.end, recipient.zone), "all_sessions": [],
                            "meeting_url": meeting_url, "location": location_of(booking.event_type, meeting_url)})
        if kind == Kind.RESCHEDULED and context.get("previous_start"):
            context["previous_when"] = format_when(context["previous_start"], context["previous_end"],
                                                   recipient.zone)
        subjects = {
            Kind.CONFIRMED: _("Booking confirmed: %(event)s on %(date)s"),
            Kind.RESCHEDULED: _("Booking moved: %(event)s is now on %(date)s"),
            Kind.CANCELLED: _("Booking cancelled: %(event)s on %(date)s"),
            Kind.REMINDER: _("Reminder: %(event)s on %(date)s"),
        }
        subject = subjects[kind] % {"event": booking.event_type.title, "date": format_day_time(start, recipient.zone)}
        attachments = [] if kind == Kind.REMINDER else [_ics_attachment(context["entries"])]
        left = _left_sessions_entries(booking, context.get("previous_session_ids"), context["entries"])
        if left:
            attachments.append(("cancel.ics", ics.invitation_ics(left),
                                f"text/calendar; charset=utf-8; method={ics.METHOD_CANCEL}"))
    log = NotificationLog(tenant=booking.tenant, booking=booking, session=session, kind=kind,
                          sequence=booking.sequence)
    return deliver(log=log, recipient=recipient, template=f"booking_{kind}", subject=subject, context=context,
                   attachments=attachments)


def _left_sessions_entries(booking, session_ids, entries):
    """Cancelled calendar events for the sessions a whole-series booking moved away from
    (same UIDs as the invitation that added them, a higher SEQUENCE)."""
    if not session_ids or not entries:
        return []
    from booking.models import Session

    kept = {entry.uid for entry in entries}
    left = []
    for session in Session.objects.filter(pk__in=session_ids).order_by("start", "pk"):
        uid = ics.booking_event_uid(booking.uid, session.pk)
        if uid in kept:
            continue
        left.append(ics.CalendarEntry(uid=uid, sequence=booking.sequence, start=session.start, end=session.end,
                                      summary=entries[0].summary, cancelled=True, organizer=entries[0].organizer,
                                      attendees=entries[0].attendees, last_modified=booking.updated_at))
    return left


def send_teacher_email(booking, kind, *, extra=None):
    """The teacher's email of `kind` (teacher_booked, teacher_cancelled, teacher_rescheduled) for `booking`."""
    recipient = teacher_recipient(booking.tenant, booking.teacher)
    with translation.override(recipient.language):
        context = {**_booking_context(booking, recipient), **(extra or {})}
        subjects = {
            Kind.TEACHER_BOOKED: _("New booking: %(student)s, %(event)s on %(date)s"),
            Kind.TEACHER_CANCELLED: _("Cancelled: %(student)s, %(event)s on %(date)s"),
            Kind.TEACHER_RESCHEDULED: _("Moved: %(student)s, %(event)s is now on %(date)s"),
        }
        subject = subjects[kind] % {"student": context["student_name"], "event": booking.event_type.title,
                                    "date": format_day_time(booking.start, recipient.zone)}
        context["answers"] = [(key, value) for key, value in (booking.answers or {}).items()
                              if not str(key).startswith("_")]
        if context.get("previous_start"):
            context["previous_when"] = format_when(context["previous_start"], context["previous_end"],
                                                   recipient.zone)
    sequence = 0 if kind == Kind.TEACHER_BOOKED else booking.sequence
    log = NotificationLog(tenant=booking.tenant, booking=booking, kind=kind, sequence=sequence)
    return deliver(log=log, recipient=recipient, template=f"booking_{kind}", subject=subject, context=context)


def send_waitlist_offer(entry):
    """The email offering a held seat to the student at the head of a waitlist."""
    session = entry.session
    event_type = session.event_type
    booked_language = (BookingLanguage.objects.filter(booking__attendee=entry.user, booking__tenant=entry.tenant)
                       .order_by("-booking__created_at").values_list("language", flat=True).first())
    recipient = student_recipient(user=entry.user, email=entry.email, tenant=entry.tenant, teacher=session.teacher,
                                  booked_language=booked_language or "")
    with translation.override(recipient.language):
        context = {
            "branding": branding_for_tenant(entry.tenant),
            "tenant": entry.tenant,
            "entry": entry,
            "event_type": event_type,
            "teacher_name": str(session.teacher),
            "when": format_when(session.start, session.end, recipient.zone),
            "zone_name": recipient.zone_name,
            "location": location_of(event_type, meeting_url_for(session)),
            "claim_url": entry.claim_url(),
            "expires": format_day_time(entry.offer_expires_at, recipient.zone),
            "platform_name": settings.PLATFORM_NAME,
        }
        subject = _("A seat is free for you: %(event)s on %(date)s") % {
            "event": event_type.title, "date": format_day_time(session.start, recipient.zone)}
    log = NotificationLog(tenant=entry.tenant, waitlist_entry=entry, kind=Kind.WAITLIST_OFFER, sequence=0)
    return deliver(log=log, recipient=recipient, template="booking_waitlist_offer", subject=subject, context=context)


def send_teacher_session_cancelled(session, *, reason="", attendee_count=0):
    """The teacher's notice that their whole session was cancelled (by someone else)."""
    event_type = session.event_type
    recipient = teacher_recipient(session.tenant, session.teacher)
    with translation.override(recipient.language):
        context = {
            "branding": branding_for_tenant(session.tenant),
            "tenant": session.tenant,
            "session": session,
            "event_type": event_type,
            "teacher_name": str(session.teacher),
            "when": format_when(session.start, session.end, recipient.zone),
            "zone_name": recipient.zone_name,
            "location": location_of(event_type, meeting_url_for(session)),
            "is_online": event_type.location_kind == event_type.LocationKind.ONLINE,
            "reason": reason,
            "attendee_count": attendee_count,
            "platform_name": settings.PLATFORM_NAME,
        }
        subject = _("Session cancelled: %(event)s on %(date)s") % {
            "event": event_type.title, "date": format_day_time(session.start, recipient.zone)}
    log = NotificationLog(tenant=session.tenant, session=session, kind=Kind.TEACHER_SESSION_CANCELLED, sequence=0)
    return deliver(log=log, recipient=recipient, template="booking_teacher_session_cancelled", subject=subject,
                   context=context)


def send_series_session_cancelled(booking, session, *, reason=""):
    """Tell a student booked on a whole series that one of its sessions is cancelled,
    with an ICS that removes that session's event only."""
    recipient = _student(booking)
    with translation.override(recipient.language):
        context = _booking_context(booking, recipient)
        entry = ics.CalendarEntry(
            uid=ics.booking_event_uid(booking.uid, session.pk), sequence=booking.sequence + 1,
            start=session.start, end=session.end, summary=context["entries"][0].summary if context["entries"]
            else booking.event_type.title, cancelled=True,
            organizer=ics.Person(booking.tenant.name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]),
            attendees=[ics.Person(recipient.name, booking.attendee_email)])
        context.update({
            "when": format_when(session.start, session.end, recipient.zone),
            "all_sessions": [],
            "remaining": [format_when(e.start, e.end, recipient.zone) for e in context["entries"]],
            "reason": reason,
            "teacher_name": str(session.teacher),
        })
        subject = _("Session cancelled: %(event)s on %(date)s") % {
            "event": booking.event_type.title, "date": format_day_time(session.start, recipient.zone)}
    log = NotificationLog(tenant=booking.tenant, booking=booking, session=session, kind=Kind.SESSION_CANCELLED,
                          sequence=0)
    return deliver(log=log, recipient=recipient, template="booking_session_cancelled", subject=subject,
                   context=context, attachments=[_ics_attachment([entry])])


# Group bookings: each participant's own emails, and the booker's notice ---------------------------

# NotificationLog kinds of participants' emails. Their `sequence` is the participant's id:
# each participant is confirmed once and told of their end once.
PARTICIPANT_CONFIRMED = Kind.PARTICIPANT_CONFIRMED
PARTICIPANT_ENDED = Kind.PARTICIPANT_ENDED
PARTICIPANT_GAVE_UP = Kind.PARTICIPANT_GAVE_UP
# The whole booking moved or was cancelled, or its 24-hour reminder: once per participant and
# booking sequence.
PARTICIPANT_RESCHEDULED = Kind.PARTICIPANT_RESCHEDULED
PARTICIPANT_CANCELLED = Kind.PARTICIPANT_CANCELLED
PARTICIPANT_REMINDER = Kind.PARTICIPANT_REMINDER


def participant_recipient(participant):
    """A participant: their own name and address, in the booker's language and zone."""
    booker = _student(participant.booking)
    return booker.__class__(email=participant.email, name=participant.name, language=booker.language,
                            zone=booker.zone, user_id=None)


def participant_calendar_entries(participant, *, cancelled=False):
    """The booking's calendar events (same UID as the booking's, so a calendar that has
    them moves or removes them) addressed to the participant, with their own manage link."""
    booking = participant.booking
    booking_url, own_url = booking.manage_url(), participant.manage_url()
    entries = []
    for entry in calendar_entries(booking, recipient_name=participant.name):
        entry.description = entry.description.replace(booking_url, own_url)
        entry.url = entry.url.replace(booking_url, own_url)
        entry.attendees = [ics.Person(participant.name, participant.email)]
        if cancelled:
            entry.cancelled = True
            entry.sequence = booking.sequence + 1
        entries.append(entry)
    return entries


def _participant_context(participant, recipient, *, cancelled=False):
    booking = participant.booking
    context = _booking_context(booking, recipient)
    entries = participant_calendar_entries(participant, cancelled=cancelled)
    context.update({
        "participant": participant,
        "booker_name": booking.attendee.get_full_name() or booking.attendee_email,
        "manage_url": participant.manage_url(),
        "entries": entries,
        "google_calendar_url": ics.google_calendar_url(entries[0]),
    })
    return context


def send_participant_email(participant, kind, *, extra=None, session=None):
    """A participant's own email: PARTICIPANT_CONFIRMED (with the ICS and their manage
    link), PARTICIPANT_ENDED (replaced or removed by the booker; an ICS that removes
    the event), PARTICIPANT_RESCHEDULED (the booking moved: the ICS moves the same
    event) or PARTICIPANT_CANCELLED (the whole booking was cancelled)."""
    booking = participant.booking
    recipient = participant_recipient(participant)
    ended = kind == PARTICIPANT_ENDED
    with translation.override(recipient.language):
        context = {**_participant_context(participant, recipient, cancelled=ended), **(extra or {})}
        if context.get("previous_start"):
            context["previous_when"] = format_when(context["previous_start"], context["previous_end"],
                                                   recipient.zone)
        start = booking.start
        if session is not None:  # one session of a whole-series booking (its reminder)
            start = session.start
            meeting_url = booking.join_url(session)
            context.update({"when": format_when(session.start, session.end, recipient.zone), "all_sessions": [],
                            "meeting_url": meeting_url, "location": location_of(booking.event_type, meeting_url)})
        subjects = {
            PARTICIPANT_REMINDER: _("Reminder: %(event)s on %(date)s"),
            PARTICIPANT_CONFIRMED: _("You are booked: %(event)s on %(date)s"),
            PARTICIPANT_ENDED: _("Your place is cancelled: %(event)s on %(date)s"),
            PARTICIPANT_RESCHEDULED: _("Moved: %(event)s is now on %(date)s"),
            PARTICIPANT_CANCELLED: _("Cancelled: %(event)s on %(date)s"),
        }
        subject = subjects[kind] % {"event": booking.event_type.title,
                                    "date": format_day_time(start, recipient.zone)}
        attachments = [] if kind == PARTICIPANT_REMINDER else [_ics_attachment(context["entries"])]
        left = _left_sessions_entries(booking, context.get("previous_session_ids"), context["entries"])
        if left:
            attachments.append(("cancel.ics", ics.invitation_ics(left),
                                f"text/calendar; charset=utf-8; method={ics.METHOD_CANCEL}"))
    booking_level = kind in (PARTICIPANT_RESCHEDULED, PARTICIPANT_CANCELLED, PARTICIPANT_REMINDER)
    log = NotificationLog(tenant=booking.tenant, booking=booking, session=session, kind=kind,
                          sequence=booking.sequence if booking_level else participant.pk)
    return deliver(log=log, recipient=recipient, template=f"booking_{kind}", subject=subject, context=context,
                   attachments=attachments)


def send_booker_participant_gave_up(participant, *, refund_due=None):
    """Tell the booker that a participant gave up their seat (and what is refunded)."""
    booking = participant.booking
    recipient = _student(booking)
    with translation.override(recipient.language):
        context = {**_booking_context(booking, recipient), "participant": participant, "refund_due": refund_due}
        subject = _("%(name)s gave up their seat: %(event)s on %(date)s") % {
            "name": participant.name or participant.email, "event": booking.event_type.title,
            "date": format_day_time(booking.start, recipient.zone)}
    log = NotificationLog(tenant=booking.tenant, booking=booking, kind=PARTICIPANT_GAVE_UP, sequence=participant.pk)
    return deliver(log=log, recipient=recipient, template=f"booking_{PARTICIPANT_GAVE_UP}", subject=subject,
                   context=context)
