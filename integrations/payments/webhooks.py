"""The Stripe webhook: one platform endpoint for the events of every connected account.

POST only; the signature is checked first (the stripe library's own check,
STRIPE_WEBHOOK_SECRET; an account connected by its own keys posts to
`<endpoint><account id>/` with its own secret). The event id is stored once under a
unique constraint; an event already processed is answered 200 and ignored. The
event's `account` names the tenant. Before acting, the current object is fetched
from Stripe on that account and only its present state counts, so duplicated and
reordered deliveries leave the same state as one in-order delivery. Events we do
not handle are answered 200; a failure a retry may cure is answered 500 so that
Stripe delivers again.
"""

import logging

import stripe
from django.conf import settings
from django.db import IntegrityError
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from site_platform import audit

from . import checkout, receipts, refunds
from .errors import PaymentError
from .models import Payment, StripeAccount, WebhookEvent, from_minor_units
from .stripe_client import StripeGateway, StripeProblem, StripeRefused

logger = logging.getLogger(__name__)

HANDLED = (
    "checkout.session.completed", "checkout.session.async_payment_succeeded", "checkout.session.expired",
    "payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded", "charge.dispute.created",
    "account.application.deauthorized",
)


@csrf_exempt
@require_POST
def stripe_webhook(request, account_id=None):
    payload = request.body
    signature = request.headers.get("Stripe-Signature", "")
    secret = settings.STRIPE_WEBHOOK_SECRET
    keys_account = None
    if account_id:
        keys_account = StripeAccount.objects.filter(account_id=account_id, mode=StripeAccount.Mode.KEYS).first()
        secret = keys_account.webhook_secret if keys_account else ""
    if not secret:
        return HttpResponseBadRequest("webhook not configured")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret).to_dict()
    except (ValueError, stripe.SignatureVerificationError):
        return HttpResponseBadRequest("bad signature")
    account = event.get("account") or (keys_account.account_id if keys_account else "")
    try:
        record, _created = WebhookEvent.objects.get_or_create(
            event_id=event["id"], defaults={"type": event["type"], "account_id": account or ""})
    except IntegrityError:
        record = WebhookEvent.objects.get(event_id=event["id"])
    if record.processed_at is not None:
        return HttpResponse("duplicate")
    connection = StripeAccount.objects.filter(account_id=account).select_related("tenant").first() \
        if account else None
    if connection is not None and record.tenant_id is None:
        WebhookEvent.objects.filter(pk=record.pk).update(tenant=connection.tenant)
    try:
        outcome = handle_event(event, connection)
    except (StripeProblem, PaymentError) as error:
        if isinstance(error, StripeRefused) and error.status == 404:
            outcome = f"object gone: {error}"
        else:
            logger.warning("Stripe event %s (%s) not processed yet: %s", event["id"], event["type"], error)
            return HttpResponse("try again later", status=503)
    WebhookEvent.objects.filter(pk=record.pk, processed_at__isnull=True).update(
        processed_at=timezone.now(), outcome=str(outcome)[:200])
    return HttpResponse("ok")


def handle_event(event, connection):
    """Act on one verified event for the account's tenant. Returns a short outcome."""
    kind = event["type"]
    if kind not in HANDLED:
        return "ignored"
    if connection is None:
        return "unknown account"
    if kind == "account.application.deauthorized":
        return _deauthorized(connection)
    if not connection.is_connected:
        return "account disconnected"
    gateway = StripeGateway.for_account(connection)
    obj = event["data"]["object"]
    tenant_id = connection.tenant_id
    if kind.startswith("checkout.session."):
        session = gateway.retrieve_checkout_session(obj["id"])
        payment = checkout.payment_for_object(tenant_id, session)
        if payment is None:
            return "no payment"
        checkout.sync_checkout_session(payment, session)
        return f"session {session['status']}/{session['payment_status']}"
    if kind.startswith("payment_intent."):
        intent = gateway.retrieve_payment_intent(obj["id"])
        payment = checkout.payment_for_object(tenant_id, intent)
        if payment is None:
            return "no payment"
        if intent["status"] == "succeeded":
            checkout.record_payment(payment, intent["id"], amount_minor=intent.get("amount_received"))
        elif intent["status"] in ("requires_payment_method", "canceled"):
            checkout.record_failure(payment, intent)
        return f"intent {intent['status']}"
    if kind == "charge.refunded":
        intent = gateway.retrieve_payment_intent(obj.get("payment_intent"))
        payment = _settled_payment(tenant_id, intent)
        if payment is None:
            return "no payment"
        charge = intent.get("latest_charge") or {}
        if isinstance(charge, str):
            charge = gateway.retrieve_charge(charge)
        refunds.update_refunded_total(payment, stripe_refunded=from_minor_units(charge.get("amount_refunded") or 0,
                                                                               payment.currency))
        for refund in payment.refunds.filter(status="pending"):
            refunds.sync_refund(refund)
        return "refund recorded"
    if kind == "charge.dispute.created":
        dispute = gateway.retrieve_dispute(obj["id"])
        payment = _settled_payment(tenant_id, gateway.retrieve_payment_intent(dispute.get("payment_intent")))
        if payment is None:
            return "no payment"
        if Payment.objects.filter(pk=payment.pk, disputed=False).update(disputed=True):
            audit.record("payment.disputed", tenant=payment.tenant, target=f"booking:{payment.booking.uid}",
                         dispute=dispute["id"], reason=dispute.get("reason", ""))
            receipts.tell_admins_of_dispute(payment, dispute)
        return "dispute flagged"
    return "ignored"


def _settled_payment(tenant_id, intent):
    """The payment a (succeeded) PaymentIntent paid. Events about a charge may come
    before the ones about its payment: the payment is recorded first."""
    payment = Payment.objects.filter(tenant_id=tenant_id, payment_intent_id=intent["id"]).select_related(
        "booking", "tenant").first()
    if payment is not None:
        return payment
    payment = checkout.payment_for_object(tenant_id, intent)
    if payment is None or intent.get("status") != "succeeded":
        return None
    checkout.record_payment(payment, intent["id"], amount_minor=intent.get("amount_received"))
    payment.refresh_from_db()
    return payment if payment.payment_intent_id == intent["id"] else None


def _deauthorized(connection):
    """The school disconnected the platform in Stripe. Believed only if Stripe now
    refuses us the account (a stale event after reconnecting changes nothing)."""
    if connection.mode == StripeAccount.Mode.KEYS or not connection.is_connected:
        return "already disconnected"
    try:
        StripeGateway.for_account(connection).retrieve_account()
    except StripeRefused:
        from .connect import mark_disconnected

        mark_disconnected(connection, reason="deauthorized at Stripe")
        return "disconnected"
    return "still connected"
