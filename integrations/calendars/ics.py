"""Busy time from an ICS calendar: a pure function over bytes, no database.

`parse_busy_intervals` expands every busy event of a calendar (single events,
RRULE/RDATE recurrences minus EXDATEs, instances moved or cancelled through
RECURRENCE-ID) that overlaps a window, and answers UTC intervals.

What counts as busy: a VEVENT that is not TRANSP:TRANSPARENT ("show as free")
and not STATUS:CANCELLED, with a positive length. Times in a TZID zone (IANA,
Windows names and zones defined in the feed's VTIMEZONE, as icalendar resolves
them) repeat at the same wall-clock time across daylight-saving changes, as
RFC 5545 says; floating times and all-day dates are read in `floating_tz`
(the teacher's zone).
"""

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from icalendar import Calendar
from icalendar.prop import vRecur

from ..errors import IntegrationError

UTC = dt.timezone.utc
MAX_INTERVALS = 20_000
# Rules finer than hourly are not calendar events; expanding one over years of
# history would take minutes, so such a rule counts only its first occurrence.
UNSUPPORTED_FREQS = {"SECONDLY", "MINUTELY"}


@dataclass
class _Occurrence:
    start: dt.datetime
    end: dt.datetime


def parse_calendar(ics_bytes):
    """Parse bytes into an icalendar Calendar; IntegrationError("feed_not_ics") if they are not one."""
    if not ics_bytes or b"BEGIN:VCALENDAR" not in ics_bytes[:4096].upper():
        raise IntegrationError("feed_not_ics")
    try:
        calendar = Calendar.from_ical(ics_bytes)
    except Exception:  # icalendar raises ValueError, KeyError, IndexError... on malformed input
        raise IntegrationError("feed_not_ics") from None
    if isinstance(calendar, list):
        calendar = calendar[0] if calendar else None
    if calendar is None or calendar.name != "VCALENDAR":
        raise IntegrationError("feed_not_ics")
    return calendar


def parse_busy_intervals(ics_bytes, window_start, window_end, *, floating_tz=UTC):
    """Busy intervals of the calendar that overlap [window_start, window_end).

    Returns a sorted list of (start, end) aware UTC datetimes, overlapping
    intervals not merged. Raises IntegrationError("feed_not_ics") when the bytes
    are not an ICS calendar and ("feed_too_many_events") past MAX_INTERVALS.
    """
    if isinstance(floating_tz, str):
        floating_tz = ZoneInfo(floating_tz)
    calendar = parse_calendar(ics_bytes)
    masters, overrides = {}, {}
    singles = []
    for event in calendar.walk("VEVENT"):
        if event.get("DTSTART") is None:
            continue
        uid = str(event.get("UID", "")) or None
        if event.get("RECURRENCE-ID") is not None and uid is not None:
            overrides.setdefault(uid, []).append(event)
        elif uid is not None and uid not in masters:
            masters[uid] = event
        else:
            singles.append(event)

    intervals = []

    def add(occurrence):
        if occurrence.end <= occurrence.start:
            return
        if occurrence.start < window_end and occurrence.end > window_start:
            intervals.append((occurrence.start.astimezone(UTC), occurrence.end.astimezone(UTC)))
            if len(intervals) > MAX_INTERVALS:
                raise IntegrationError("feed_too_many_events", limit=MAX_INTERVALS)

    for uid, master in masters.items():
        moved = overrides.pop(uid, [])
        with _skipping_broken_event():
            replaced = {_instant(o.decoded("RECURRENCE-ID"), floating_tz) for o in moved}
            if _is_busy(master):
                for occurrence in _expand(master, window_start, window_end, floating_tz):
                    if occurrence.start not in replaced:
                        add(occurrence)
        for override in moved:
            with _skipping_broken_event():
                if _is_busy(override):
                    add(_single(override, floating_tz))
    # Instances whose master is not in the feed (a calendar shared without the
    # series, or a feed cut to a date range) still stand on their own.
    for orphans in overrides.values():
        singles.extend(orphans)
    for event in singles:
        with _skipping_broken_event():
            if not _is_busy(event):
                continue
            if event.get("RRULE") is not None or event.get("RDATE") is not None:
                for occurrence in _expand(event, window_start, window_end, floating_tz):
                    add(occurrence)
            else:
                add(_single(event, floating_tz))
    intervals.sort()
    return intervals


@contextmanager
def _skipping_broken_event():
    """One malformed event (a date icalendar cannot read, a rule dateutil refuses)
    is left out rather than failing the whole calendar; its neighbours still count."""
    try:
        yield
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
        pass


def _is_busy(event):
    transparency = str(event.get("TRANSP", "OPAQUE")).strip().upper()
    status = str(event.get("STATUS", "")).strip().upper()
    return transparency != "TRANSPARENT" and status != "CANCELLED"


def _as_aware(value, floating_tz):
    """A DATE or DATE-TIME as an aware datetime: dates at midnight, floating times in floating_tz."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=floating_tz)
    return value


def _instant(value, floating_tz):
    return _as_aware(value, floating_tz).astimezone(UTC)


def _length(event, start):
    """The event's length as a wall-clock timedelta from its start (RFC 5545 3.6.1)."""
    if event.get("DTEND") is not None:
        end = event.decoded("DTEND")
        if isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
            if (start.tzinfo is None) == (end.tzinfo is None):
                return end - start
            return end.replace(tzinfo=None) - start.replace(tzinfo=None)
        if not isinstance(start, dt.datetime) and not isinstance(end, dt.datetime):
            return end - start
        return _as_date(end) - _as_date(start)
    if event.get("DURATION") is not None:
        duration = event.decoded("DURATION")
        if isinstance(duration, dt.timedelta):
            return duration
    # No end and no duration: a date lasts one day, a date-time no time at all.
    return dt.timedelta(days=1) if not isinstance(start, dt.datetime) else dt.timedelta(0)


def _as_date(value):
    return value.date() if isinstance(value, dt.datetime) else value


def _end_of(start, length):
    # Adding a timedelta to an aware datetime is wall-clock arithmetic, so an
    # all-day event ends at the next local midnight even on a clock-change day.
    return start + length


def _single(event, floating_tz):
    raw_start = event.decoded("DTSTART")
    start = _as_aware(raw_start, floating_tz)
    return _Occurrence(start, _end_of(start, _length(event, raw_start)))


def _expand(event, window_start, window_end, floating_tz):
    """Occurrences of a recurring (or single) event that may overlap the window."""
    raw_start = event.decoded("DTSTART")
    all_day = not isinstance(raw_start, dt.datetime)
    start = _as_aware(raw_start, floating_tz)
    length = _length(event, raw_start)

    excluded_instants, excluded_dates = set(), set()
    for exdate in _date_values(event.get("EXDATE")):
        if isinstance(exdate, dt.datetime) or all_day:
            excluded_instants.add(_instant(exdate, floating_tz))
        else:
            excluded_dates.add(exdate)

    # (start, end) pairs; end None means "start + the event's length".
    candidates = [(start, None)]
    # Occurrences that start up to one event length before the window still overlap it.
    lower = window_start - (abs(length) + dt.timedelta(days=1))
    rules = event.get("RRULE")
    for rule in (rules if isinstance(rules, list) else [rules]) if rules is not None else []:
        candidates.extend((occurrence_start, None) for occurrence_start in _rule_starts(
            rule, start, lower, window_end, floating_tz))
    for rdate_start, rdate_end in _rdate_values(event.get("RDATE")):
        rdate_start = _as_aware(rdate_start, floating_tz)
        if isinstance(rdate_end, dt.timedelta):
            rdate_end = rdate_start + rdate_end
        elif rdate_end is not None:
            rdate_end = _as_aware(rdate_end, floating_tz)
        candidates.append((rdate_start, rdate_end))

    seen = set()
    for occurrence_start, occurrence_end in candidates:
        instant = occurrence_start.astimezone(UTC)
        if instant in seen or instant in excluded_instants:
            continue
        if occurrence_start.date() in excluded_dates:
            continue
        seen.add(instant)
        if occurrence_end is None:
            occurrence_end = _end_of(occurrence_start, length)
        yield _Occurrence(instant, occurrence_end.astimezone(UTC))


def _rule_starts(rule, start, lower, upper, floating_tz):
    """Start times of one RRULE between lower and upper, in the zone of start."""
    freq = rule.get("FREQ", [""])[0].upper() if rule.get("FREQ") else ""
    if freq in UNSUPPORTED_FREQS:
        return []
    parts = {key: value for key, value in rule.items() if key.upper() != "UNTIL"}
    text = _recur_text(parts)
    try:
        recurrence = rrulestr(text, dtstart=start)
    except (ValueError, TypeError, IndexError):
        return []
    until = rule.get("UNTIL")
    if until:
        until_value = until[0] if isinstance(until, list) else until
        # RFC 5545 wants UNTIL in UTC when DTSTART has a zone; feeds get it
        # wrong often enough that a floating or date UNTIL is read in the
        # event's own zone rather than refused.
        if not isinstance(until_value, dt.datetime):
            until_value = dt.datetime.combine(until_value, dt.time(23, 59, 59))
        if until_value.tzinfo is None:
            until_value = until_value.replace(tzinfo=start.tzinfo or floating_tz)
        try:
            recurrence = recurrence.replace(until=until_value)
        except (ValueError, TypeError):
            return []
    return recurrence.between(lower, upper, inc=True)


def _recur_text(parts):
    return vRecur(parts).to_ical().decode()


def _date_values(prop):
    if prop is None:
        return []
    values = []
    for item in prop if isinstance(prop, list) else [prop]:
        for value in getattr(item, "dts", []):
            values.append(value.dt)
    return values


def _rdate_values(prop):
    """RDATE values as (start, end-or-duration-or-None)."""
    values = []
    for value in _date_values(prop):
        if isinstance(value, tuple):
            values.append((value[0], value[1]))
        else:
            values.append((value, None))
    return values
