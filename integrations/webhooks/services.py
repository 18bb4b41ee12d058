"""Outgoing webhooks: endpoints, signed deliveries, retries, the disable rule.

Deliveries are signed in the Standard Webhooks format
(https://www.standardwebhooks.com): headers `webhook-id`, `webhook-timestamp`
and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`,
keyed with the base64-decoded part of the endpoint's secret after `whsec_`.

An event becomes one `Delivery` per subscribed, active endpoint, written in a
transaction; the `deliver` task is queued after commit. Sending claims the
delivery with one conditional UPDATE (due, still pending), so a task that runs
twice, or two workers, send it once. A failed attempt is retried after
RETRY_DELAYS (about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), then the delivery
is given up. An endpoint that has failed continuously for DISABLE_AFTER (five
days) is disabled and the tenant's admins are emailed.

Every function that depends on the time takes `now`, so tests move time forward
by passing a later one.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from datetime import timedelta

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.calendars.addresses import AddressRefused
from site_platform import audit
from site_platform.models import Membership, Tenant
from site_platform.usage import has_feature, require_feature

from .addresses import check_url, client
from .errors import WebhookError
from .models import EVENT_TYPES, SECRET_PREFIX, TEST_EVENT, Delivery, DeliveryAttempt, Endpoint, new_secret

logger = logging.getLogger("integrations.webhooks")

TIMEOUT_SECONDS = 10
RETRY_DELAYS = [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                timedelta(hours=5), timedelta(hours=10), timedelta(hours=10)]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
DISABLE_AFTER = timedelta(days=5)
# A claimed delivery is not claimed again for this long (the worker may have died mid-request).
CLAIM_LEASE = timedelta(seconds=TIMEOUT_SECONDS * 6)
BODY_EXCERPT = 2000
USER_AGENT = "LinguaSites-Webhooks/1.0"
EVENT_NAMES = {code for code, _label in EVENT_TYPES}


# Signing ----------------------------------------------------------------------------------------

def signature(secret, message_id, timestamp, body):
    """The `webhook-signature` header value for one message."""
    key = base64.b64decode(secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret)
    signed = f"{message_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(secret, message_id, body, *, timestamp=None):
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


# Endpoints --------------------------------------------------------------------------------------

def clean_events(events):
    events = [e for e in (events or []) if e]
    if not events:
        raise WebhookError("events_required")
    for event in events:
        if event not in EVENT_NAMES:
            raise WebhookError("event_unknown", event=event)
    return sorted(set(events))


def create_endpoint(*, tenant, url, events, description="", actor=None):
    """Register an endpoint with a new secret. Refused (PlanLimitError) when the plan has
    no outgoing webhooks, (WebhookError) for an address the platform does not send to."""
    require_feature(tenant, "outgoing_webhooks")
    url = check_url(url)
    events = clean_events(events)
    with transaction.atomic():
        endpoint = Endpoint.objects.create(tenant=tenant, url=url, events=events, description=description,
                                           created_by=actor if getattr(actor, "is_authenticated", False) else None)
        audit.record("webhook.endpoint_created", tenant=tenant, actor=actor, target=f"webhook:{endpoint.pk}",
                     url=url, events=events)
    return endpoint


def update_endpoint(endpoint, *, url, events, description="", is_active=True, actor=None):
    url = check_url(url)
    events = clean_events(events)
    with transaction.atomic():
        current = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        enabling = is_active and not current.is_active
        current.url, current.events, current.description, current.is_active = url, events, description, is_active
        if enabling:
            current.failing_since = current.disabled_at = None
            current.disabled_reason = ""
        current.save()
        audit.record("webhook.endpoint_updated", tenant=current.tenant, actor=actor, target=f"webhook:{current.pk}",
                     url=url, events=events, is_active=is_active)
    return current


def rotate_secret(endpoint, *, actor=None):
    with transaction.atomic():
        endpoint.secret = new_secret()
        endpoint.save(update_fields=["secret"])
        audit.record("webhook.secret_rotated", tenant=endpoint.tenant, actor=actor, target=f"webhook:{endpoint.pk}")
    return endpoint


def reveal_secret(endpoint, *, actor=None):
    """The endpoint's secret, for showing to an admin; the showing is audited."""
    audit.record("webhook.secret_shown", tenant=endpoint.tenant, actor=actor, target=f"webhook:{endpoint.pk}")
    return endpoint.secret


# Events -----------------------------------------------------------------------------------------

def new_message_id():
    return f"msg_{uuid.uuid4().hex}"


def event_body(event_type, data, *, now):
    return json.dumps({"type": event_type, "timestamp": now.isoformat(), "data": data},
                      cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True)


def enqueue_event(tenant_id, event_type, data, *, now=None, endpoints=None):
    """Record one delivery of the event for each active endpoint of the tenant that
    subscribed to it, and queue their sending after commit. Returns the deliveries."""
    now = now or timezone.now()
    tenant = Tenant.objects.select_related("plan").get(pk=tenant_id)
    if not has_feature(tenant, "outgoing_webhooks"):
        return []
    if endpoints is None:
        endpoints = [e for e in Endpoint.objects.filter(tenant_id=tenant_id, is_active=True) if e.wants(event_type)]
    if not endpoints:
        return []
    message_id = new_message_id()
    body = event_body(event_type, data, now=now)
    with transaction.atomic():
        deliveries = [Delivery.objects.create(tenant_id=tenant_id, endpoint=endpoint, message_id=message_id,
                                              event_type=event_type, payload=body, next_attempt_at=now)
                      for endpoint in endpoints]
        for delivery in deliveries:
            _queue(delivery.pk)
    return deliveries


def _queue(delivery_id):
    from .tasks import deliver

    deliver.delay_on_commit(delivery_id)


def send_test_event(endpoint, *, actor=None, now=None):
    """Queue a `webhook.test` event to this endpoint (even if it did not subscribe to anything)."""
    if not endpoint.is_active:
        raise WebhookError("endpoint_disabled")
    now = now or timezone.now()
    data = {"message": _("This is a test event from %(platform)s.") % {"platform": settings.PLATFORM_NAME},
            "endpoint": endpoint.pk}
    with transaction.atomic():
        deliveries = enqueue_event(endpoint.tenant_id, TEST_EVENT, data, now=now, endpoints=[endpoint])
        audit.record("webhook.test_sent", tenant=endpoint.tenant, actor=actor, target=f"webhook:{endpoint.pk}")
    return deliveries[0] if deliveries else None


def redeliver(delivery, *, actor=None, now=None):
    """Send a delivery's event again, as a new delivery with the same webhook-id and body."""
    now = now or timezone.now()
    with transaction.atomic():
        again = Delivery.objects.create(
            tenant_id=delivery.tenant_id, endpoint_id=delivery.endpoint_id, message_id=delivery.message_id,
            event_type=delivery.event_type, payload=delivery.payload, next_attempt_at=now, redelivery_of=delivery)
        audit.record("webhook.redelivered", tenant=delivery.tenant, actor=actor, target=f"delivery:{delivery.pk}",
                     new_delivery=again.pk)
        _queue(again.pk)
    return again


# Sending ----------------------------------------------------------------------------------------

def attempt_delivery(delivery_id, *, now=None):
    """Send a due delivery once. Returns the DeliveryAttempt, or None when the delivery
    was not due (already delivered, given up, or claimed by another run)."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE, last_attempt_at=now)
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("endpoint", "tenant").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        Delivery.objects.filter(pk=delivery_id).update(status=Delivery.Status.FAILED, next_attempt_at=None)
        return None
    headers = signed_headers(endpoint.secret, delivery.message_id, delivery.payload)
    status, body, error = None, "", ""
    started = time.monotonic()
    try:
        with client(TIMEOUT_SECONDS) as http:
            response = http.post(endpoint.url, content=delivery.payload.encode(), headers=headers)
            status, body = response.status_code, response.text[:BODY_EXCERPT]
    except AddressRefused as exc:
        error = WebhookError("address_refused", host=str(exc)).message
    except WebhookError as exc:
        error = exc.message
    except httpx.TimeoutException:
        error = _("No answer within %(seconds)s seconds.") % {"seconds": TIMEOUT_SECONDS}
    except (httpx.HTTPError, OSError) as exc:
        error = (_("Could not connect: %(error)s") % {"error": exc.__class__.__name__})
    duration_ms = int((time.monotonic() - started) * 1000)
    succeeded = status is not None and 200 <= status < 300
    if succeeded:
        next_at = None
    elif delivery.attempts < MAX_ATTEMPTS:
        next_at = now + RETRY_DELAYS[delivery.attempts - 1]
    else:
        next_at = None
    with transaction.atomic():
        attempt = DeliveryAttempt.objects.create(
            delivery=delivery, number=delivery.attempts, started_at=now, request_headers=_loggable(headers),
            response_status=status, response_body=body, error=error[:300], duration_ms=duration_ms,
            next_attempt_at=next_at)
        Delivery.objects.filter(pk=delivery_id).update(
            status=Delivery.Status.SUCCEEDED if succeeded else (
                Delivery.Status.PENDING if next_at else Delivery.Status.FAILED),
            next_attempt_at=next_at, response_status=status)
        if succeeded:
            Endpoint.objects.filter(pk=endpoint.pk).exclude(failing_since=None).update(failing_since=None)
        else:
            Endpoint.objects.filter(pk=endpoint.pk, failing_since=None).update(failing_since=now)
    if not succeeded:
        _disable_if_failing_too_long(endpoint.pk, now)
    return attempt


def _loggable(headers):
    return {name: value for name, value in headers.items() if name != "webhook-signature"} | {
        "webhook-signature": headers.get("webhook-signature", "")[:10] + "…"}


def _disable_if_failing_too_long(endpoint_id, now):
    with transaction.atomic():
        disabled = Endpoint.objects.filter(
            pk=endpoint_id, is_active=True, failing_since__lte=now - DISABLE_AFTER,
        ).update(is_active=False, disabled_at=now, disabled_reason="failing")
        if not disabled:
            return False
        endpoint = Endpoint.objects.select_related("tenant").get(pk=endpoint_id)
        Delivery.objects.filter(endpoint_id=endpoint_id, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.FAILED, next_attempt_at=None)
        audit.record("webhook.endpoint_disabled", tenant=endpoint.tenant, target=f"webhook:{endpoint_id}",
                     url=endpoint.url, failing_since=endpoint.failing_since.isoformat())
        transaction.on_commit(lambda: _email_disabled(endpoint))
    return True


def _email_disabled(endpoint):
    recipients = list(Membership.objects.filter(tenant=endpoint.tenant, role=Membership.Role.ADMIN, is_active=True)
                      .values_list("user__email", flat=True))
    if not recipients:
        return
    context = {"endpoint": endpoint, "tenant": endpoint.tenant, "platform_name": settings.PLATFORM_NAME,
               "admin_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/admin/"}
    subject = _("Webhook endpoint disabled: %(url)s") % {"url": endpoint.url}
    try:
        send_mail(subject, render_to_string("webhooks/endpoint_disabled.txt", context), settings.DEFAULT_FROM_EMAIL,
                  recipients)
    except OSError:
        logger.exception("could not email that webhook endpoint %s was disabled", endpoint.pk)


def due_deliveries(*, now=None, limit=500):
    now = now or timezone.now()
    return list(Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def sweep(*, now=None, inline=False):
    """Send every due delivery (retries, and any whose task was lost): queue the
    `deliver` task for each, or with `inline` send them here at `now`. Returns how many were due."""
    now = now or timezone.now()
    due = due_deliveries(now=now)
    for delivery_id in due:
        if inline:
            attempt_delivery(delivery_id, now=now)
        else:
            from .tasks import deliver

            deliver.delay(delivery_id)
    return len(due)
