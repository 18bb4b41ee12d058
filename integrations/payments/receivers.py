"""Payments react to the booking lifecycle (booking.signals, sent after commit)."""

import logging

from django.dispatch import receiver

from booking import signals
from booking.models import Booking

from . import checkout, refunds
from .models import Payment

logger = logging.getLogger(__name__)


@receiver(signals.booking_created, dispatch_uid="payments.price_booking")
def price_booking(sender, booking_id, **kwargs):
    """Fix the price of a booking that waits for payment."""
    booking = Booking.objects.filter(pk=booking_id, status=Booking.Status.PENDING_PAYMENT).first()
    if booking is not None:
        checkout.ensure_payment(booking)


@receiver(signals.booking_cancelled, dispatch_uid="payments.refund_cancelled_booking")
def refund_cancelled_booking(sender, booking_id, refund_due=None, actor_id=None, **kwargs):
    """A paid booking cancelled: refund what the policy says (stored on the booking).
    An unpaid one: close its checkout so it cannot be paid any more."""
    from .tasks import close_checkout

    payment = Payment.objects.filter(booking_id=booking_id).select_related("booking", "tenant").first()
    if payment is None:
        return
    if payment.is_paid:
        amount = payment.booking.refund_due if payment.booking.refund_due is not None else refund_due
        if amount:
            refunds.refund_for_cancellation(payment, amount)
    elif payment.status == Payment.Status.OPEN:
        close_checkout.delay(payment.pk)


@receiver(signals.participants_changed, dispatch_uid="payments.refund_freed_seat")
def refund_freed_seat(sender, booking_id, removed=(), seats_released=0, refund_due=None, **kwargs):
    """A seat of a paid group booking was freed: refund that seat's policy share (the
    booking service computed it from what was actually paid) to the payer."""
    from booking.models import BookingParticipant

    if not seats_released or not refund_due or not removed:
        return
    payment = Payment.objects.filter(booking_id=booking_id).select_related("booking", "tenant").first()
    if payment is None or not payment.is_paid:
        return
    uid = BookingParticipant.objects.filter(pk=removed[0]).values_list("uid", flat=True).first()
    refunds.refund_for_freed_seat(payment, refund_due, seat_key=uid or removed[0])
