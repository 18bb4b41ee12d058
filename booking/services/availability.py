"""Open slots, computed from plain data: no database, no clock.

Everything here takes and returns aware datetimes in UTC (except the local
wall-clock times of a weekly schedule, which are turned into UTC with the
schedule's IANA zone). The loaders in `booking.services.slots` fetch the data;
this module is what the tests and `bench/slots.py` exercise directly.

Rules, in the order they are applied to each candidate slot of a host:

1. Candidates start at the beginning of each window of the host's hours (weekly
   hours, or that date's overrides) and repeat every `interval`; a candidate must
   end inside its window. Local times that do not exist (the spring-forward gap)
   are read with the offset before the change; ambiguous ones as the first.
2. A candidate that overlaps a blackout is dropped (no buffer applies to
   blackouts: time off simply removes hours).
3. The candidate widened by the event's buffers (before and after) must not
   overlap busy time. Busy intervals arrive already widened by their own
   buffers, so two events with 15-minute buffers end up 30 minutes apart.
4. It must start no sooner than `now + minimum_notice` and no later than
   `now + horizon`, and inside the requested window.
5. With a daily limit, a host who already has `daily_limit` appointments on a
   local date (in the host's zone) offers nothing that date.

A slot is open when at least one host passes all of them; the answer lists
which hosts are free for it.
"""

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class WeeklyHours:
    weekday: int  # 0 = Monday
    start: time
    end: time  # time(0) means midnight at the end of the day


@dataclass(frozen=True)
class ScheduleData:
    timezone: str
    weekly: tuple = ()
    overrides: dict = field(default_factory=dict)  # date -> [(start, end), ...]; [] = unavailable all day
    blackouts: tuple = ()  # (start, end) in UTC


@dataclass(frozen=True)
class HostData:
    host_id: int
    schedule: ScheduleData | None
    busy: tuple = ()  # (start, end) in UTC, already widened by their own buffers
    appointments: tuple = ()  # start datetimes of bookings counted by the daily limit


@dataclass(frozen=True)
class SlotRules:
    duration: timedelta
    interval: timedelta | None = None  # None: the duration
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    minimum_notice: timedelta = timedelta(0)
    horizon: timedelta = timedelta(days=365)
    daily_limit: int | None = None


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    host_ids: tuple


@dataclass(frozen=True)
class SessionData:
    session_id: int
    start: datetime
    end: datetime
    teacher_id: int
    capacity: int
    seats_left: int
    series_id: int | None = None


def local_to_utc(day, wall_time, zone):
    return datetime.combine(day, wall_time, tzinfo=zone).astimezone(UTC)


def _window_end(day, end, zone):
    if end == time(0):
        return local_to_utc(day + ONE_DAY, time(0), zone)
    return local_to_utc(day, end, zone)


def availability_windows(schedule, first_day, last_day):
    """The host's hours on local dates first_day..last_day (inclusive), as UTC intervals,
    in order. Overrides replace the weekly hours of their date. Blackouts are not applied."""
    zone = ZoneInfo(schedule.timezone)
    by_weekday = {}
    for hours in schedule.weekly:
        by_weekday.setdefault(hours.weekday, []).append((hours.start, hours.end))
    windows = []
    day = first_day
    while day <= last_day:
        ranges = schedule.overrides.get(day)
        if ranges is None:
            ranges = by_weekday.get(day.weekday(), ())
        for start, end in ranges:
            window = (local_to_utc(day, start, zone), _window_end(day, end, zone))
            if window[1] > window[0]:
                windows.append(window)
        day += ONE_DAY
    windows.sort()
    return windows


def merge_intervals(intervals):
    """Sorted, disjoint intervals covering the same time (touching ones joined)."""
    merged = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


class IntervalSet:
    """Answers "does [start, end) overlap any of these intervals?" in O(log n)."""

    __slots__ = ("starts", "ends")

    def __init__(self, intervals):
        merged = merge_intervals(intervals)
        self.starts = [start for start, _end in merged]
        self.ends = [end for _start, end in merged]

    def overlaps(self, start, end):
        index = bisect_left(self.starts, end) - 1
        return index >= 0 and self.ends[index] > start

    def __bool__(self):
        return bool(self.starts)


def _host_slots(host, rules, window_start, window_end, now):
    if host.schedule is None:
        return []
    zone = ZoneInfo(host.schedule.timezone)
    duration = rules.duration
    step = rules.interval or duration
    earliest = max(window_start, now + rules.minimum_notice)
    latest = min(window_end - timedelta(microseconds=1), now + rules.horizon)
    if earliest > latest:
        return []
    first_day = earliest.astimezone(zone).date() - ONE_DAY
    last_day = latest.astimezone(zone).date()
    blackouts = IntervalSet(host.schedule.blackouts)
    busy = IntervalSet(host.busy)
    full_days = set()
    if rules.daily_limit is not None:
        per_day = Counter(start.astimezone(zone).date() for start in host.appointments)
        full_days = {day for day, count in per_day.items() if count >= rules.daily_limit}

    slots = []
    for open_from, open_until in availability_windows(host.schedule, first_day, last_day):
        if open_until <= earliest or open_from > latest:
            continue
        start = open_from
        if start < earliest:
            start += step * -((open_from - earliest) // step)
        while start <= latest:
            end = start + duration
            if end > open_until:
                break
            if not (blackouts and blackouts.overlaps(start, end)) and not (
                busy and busy.overlaps(start - rules.buffer_before, end + rules.buffer_after)
            ) and not (full_days and start.astimezone(zone).date() in full_days):
                slots.append((start, end))
            start += step
    return slots


def compute_slots(*, rules, hosts, window_start, window_end, now):
    """Open one-to-one slots starting in [window_start, window_end), all in UTC."""
    open_hosts = {}
    for host in hosts:
        for start, end in _host_slots(host, rules, window_start, window_end, now):
            open_hosts.setdefault((start, end), []).append(host.host_id)
    return [Slot(start, end, tuple(sorted(set(ids)))) for (start, end), ids in sorted(open_hosts.items())]


def open_sessions(sessions, *, window_start, window_end, now, minimum_notice=timedelta(0)):
    """Sessions with seats left that start in the window and no sooner than the notice allows."""
    earliest = max(window_start, now + minimum_notice)
    return sorted(
        (s for s in sessions if s.seats_left > 0 and earliest <= s.start < window_end),
        key=lambda s: (s.start, s.session_id),
    )


def clashing(candidates, busy, *, buffer_before=timedelta(0), buffer_after=timedelta(0)):
    """The candidates (start, end, key) whose buffered time overlaps busy time; returns their keys."""
    busy_set = IntervalSet(busy)
    return [key for start, end, key in candidates
            if busy_set and busy_set.overlaps(start - buffer_before, end + buffer_after)]
