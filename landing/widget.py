"""What the booking widget block shows: one event type's open times for the next
days, grouped by the visitor's local date, each linking to its booking page.

Server-rendered first (the zone from `?tz=`, the `tz` cookie the booking pages
set, else UTC); static/js/booking-widget.js then asks the slots API for the
browser's own zone and redraws. Queries: the event type (1) plus what
`booking.services.slots.find_slots` needs, a fixed number whatever the number
of days or slots (sessions: 1–2; one-to-one: hosts, schedules and busy time).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from datetime import UTC
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode

TZ_COOKIE = "tz"  # the cookie the booking pages keep the visitor's chosen zone in

# The zones the widget's <datalist> suggests (the visitor's own is added when it
# is not one of them). Any IANA zone can be typed; the server checks it
# (`valid_zone`), and booking-widget.js fills the list with every zone the
# browser knows. The booking pages keep the full <select>.
COMMON_ZONES = (
    "UTC", "Asia/Ho_Chi_Minh", "Asia/Bangkok", "Asia/Jakarta", "Asia/Singapore", "Asia/Kuala_Lumpur",
    "Asia/Manila", "Asia/Hong_Kong", "Asia/Shanghai", "Asia/Taipei", "Asia/Seoul", "Asia/Tokyo",
    "Asia/Kolkata", "Asia/Dubai", "Australia/Perth", "Australia/Sydney", "Pacific/Auckland",
    "Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Moscow", "Africa/Cairo", "Africa/Lagos",
    "Africa/Johannesburg", "America/Sao_Paulo", "America/Mexico_City", "America/New_York",
    "America/Chicago", "America/Denver", "America/Los_Angeles",
)
DEFAULT_DAYS = 7
MAX_DAYS = 14


def valid_zone(name):
    from booking.models.common import timezone_names

    name = (name or "").strip()
    return name if name in timezone_names() else None


def zone_datalist(zone):
    """The <option>s of the widget's zone <datalist>: the common zones and `zone`."""
    from django.utils.html import escape
    from django.utils.safestring import mark_safe

    names = COMMON_ZONES if not zone or zone in COMMON_ZONES else (zone, *COMMON_ZONES)
    return mark_safe("".join(f'<option value="{escape(name)}">' for name in names))


def unknown_zone_asked(request):
    """Whether `?tz=` names a zone that does not exist (the widget says so)."""
    if request is None:
        return False
    asked = (request.GET.get("tz") or "").strip()
    return bool(asked) and valid_zone(asked) is None


def visitor_zone(request):
    """The zone named by `?tz=`, else the `tz` cookie, else None."""
    if request is None:
        return None
    return valid_zone(request.GET.get("tz")) or valid_zone(request.COOKIES.get(TZ_COOKIE))


@dataclass
class WidgetTime:
    start: datetime
    end: datetime
    url: str
    seats_left: int | None = None
    session_id: int | None = None
    label: str = ""  # "14:30" in the widget's zone
    extra: str = ""  # ", Tuesday 4 March, 3 seats left" for screen readers


@dataclass
class WidgetDay:
    date: object
    times: list = field(default_factory=list)
    weekday: str = ""
    label: str = ""


def label_days(days, zone):
    """Fill in the labels the template prints (once per day and time, in Python)."""
    from django.utils import dateformat
    from django.utils.translation import ngettext

    for day in days:
        day.weekday = dateformat.format(day.date, "D")
        day.label = dateformat.format(day.date, "j M")
        long_date = ", " + dateformat.format(day.date, "l j F")
        for time in day.times:
            time.label = time.start.astimezone(zone).strftime("%H:%M")
            seats = time.seats_left
            time.extra = long_date + (", " + ngettext("%(seats)s seat left", "%(seats)s seats left", seats)
                                      % {"seats": seats} if seats else "")
    return days


@dataclass
class BookingWidget:
    event_type: object
    zone: str
    zone_chosen: bool
    first_day: object
    last_day: object
    days: list
    api_url: str
    page_url: str
    session_url: str = ""  # booking:book_session of session 0, for the script to fill in
    slot_url: str = ""

    @property
    def has_times(self):
        return any(day.times for day in self.days)

    @property
    def sessions(self):
        """The times that are sessions of a class or workshop (for JSON-LD)."""
        return [time for day in self.days for time in day.times if time.session_id]


def _reverse(name, **kwargs):
    try:
        return reverse(name, kwargs=kwargs, urlconf=settings.TENANT_URLCONF)
    except NoReverseMatch:
        return ""


def time_url(event_type, item):
    """Where a slot leads: a session's booking page, or the one-to-one booking page with ?start=."""
    if getattr(item, "session_id", None):
        return _reverse("booking:book_session", session_id=item.session_id)
    base = _reverse("booking:book_slot", slug=event_type.slug)
    start = item.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{base}?{urlencode({'start': start})}" if base else ""


def load_widget(tenant, slug, *, zone_name=None, days=DEFAULT_DAYS, now=None):
    """The widget's data for the tenant's published event type `slug`, or None."""
    from booking.errors import BookingError
    from booking.models import EventType
    from booking.services.slots import find_slots

    event_type = (EventType.objects.for_tenant(tenant).filter(slug=slug, is_published=True)
                  .select_related("tenant").first()) if slug else None
    if event_type is None:
        return None
    now = now or timezone.now()
    zone = ZoneInfo(zone_name or "UTC")
    days = max(1, min(int(days or DEFAULT_DAYS), MAX_DAYS))
    first_day = now.astimezone(zone).date()
    last_day = first_day + timedelta(days=days - 1)
    try:
        items = find_slots(event_type, first_day=first_day, last_day=last_day, zone=zone, now=now)
    except BookingError:
        items = []
    by_date = {
        day: [WidgetTime(start=item.start, end=item.end, url=time_url(event_type, item),
                         seats_left=getattr(item, "seats_left", None), session_id=getattr(item, "session_id", None))
              for item in group]
        for day, group in groupby(items, key=lambda item: item.start.astimezone(zone).date())
    }
    return BookingWidget(
        event_type=event_type, zone=zone.key, zone_chosen=bool(zone_name), first_day=first_day, last_day=last_day,
        days=label_days([WidgetDay(date=first_day + timedelta(days=n), times=by_date.get(first_day + timedelta(days=n), []))
                         for n in range(days)], zone),
        api_url=_reverse("booking_api:event_type_slots", event_type_id=event_type.pk),
        page_url=_reverse("booking:event_type", slug=event_type.slug),
        session_url=_reverse("booking:book_session", session_id=0),
        slot_url=_reverse("booking:book_slot", slug=event_type.slug),
    )


def sample_widget(days=DEFAULT_DAYS, now=None):
    """Made-up times for the editor's block preview, which has no tenant."""
    from booking.models import EventType

    now = now or timezone.now()
    event_type = EventType(title="Trial lesson", slug="trial-lesson", kind=EventType.Kind.ONE_ON_ONE,
                           duration_minutes=45)
    first_day = now.astimezone(UTC).date()
    widget_days = []
    for n in range(max(1, min(int(days or DEFAULT_DAYS), MAX_DAYS))):
        day = first_day + timedelta(days=n)
        hours = [] if day.weekday() == 6 else [9, 10, 14, 16][: 1 + n % 4]
        widget_days.append(WidgetDay(date=day, times=[
            WidgetTime(start=datetime(day.year, day.month, day.day, hour, tzinfo=UTC),
                       end=datetime(day.year, day.month, day.day, hour, 45, tzinfo=UTC), url="#")
            for hour in hours]))
    return BookingWidget(event_type=event_type, zone="UTC", zone_chosen=True, first_day=first_day,
                         last_day=widget_days[-1].date, days=label_days(widget_days, UTC), api_url="", page_url="#")
