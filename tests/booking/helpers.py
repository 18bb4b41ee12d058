"""Small factories for booking tests: plain objects.create, nothing hidden."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from booking.models import AvailabilityRange, EventHost, EventType, Schedule
from site_platform.models import Membership
from site_platform.services.tenants import add_member
from tests.conftest import make_user

UTC = ZoneInfo("UTC")


def at(text, zone="UTC"):
    """An aware datetime from 'YYYY-MM-DD HH:MM' read in the zone, returned in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def hm(text):
    return time.fromisoformat(text)


def make_teacher(tenant, email, *, zone="UTC", role=Membership.Role.TEACHER, **fields):
    user = make_user(email, **fields)
    add_member(tenant, email, role, timezone=zone)
    return user


def make_event_type(tenant, *, kind=EventType.Kind.ONE_ON_ONE, slug=None, hosts=(), **fields):
    fields.setdefault("title", f"{kind} event")
    fields.setdefault("is_published", True)
    fields.setdefault("minimum_notice_minutes", 0)
    fields.setdefault("booking_horizon_days", 5000)
    event_type = EventType.objects.create(tenant=tenant, kind=kind, slug=slug or f"{kind}-{EventType.objects.count()}",
                                          **fields)
    for teacher in hosts:
        EventHost.objects.create(event_type=event_type, teacher=teacher)
    return event_type


def make_schedule(tenant, teacher, zone, weekly=()):
    """weekly: (weekday, "HH:MM", "HH:MM") tuples."""
    schedule = Schedule.objects.create(tenant=tenant, teacher=teacher, timezone=zone)
    for weekday, start, end in weekly:
        AvailabilityRange.objects.create(schedule=schedule, weekday=weekday, start_time=hm(start), end_time=hm(end))
    return schedule
