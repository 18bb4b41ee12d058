"""Open slots of an event type: input checks, the database loaders, and the call
into the pure computation in `booking.services.availability`.

The loaders fetch everything a request needs in a fixed number of queries,
whatever the number of days, sessions or busy intervals:

  one-to-one:  hosts (1) + schedules with ranges, overrides, blackouts (4)
               + teachers' busy time (`load_teacher_busy`: sessions 1 + bookings 1
               + each external provider's own)
  sessions:    sessions (1) + series summary for whole-series event types (1)
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import F, Min, Prefetch
from django.utils import timezone as dj_timezone

from .. import busy as external
from ..errors import BookingError
from ..models.common import timezone_names
from ..models import AvailabilityRange, Blackout, Booking, DateOverride, EventHost, EventType, Schedule, Session
from . import availability
from .availability import HostData, ScheduleData, SessionData, SlotRules, WeeklyHours
from .teachers import TEACHING_ROLES

MAX_RANGE_DAYS = 93
# Busy rows are fetched this far beyond the window, so buffered events just outside it still count.
BUSY_MARGIN = timedelta(days=1)
# Dates the services accept: near year 1 or 9999 the margins above (and time-zone
# conversions) overflow Python's datetime; nothing is scheduled that far out anyway.
EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def check_date_range(*moments):
    """Refuse (BookingError "date_out_of_range") any date or datetime outside
    EARLIEST_DATE..LATEST_DATE; None is skipped."""
    for moment in moments:
        if moment is None:
            continue
        day = moment.date() if isinstance(moment, datetime) else moment
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise BookingError("date_out_of_range", first=EARLIEST_DATE.isoformat(), last=LATEST_DATE.isoformat())


@dataclass
class TeacherTime:
    """A teacher's busy time as the loaders found it."""

    busy: list = field(default_factory=list)  # (start, end, reason) in UTC, widened by the event's buffers
    appointments: list = field(default_factory=list)  # starts counted by one-to-one daily limits


def parse_zone(name):
    name = (name or "").strip()
    if name not in timezone_names():
        raise BookingError("timezone_unknown", zone=name)
    return ZoneInfo(name)


def parse_date(value, field_name):
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise BookingError("date_invalid", value=value, field=field_name) from None


def parse_range(start, end, zone_name):
    """Check a slot request's query. Returns (first_day, last_day, zone); both days inclusive."""
    if not start or not end:
        raise BookingError("date_missing")
    zone = parse_zone(zone_name)
    first_day, last_day = parse_date(start, "start"), parse_date(end, "end")
    if first_day > last_day:
        raise BookingError("range_reversed", start=first_day, end=last_day)
    days = (last_day - first_day).days + 1
    if days > MAX_RANGE_DAYS:
        raise BookingError("range_too_long", max_days=MAX_RANGE_DAYS, days=days)
    return first_day, last_day, zone


def day_window(first_day, last_day, zone):
    """UTC bounds of local dates first_day..last_day in the zone."""
    start = datetime.combine(first_day, time(0), tzinfo=zone).astimezone(availability.UTC)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone).astimezone(availability.UTC)
    return start, end


def load_teacher_busy(tenant, teacher_ids, start, end, *, exclude_session_ids=(), exclude_booking_ids=(),
                      include_blackouts=False):
    """Busy time of the teachers between start and end: {teacher_id: TeacherTime}.

    Sources, in a fixed number of queries:
      - their scheduled sessions of any event type in the tenant (one query),
        widened by each session's event-type buffers;
      - busy time from external providers (`booking.busy`, e.g. calendar feeds);
      - with include_blackouts, their blackouts (one query; slot computation
        reads blackouts from the schedule instead, as they take no buffers).

      - their one-to-one bookings holding time (one query), widened by each
        booking's event-type buffers; each also counts as an appointment
        (daily limits). Session bookings need nothing: the session is busy time.
    """
    check_date_range(start, end)
    teacher_ids = list(teacher_ids)
    result = {teacher_id: TeacherTime() for teacher_id in teacher_ids}
    if not teacher_ids:
        return result
    sessions = (
        Session.objects.for_tenant(tenant)
        .filter(teacher_id__in=teacher_ids, status=Session.Status.SCHEDULED,
                start__lt=end + BUSY_MARGIN, end__gt=start - BUSY_MARGIN)
        .exclude(pk__in=list(exclude_session_ids))
        .values_list("teacher_id", "start", "end", "event_type__buffer_before_minutes",
                     "event_type__buffer_after_minutes")
    )
    for teacher_id, s_start, s_end, before, after in sessions:
        result[teacher_id].busy.append(
            (s_start - timedelta(minutes=before), s_end + timedelta(minutes=after), "session"))
    bookings = (
        Booking.objects.for_tenant(tenant)
        .filter(teacher_id__in=teacher_ids, session__isnull=True, status__in=Booking.HOLDING,
                start__lt=end + BUSY_MARGIN, end__gt=start - BUSY_MARGIN)
        .exclude(pk__in=list(exclude_booking_ids))
        .values_list("teacher_id", "start", "end", "event_type__buffer_before_minutes",
                     "event_type__buffer_after_minutes")
    )
    for teacher_id, b_start, b_end, before, after in bookings:
        result[teacher_id].busy.append(
            (b_start - timedelta(minutes=before), b_end + timedelta(minutes=after), "booking"))
        result[teacher_id].appointments.append(b_start)
    if include_blackouts:
        blackouts = Blackout.objects.for_tenant(tenant).filter(
            schedule__teacher_id__in=teacher_ids, start__lt=end + BUSY_MARGIN, end__gt=start - BUSY_MARGIN,
        ).values_list("schedule__teacher_id", "start", "end")
        for teacher_id, b_start, b_end in blackouts:
            result[teacher_id].busy.append((b_start, b_end, "blackout"))
    for teacher_id, intervals in external.external_busy(tenant, teacher_ids, start - BUSY_MARGIN,
                                                        end + BUSY_MARGIN).items():
        if teacher_id in result:
            result[teacher_id].busy.extend((b_start, b_end, "calendar") for b_start, b_end in intervals)
    return result


def load_schedules(tenant, teacher_ids, start, end):
    """{teacher_id: ScheduleData} for the teachers that have a schedule (4 queries)."""
    first_day = (start - timedelta(days=2)).date()
    last_day = (end + timedelta(days=2)).date()
    schedules = (
        Schedule.objects.for_tenant(tenant).filter(teacher_id__in=list(teacher_ids))
        .prefetch_related(
            Prefetch("ranges", queryset=AvailabilityRange.objects.order_by("weekday", "start_time")),
            Prefetch("overrides", queryset=DateOverride.objects.filter(date__gte=first_day, date__lte=last_day)),
            Prefetch("blackouts", queryset=Blackout.objects.filter(start__lt=end + BUSY_MARGIN,
                                                                   end__gt=start - BUSY_MARGIN)),
        )
    )
    return {schedule.teacher_id: schedule_data(schedule) for schedule in schedules}


def schedule_data(schedule):
    overrides = {}
    for override in schedule.overrides.all():
        hours = overrides.setdefault(override.date, [])
        if override.unavailable:
            overrides[override.date] = hours = []
            hours.append(None)
        elif override.start_time is not None and override.end_time is not None:
            hours.append((override.start_time, override.end_time))
    # A date with an "unavailable" row has no hours, whatever other rows say.
    overrides = {day: ([] if None in hours else hours) for day, hours in overrides.items()}
    return ScheduleData(
        timezone=schedule.timezone,
        weekly=tuple(WeeklyHours(r.weekday, r.start_time, r.end_time) for r in schedule.ranges.all()),
        overrides=overrides,
        blackouts=tuple((b.start, b.end) for b in schedule.blackouts.all()),
    )


def slot_rules(event_type):
    return SlotRules(
        duration=event_type.duration,
        interval=timedelta(minutes=event_type.slot_interval_minutes) if event_type.slot_interval_minutes else None,
        buffer_before=event_type.buffer_before,
        buffer_after=event_type.buffer_after,
        minimum_notice=timedelta(minutes=event_type.minimum_notice_minutes),
        horizon=timedelta(days=event_type.booking_horizon_days),
        daily_limit=event_type.daily_limit_per_teacher,
    )


def host_ids(event_type):
    """Hosts of the event type who still teach in its tenant (one query)."""
    return list(
        EventHost.objects.filter(
            event_type=event_type, teacher__memberships__tenant_id=event_type.tenant_id,
            teacher__memberships__is_active=True, teacher__memberships__role__in=TEACHING_ROLES,
        ).values_list("teacher_id", flat=True).distinct()
    )


def one_on_one_slots(event_type, window_start, window_end, now, *, exclude_booking_ids=()):
    teachers = host_ids(event_type)
    if not teachers:
        return []
    schedules = load_schedules(event_type.tenant, teachers, window_start, window_end)
    busy = load_teacher_busy(event_type.tenant, list(schedules), window_start, window_end,
                             exclude_booking_ids=exclude_booking_ids)
    hosts = [
        HostData(host_id=teacher_id, schedule=schedule,
                 busy=tuple((start, end) for start, end, _reason in busy[teacher_id].busy),
                 appointments=tuple(busy[teacher_id].appointments))
        for teacher_id, schedule in schedules.items()
    ]
    return availability.compute_slots(rules=slot_rules(event_type), hosts=hosts, window_start=window_start,
                                      window_end=window_end, now=now)


def session_slots(event_type, window_start, window_end, now):
    rows = list(
        Session.objects.for_tenant(event_type.tenant_id)
        .filter(event_type=event_type, status=Session.Status.SCHEDULED, start__gte=window_start,
                start__lt=window_end, seats_taken__lt=F("capacity"))
        .values_list("pk", "start", "end", "teacher_id", "capacity", "seats_taken", "series_id")
    )
    sessions = [SessionData(pk, start, end, teacher, capacity, capacity - taken, series)
                for pk, start, end, teacher, capacity, taken, series in rows]
    if event_type.booked_as == EventType.BookedAs.WHOLE_SERIES:
        sessions = whole_series_view(sessions, now)
    return availability.open_sessions(
        sessions, window_start=window_start, window_end=window_end, now=now,
        minimum_notice=timedelta(minutes=event_type.minimum_notice_minutes),
    )


def whole_series_view(sessions, now):
    """For event types sold as a whole series: only series that have not started, each
    session showing the seats the whole series has left (its fullest session). One query."""
    series_ids = {s.series_id for s in sessions if s.series_id}
    summary = {
        row["series_id"]: row for row in Session.objects.filter(
            series_id__in=series_ids, status=Session.Status.SCHEDULED,
        ).values("series_id").annotate(first=Min("start"), least=Min(F("capacity") - F("seats_taken")))
    }
    result = []
    for s in sessions:
        row = summary.get(s.series_id)
        if row is None or row["first"] <= now:
            continue
        seats_left = min(s.seats_left, row["least"])
        result.append(SessionData(s.session_id, s.start, s.end, s.teacher_id, s.capacity, seats_left, s.series_id))
    return result


def find_slots(event_type, *, first_day, last_day, zone, now=None):
    """Open slots (one-to-one) or sessions with seats left (classes, workshops) starting
    on local dates first_day..last_day in `zone`. Returns availability.Slot or SessionData items."""
    now = now or dj_timezone.now()
    window_start, window_end = day_window(first_day, last_day, zone)
    if event_type.is_one_on_one:
        return one_on_one_slots(event_type, window_start, window_end, now)
    return session_slots(event_type, window_start, window_end, now)
