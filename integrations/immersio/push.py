"""Pushes to Immersio through a database outbox.

Booking and session changes are announced after their transaction commits
(`booking.signals`); the receivers (`receivers.py`) write one `PushOutbox` row per
call to make, then queue its delivery after that write commits. A row stays
pending until Immersio has accepted the call:

- `claim` takes a row for a lease (an update from pending-and-due), so two workers
  never send one row at once, and a row whose worker died becomes due again when
  its lease runs out; `sweep` (every minute) queues every due row again.
- The body is built at delivery from the current state of the booking or session,
  so a late delivery sends what is true now. Every row has its own Idempotency-Key,
  sent on every attempt: a resend after a crash creates nothing twice.
- Failures that retrying can fix (429, 5xx, no answer, a bad key an admin may fix,
  an enrollment not created yet) are retried with exponential backoff and jitter for
  48 hours; a refusal of the body (400, 404, 422) fails the row at once. Both are
  visible in the admin with the last error.
"""

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import ImmersioConnection, ImmersioLink, PushOutbox
from .client import AuthError, Conflict, ImmersioError, OrgForbidden

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
RETRY_FOR = timedelta(hours=48)
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 60 * 60
SWEEP_BATCH = 500


WAITING = "waiting for"


class NotYet(Exception):
    """The call cannot be made yet (an update before its enrollment exists)."""


class NotNeeded(Exception):
    """The call will never be needed (a payment of a booking that was never confirmed)."""


@dataclass
class Outcome:
    status: str
    detail: str = ""


def connected(tenant_id):
    return ImmersioConnection.objects.filter(tenant_id=tenant_id, enabled=True).exists()


def enqueue(tenant_id, kind, object_key, payload=None, *, once_key=None):
    """Write an outbox row and queue its delivery once the row is committed.

    `once_key` names a change that must be pushed at most once (a payment, a
    participant's enrollment): it becomes the row's idempotency key, and a second
    call with it returns the existing row and queues nothing."""
    from .tasks import deliver_push

    if once_key is not None:
        with transaction.atomic():
            row, created = PushOutbox.objects.get_or_create(
                idempotency_key=once_key[:255],
                defaults={"tenant_id": tenant_id, "kind": kind, "object_key": object_key[:100],
                          "payload": payload or {}, "next_attempt_at": timezone.now()})
        if not created:
            return row
    else:
        row = PushOutbox.objects.create(
            tenant_id=tenant_id, kind=kind, object_key=object_key[:100], payload=payload or {},
            idempotency_key=f"{kind}:{object_key}:{uuid.uuid4().hex}", next_attempt_at=timezone.now(),
        )
    transaction.on_commit(lambda: deliver_push.delay(row.pk))
    return row


def retry_now(queryset, *, now=None):
    """An admin's "retry now": the failed and pending rows of `queryset` become due at
    once, with a new 48-hour window. A row that a worker holds at this moment may be
    sent twice, under its one idempotency key: Immersio creates nothing twice.
    Returns the ids queued."""
    from .tasks import deliver_push

    now = now or timezone.now()
    ids = list(queryset.filter(status__in=(PushOutbox.Status.PENDING, PushOutbox.Status.FAILED))
               .values_list("pk", flat=True))
    PushOutbox.objects.filter(pk__in=ids).update(status=PushOutbox.Status.PENDING, next_attempt_at=now,
                                                 give_up_at=now + RETRY_FOR)
    for outbox_id in ids:
        transaction.on_commit(lambda outbox_id=outbox_id: deliver_push.delay(outbox_id))
    return ids


def backoff(attempts):
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=ceiling / 2 + random.random() * ceiling / 2)


def claim(outbox_id, *, now=None):
    """Take a due pending row for a lease. Returns the row, or None when it is not due
    (sent, failed, or held by another worker)."""
    now = now or timezone.now()
    taken = PushOutbox.objects.filter(pk=outbox_id, status=PushOutbox.Status.PENDING, next_attempt_at__lte=now).update(
        attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    return PushOutbox.objects.select_related("tenant").get(pk=outbox_id) if taken else None


def send(row, client):
    """Make the call a row stands for. Returns Immersio's answer."""
    builder = BUILDERS[row.kind]
    return builder(row, client)


def mark_sent(row, answer, *, now=None):
    PushOutbox.objects.filter(pk=row.pk, status=PushOutbox.Status.PENDING).update(
        status=PushOutbox.Status.SENT, sent_at=now or timezone.now(), response=answer or {}, last_error="")


def deliver(outbox_id, *, client=None, now=None):
    """Claim, send and mark one row. Safe to run any number of times."""
    from .sync import make_client

    now = now or timezone.now()
    row = claim(outbox_id, now=now)
    if row is None:
        return Outcome("not_due")
    connection = ImmersioConnection.objects.filter(tenant_id=row.tenant_id).first()
    if connection is None or not connection.enabled:
        return _retry_later(row, now, "no enabled Immersio connection")
    own_client = client is None
    client = client or make_client(connection)
    try:
        answer = send(row, client)
    except (NotYet, AuthError, OrgForbidden) as reason:
        return _retry_later(row, now, str(reason))
    except NotNeeded as reason:
        PushOutbox.objects.filter(pk=row.pk, status=PushOutbox.Status.PENDING).update(
            status=PushOutbox.Status.SKIPPED, last_error=str(reason)[:2000])
        return Outcome("skipped", str(reason))
    except ImmersioError as error:
        if error.retryable:
            return _retry_later(row, now, str(error))
        PushOutbox.objects.filter(pk=row.pk).update(status=PushOutbox.Status.FAILED, last_error=str(error)[:2000])
        logger.warning("Immersio refused push %s: %s", row.pk, error)
        return Outcome("failed", str(error))
    finally:
        if own_client:
            client.close()
    mark_sent(row, answer, now=now)
    return Outcome("sent")


def _retry_later(row, now, reason):
    if now > (row.give_up_at or row.created_at + RETRY_FOR):
        PushOutbox.objects.filter(pk=row.pk).update(status=PushOutbox.Status.FAILED,
                                                    last_error=f"gave up after {row.attempts} attempts: {reason}"[:2000])
        return Outcome("failed", reason)
    PushOutbox.objects.filter(pk=row.pk, status=PushOutbox.Status.PENDING).update(
        next_attempt_at=now + backoff(row.attempts), last_error=reason[:2000])
    return Outcome("retry", reason)


def sweep(*, now=None):
    """Queue every due pending row: retries whose time came and rows whose worker died."""
    from .tasks import deliver_push

    now = now or timezone.now()
    due = list(PushOutbox.objects.filter(status=PushOutbox.Status.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:SWEEP_BATCH])
    for outbox_id in due:
        deliver_push.delay(outbox_id)
    return len(due)


# Bodies, built from the current state -----------------------------------------------------------

def _iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def _immersio_id(tenant_id, kind, local_id):
    return ImmersioLink.objects.filter(tenant_id=tenant_id, kind=kind, local_id=local_id).values_list(
        "immersio_id", flat=True).first()


def push_live_class(row, client):
    from booking.models import Session
    from booking.services.teachers import meeting_url_for

    session = Session.objects.select_related("event_type").get(pk=row.payload["session_id"])
    body = {
        "course_id": session.event_type.immersio_course_id,
        "teacher_id": _immersio_id(row.tenant_id, ImmersioLink.Kind.TEACHER, session.teacher_id) or "",
        "title": session.event_type.title,
        "starts_at": _iso(session.start),
        "ends_at": _iso(session.end),
        "join_url": meeting_url_for(session),
        "capacity": session.capacity,
        "seats_taken": session.seats_taken,
        "status": "cancelled" if session.is_cancelled else "scheduled",
    }
    return client.put_live_class(str(session.pk), body, idempotency_key=row.idempotency_key)


def _participant(row):
    from booking.models import BookingParticipant

    participant_id = row.payload.get("participant_id")
    return BookingParticipant.objects.get(pk=participant_id) if participant_id else None


def _enrollment_link_kind(participant):
    return ImmersioLink.Kind.PARTICIPANT if participant is not None else ImmersioLink.Kind.ENROLLMENT


def push_enrollment_create(row, client):
    """One enrollment: a participant's (external id = the participant's uid), or, for a
    booking without participants, the attendee's (external id = the booking's uid)."""
    from booking.models import Booking

    booking = Booking.objects.select_related("event_type").get(pk=row.payload["booking_id"])
    participant = _participant(row)
    body = {
        "external_id": str(participant.uid if participant is not None else booking.uid),
        "course_id": booking.event_type.immersio_course_id,
        "session_starts_at": _iso(booking.start),
        "session_ends_at": _iso(booking.end),
        "status": "confirmed",
        "seats": 1 if participant is not None else booking.seats,
    }
    if participant is not None:
        student_id = _student_id_by_email(row.tenant_id, participant.email)
        email = participant.email
    else:
        student_id = _immersio_id(row.tenant_id, ImmersioLink.Kind.STUDENT, booking.attendee_id)
        email = booking.attendee_email
    if student_id:
        body["student_id"] = student_id
    else:
        body["student_email"] = email
    try:
        answer = client.create_enrollment(body, idempotency_key=row.idempotency_key)
        enrollment_id = answer["id"]
    except Conflict as conflict:
        if not conflict.existing_id:
            raise
        enrollment_id, answer = conflict.existing_id, {"id": conflict.existing_id, "existing": True}
    local = participant if participant is not None else booking
    ImmersioLink.objects.update_or_create(
        tenant_id=row.tenant_id, kind=_enrollment_link_kind(participant), immersio_id=str(enrollment_id),
        defaults={"local_id": local.pk, "label": body["external_id"]})
    _wake_waiting_rows(row)
    return answer


def _student_id_by_email(tenant_id, email):
    from django.contrib.auth import get_user_model

    user_id = get_user_model().objects.filter(email__iexact=email).values_list("pk", flat=True).first()
    return _immersio_id(tenant_id, ImmersioLink.Kind.STUDENT, user_id) if user_id else None


def _wake_waiting_rows(row):
    """An enrollment now exists: the changes and payments of its booking that were
    waiting for it become due now rather than after their backoff."""
    from .tasks import deliver_push

    waiting = list(PushOutbox.objects.filter(
        tenant_id=row.tenant_id, status=PushOutbox.Status.PENDING, last_error__startswith=WAITING,
        kind__in=(PushOutbox.Kind.ENROLLMENT_UPDATE, PushOutbox.Kind.PAYMENT),
        payload__booking_id=row.payload["booking_id"]).values_list("pk", flat=True))
    if waiting:
        PushOutbox.objects.filter(pk__in=waiting, last_error__startswith=WAITING).update(
            next_attempt_at=timezone.now())
        for outbox_id in waiting:
            transaction.on_commit(lambda outbox_id=outbox_id: deliver_push.delay(outbox_id))


def push_enrollment_update(row, client):
    """Cancel, withdraw or move one enrollment (a participant's, or the booking's)."""
    from booking.models import Booking

    booking = Booking.objects.get(pk=row.payload["booking_id"])
    participant = _participant(row)
    local = participant if participant is not None else booking
    enrollment_id = _immersio_id(row.tenant_id, _enrollment_link_kind(participant), local.pk)
    if enrollment_id is None:
        raise NotYet(f"{WAITING} the enrollment to be created in Immersio")
    if row.payload.get("change") in ("cancelled", "withdrawn"):
        body = {"status": "cancelled", "reason": row.payload.get("reason", "")}
    else:
        body = {"session_starts_at": _iso(booking.start), "session_ends_at": _iso(booking.end)}
    return client.update_enrollment(enrollment_id, body, idempotency_key=row.idempotency_key)


def booking_enrollment_id(tenant_id, booking):
    """The Immersio enrollment a booking's payment belongs to: the booking's own, else
    its first participant's (extra seats: those of the booking they were added to)."""
    from booking.models import BookingParticipant

    for candidate in (booking, booking.group_parent) if booking.group_parent_id else (booking,):
        enrollment_id = _immersio_id(tenant_id, ImmersioLink.Kind.ENROLLMENT, candidate.pk)
        if enrollment_id:
            return enrollment_id
        participant_ids = list(BookingParticipant.objects.filter(booking_id=candidate.pk).order_by(
            "created_at", "pk").values_list("pk", flat=True))
        if participant_ids:
            links = dict(ImmersioLink.objects.filter(
                tenant_id=tenant_id, kind=ImmersioLink.Kind.PARTICIPANT, local_id__in=participant_ids,
            ).values_list("local_id", "immersio_id"))
            for participant_id in participant_ids:
                if participant_id in links:
                    return links[participant_id]
    return None


def _money(amount):
    return f"{amount:.2f}"


def push_payment(row, client):
    """A payment (`event` succeeded) or one refund of it (`event` refunded), posted once
    each: external ids `payment-<id>` and `payment-<id>-refund-<refund id>`."""
    from integrations.payments.models import Payment, Refund

    payment = Payment.objects.select_related("booking__group_parent").get(pk=row.payload["payment_id"])
    enrollment_id = booking_enrollment_id(row.tenant_id, payment.booking)
    if enrollment_id is None and payment.booking.confirmed_at is None \
            and payment.booking.status != payment.booking.Status.PENDING_PAYMENT:
        raise NotNeeded("the booking was never confirmed (its seat was gone): the payment is refunded")
    if enrollment_id is None:
        raise NotYet(f"{WAITING} the booking's enrollment to be created in Immersio")
    body = {
        "external_id": f"payment-{payment.pk}", "enrollment_id": enrollment_id, "amount": _money(payment.amount),
        "currency": payment.currency.upper(), "status": "succeeded", "refunded_amount": _money(0),
        "provider": "stripe", "provider_reference": payment.payment_intent_id,
    }
    refund_id = row.payload.get("refund_id")
    if refund_id:
        refund = Refund.objects.get(pk=refund_id, payment=payment)
        refunded = sum((r.amount for r in Refund.objects.filter(
            payment=payment, pk__lte=refund.pk, status=Refund.Status.SUCCEEDED,
        ).exclude(purpose=Refund.Purpose.DUPLICATE)), start=payment.amount * 0)
        body.update(
            external_id=f"payment-{payment.pk}-refund-{refund.pk}",
            status="refunded" if refunded >= payment.amount else "partially_refunded",
            refunded_amount=_money(refunded), provider_reference=refund.stripe_refund_id)
    try:
        return client.create_payment(body, idempotency_key=row.idempotency_key)
    except Conflict as conflict:
        if not conflict.existing_id:
            raise
        return {"id": conflict.existing_id, "external_id": body["external_id"], "existing": True}


BUILDERS = {
    PushOutbox.Kind.LIVE_CLASS: push_live_class,
    PushOutbox.Kind.ENROLLMENT_CREATE: push_enrollment_create,
    PushOutbox.Kind.ENROLLMENT_UPDATE: push_enrollment_update,
    PushOutbox.Kind.PAYMENT: push_payment,
}
