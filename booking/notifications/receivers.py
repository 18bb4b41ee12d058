"""Signal receivers: queue an email task for each booking event.

The booking signals are sent after commit; `delay_on_commit` still waits for
any transaction the sender happens to be in. Queueing must never break the
booking that was just made, so a failure to queue is logged, not raised.
"""

import logging

from django.dispatch import receiver
from django.utils import translation

from booking import signals

from . import tasks
from .models import BookingLanguage
from .recipients import language_code

logger = logging.getLogger(__name__)


def _teacher_id(booking_id):
    from booking.models import Booking

    return Booking.objects.filter(pk=booking_id).values_list("teacher_id", flat=True).first()


def _queue(task, *args, **kwargs):
    try:
        task.delay_on_commit(*args, **kwargs)
    except Exception:
        logger.exception("could not queue %s%r", task.name, args)


@receiver(signals.booking_created, dispatch_uid="notifications.booking_language")
def remember_booking_language(sender, booking_id, actor_id=None, **kwargs):
    # Sent on commit inside the request that booked, so the active language is the
    # student's own when they booked themselves (not an admin's, an API client's or Immersio's).
    from booking.models import Booking

    language = language_code(translation.get_language())
    booked_by_student = Booking.objects.filter(
        pk=booking_id, source__in=[Booking.Source.DIRECT, Booking.Source.WAITLIST],
    ).values_list("attendee_id", flat=True).first()
    if language and booked_by_student is not None and actor_id in (None, booked_by_student):
        # One INSERT that keeps a language already stored (get_or_create: a read and a
        # transaction of its own around the insert).
        BookingLanguage.objects.bulk_create([BookingLanguage(booking_id=booking_id, language=language)],
                                            ignore_conflicts=True)


@receiver(signals.booking_confirmed, dispatch_uid="notifications.booking_confirmed")
def on_booking_confirmed(sender, booking_id, **kwargs):
    # Sent for a free booking as it is created and for a paid one when its payment
    # arrives; a pending booking gets no email.
    _queue(tasks.send_booking_confirmed, booking_id)


@receiver(signals.booking_cancelled, dispatch_uid="notifications.booking_cancelled")
def on_booking_cancelled(sender, booking_id, actor_id=None, by_role="", reason="", refund_due=None,
                         session_cancelled=False, **kwargs):
    _queue(tasks.send_booking_cancelled, booking_id, reason=reason or "",
           refund_due=str(refund_due) if refund_due is not None else None,
           notify_teacher=not session_cancelled and (actor_id is None or actor_id != _teacher_id(booking_id)))


@receiver(signals.booking_rescheduled, dispatch_uid="notifications.booking_rescheduled")
def on_booking_rescheduled(sender, booking_id, actor_id=None, previous_start=None, previous_end=None,
                           previous_session_ids=None, **kwargs):
    extra = {"previous_session_ids": list(previous_session_ids)} if previous_session_ids else {}
    _queue(tasks.send_booking_rescheduled, booking_id,
           previous_start=previous_start.isoformat() if previous_start else None,
           previous_end=previous_end.isoformat() if previous_end else None,
           notify_teacher=actor_id is None or actor_id != _teacher_id(booking_id), **extra)


@receiver(signals.session_cancelled, dispatch_uid="notifications.session_cancelled")
def on_session_cancelled(sender, session, actor=None, reason="", **kwargs):
    # Students of per-session bookings hear through booking_cancelled; students of the whole
    # series and the teacher (unless they cancelled it themselves) get one notice each.
    _queue(tasks.send_session_cancelled, session.pk, reason=reason or "",
           notify_teacher=actor is None or actor.pk != session.teacher_id)


@receiver(signals.waitlist_offered, dispatch_uid="notifications.waitlist_offered")
def on_waitlist_offered(sender, entry_id, **kwargs):
    _queue(tasks.send_waitlist_offer, entry_id)


@receiver(signals.participants_changed, dispatch_uid="notifications.participants_changed")
def on_participants_changed(sender, booking_id, action, added=(), removed=(), refund_due=None, **kwargs):
    # New or newly named participants of a confirmed booking get their confirmation (the
    # task checks); those the booker replaced or removed are told; the booker hears when
    # a participant gives up their own seat.
    for participant_id in added:
        _queue(tasks.send_participant_confirmed, participant_id)
    for participant_id in removed:
        if action == "released":
            _queue(tasks.send_participant_gave_up, participant_id,
                   refund_due=str(refund_due) if refund_due else None)
        else:
            _queue(tasks.send_participant_ended, participant_id)
