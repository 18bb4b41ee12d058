"""Payment jobs. Tasks take primary keys and reload; each is safe to run twice.

Periodic (CELERY_BEAT_SCHEDULE): `reconcile_payments` nightly,
`close_stale_checkouts` every 5 minutes, `retry_failed_refunds` every 10.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from booking.models import Booking

from . import checkout, pricing, receipts, refunds
from .errors import PaymentError
from .models import Payment, Refund
from .stripe_client import StripeGateway, StripeProblem

logger = logging.getLogger(__name__)

RECONCILE_DAYS = 7


@shared_task
def execute_refund(refund_id):
    """Send a recorded refund to Stripe (a failure is recorded and retried later)."""
    return refunds.execute_refund(refund_id).status


@shared_task
def send_receipt(payment_id):
    return receipts.send_receipt_email(payment_id)


@shared_task
def send_refund_email(refund_id):
    return receipts.send_refund_email(refund_id)


@shared_task
def retry_failed_refunds(now=None):
    """Try again every failed refund whose next attempt is due. Returns how many succeeded."""
    now = now or timezone.now()
    due = Refund.objects.filter(status=Refund.Status.FAILED, next_attempt_at__lte=now).values_list("pk", flat=True)
    done = 0
    for refund_id in list(due[:200]):
        if refunds.execute_refund(refund_id, now=now).status in (Refund.Status.SUCCEEDED, Refund.Status.PENDING):
            done += 1
    return done


@shared_task
def close_stale_checkouts():
    """Checkouts of bookings that expired or were cancelled before payment: expire
    them at Stripe (a payment found there is recorded, and refunded if the seat is
    gone) and give their coupon uses back."""
    closed = 0
    stale = Payment.objects.filter(status__in=Payment.UNPAID,
                                   booking__status__in=(Booking.Status.EXPIRED, Booking.Status.CANCELLED))
    for payment in stale.select_related("tenant")[:200]:
        try:
            checkout.close_open_checkout(payment)
        except PaymentError as error:
            logger.warning("Could not close the checkout of payment %s: %s", payment.pk, error.code)
            continue
        payment.refresh_from_db()
        if not payment.is_paid:
            pricing.give_back_coupon_use(payment)
            closed += 1
    return closed


@shared_task
def reconcile_payments(now=None):
    """Compare what we hold with Stripe and fix what a lost webhook left behind:
    checkouts paid or expired at Stripe, late payments without a refund, paid
    bookings without a receipt, refunds Stripe reported pending. Returns counts."""
    now = now or timezone.now()
    counts = {"checked": 0, "paid": 0, "refunds": 0, "receipts": 0}
    since = now - timedelta(days=RECONCILE_DAYS)
    open_payments = Payment.objects.filter(status__in=Payment.UNPAID, created_at__gte=since).exclude(
        checkout_session_id="").select_related("tenant")
    for payment in open_payments:
        counts["checked"] += 1
        try:
            session = StripeGateway.for_tenant(payment.tenant_id).retrieve_checkout_session(
                payment.checkout_session_id)
        except (StripeProblem, PaymentError) as error:
            logger.warning("Reconcile: checkout of payment %s unreadable: %s", payment.pk, error)
            continue
        if checkout.sync_checkout_session(payment, session, now=now):
            counts["paid"] += 1
    late = Payment.objects.filter(status=Payment.Status.PAID, booking__needs_refund=True,
                                  created_at__gte=since).exclude(refunds__purpose=Refund.Purpose.LATE_PAYMENT)
    for payment in late:
        if refunds.refund_late_payment(payment):
            counts["refunds"] += 1
    unreceipted = Payment.objects.filter(status__in=Payment.SETTLED, receipt_sent_at__isnull=True, amount__gt=0,
                                         booking__status__in=(Booking.Status.CONFIRMED, Booking.Status.NO_SHOW),
                                         created_at__gte=since)
    for payment in unreceipted:
        receipts.issue_receipt(payment)
        counts["receipts"] += 1
    for refund in Refund.objects.filter(status=Refund.Status.PENDING, created_at__gte=since):
        try:
            refunds.sync_refund(refund)
        except StripeProblem as error:
            logger.warning("Reconcile: refund %s unreadable: %s", refund.pk, error)
    return counts


@shared_task
def close_checkout(payment_id):
    """A booking was cancelled before it was paid: close its checkout, give its coupon use back."""
    payment = Payment.objects.select_related("tenant").get(pk=payment_id)
    try:
        checkout.close_open_checkout(payment)
    except PaymentError as error:
        logger.warning("Could not close the checkout of payment %s: %s (the sweeper retries)", payment_id,
                       error.code)
        return False
    payment.refresh_from_db()
    if not payment.is_paid:
        pricing.give_back_coupon_use(payment)
    return True
