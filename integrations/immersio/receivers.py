"""Booking and session announcements → outbox rows for Immersio.

The signals are sent after the booking transaction has committed; each receiver
writes its outbox rows in one transaction of its own, and their delivery is queued
after that commits (see push.py). Only tenants with an enabled connection and
event types mapped to a course push anything.
"""

from django.db import transaction
from django.dispatch import receiver

from booking import signals
from booking.models import Booking, BookingSeat, Session

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


@receiver(signals.booking_confirmed, dispatch_uid="immersio_booking_confirmed")
def booking_confirmed(sender, booking_id, tenant_id, **kwargs):
    booking = _load(booking_id, tenant_id)
    if booking is not None and booking.event_type.immersio_course_id:
        push.enqueue(tenant_id, PushOutbox.Kind.ENROLLMENT_CREATE, f"booking:{booking.uid}",
                     {"booking_id": booking.pk})


@receiver(signals.booking_cancelled, dispatch_uid="immersio_booking_cancelled")
def booking_cancelled(sender, booking_id, tenant_id, reason="", **kwargs):
    booking = _load(booking_id, tenant_id)
    if booking is None or not booking.event_type.immersio_course_id:
        return
    with transaction.atomic():
        if booking.confirmed_at is not None:
            push.enqueue(tenant_id, PushOutbox.Kind.ENROLLMENT_UPDATE, f"booking:{booking.uid}",
                         {"booking_id": booking.pk, "change": "cancelled", "reason": reason or ""})
        _push_sessions(tenant_id, _booking_sessions(booking))


@receiver(signals.booking_rescheduled, dispatch_uid="immersio_booking_rescheduled")
def booking_rescheduled(sender, booking_id, tenant_id, previous_session_id=None, **kwargs):
    booking = _load(booking_id, tenant_id)
    if booking is None or not booking.event_type.immersio_course_id:
        return
    with transaction.atomic():
        if booking.confirmed_at is not None:
            push.enqueue(tenant_id, PushOutbox.Kind.ENROLLMENT_UPDATE, f"booking:{booking.uid}",
                         {"booking_id": booking.pk, "change": "rescheduled"})
        sessions = _booking_sessions(booking)
        if previous_session_id:
            sessions.add(previous_session_id)
        _push_sessions(tenant_id, sessions)
