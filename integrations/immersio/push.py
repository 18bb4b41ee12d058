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


class NotYet(Exception):
    """The call cannot be made yet (an update before its enrollment exists)."""


@dataclass
class Outcome:
    status: str
    detail: str = ""


def connected(tenant_id):
    return ImmersioConnection.objects.filter(tenant_id=tenant_id, enabled=True).exists()


def enqueue(tenant_id, kind, object_key, payload=None):
    """Write an outbox row and queue its delivery once the row is committed."""
    from .tasks import deliver_push

    row = PushOutbox.objects.create(
        tenant_id=tenant_id, kind=kind, object_key=object_key, payload=payload or {},
        idempotency_key=f"{kind}:{object_key}:{uuid.uuid4().hex}", next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: deliver_push.delay(row.pk))
    return row


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
    if now - row.created_at > RETRY_FOR:
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

    session = Session.objects.select_related("event_type").get(pk=row.payload["session_id"])
    body = {
        "course_id": session.event_type.immersio_course_id,
        "teacher_id": _immersio_id(row.tenant_id, ImmersioLink.Kind.TEACHER, session.teacher_id) or "",
        "title": session.event_type.title,
        "starts_at": _iso(session.start),
        "ends_at": _iso(session.end),
        "join_url": session.event_type.meeting_url,
        "capacity": session.capacity,
        "seats_taken": session.seats_taken,
        "status": "cancelled" if session.is_cancelled else "scheduled",
    }
    return client.put_live_class(str(session.pk), body, idempotency_key=row.idempotency_key)


def push_enrollment_create(row, client):
    from booking.models import Booking

    booking = Booking.objects.select_related("event_type").get(pk=row.payload["booking_id"])
    body = {
        "external_id": str(booking.uid),
        "course_id": booking.event_type.immersio_course_id,
        "session_starts_at": _iso(booking.start),
        "session_ends_at": _iso(booking.end),
        "status": "confirmed",
        "seats": booking.seats,
    }
    student_id = _immersio_id(row.tenant_id, ImmersioLink.Kind.STUDENT, booking.attendee_id)
    if student_id:
        body["student_id"] = student_id
    else:
        body["student_email"] = booking.attendee_email
    try:
        answer = client.create_enrollment(body, idempotency_key=row.idempotency_key)
        enrollment_id = answer["id"]
    except Conflict as conflict:
        if not conflict.existing_id:
            raise
        enrollment_id, answer = conflict.existing_id, {"id": conflict.existing_id, "existing": True}
    ImmersioLink.objects.update_or_create(
        tenant_id=row.tenant_id, kind=ImmersioLink.Kind.ENROLLMENT, immersio_id=str(enrollment_id),
        defaults={"local_id": booking.pk, "label": str(booking.uid)})
    return answer


def push_enrollment_update(row, client):
    from booking.models import Booking

    booking = Booking.objects.get(pk=row.payload["booking_id"])
    enrollment_id = _immersio_id(row.tenant_id, ImmersioLink.Kind.ENROLLMENT, booking.pk)
    if enrollment_id is None:
        raise NotYet("the enrollment is not created in Immersio yet")
    if row.payload.get("change") == "cancelled":
        body = {"status": "cancelled", "reason": row.payload.get("reason", "")}
    else:
        body = {"session_starts_at": _iso(booking.start), "session_ends_at": _iso(booking.end)}
    return client.update_enrollment(enrollment_id, body, idempotency_key=row.idempotency_key)


BUILDERS = {
    PushOutbox.Kind.LIVE_CLASS: push_live_class,
    PushOutbox.Kind.ENROLLMENT_CREATE: push_enrollment_create,
    PushOutbox.Kind.ENROLLMENT_UPDATE: push_enrollment_update,
}
