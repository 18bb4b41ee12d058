"""Booking and session announcements → outbox rows for Immersio.

The signals are sent after the booking transaction has committed; each receiver
writes its outbox rows in one transaction of its own, and their delivery is queued
after that commits (see push.py). Only tenants with an enabled connection and
event types mapped to a course push anything.

Enrollments: one per active named participant of a group booking (external id =
the participant's uid), or, for a booking without participants, one for its
attendee (external id = the booking's uid). Payments and refunds (the payments
app's signals) are posted against the booking's enrollment.
"""

from django.db import transaction
from django.dispatch import receiver

from booking import signals
from booking.models import Booking, BookingParticipant, BookingSeat, Session
from integrations.payments import signals as payment_signals

from ..models import PushOutbox
from . import push


def _mapped_sessions(tenant_id, session_ids):
    return list(Session.objects.filter(tenant_id=tenant_id, pk__in=session_ids).exclude(
        event_type__immersio_course_id="").values_list("pk", flat=True))


def _push_sessions(tenant_id, session_ids):
    for session_id in _mapped_sessions(tenant_id, session_ids):
        push.enqueue(tenant_id, PushOutbox.Kind.LIVE_CLASS, f"session:{session_id}", {"session_id": session_id})


def _booking_sessions(booking):
    ids = set(BookingSeat.objects.filter(booking_id=booking.pk).values_list("session_id", flat=True))
    if booking.session_id:
        ids.add(booking.session_id)
    return ids


@receiver(signals.sessions_created, dispatch_uid="immersio_sessions_created")
@receiver(signals.sessions_changed, dispatch_uid="immersio_sessions_changed")
def sessions_saved(sender, tenant, session_ids, **kwargs):
    if push.connected(tenant.pk):
        with transaction.atomic():
            _push_sessions(tenant.pk, session_ids)


@receiver(signals.session_cancelled, dispatch_uid="immersio_session_cancelled")
def session_cancelled(sender, tenant, session, **kwargs):
    if push.connected(tenant.pk):
        with transaction.atomic():
            _push_sessions(tenant.pk, [session.pk])


def _load(booking_id, tenant_id):
    if not push.connected(tenant_id):
        return None
    return Booking.objects.select_related("event_type").filter(pk=booking_id, tenant_id=tenant_id).first()


@receiver(signals.booking_created, dispatch_uid="immersio_booking_created")
def booking_created(sender, booking_id, tenant_id, **kwargs):
    booking = _load(booking_id, tenant_id)
    if booking is not None and booking.event_type.immersio_course_id:
        with transaction.atomic():
            _push_sessions(tenant_id, _booking_sessions(booking))


def _participants(booking):
    """(has participants, the active named ones) of a booking."""
    rows = list(BookingParticipant.objects.filter(booking_id=booking.pk).only("pk", "email", "status", "uid"))
    return bool(rows), [p for p in rows if p.status == BookingParticipant.Status.ACTIVE and p.email]


def _enroll(booking, participant=None):
    if participant is None:
        return push.enqueue(booking.tenant_id, PushOutbox.Kind.ENROLLMENT_CREATE, f"booking:{booking.uid}",
                            {"booking_id": booking.pk}, once_key=f"enrollment:{booking.uid}")
    return push.enqueue(booking.tenant_id, PushOutbox.Kind.ENROLLMENT_CREATE, f"participant:{participant.uid}",
                        {"booking_id": booking.pk, "participant_id": participant.pk},
                        once_key=f"enrollment:{participant.uid}")


def _enrolled(booking):
    """The enrollments pushed for a booking and not cancelled or withdrawn since: None
    for the booking's own, else participant ids."""
    created = PushOutbox.objects.filter(tenant_id=booking.tenant_id, kind=PushOutbox.Kind.ENROLLMENT_CREATE,
                                        payload__booking_id=booking.pk).values_list("payload", flat=True)
    ended = {(payload or {}).get("participant_id") for payload in PushOutbox.objects.filter(
        tenant_id=booking.tenant_id, kind=PushOutbox.Kind.ENROLLMENT_UPDATE, payload__booking_id=booking.pk,
        payload__change__in=("withdrawn", "cancelled")).values_list("payload", flat=True)}
    return [payload.get("participant_id") for payload in created if payload.get("participant_id") not in ended]


def _change(booking, participant_id, change, reason="", *, once_key=None):
    payload = {"booking_id": booking.pk, "change": change, "reason": reason or ""}
    key = f"booking:{booking.uid}"
    if participant_id is not None:
        payload["participant_id"] = participant_id
        key = f"participant:{participant_id}"
    push.enqueue(booking.tenant_id, PushOutbox.Kind.ENROLLMENT_UPDATE, key, payload, once_key=once_key)


@receiver(signals.booking_confirmed, dispatch_uid="immersio_booking_confirmed")
def booking_confirmed(sender, booking_id, tenant_id, **kwargs):
    """One enrollment per active named participant; a booking without participants:
    one for its attendee."""
    booking = _load(booking_id, tenant_id)
    if booking is None or not booking.event_type.immersio_course_id:
        return
    has_participants, active = _participants(booking)
    with transaction.atomic():
        if not has_participants:
            _enroll(booking)
        for participant in active:
            _enroll(booking, participant)


@receiver(signals.booking_cancelled, dispatch_uid="immersio_booking_cancelled")
def booking_cancelled(sender, booking_id, tenant_id, reason="", **kwargs):
    booking = _load(booking_id, tenant_id)
    if booking is None or not booking.event_type.immersio_course_id:
        return
    with transaction.atomic():
        if booking.confirmed_at is not None:
            for participant_id in _enrolled(booking):
                _change(booking, participant_id, "cancelled", reason)
        _push_sessions(tenant_id, _booking_sessions(booking))


@receiver(signals.booking_rescheduled, dispatch_uid="immersio_booking_rescheduled")
def booking_rescheduled(sender, booking_id, tenant_id, previous_session_id=None, previous_session_ids=(),
                        **kwargs):
    """Each enrollment moves; every session whose seats changed is pushed again: the new
    ones and the old (a whole-series booking moved to another run: every session of the
    old run it left, `previous_session_ids`)."""
    booking = _load(booking_id, tenant_id)
    if booking is None or not booking.event_type.immersio_course_id:
        return
    with transaction.atomic():
        if booking.confirmed_at is not None:
            for participant_id in _enrolled(booking):
                _change(booking, participant_id, "rescheduled")
        sessions = _booking_sessions(booking)
        sessions.update(session_id for session_id in [previous_session_id, *(previous_session_ids or ())]
                        if session_id)
        _push_sessions(tenant_id, sessions)


@receiver(signals.participants_changed, dispatch_uid="immersio_participants_changed")
def participants_changed(sender, booking_id, tenant_id, added=(), removed=(), **kwargs):
    """A confirmed group booking's people changed: enroll who now holds a seat (once
    named), withdraw who no longer does."""
    booking = _load(booking_id, tenant_id)
    if booking is None or not booking.event_type.immersio_course_id or booking.confirmed_at is None:
        return
    enrolled = set(_enrolled(booking))
    with transaction.atomic():
        for participant in BookingParticipant.objects.filter(booking_id=booking.pk, pk__in=list(added or ())):
            if participant.status == BookingParticipant.Status.ACTIVE and participant.email:
                _enroll(booking, participant)
        for participant_id in removed or ():
            if participant_id in enrolled:
                _change(booking, participant_id, "withdrawn", kwargs.get("action", ""),
                        once_key=f"withdrawal:{booking.uid}:{participant_id}")
        _push_sessions(tenant_id, _booking_sessions(booking))


def _mapped_payment(payment_id, tenant_id):
    from integrations.payments.models import Payment

    if not push.connected(tenant_id):
        return None
    payment = Payment.objects.select_related("booking__event_type").filter(pk=payment_id, tenant_id=tenant_id).first()
    if payment is None or not payment.booking.event_type.immersio_course_id:
        return None
    return payment


@receiver(payment_signals.payment_succeeded, dispatch_uid="immersio_payment_succeeded")
def payment_succeeded(sender, payment_id, tenant_id, **kwargs):
    """A booking of a mapped course was paid: post the payment once its enrollment
    exists (a payment whose booking is never confirmed is not posted, see push.py)."""
    payment = _mapped_payment(payment_id, tenant_id)
    if payment is None:
        return
    push.enqueue(tenant_id, PushOutbox.Kind.PAYMENT, f"payment:{payment.pk}",
                 {"booking_id": payment.booking_id, "payment_id": payment.pk}, once_key=f"payment:{payment.pk}")


@receiver(payment_signals.payment_refunded, dispatch_uid="immersio_payment_refunded")
def payment_refunded(sender, payment_id, tenant_id, refund_id=None, **kwargs):
    """A refund of a payment Immersio knows of: post it (refunded or partly refunded)."""
    from integrations.payments.models import Refund

    payment = _mapped_payment(payment_id, tenant_id)
    if payment is None or refund_id is None:
        return
    if not PushOutbox.objects.filter(idempotency_key=f"payment:{payment.pk}").exists():
        return
    if Refund.objects.filter(pk=refund_id, purpose=Refund.Purpose.DUPLICATE).exists():
        return  # the second charge was never a payment of the booking
    push.enqueue(tenant_id, PushOutbox.Kind.PAYMENT, f"refund:{refund_id}",
                 {"booking_id": payment.booking_id, "payment_id": payment.pk, "refund_id": refund_id},
                 once_key=f"payment:{payment.pk}:refund:{refund_id}")
