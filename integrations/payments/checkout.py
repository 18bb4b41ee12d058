"""From a booking waiting for payment to a paid, confirmed booking.

`ensure_payment` fixes the price when the booking is made (booking_created);
`start_checkout` opens a Stripe Checkout Session on the tenant's account (direct
charge, the plan's application fee, the booking uid in metadata, an idempotency
key per booking and attempt); `sync_checkout_session` and `record_payment`
act on what Stripe reports, and are what the webhook, the return page and the
nightly reconciliation all call, so whichever comes first confirms the booking
and the others change nothing.
"""

import logging
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from booking.models import Booking
from booking.services import bookings as booking_service
from site_platform import audit

from . import pricing
from .errors import PaymentError
from .models import CouponRedemption, Payment, from_minor_units, to_minor_units
from .stripe_client import StripeGateway, StripeRefused, StripeUnavailable

logger = logging.getLogger(__name__)

# Stripe refuses a Checkout Session that expires sooner than 30 minutes from now.
MIN_CHECKOUT_LIFETIME = timedelta(minutes=31)


def pay_path(booking):
    """The payment page of a booking on its tenant's host."""
    return f"/pay/{booking.uid}/"


def checkout_redirect_for(request, booking):
    """booking.payment_flow starter: where a student goes after booking a paid event."""
    payment = ensure_payment(booking)
    if payment is None or payment.is_paid:
        return None
    return pay_path(booking)


def _ref(payment):
    return f"booking:{payment.booking.uid}"


# Price ------------------------------------------------------------------------------------------

def ensure_payment(booking, *, now=None):
    """The booking's Payment, created with its price the first time (booking_created).
    A price that comes to nothing confirms the booking at once. Twice changes nothing."""
    now = now or timezone.now()
    existing = Payment.objects.filter(booking_id=booking.pk).first()
    if existing is not None:
        return existing
    booking = Booking.objects.select_related("event_type", "tenant").get(pk=booking.pk)
    if booking.status != Booking.Status.PENDING_PAYMENT:
        return None
    event_type = booking.event_type
    quote = pricing.quote(event_type, email=booking.attendee_email, seats=booking.seats)
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                tenant_id=booking.tenant_id, booking=booking, event_type=event_type, currency=quote.currency,
                lines=quote.lines, subtotal=quote.subtotal, amount=quote.total, price_group=quote.price_group)
            _set_booking_amount(booking, quote.total)
            audit.record("payment.priced", tenant=booking.tenant, target=f"booking:{booking.uid}",
                         amount=str(quote.total), currency=quote.currency, lines=quote.lines)
    except IntegrityError:
        return Payment.objects.get(booking_id=booking.pk)
    if quote.total == 0:
        _confirm_free(payment, now)
    return payment


def _set_booking_amount(booking, amount):
    """The booking's amount is what the student pays (the refund policy works on it).
    Changed only while the booking still waits for payment."""
    Booking.objects.filter(pk=booking.pk, status=Booking.Status.PENDING_PAYMENT).update(amount=amount)


def _confirm_free(payment, now):
    changed = Payment.objects.filter(pk=payment.pk, status__in=Payment.UNPAID).update(
        status=Payment.Status.PAID, paid_at=now)
    if changed:
        booking_service.confirm_booking(payment.booking, payment_reference="free", now=now)
    payment.refresh_from_db()


def apply_coupon(payment, code, *, now=None):
    """Apply a coupon to an unpaid booking: one use is taken at once (refused when
    used up), the price is recomputed and fixed. An open Checkout is closed first,
    so the student pays the new price."""
    now = now or timezone.now()
    payment = Payment.objects.select_related("booking__event_type", "tenant").get(pk=payment.pk)
    booking = payment.booking
    if payment.is_paid:
        raise PaymentError("already_paid")
    if booking.status != Booking.Status.PENDING_PAYMENT:
        raise PaymentError("hold_expired")
    if payment.coupon_id:
        raise PaymentError("coupon_already")
    coupon = pricing.find_coupon(payment.tenant, code, booking.event_type, now=now)
    close_open_checkout(payment)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.is_paid:
            raise PaymentError("already_paid")
        if locked.coupon_id:
            raise PaymentError("coupon_already")
        if not pricing.take_coupon_use(coupon, now=now):
            raise PaymentError("coupon_used_up")
        quote = pricing.quote(booking.event_type, email=booking.attendee_email, seats=booking.seats, coupon=coupon)
        CouponRedemption.objects.create(tenant_id=payment.tenant_id, coupon=coupon, payment=locked,
                                        discount=quote.coupon_discount)
        Payment.objects.filter(pk=locked.pk).update(
            coupon=coupon, lines=quote.lines, subtotal=quote.subtotal, amount=quote.total, updated_at=now)
        _set_booking_amount(booking, quote.total)
        audit.record("payment.coupon_applied", tenant=payment.tenant, target=_ref(payment), coupon=coupon.code,
                     discount=str(quote.coupon_discount), amount=str(quote.total))
    payment.refresh_from_db()
    if payment.amount == 0:
        _confirm_free(payment, now)
    return payment


# Checkout ---------------------------------------------------------------------------------------

def application_fee_for(payment):
    plan = payment.tenant.plan
    percent = plan.platform_fee_percent if plan is not None else Decimal("0")
    return (payment.amount * percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def start_checkout(payment, *, base_url, now=None):
    """The URL of a Stripe Checkout page for this booking: the open one if there is
    one, else a new attempt. PaymentError when the booking cannot be paid now.

    The payment's row stays locked until the Checkout Session is recorded, so two
    requests at once (a double click, two tabs, the website and the API) open one page:
    the second waits for the first's Stripe call and then finds its session open."""
    with transaction.atomic():
        Payment.objects.select_for_update().filter(pk=payment.pk).first()
        return _start_checkout(payment, base_url=base_url, now=now)


def _start_checkout(payment, *, base_url, now=None):
    now = now or timezone.now()
    payment = Payment.objects.select_related("booking__event_type", "tenant__plan").get(pk=payment.pk)
    booking = payment.booking
    if payment.is_paid:
        raise PaymentError("already_paid")
    if booking.status != Booking.Status.PENDING_PAYMENT or (booking.hold_expires_at and booking.hold_expires_at <= now):
        raise PaymentError("hold_expired")
    gateway = _gateway(payment)
    if payment.status in (Payment.Status.OPEN, Payment.Status.FAILED) and payment.checkout_session_id:
        # A declined card leaves its Checkout Session open: the student tries again there.
        session = _call(gateway.retrieve_checkout_session, payment.checkout_session_id)
        if session["status"] == "open":
            Payment.objects.filter(pk=payment.pk, status=Payment.Status.FAILED).update(status=Payment.Status.OPEN)
            return session["url"]
        sync_checkout_session(payment, session)
        payment.refresh_from_db()
        if payment.is_paid:
            raise PaymentError("already_paid")
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.checkout_session_id != payment.checkout_session_id and locked.status == Payment.Status.OPEN:
            return locked.checkout_url  # another request opened one meanwhile
        if locked.is_paid:
            raise PaymentError("already_paid")
        locked.attempt += 1
        locked.save(update_fields=["attempt", "updated_at"])
    payment.refresh_from_db()
    fee = application_fee_for(payment) if gateway.charges_on_behalf else Decimal("0")
    params = checkout_params(payment, base_url=base_url, fee=fee, now=now)
    session = _call(gateway.create_checkout_session, params, idempotency_key=payment.checkout_idempotency_key())
    Payment.objects.filter(pk=payment.pk, status__in=Payment.UNPAID).update(
        status=Payment.Status.OPEN, checkout_session_id=session["id"], checkout_url=session["url"],
        stripe_account_id=gateway.stripe_account or "", application_fee=fee, failure_message="", updated_at=now)
    audit.record("payment.checkout_started", tenant=payment.tenant, target=_ref(payment),
                 session=session["id"], attempt=payment.attempt, account=gateway.stripe_account or "")
    return session["url"]


def checkout_params(payment, *, base_url, fee, now):
    booking, event_type = payment.booking, payment.booking.event_type
    metadata = {"booking_uid": str(booking.uid), "tenant_id": str(payment.tenant_id), "payment_id": str(payment.pk)}
    path = pay_path(booking)
    expires = max(booking.hold_expires_at or now, now + MIN_CHECKOUT_LIFETIME)
    params = {
        "mode": "payment",
        "line_items": [{
            "quantity": 1,
            "price_data": {
                "currency": payment.currency.lower(),
                "unit_amount": payment.amount_minor(),
                "product_data": {
                    "name": event_type.title,
                    "description": "; ".join(f"{line['label']}: {line['amount']} {payment.currency}"
                                             for line in payment.lines)[:500],
                },
            },
        }],
        "customer_email": booking.attendee_email,
        "client_reference_id": str(booking.uid),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata, "description": f"{event_type.title} · {booking.uid}"},
        "success_url": f"{base_url}{path}return/?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{base_url}{path}?cancelled=1",
        "expires_at": int(expires.timestamp()),
    }
    if fee > 0:
        params["payment_intent_data"]["application_fee_amount"] = to_minor_units(fee, payment.currency)
    return params


def close_open_checkout(payment):
    """Expire the open Checkout Session of an unpaid booking (the student will get a
    new one). If it turns out to be paid already, record that instead."""
    payment.refresh_from_db()
    if payment.status != Payment.Status.OPEN or not payment.checkout_session_id:
        return
    gateway = _gateway(payment)
    try:
        session = gateway.expire_checkout_session(payment.checkout_session_id,
                                                  idempotency_key=f"expire:{payment.checkout_session_id}")
    except StripeRefused:
        session = _call(gateway.retrieve_checkout_session, payment.checkout_session_id)
    except StripeUnavailable:
        raise PaymentError("stripe_unavailable") from None
    sync_checkout_session(payment, session)


def _gateway(payment):
    return StripeGateway.for_tenant(payment.tenant_id)


def _call(method, *args, **kwargs):
    try:
        return method(*args, **kwargs)
    except StripeUnavailable:
        raise PaymentError("stripe_unavailable") from None
    except StripeRefused as error:
        raise PaymentError("stripe_refused", detail=str(error)) from None


# What Stripe reports ----------------------------------------------------------------------------

def payment_for_object(tenant_id, obj):
    """The Payment a Stripe object (Checkout Session, PaymentIntent, charge) is about,
    within the tenant only."""
    metadata = obj.get("metadata") or {}
    uid = metadata.get("booking_uid") or obj.get("client_reference_id")
    queryset = Payment.objects.filter(tenant_id=tenant_id).select_related("booking", "tenant")
    if uid:
        found = queryset.filter(booking__uid=uid).first()
        if found is not None:
            return found
    intent = obj.get("payment_intent") if obj.get("object") != "payment_intent" else obj.get("id")
    if isinstance(intent, dict):
        intent = intent.get("id")
    if intent:
        return queryset.filter(payment_intent_id=intent).first()
    return None


def sync_checkout_session(payment, session, *, now=None):
    """Act on a Checkout Session as Stripe reports it now."""
    if session.get("payment_status") == "paid":
        intent = session.get("payment_intent")
        intent_id = intent.get("id") if isinstance(intent, dict) else intent
        return record_payment(payment, intent_id, amount_minor=session.get("amount_total"), now=now)
    if session.get("status") == "expired":
        changed = Payment.objects.filter(pk=payment.pk, status=Payment.Status.OPEN,
                                         checkout_session_id=session["id"]).update(
            status=Payment.Status.EXPIRED, updated_at=timezone.now())
        if changed:
            audit.record("payment.checkout_expired", tenant=payment.tenant, target=_ref(payment),
                         session=session["id"])
    return False


def record_failure(payment, intent):
    """A card was declined: the student sees why and may try again while the hold lasts."""
    error = intent.get("last_payment_error") or {}
    message = (error.get("message") or "")[:300]
    changed = Payment.objects.filter(pk=payment.pk, status__in=(Payment.Status.OPEN, Payment.Status.AWAITING)).update(
        status=Payment.Status.FAILED, failure_message=message, updated_at=timezone.now())
    if changed:
        audit.record("payment.failed", tenant=payment.tenant, target=_ref(payment), payment_intent=intent.get("id"),
                     reason=error.get("code", ""))
    return bool(changed)


def record_payment(payment, intent_id, *, amount_minor=None, now=None):
    """A PaymentIntent of this booking succeeded. Marks the payment paid (once),
    confirms the booking through the booking service, and then: a receipt, or,
    when the seat was no longer there, a full refund and a note to the student.
    A second, different successful PaymentIntent for the same booking is refunded.
    Returns True if this call recorded the payment."""
    from . import receipts, refunds, signals

    now = now or timezone.now()
    payment = Payment.objects.select_related("booking", "tenant").get(pk=payment.pk)
    if payment.is_paid:
        if intent_id and payment.payment_intent_id and intent_id != payment.payment_intent_id:
            refunds.refund_duplicate_charge(payment, intent_id, amount_minor)
        return False
    changed = Payment.objects.filter(pk=payment.pk, status__in=Payment.UNPAID).update(
        status=Payment.Status.PAID, payment_intent_id=intent_id or "", paid_at=now, failure_message="",
        updated_at=now)
    if not changed:
        return record_payment(payment, intent_id, amount_minor=amount_minor, now=now)
    if amount_minor is not None and from_minor_units(amount_minor, payment.currency) != payment.amount:
        logger.error("Payment %s: Stripe took %s minor units, the price is %s", payment.pk, amount_minor,
                     payment.amount)
    audit.record("payment.paid", tenant=payment.tenant, target=_ref(payment), payment_intent=intent_id,
                 amount=str(payment.amount), currency=payment.currency)
    signals.announce(signals.payment_succeeded, "succeeded", payment)
    booking = booking_service.confirm_booking(payment.booking, payment_reference=intent_id or "", now=now)
    if booking.status == Booking.Status.CONFIRMED and booking.payment_reference == (intent_id or ""):
        receipts.issue_receipt(payment)
    elif booking.needs_refund:
        refunds.refund_late_payment(payment)
    return True
