"""A whole-series course (booked as one booking with a seat in every session) and its runs."""

from datetime import timedelta
from decimal import Decimal

from booking.models import EventType, Session, SessionSeries
from tests.booking.booking_helpers import future
from tests.booking.helpers import make_event_type


def make_course(tenant, teacher, *, price=Decimal("0"), slug="course", **fields):
    return make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, slug=slug, title="Ten-week Course",
                           seats_per_session=8, max_seats_per_booking=4, booked_as=EventType.BookedAs.WHOLE_SERIES,
                           price=price, hosts=[teacher], **fields)


def make_run(course, teacher, *, days=3, count=3, capacity=8, hour=10, meeting_urls=None):
    """One run (series) of `course`: `count` weekly sessions from `days` days ahead."""
    first = future(days, hour)
    series = SessionSeries.objects.create(tenant=course.tenant, event_type=course, teacher=teacher, timezone="UTC",
                                          weekdays=[first.weekday()], start_time=first.time(), duration_minutes=60,
                                          starts_on=first.date(), count=count, capacity=capacity)
    return [Session.objects.create(tenant=course.tenant, event_type=course, series=series, teacher=teacher,
                                   start=first + timedelta(weeks=n), end=first + timedelta(weeks=n, hours=1),
                                   capacity=capacity, meeting_url=(meeting_urls or [""] * count)[n])
            for n in range(count)]


def taken(sessions):
    return [Session.objects.get(pk=s.pk).seats_taken for s in sessions]
