"""Booking models: what is sold (event types), when teachers are available
(schedules) and the concrete occurrences of classes (sessions)."""

from .event_types import EventHost, EventType
from .schedules import AvailabilityRange, Blackout, DateOverride, Schedule
from .sessions import Session, SessionSeries

__all__ = [
    "AvailabilityRange", "Blackout", "DateOverride", "EventHost", "EventType", "Schedule", "Session",
    "SessionSeries",
]
