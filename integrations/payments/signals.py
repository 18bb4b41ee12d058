"""What the payments app announces (after commit). Outgoing webhooks and metrics
connect here. sender=Payment class; kwargs: tenant_id, booking_id, payment_id,
amount (str), currency; payment_refunded also refund_id."""

from django.db import transaction
from django.dispatch import Signal

payment_succeeded = Signal()
payment_refunded = Signal()


def announce(signal, event, payment, **extra):
    """Send `signal` for `payment` once the current transaction commits."""
    from site_platform.observability import PAYMENT_EVENTS

    from .models import Payment

    kwargs = {"tenant_id": payment.tenant_id, "booking_id": payment.booking_id, "payment_id": payment.pk,
              "currency": payment.currency, **extra}
    kwargs.setdefault("amount", str(payment.amount))

    def send():
        PAYMENT_EVENTS.labels(event).inc()
        signal.send(sender=Payment, **kwargs)

    transaction.on_commit(send)
