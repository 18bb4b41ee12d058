"""Sessions as CSV and ICS (admin exports; reusable by calendar feeds)."""

import csv
import io
from datetime import timezone
from zoneinfo import ZoneInfo

from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from .services.teachers import meeting_url_for

UTC = timezone.utc

CSV_COLUMNS = ("session_id", "event_type", "kind", "teacher", "teacher_email", "start_utc", "end_utc",
               "start_local", "time_zone", "capacity", "seats_taken", "seats_left", "status", "series_id",
               "attendees")


def attendee_text(line):
    """One attendee in an export cell: "Name <email>", a participant not named yet, or
    the booker with their seats; a participant shows who booked them."""
    if line.participant is not None and not line.email:
        who = _("(name to come)")
    else:
        who = f"{line.name} <{line.email}>" if line.name else line.email
    if line.participant is not None and line.email != line.booking.attendee_email:
        who += " " + _("(booked by %(booker)s)") % {"booker": line.booking.attendee_email}
    if line.seats > 1:
        who += f" ×{line.seats}"
    return who


def export_queryset(queryset):
    return queryset.select_related("event_type", "teacher", "tenant").order_by("start", "pk")


def sessions_csv(sessions, *, zone="UTC"):
    """CSV text, one row per session; local times in `zone`; its attendees (each
    participant of a group on their own) in the last column, separated by "; "."""
    from .services.participants import attendees_for_sessions

    sessions = list(sessions)
    attendees = attendees_for_sessions(sessions)
    local = ZoneInfo(zone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for s in sessions:
        writer.writerow([
            s.pk, s.event_type.title, s.event_type.kind, str(s.teacher), s.teacher.email,
            s.start.astimezone(UTC).isoformat(), s.end.astimezone(UTC).isoformat(),
            s.start.astimezone(local).strftime("%Y-%m-%d %H:%M"), zone, s.capacity, s.seats_taken, s.seats_left,
            s.status, s.series_id or "", "; ".join(attendee_text(line) for line in attendees.get(s.pk, [])),
        ])
    return out.getvalue()


def session_event(session):
    event = Event()
    event_type = session.event_type
    event.add("uid", f"session-{session.pk}@{session.tenant.hostname}")
    event.add("dtstamp", dj_timezone.now())
    event.add("dtstart", session.start.astimezone(UTC))
    event.add("dtend", session.end.astimezone(UTC))
    event.add("summary", event_type.title)
    description = [_("Teacher: %(teacher)s") % {"teacher": session.teacher},
                   _("Seats taken: %(taken)s of %(capacity)s") % {"taken": session.seats_taken,
                                                                  "capacity": session.capacity}]
    event.add("description", "\n".join(description))
    location = meeting_url_for(session) or event_type.address  # the session's own link first
    if location:
        event.add("location", location)
    event.add("status", "CANCELLED" if session.is_cancelled else "CONFIRMED")
    return event


def sessions_ics(sessions, *, name):
    calendar = Calendar()
    calendar.add("prodid", "-//Lingua Sites//Sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for session in sessions:
        calendar.add_component(session_event(session))
    return calendar.to_ical()
