"""Booking models: what is sold (event types), when teachers are available
(schedules), the concrete occurrences of classes (sessions), and the bookings,
whitelists and waitlists of students."""

from .api import ApiKey, IdempotencyRecord, PersonalToken
from .bookings import Booking, BookingSeat, WaitlistEntry, WaitlistSeat, WhitelistEntry
from .event_types import EventHost, EventType
from .participants import BookingParticipant
from .schedules import AvailabilityRange, Blackout, DateOverride, Schedule
from .sessions import Session, SessionSeries

__all__ = [
    "ApiKey", "IdempotencyRecord", "PersonalToken",
    "AvailabilityRange", "Blackout", "Booking", "BookingParticipant", "BookingSeat", "DateOverride", "EventHost", "EventType", "Schedule",
    "Session", "SessionSeries", "WaitlistEntry", "WaitlistSeat", "WhitelistEntry",
]
