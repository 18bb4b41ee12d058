"""Factories for booking-lifecycle tests: a class with sessions, a one-to-one event."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from booking.models import EventType, Session
from tests.booking.helpers import make_event_type, make_schedule


def future(days=3, hour=10):
    now = timezone.now()
    return (now + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def make_class(tenant, teacher, *, capacity=10, price=Decimal("0"), sessions=1, days=3, **fields):
    """A live class and its sessions, one a week from `days` days ahead."""
    fields.setdefault("max_seats_per_booking", min(capacity, 5))
    fields.setdefault("seats_per_session", capacity)
    event_type = make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, price=price, hosts=[teacher], **fields)
    made = []
    for number in range(sessions):
        start = future(days + 7 * number)
        made.append(Session.objects.create(tenant=tenant, event_type=event_type, teacher=teacher, start=start,
                                           end=start + timedelta(hours=1), capacity=capacity))
    return event_type, made


def make_one_on_one(tenant, teacher, *, price=Decimal("0"), **fields):
    """A one-to-one event whose teacher is free 08:00-20:00 UTC every day."""
    event_type = make_event_type(tenant, kind=EventType.Kind.ONE_ON_ONE, price=price, hosts=[teacher],
                                 duration_minutes=60, **fields)
    make_schedule(tenant, teacher, "UTC", weekly=[(day, "08:00", "20:00") for day in range(7)])
    return event_type
