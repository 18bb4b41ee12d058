"""Counts the booking lifecycle for /metrics (site_platform.observability)."""

from site_platform.observability import BOOKING_EVENTS

from . import signals

EVENTS = {
    "created": signals.booking_created, "confirmed": signals.booking_confirmed,
    "cancelled": signals.booking_cancelled, "rescheduled": signals.booking_rescheduled,
}


def _counter(event):
    def count(sender, **kwargs):
        BOOKING_EVENTS.labels(event).inc()

    count.__name__ = f"count_booking_{event}"
    return count


def connect():
    for event, signal in EVENTS.items():
        signal.connect(_counter(event), dispatch_uid=f"metrics-booking-{event}", weak=False)
