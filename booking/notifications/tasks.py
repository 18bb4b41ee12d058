"""Celery tasks that send booking emails.

Each takes ids, reloads the rows and sends only what is still true: a
confirmation only for a confirmed booking, a cancellation only for a cancelled
one, an offer only while it is open. Each may run any number of times: the
NotificationLog row written with the email makes the second run send nothing.
"""

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from site_platform.teacher_models import teacher_wants

from .models import NotificationLog

logger = logging.getLogger(__name__)

Kind = NotificationLog.Kind
REMINDER_LEAD = dt.timedelta(hours=24)
REMINDER_SLACK = dt.timedelta(hours=1)

RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}


def _booking(booking_id):
    from booking.models import Booking

    return (Booking.objects.select_related("tenant", "event_type", "teacher", "attendee", "session")
            .filter(pk=booking_id).first())


def _serving(tenant):
    return tenant.status == tenant.Status.ACTIVE


@shared_task(**RETRY)
def send_booking_confirmed(booking_id):
    """Student's confirmation (with ICS) and the teacher's notice of a new booking; in a
    group booking, each named participant's own confirmation."""
    from .emails import send_booking_email, send_teacher_email

    booking = _booking(booking_id)
    if booking is None or booking.status != booking.Status.CONFIRMED or not _serving(booking.tenant):
        return
    send_booking_email(booking, Kind.CONFIRMED)
    if teacher_wants(booking.tenant_id, booking.teacher_id, "booking"):
        send_teacher_email(booking, Kind.TEACHER_BOOKED)
    if booking.event_type.asks_participants:
        send_participant_confirmations(booking.pk)


@shared_task(**RETRY)
def send_booking_cancelled(booking_id, *, reason="", refund_due=None, notify_teacher=True):
    """Student's cancellation (ICS METHOD:CANCEL); the teacher's notice unless they did it."""
    from .emails import send_booking_email, send_teacher_email

    booking = _booking(booking_id)
    if booking is None or booking.status != booking.Status.CANCELLED:
        return
    extra = {"reason": reason or booking.cancellation_reason, "refund_due": refund_due,
             "cancelled_by_role": booking.cancelled_by_role}
    send_booking_email(booking, Kind.CANCELLED, extra=extra)
    if booking.event_type.asks_participants:
        _tell_participants(booking, "participant_cancelled", extra)
    # The teacher heard of the booking only once it was confirmed.
    if notify_teacher and booking.confirmed_at is not None and teacher_wants(booking.tenant_id, booking.teacher_id,
                                                                            "cancellation"):
        send_teacher_email(booking, Kind.TEACHER_CANCELLED, extra=extra)


@shared_task(**RETRY)
def send_booking_rescheduled(booking_id, *, previous_start=None, previous_end=None, notify_teacher=True,
                             previous_session_ids=None):
    """Student's notice of the new time, with an ICS that moves the same event; the teacher's
    notice unless they moved it. A whole-series booking moved to another run
    (`previous_session_ids`: the old run's sessions) also gets a cancel.ics removing them."""
    from .emails import send_booking_email, send_teacher_email

    booking = _booking(booking_id)
    if booking is None or booking.status != booking.Status.CONFIRMED or not _serving(booking.tenant):
        return
    extra = {}
    if previous_start and previous_end:
        extra = {"previous_start": parse_datetime(previous_start), "previous_end": parse_datetime(previous_end)}
    send_booking_email(booking, Kind.RESCHEDULED,
                       extra={**extra, "previous_session_ids": previous_session_ids or []})
    if booking.event_type.asks_participants:
        _tell_participants(booking, "participant_rescheduled",
                           {**extra, "previous_session_ids": previous_session_ids or []})
    if notify_teacher and teacher_wants(booking.tenant_id, booking.teacher_id, "reschedule"):
        send_teacher_email(booking, Kind.TEACHER_RESCHEDULED, extra=extra)


@shared_task(**RETRY)
def send_session_cancelled(session_id, *, reason="", notify_teacher=True):
    """A session was cancelled: its per-session bookings were cancelled (and their
    students told through booking_cancelled); here, students on the whole series get a
    notice for this one session, and the teacher one notice for the session."""
    from booking.models import Booking, BookingSeat, Session

    from .emails import send_series_session_cancelled, send_teacher_session_cancelled

    session = Session.objects.select_related("tenant", "event_type", "teacher").filter(pk=session_id).first()
    if session is None or session.status != Session.Status.CANCELLED:
        return
    series_booking_ids = (BookingSeat.objects.filter(session=session, booking__series__isnull=False,
                                                     booking__status=Booking.Status.CONFIRMED)
                          .values_list("booking_id", flat=True))
    series_bookings = list(Booking.objects.filter(pk__in=series_booking_ids)
                           .select_related("tenant", "event_type", "teacher", "attendee").order_by("pk"))
    for booking in series_bookings:
        send_series_session_cancelled(booking, session, reason=reason)
    if notify_teacher and teacher_wants(session.tenant_id, session.teacher_id, "cancellation"):
        told = Booking.objects.filter(session=session, series__isnull=True, status=Booking.Status.CANCELLED,
                                      confirmed_at__isnull=False).count()
        send_teacher_session_cancelled(session, reason=reason, attendee_count=told + len(series_bookings))


@shared_task(**RETRY)
def send_booking_reminder(booking_id, session_id=None):
    """The reminder a day before: only for a confirmed booking whose time (or, for a
    whole-series booking, the session `session_id`) has not started."""
    from booking.models import BookingSeat, Session

    from .emails import send_booking_email

    booking = _booking(booking_id)
    if booking is None or booking.status != booking.Status.CONFIRMED or not _serving(booking.tenant):
        return
    session = None
    start = booking.start
    if session_id is not None:
        seat = (BookingSeat.objects.filter(booking=booking, session_id=session_id,
                                           session__status=Session.Status.SCHEDULED)
                .select_related("session").first())
        if seat is None:
            return
        session, start = seat.session, seat.session.start
    now = timezone.now()
    if not now < start <= now + REMINDER_LEAD + REMINDER_SLACK:
        return
    send_booking_email(booking, Kind.REMINDER, session=session)
    if booking.event_type.asks_participants:
        # Each named participant gets their own reminder, once per booking time (and session).
        _tell_participants(booking, Kind.PARTICIPANT_REMINDER, {}, session=session)


@shared_task(**RETRY)
def send_waitlist_offer(entry_id):
    """The offer of a held seat, while the offer is open."""
    from booking.models import WaitlistEntry

    from .emails import send_waitlist_offer as send

    entry = (WaitlistEntry.objects.select_related("tenant", "user", "session__event_type", "session__teacher")
             .filter(pk=entry_id).first())
    if entry is None or entry.status != entry.Status.OFFERED or not _serving(entry.tenant):
        return
    if entry.offer_expires_at is not None and entry.offer_expires_at <= timezone.now():
        return
    send(entry)


@shared_task
def send_due_reminders():
    """Periodic: queue the reminder of every confirmed booking starting in 23 to 25 hours
    (for a whole-series booking: of each of its sessions) that has not had one for its
    current time. Returns how many were queued."""
    from django.db.models import Exists, OuterRef

    from booking.models import Booking, BookingSeat, Session

    now = timezone.now()
    window = {"gt": now + REMINDER_LEAD - REMINDER_SLACK, "lte": now + REMINDER_LEAD + REMINDER_SLACK}
    reminded = NotificationLog.objects.filter(booking=OuterRef("pk"), session__isnull=True, kind=Kind.REMINDER,
                                              sequence=OuterRef("sequence"))
    due = (Booking.objects
           .filter(status=Booking.Status.CONFIRMED, tenant__status="active", series__isnull=True,
                   start__gt=window["gt"], start__lte=window["lte"])
           .exclude(Exists(reminded))
           .values_list("pk", flat=True))
    session_reminded = NotificationLog.objects.filter(
        booking=OuterRef("booking_id"), session=OuterRef("session_id"), kind=Kind.REMINDER,
        sequence=OuterRef("booking__sequence"))
    due_sessions = (BookingSeat.objects
                    .filter(booking__status=Booking.Status.CONFIRMED, booking__tenant__status="active",
                            booking__series__isnull=False, session__status=Session.Status.SCHEDULED,
                            session__start__gt=window["gt"], session__start__lte=window["lte"])
                    .exclude(Exists(session_reminded))
                    .values_list("booking_id", "session_id"))
    count = 0
    for booking_id in due.iterator():
        send_booking_reminder.delay(booking_id)
        count += 1
    for booking_id, session_id in due_sessions.iterator():
        send_booking_reminder.delay(booking_id, session_id)
        count += 1
    return count


def _participant(participant_id):
    from booking.models import BookingParticipant

    return (BookingParticipant.objects
            .select_related("booking__tenant", "booking__event_type", "booking__teacher", "booking__attendee",
                            "booking__session", "tenant")
            .filter(pk=participant_id).first())


@shared_task(**RETRY)
def send_participant_confirmed(participant_id):
    """A participant's own confirmation (ICS, their manage link): only while they hold a
    named seat of a confirmed booking."""
    from .emails import PARTICIPANT_CONFIRMED, send_participant_email

    participant = _participant(participant_id)
    if participant is None or not participant.is_active or not participant.email:
        return
    booking = participant.booking
    if booking.status != booking.Status.CONFIRMED or not _serving(booking.tenant):
        return
    send_participant_email(participant, PARTICIPANT_CONFIRMED)


@shared_task(**RETRY)
def send_participant_confirmations(booking_id):
    """Every named participant of a booking just confirmed gets their own confirmation."""
    from booking.models import BookingParticipant

    ids = BookingParticipant.objects.filter(booking_id=booking_id, status=BookingParticipant.Status.ACTIVE) \
        .exclude(email="").order_by("pk").values_list("pk", flat=True)
    for participant_id in ids:
        send_participant_confirmed(participant_id)


@shared_task(**RETRY)
def send_participant_ended(participant_id):
    """Tell a participant the booker replaced or removed them (not one who gave up
    their own seat: they did it themselves and saw it on the page)."""
    from .emails import PARTICIPANT_ENDED, send_participant_email

    participant = _participant(participant_id)
    if participant is None or not participant.email or participant.status not in (
            participant.Status.REPLACED, participant.Status.REMOVED):
        return
    if participant.booking.confirmed_at is None:
        return  # never told of the booking, so nothing to take back
    send_participant_email(participant, PARTICIPANT_ENDED)


@shared_task(**RETRY)
def send_participant_gave_up(participant_id, *, refund_due=None):
    """Tell the booker that a participant gave up their own seat."""
    from .emails import send_booker_participant_gave_up

    participant = _participant(participant_id)
    if participant is None or participant.status != participant.Status.RELEASED:
        return
    send_booker_participant_gave_up(participant, refund_due=refund_due)


def _tell_participants(booking, kind, extra, *, session=None):
    """Each named participant still holding a seat of `booking` hears that it moved or
    was cancelled, or gets its reminder (once per booking sequence and session)."""
    from booking.models import BookingParticipant

    from .emails import send_participant_email

    for participant in (BookingParticipant.objects.filter(booking=booking, status=BookingParticipant.Status.ACTIVE)
                        .exclude(email="").order_by("pk")):
        participant.booking = booking
        send_participant_email(participant, kind, extra=extra, session=session)
