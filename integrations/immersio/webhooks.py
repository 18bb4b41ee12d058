"""Webhooks from Immersio: POST /integrations/immersio/webhook/ on the tenant's host.

The signature comes first (HMAC-SHA256 of "<t>.<raw body>" with the tenant's
webhook secret, `t` within 300 seconds of our clock), then the event id is stored
under a unique constraint so each event is acted on once, and the work runs in a
task after commit: the answer is quick. Unknown types are stored and answered 200.
"""

import hashlib
import hmac
import json
import time

from django.db import IntegrityError, transaction
from django.http import HttpResponseBadRequest, HttpResponseNotFound, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..models import ImmersioConnection, ImmersioCourseStudent, ImmersioLink, ImmersioWebhookEvent

SIGNATURE_HEADER = "X-Immersio-Signature"
TOLERANCE_SECONDS = 300
HANDLED_TYPES = ("course.updated", "course.archived", "student.enrolled", "student.withdrawn", "teacher.updated")


class SignatureRefused(Exception):
    pass


def signature_header(secret, body, timestamp=None):
    """The header Immersio sends for `body` (bytes) at `timestamp` (unix seconds)."""
    timestamp = int(time.time() if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret, body, header, *, now=None):
    """Raise SignatureRefused unless `header` signs `body` with `secret` within the window."""
    if not secret:
        raise SignatureRefused("no webhook secret configured")
    parts = {}
    for item in (header or "").split(","):
        key, _sep, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise SignatureRefused("signature header without a time") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise SignatureRefused("signature time outside the 300 s window")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", [])):
        raise SignatureRefused("bad signature")


@csrf_exempt
@require_POST
def webhook(request):
    tenant = getattr(request, "tenant", None)
    connection = ImmersioConnection.objects.filter(tenant=tenant, enabled=True).first() if tenant else None
    if connection is None:
        return HttpResponseNotFound("no Immersio connection here")
    body = request.body
    try:
        verify_signature(connection.webhook_secret, body, request.headers.get(SIGNATURE_HEADER))
    except SignatureRefused as refusal:
        return HttpResponseBadRequest(str(refusal))
    try:
        event = json.loads(body)
    except ValueError:
        return HttpResponseBadRequest("body is not JSON")
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not event["id"] \
            or not isinstance(event.get("type"), str):
        return HttpResponseBadRequest("an event needs an id and a type")
    handled = event["type"] in HANDLED_TYPES
    try:
        with transaction.atomic():
            stored = ImmersioWebhookEvent.objects.create(
                tenant=tenant, event_id=event["id"][:100], type=event["type"][:60], payload=event,
                processed_at=None if handled else timezone.now(), outcome="" if handled else "ignored: unknown type",
            )
            if handled:
                from .tasks import process_webhook_event

                process_webhook_event.delay_on_commit(stored.pk)
    except IntegrityError:
        return JsonResponse({"received": True, "duplicate": True})
    return JsonResponse({"received": True, "ignored": not handled})


def process_event(event_id, *, client=None):
    """Act on a stored event once: fetch Immersio's current state and write it.

    Safe to run twice: a processed event is left alone. An Immersio failure is raised
    (the task retries); the event stays unprocessed until it succeeds."""
    from booking.models import EventType

    from .sync import Syncer, make_client

    event = ImmersioWebhookEvent.objects.select_related("tenant").get(pk=event_id)
    if event.processed_at is not None:
        return event.outcome
    connection = ImmersioConnection.objects.filter(tenant=event.tenant, enabled=True).first()
    if connection is None:
        outcome = "ignored: no enabled connection"
    else:
        own_client = client is None
        client = client or make_client(connection)
        try:
            outcome = _act(event, Syncer(event.tenant, client), client, EventType)
        finally:
            if own_client:
                client.close()
    ImmersioWebhookEvent.objects.filter(pk=event.pk, processed_at__isnull=True).update(
        processed_at=timezone.now(), outcome=outcome[:200])
    return outcome


def event_time(event):
    """When the change an event reports happened: the record's `updated_at` in the
    event's data when it carries one, else the event's `created_at`."""
    from .sync import changed_at

    data = event.payload.get("data") or {}
    record = data.get("course") or data.get("teacher") or data
    stamp = record.get("updated_at") if isinstance(record, dict) else None
    return changed_at(stamp) or changed_at(event.payload.get("created_at"))


def _record_id(data, kind):
    nested = data.get(kind)
    if isinstance(nested, dict) and nested.get("id"):
        return str(nested["id"])
    return str(data.get(f"{kind}_id") or data.get("id") or "")


def _stored_time(event, kind, immersio_id):
    return ImmersioLink.objects.filter(tenant=event.tenant, kind=kind, immersio_id=immersio_id).values_list(
        "source_updated_at", flat=True).first()


def _act(event, syncer, client, EventType):
    """Webhooks may arrive out of order (Immersio retries for days): an event older
    than the data already written for its record is recorded and changes nothing."""
    from .sync import is_older

    data = event.payload.get("data") or {}
    happened = event_time(event)
    if event.type in ("course.updated", "course.archived"):
        course_id = _record_id(data, "course")
        if course_id and is_older(happened, _stored_time(event, ImmersioLink.Kind.COURSE, course_id)):
            return f"ignored: older than the stored course {course_id}"
        # Immersio has no single-course read: the course list is short, so pull it whole.
        syncer.pull_courses(None)
    elif event.type == "teacher.updated":
        teacher_id = _record_id(data, "teacher")
        if teacher_id and is_older(happened, _stored_time(event, ImmersioLink.Kind.TEACHER, teacher_id)):
            return f"ignored: older than the stored teacher {teacher_id}"
        syncer.pull_teachers(None)
    elif event.type in ("student.enrolled", "student.withdrawn"):
        course_id = str(data.get("course_id") or "")
        student_id = str(data.get("student_id") or (data.get("student") or {}).get("id") or "")
        event_type = EventType.objects.filter(tenant=event.tenant, immersio_course_id=course_id).first()
        if not course_id or not student_id:
            return "ignored: no course or student id"
        if event_type is None:
            return f"ignored: course {course_id} is not mapped"
        # The enrollment's time is the event's: the student record's own updated_at says
        # nothing about when they joined or left the course.
        happened = changed_at_of_event(event)
        stored = ImmersioCourseStudent.objects.filter(tenant=event.tenant, course_id=course_id,
                                                      student_id=student_id).values_list(
            "source_updated_at", flat=True).first()
        if is_older(happened, stored):
            return f"ignored: older than the stored enrollment of {student_id} in {course_id}"
        student = client.student(student_id)
        status = "active" if event.type == "student.enrolled" else "withdrawn"
        updated_at = happened.isoformat() if happened else None
        syncer.upsert_students(course_id, event_type, [{**student, "status": status, "updated_at": updated_at}])
    counts = ", ".join(f"{kind} {outcome} {n}" for kind, by in syncer.tally.counts.items()
                       for outcome, n in by.items() if n)
    return f"done: {counts}" if counts else "done"


def changed_at_of_event(event):
    from .sync import changed_at

    return changed_at(event.payload.get("created_at"))
