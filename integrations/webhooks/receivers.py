"""Turn what the booking (and payments) apps announce into webhook deliveries.

The signals are sent after the change has committed. A failure here is logged and
never breaks the sender: the booking is made whatever happens to its webhook.
"""

import importlib
import logging

from booking import signals as booking_signals

from . import payloads, services
from .models import Endpoint

logger = logging.getLogger("integrations.webhooks")


def _subscribed(tenant_id, event_type):
    return [e for e in Endpoint.objects.filter(tenant_id=tenant_id, is_active=True) if e.wants(event_type)]


def _safely(event_type, build):
    def receiver(sender, **kwargs):
        try:
            # Most tenants have no endpoint for the event: one query answers that, before
            # the payload (the booking with its event type, attendee and teacher) is built.
            tenant_id = kwargs.get("tenant_id") or getattr(kwargs.get("tenant"), "pk", kwargs.get("tenant"))
            endpoints = _subscribed(tenant_id, event_type) if tenant_id is not None else None
            if endpoints == []:
                return
            found = build(**kwargs)
            if found is None:
                return
            built_for, data = found
            services.enqueue_event(built_for, event_type, data, endpoints=endpoints if built_for == tenant_id else None)
        except Exception:
            logger.exception("could not queue the %s webhook", event_type)

    receiver.__name__ = f"webhook_{event_type.replace('.', '_')}"
    return receiver


def _booking(extra=()):
    def build(booking_id, tenant_id, **kwargs):
        booking = payloads.load_booking(booking_id)
        if booking is None:
            return None
        data = payloads.booking_data(booking)
        for name in extra:
            if name in kwargs:
                data[name] = payloads.plain(kwargs[name])
        return tenant_id, data
    return build


def _session(tenant, session, reason="", **kwargs):
    current = payloads.load_session(getattr(session, "pk", session))
    if current is None:
        return None
    return getattr(tenant, "pk", tenant), payloads.session_data(current) | {"reason": reason or ""}


def _payment(**kwargs):
    tenant_id = kwargs.get("tenant_id") or getattr(kwargs.get("tenant"), "pk", None)
    if tenant_id is None:
        return None
    data = {name: payloads.plain(value) for name, value in kwargs.items()
            if name not in ("signal", "tenant", "tenant_id")}
    booking = payloads.load_booking(kwargs["booking_id"]) if kwargs.get("booking_id") else None
    if booking is not None:
        data["booking"] = payloads.booking_data(booking)
    return tenant_id, data


RECEIVERS = [
    (booking_signals.booking_created, _safely("booking.created", _booking())),
    (booking_signals.booking_confirmed, _safely("booking.confirmed", _booking())),
    (booking_signals.booking_cancelled, _safely("booking.cancelled", _booking(("by_role", "reason", "refund_due",
                                                                                "session_cancelled")))),
    (booking_signals.booking_rescheduled, _safely("booking.rescheduled", _booking((
        "previous_start", "previous_end", "previous_session_id")))),
    (booking_signals.session_cancelled, _safely("session.cancelled", _session)),
]
for signal, receiver in RECEIVERS:
    signal.connect(receiver, dispatch_uid=receiver.__name__)


def connect_payment_signals():
    """Connect payment.succeeded and payment.refunded when the payments app announces them
    (`integrations.payments.signals.payment_succeeded` / `payment_refunded`)."""
    try:
        payment_signals = importlib.import_module("integrations.payments.signals")
    except ImportError:
        return []
    connected = []
    for name, event_type in (("payment_succeeded", "payment.succeeded"), ("payment_refunded", "payment.refunded")):
        signal = getattr(payment_signals, name, None)
        if signal is not None:
            receiver = _safely(event_type, _payment)
            RECEIVERS.append((signal, receiver))
            signal.connect(receiver, dispatch_uid=receiver.__name__)
            connected.append(event_type)
    return connected


connect_payment_signals()
