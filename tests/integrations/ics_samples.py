"""Small ICS calendars for the calendar feed tests."""

import datetime as dt


def calendar(*events, extra=""):
    body = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Tests//Calendar feeds//EN", *([extra] if extra else []), *events, "END:VCALENDAR", ""])
    return body.encode()


def event(uid, start, end=None, **props):
    """A VEVENT; start/end are ICS value strings with their parameters,
    e.g. ";TZID=Europe/London:20250324T100000" or ":20250324T100000Z"."""
    lines = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20250101T000000Z", f"DTSTART{start}"]
    if end is not None:
        lines.append(f"DTEND{end}")
    for name, value in props.items():
        name = name.replace("_", "-").upper()
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"{name}{item}" if item.startswith((":", ";")) else f"{name}:{item}")
    lines.append("END:VEVENT")
    return "\r\n".join(lines)


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.timezone.utc)


def ics_local(value, tz="Europe/London"):
    """;TZID=<tz>:YYYYMMDDTHHMMSS for a naive local datetime."""
    return f";TZID={tz}:{value:%Y%m%dT%H%M%S}"


def ics_utc(value):
    return f":{value.astimezone(dt.timezone.utc):%Y%m%dT%H%M%SZ}"


def next_weekday(weekday, *, after=None, weeks_ahead=1):
    """A date on the given weekday (0 = Monday) at least `weeks_ahead` weeks from today."""
    start = (after or dt.date.today()) + dt.timedelta(weeks=weeks_ahead)
    return start + dt.timedelta(days=(weekday - start.weekday()) % 7)


def weekly_lessons_calendar(first_monday, *, tz="Europe/London"):
    """A weekly Monday 10:00-11:00 event (6 weeks) in `tz`: week 3 excluded (EXDATE),
    week 4 moved to 15:00 (RECURRENCE-ID), plus a free (transparent) and a cancelled event."""
    def at(week, hour):
        return dt.datetime.combine(first_monday + dt.timedelta(weeks=week), dt.time(hour))

    return calendar(
        event("weekly@test", ics_local(at(0, 10), tz), ics_local(at(0, 11), tz),
              rrule="FREQ=WEEKLY;COUNT=6", exdate=ics_local(at(2, 10), tz), summary="Private lesson"),
        event("weekly@test", ics_local(at(3, 15), tz), ics_local(at(3, 16), tz),
              recurrence_id=ics_local(at(3, 10), tz)),
        event("free@test", ics_local(at(0, 13), tz), ics_local(at(0, 14), tz), transp="TRANSPARENT"),
        event("cancelled@test", ics_local(at(0, 16), tz), ics_local(at(0, 17), tz), status="CANCELLED"),
    )
