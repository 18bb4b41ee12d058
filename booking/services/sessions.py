"""Sessions of live classes and workshops: created one by one or from a
recurrence rule, edited as a series from a point in time on, cancelled one by one.

Every operation runs in one transaction, checks the teacher's conflicts first
(other sessions of any event type, blackouts, imported calendars and, once the
booking lifecycle lands, one-to-one bookings: see `slots.load_teacher_busy`),
records an audit entry and announces itself after commit (`booking.signals`).
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import WEEKLY, rrule
from django.db import transaction
from django.utils import timezone as dj_timezone
from django.utils.formats import date_format

from site_platform import audit

from .. import signals
from ..errors import BookingError
from ..models import Session, SessionSeries
from .availability import UTC, clashing
from .slots import check_date_range, load_teacher_busy, parse_zone
from .teachers import require_teacher, teacher_timezone

MAX_SERIES_SESSIONS = 366


@dataclass(frozen=True)
class Occurrence:
    day: object  # the local date
    start: datetime  # UTC
    end: datetime  # UTC


@dataclass(frozen=True)
class Conflict:
    day: object
    start: datetime
    reasons: tuple


def occurrence_dates(*, starts_on, weekdays, interval_weeks=1, until=None, count=None):
    """Local dates of a weekly rule: every `interval_weeks` weeks (counted from the week,
    Monday to Sunday, of `starts_on`) on the given weekdays (0 = Monday), from
    `starts_on` until `until` (inclusive) or for `count` dates, whichever comes first."""
    check_date_range(starts_on, until)
    weekdays = sorted({int(day) for day in weekdays or ()})
    if not weekdays:
        raise BookingError("recurrence_no_weekdays")
    if until is None and not count:
        raise BookingError("recurrence_no_end")
    if until is not None and until < starts_on:
        raise BookingError("recurrence_until_before_start")
    if count and count > MAX_SERIES_SESSIONS:
        raise BookingError("recurrence_too_many", max=MAX_SERIES_SESSIONS)
    rule = rrule(
        WEEKLY, interval=max(int(interval_weeks or 1), 1), byweekday=weekdays, wkst=0,
        dtstart=datetime.combine(starts_on, time(0)),
        until=datetime.combine(until, time(0)) if until else None,
        count=count or None,
    )
    days = []
    for moment in rule:
        days.append(moment.date())
        if len(days) > MAX_SERIES_SESSIONS:
            raise BookingError("recurrence_too_many", max=MAX_SERIES_SESSIONS)
    if not days:
        raise BookingError("recurrence_empty")
    return days


def occurrences(days, start_time, duration, zone):
    """The sessions of local dates at a local time, in UTC: same wall-clock time on
    both sides of a daylight-saving change."""
    zone = ZoneInfo(str(zone))
    result = []
    for day in days:
        start = datetime.combine(day, start_time, tzinfo=zone).astimezone(UTC)
        result.append(Occurrence(day, start, start + duration))
    return result


def find_conflicts(tenant, teacher, planned, *, event_type, exclude_session_ids=()):
    """The planned occurrences that clash with the teacher's busy time, widened by the
    event type's buffers. A fixed number of queries whatever the number of dates."""
    if not planned:
        return []
    start = min(o.start for o in planned) - event_type.buffer_before
    end = max(o.end for o in planned) + event_type.buffer_after
    busy = load_teacher_busy(tenant, [teacher.pk], start, end, exclude_session_ids=exclude_session_ids,
                             include_blackouts=True)[teacher.pk].busy
    conflicts = []
    by_reason = [(b_start, b_end, reason) for b_start, b_end, reason in busy]
    clashes = set(clashing([(o.start, o.end, index) for index, o in enumerate(planned)],
                           [(b_start, b_end) for b_start, b_end, _r in by_reason],
                           buffer_before=event_type.buffer_before, buffer_after=event_type.buffer_after))
    for index in sorted(clashes):
        occurrence = planned[index]
        lo, hi = occurrence.start - event_type.buffer_before, occurrence.end + event_type.buffer_after
        reasons = tuple(sorted({reason for b_start, b_end, reason in by_reason if b_start < hi and b_end > lo}))
        conflicts.append(Conflict(occurrence.day, occurrence.start, reasons))
    return conflicts


def format_days(days):
    return ", ".join(date_format(day, "D j M Y") for day in days)


def _require_session_kind(event_type):
    if not event_type.has_sessions:
        raise BookingError("wrong_event_kind", event=event_type, kind=event_type.get_kind_display())


def _announce(signal, **kwargs):
    transaction.on_commit(lambda: signal.send(sender=Session, **kwargs))


def plan_series(*, event_type, teacher, weekdays, start_time, duration_minutes, starts_on, until=None,
                count=None, interval_weeks=1, timezone=None):
    """Check a rule and return (zone name, occurrences, conflicts) without creating anything."""
    tenant = event_type.tenant
    _require_session_kind(event_type)
    require_teacher(tenant, teacher)
    zone = timezone or teacher_timezone(tenant, teacher)
    parse_zone(zone)
    days = occurrence_dates(starts_on=starts_on, weekdays=weekdays, interval_weeks=interval_weeks,
                            until=until, count=count)
    planned = occurrences(days, start_time, timedelta(minutes=duration_minutes or event_type.duration_minutes), zone)
    return zone, planned, find_conflicts(tenant, teacher, planned, event_type=event_type)


def create_series(*, event_type, teacher, weekdays, start_time, starts_on, duration_minutes=None, until=None,
                  count=None, interval_weeks=1, timezone=None, capacity=None, skip_conflicts=False, actor=None):
    """Create a series and its sessions. Returns (series, sessions, skipped conflicts).

    If the teacher is busy on some dates, raises BookingError("recurrence_conflicts")
    with `params["conflicts"]` (a list of Conflict) and creates nothing, unless
    `skip_conflicts` is true: then those dates are left out (a `count` is not made up).
    """
    duration_minutes = duration_minutes or event_type.duration_minutes
    capacity = capacity or event_type.seats_per_session
    with transaction.atomic():
        zone, planned, conflicts = plan_series(
            event_type=event_type, teacher=teacher, weekdays=weekdays, start_time=start_time,
            duration_minutes=duration_minutes, starts_on=starts_on, until=until, count=count,
            interval_weeks=interval_weeks, timezone=timezone,
        )
        if conflicts and not skip_conflicts:
            raise BookingError("recurrence_conflicts", count=len(conflicts),
                               dates=format_days(c.day for c in conflicts), conflicts=conflicts)
        clash_days = {c.day for c in conflicts}
        keep = [o for o in planned if o.day not in clash_days]
        if not keep:
            raise BookingError("recurrence_empty")
        tenant = event_type.tenant
        series = SessionSeries.objects.create(
            tenant=tenant, event_type=event_type, teacher=teacher, timezone=zone, interval_weeks=interval_weeks,
            weekdays=sorted({int(d) for d in weekdays}), start_time=start_time, duration_minutes=duration_minutes,
            starts_on=starts_on, until=until, count=count, capacity=capacity,
        )
        sessions = Session.objects.bulk_create([
            Session(tenant=tenant, event_type=event_type, series=series, teacher=teacher, start=o.start, end=o.end,
                    capacity=capacity)
            for o in keep
        ])
        session_ids = list(Session.objects.filter(series=series).values_list("pk", flat=True))
        audit.record("booking.series_created", tenant=tenant, actor=actor, target=f"series:{series.pk}",
                     event_type=event_type.pk, teacher=teacher.pk, sessions=len(session_ids),
                     skipped=[c.day.isoformat() for c in conflicts])
        _announce(signals.sessions_created, tenant=tenant, session_ids=session_ids, series=series, actor=actor)
    return series, sessions, conflicts


def update_series(series, *, start_time=None, duration_minutes=None, capacity=None, teacher=None, now=None,
                  actor=None):
    """Change the series' sessions that have not started yet; past sessions stay as they were.

    A new start time keeps each session's local date in the series' zone. Refuses
    (BookingError, nothing changed) if the teacher is busy at a new time or a
    session already has more seats taken than the new capacity.
    Returns the number of sessions changed.
    """
    now = now or dj_timezone.now()
    tenant = series.tenant
    with transaction.atomic():
        series = SessionSeries.objects.select_for_update().get(pk=series.pk)
        teacher = teacher or series.teacher
        require_teacher(tenant, teacher)
        start_time = start_time or series.start_time
        duration = timedelta(minutes=duration_minutes or series.duration_minutes)
        zone = ZoneInfo(series.timezone)
        future = list(Session.objects.select_for_update().filter(
            series=series, status=Session.Status.SCHEDULED, start__gt=now).order_by("start"))
        planned = []
        for session in future:
            day = session.start.astimezone(zone).date()
            new_start = datetime.combine(day, start_time, tzinfo=zone).astimezone(UTC)
            planned.append(Occurrence(day, new_start, new_start + duration))
        moved = [o for o, s in zip(planned, future) if (o.start, o.end) != (s.start, s.end)]
        if moved or teacher.pk != series.teacher_id:
            conflicts = find_conflicts(tenant, teacher, planned if teacher.pk != series.teacher_id else moved,
                                       event_type=series.event_type,
                                       exclude_session_ids=[s.pk for s in future])
            if conflicts:
                raise BookingError("edit_conflicts", dates=format_days(c.day for c in conflicts),
                                   conflicts=conflicts)
        if capacity is not None:
            taken = max((s.seats_taken for s in future), default=0)
            if capacity < taken:
                raise BookingError("capacity_below_taken", taken=taken)
        for session, occurrence in zip(future, planned):
            session.start, session.end, session.teacher = occurrence.start, occurrence.end, teacher
            if capacity is not None:
                session.capacity = capacity
        Session.objects.bulk_update(future, ["start", "end", "teacher", "capacity"])
        series.start_time, series.teacher = start_time, teacher
        series.duration_minutes = int(duration.total_seconds() // 60)
        if capacity is not None:
            series.capacity = capacity
        series.save(update_fields=["start_time", "duration_minutes", "teacher", "capacity"])
        audit.record("booking.series_updated", tenant=tenant, actor=actor, target=f"series:{series.pk}",
                     sessions=len(future), start_time=start_time.isoformat(), capacity=series.capacity,
                     teacher=teacher.pk)
        _announce(signals.sessions_changed, tenant=tenant, session_ids=[s.pk for s in future], series=series,
                  actor=actor)
    return len(future)


def create_session(*, event_type, teacher, start, end, capacity=None, actor=None):
    """One session at a fixed time. Refuses if the teacher is busy then."""
    _require_session_kind(event_type)
    check_date_range(start, end)
    if end <= start:
        raise BookingError("invalid_times")
    tenant = event_type.tenant
    with transaction.atomic():
        require_teacher(tenant, teacher)
        zone = ZoneInfo(teacher_timezone(tenant, teacher))
        planned = [Occurrence(start.astimezone(zone).date(), start, end)]
        conflicts = find_conflicts(tenant, teacher, planned, event_type=event_type)
        if conflicts:
            raise BookingError("teacher_busy", dates=format_days(c.day for c in conflicts), conflicts=conflicts)
        session = Session.objects.create(tenant=tenant, event_type=event_type, teacher=teacher, start=start,
                                         end=end, capacity=capacity or event_type.seats_per_session)
        audit.record("booking.session_created", tenant=tenant, actor=actor, target=f"session:{session.pk}",
                     event_type=event_type.pk, teacher=teacher.pk, start=start.isoformat())
        _announce(signals.sessions_created, tenant=tenant, session_ids=[session.pk], series=None, actor=actor)
    return session


def cancel_session(session, *, actor=None, reason=""):
    """Cancel one session (the rest of its series stays). Doing it twice changes nothing.
    Returns True if this call cancelled it."""
    with transaction.atomic():
        changed = Session.objects.filter(pk=session.pk, status=Session.Status.SCHEDULED).update(
            status=Session.Status.CANCELLED, cancelled_at=dj_timezone.now())
        session.refresh_from_db(fields=["status", "cancelled_at"])
        if changed:
            audit.record("booking.session_cancelled", tenant=session.tenant, actor=actor,
                         target=f"session:{session.pk}", reason=reason)
            _announce(signals.session_cancelled, tenant=session.tenant, session=session, actor=actor, reason=reason)
    return bool(changed)


def update_session(session, *, teacher, start, end, capacity, actor=None):
    """Change one session's teacher, times or seats. Refuses if the teacher is busy at
    the new time or more seats are taken than the new capacity."""
    check_date_range(start, end)
    if end <= start:
        raise BookingError("invalid_times")
    tenant = session.tenant
    with transaction.atomic():
        current = Session.objects.select_for_update().get(pk=session.pk)
        require_teacher(tenant, teacher)
        if capacity < current.seats_taken:
            raise BookingError("capacity_below_taken", taken=current.seats_taken)
        if (teacher.pk, start, end) != (current.teacher_id, current.start, current.end):
            zone = ZoneInfo(teacher_timezone(tenant, teacher))
            conflicts = find_conflicts(tenant, teacher, [Occurrence(start.astimezone(zone).date(), start, end)],
                                       event_type=current.event_type, exclude_session_ids=[current.pk])
            if conflicts:
                raise BookingError("teacher_busy", dates=format_days(c.day for c in conflicts),
                                   conflicts=conflicts)
        current.teacher, current.start, current.end, current.capacity = teacher, start, end, capacity
        current.save(update_fields=["teacher", "start", "end", "capacity"])
        audit.record("booking.session_updated", tenant=tenant, actor=actor, target=f"session:{current.pk}",
                     teacher=teacher.pk, start=start.isoformat(), end=end.isoformat(), capacity=capacity)
        _announce(signals.sessions_changed, tenant=tenant, session_ids=[current.pk], series=current.series,
                  actor=actor)
    return current
