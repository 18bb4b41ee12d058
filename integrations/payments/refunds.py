"""Refunds through Stripe, each at most once.

A refund is first recorded (`Refund`, its idempotency key unique: one per
booking and purpose), then sent to Stripe with that key by a task after commit.
A failure is recorded on the row and retried by `retry_failed_refunds` with
growing delays; after MAX_ATTEMPTS it waits for an admin ("needs attention").

Stripe keeps the answer of a request it executed under its key for a day,
refusals included, so: a refusal (4xx) moves the key to a new generation
(Stripe executed nothing, the next try must not replay the refusal); an unknown
outcome (timeout, 5xx) keeps the key, so a refund that did happen is replayed,
never made twice.
"""

import logging
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from site_platform import audit

from .models import Payment, Refund, from_minor_units
from .stripe_client import StripeGateway, StripeRefused, StripeUnavailable

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
COUNTED = (Refund.Status.REQUESTED, Refund.Status.PENDING, Refund.Status.SUCCEEDED, Refund.Status.FAILED,
           Refund.Status.GAVE_UP)


def retry_delay(attempts):
    return timedelta(minutes=min(5 * 2 ** max(attempts - 1, 0), 6 * 60))


def request_refund(payment, *, amount, purpose, payment_intent_id=None, key=None, actor=None):
    """Record a refund of `amount` (capped at what is left to refund) and send it
    after commit. The same purpose twice gives the first refund back. Returns the
    Refund, or None when there is nothing to refund."""
    payment = Payment.objects.select_related("booking", "tenant").get(pk=payment.pk)
    key = key or f"refund:{payment.booking.uid}:{purpose}"
    existing = Refund.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if purpose != Refund.Purpose.DUPLICATE:
            if not locked.is_paid or not locked.payment_intent_id:
                return None
            taken = (Refund.objects.filter(payment=locked, status__in=COUNTED)
                     .exclude(purpose=Refund.Purpose.DUPLICATE).aggregate(total=Sum("amount"))["total"]
                     or Decimal("0"))
            amount = min(Decimal(amount), locked.amount - taken)
        if amount <= 0:
            return None
        try:
            with transaction.atomic():
                refund = Refund.objects.create(
                    tenant_id=payment.tenant_id, payment=locked, purpose=purpose, amount=amount,
                    currency=payment.currency, payment_intent_id=payment_intent_id or locked.payment_intent_id,
                    idempotency_key=key)
        except IntegrityError:
            return Refund.objects.get(idempotency_key=key)
        audit.record("payment.refund_requested", tenant=payment.tenant, actor=actor,
                     target=f"booking:{payment.booking.uid}", amount=str(amount), purpose=purpose)
        from .tasks import execute_refund

        execute_refund.delay_on_commit(refund.pk)
    return refund


def refund_for_cancellation(payment, amount, *, actor=None):
    return request_refund(payment, amount=amount, purpose=Refund.Purpose.CANCELLATION, actor=actor)


def refund_for_freed_seat(payment, amount, *, seat_key, actor=None):
    """A participant of a group gave up their seat (or the booker removed them): the
    policy refund of that seat's share, to the payer. One refund per freed seat
    (`seat_key`, the participant's uid), so hearing the same change twice refunds once."""
    return request_refund(payment, amount=amount, purpose=Refund.Purpose.CANCELLATION, actor=actor,
                          key=f"refund:{payment.booking.uid}:seat:{seat_key}")


def refund_late_payment(payment):
    """The payment came after the seat was given away: everything back."""
    return request_refund(payment, amount=payment.amount, purpose=Refund.Purpose.LATE_PAYMENT)


def refund_duplicate_charge(payment, intent_id, amount_minor):
    """A second successful payment for a booking already paid: that one back in full."""
    if amount_minor is None:
        try:
            intent = StripeGateway.for_tenant(payment.tenant_id).retrieve_payment_intent(intent_id)
        except (StripeUnavailable, StripeRefused):
            logger.warning("Duplicate payment %s of payment %s: amount unknown yet", intent_id, payment.pk)
            return None
        amount_minor = intent.get("amount_received") or intent.get("amount")
    return request_refund(payment, amount=from_minor_units(amount_minor, payment.currency),
                          purpose=Refund.Purpose.DUPLICATE, payment_intent_id=intent_id,
                          key=f"refund:duplicate:{intent_id}")


def stripe_key(refund):
    return refund.idempotency_key if not refund.key_generation else f"{refund.idempotency_key}:{refund.key_generation}"


def announce_refund(refund):
    from . import signals

    signals.announce(signals.payment_refunded, "refunded", refund.payment, refund_id=refund.pk,
                     amount=str(refund.amount))


def execute_refund(refund_id, *, now=None):
    """Send one recorded refund to Stripe. Safe to run twice and concurrently: only
    an open refund is sent, always under its key. Returns the refund."""
    now = now or timezone.now()
    refund = Refund.objects.select_related("payment__booking", "tenant").get(pk=refund_id)
    if refund.status not in Refund.OPEN:
        return refund
    try:
        gateway = StripeGateway.for_tenant(refund.tenant_id)
        answer = gateway.create_refund({
            "payment_intent": refund.payment_intent_id, "amount": refund.amount_minor(),
            "reason": "duplicate" if refund.purpose == Refund.Purpose.DUPLICATE else "requested_by_customer",
            "metadata": {"booking_uid": str(refund.payment.booking.uid), "purpose": refund.purpose},
        }, idempotency_key=stripe_key(refund))
    except (StripeUnavailable, StripeRefused, Exception) as error:  # noqa: B014 - every failure is recorded
        return _record_failure(refund, error, now)
    status = Refund.Status.SUCCEEDED if answer.get("status") == "succeeded" else (
        Refund.Status.FAILED if answer.get("status") in ("failed", "canceled") else Refund.Status.PENDING)
    with transaction.atomic():
        changed = Refund.objects.filter(pk=refund.pk, status__in=Refund.OPEN).update(
            status=status, stripe_refund_id=answer["id"], attempts=refund.attempts + 1, last_error="",
            next_attempt_at=None, updated_at=now)
        if changed:
            audit.record("payment.refunded", tenant=refund.tenant, target=f"booking:{refund.payment.booking.uid}",
                         amount=str(refund.amount), refund=answer["id"], status=status)
            update_refunded_total(refund.payment)
            if status == Refund.Status.SUCCEEDED:
                announce_refund(refund)
    refund.refresh_from_db()
    if refund.status == Refund.Status.SUCCEEDED:
        from .tasks import send_refund_email

        send_refund_email.delay_on_commit(refund.pk)
    return refund


def _record_failure(refund, error, now):
    from .stripe_client import StripeProblem

    attempts = refund.attempts + 1
    gave_up = attempts >= MAX_ATTEMPTS
    refused = isinstance(error, StripeRefused)
    if not isinstance(error, StripeProblem):
        logger.exception("Refund %s failed unexpectedly", refund.pk)
    Refund.objects.filter(pk=refund.pk, status__in=Refund.OPEN).update(
        status=Refund.Status.GAVE_UP if gave_up else Refund.Status.FAILED, attempts=attempts,
        last_error=str(error)[:500], next_attempt_at=None if gave_up else now + retry_delay(attempts),
        key_generation=refund.key_generation + (1 if refused else 0), updated_at=now)
    audit.record("payment.refund_failed", tenant=refund.tenant, target=f"booking:{refund.payment.booking.uid}",
                 amount=str(refund.amount), error=str(error)[:200], attempts=attempts, gave_up=gave_up)
    refund.refresh_from_db()
    return refund


def update_refunded_total(payment, *, stripe_refunded=None):
    """What has been refunded of this payment: the larger of our succeeded refunds and
    what Stripe reports for the charge (a refund made in Stripe's dashboard counts)."""
    ours = (Refund.objects.filter(payment_id=payment.pk, status__in=(Refund.Status.SUCCEEDED, Refund.Status.PENDING))
            .exclude(purpose=Refund.Purpose.DUPLICATE).aggregate(total=Sum("amount"))["total"] or Decimal("0"))
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        total = max(ours, locked.amount_refunded, stripe_refunded or Decimal("0"))
        if not locked.is_paid:
            return locked
        status = Payment.Status.PAID
        if total >= locked.amount and locked.amount > 0:
            status = Payment.Status.REFUNDED
        elif total > 0:
            status = Payment.Status.PARTIALLY_REFUNDED
        if total != locked.amount_refunded or status != locked.status:
            Payment.objects.filter(pk=locked.pk).update(amount_refunded=total, status=status,
                                                        updated_at=timezone.now())
    return locked


def sync_refund(refund):
    """Ask Stripe about a refund it reported pending."""
    if not refund.stripe_refund_id or refund.status != Refund.Status.PENDING:
        return refund
    answer = StripeGateway.for_tenant(refund.tenant_id).retrieve_refund(refund.stripe_refund_id)
    if answer.get("status") == "succeeded":
        changed = Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.SUCCEEDED, updated_at=timezone.now())
        update_refunded_total(refund.payment)
        if changed:
            announce_refund(refund)
            from .tasks import send_refund_email

            send_refund_email.delay_on_commit(refund.pk)
    elif answer.get("status") in ("failed", "canceled"):
        Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.FAILED, last_error=answer.get("failure_reason") or "failed at Stripe",
            key_generation=refund.key_generation + 1, next_attempt_at=timezone.now(), updated_at=timezone.now())
    refund.refresh_from_db()
    return refund
