"""Periodic booking jobs (celery beat, see CELERY_BEAT_SCHEDULE). Each is safe to run
twice: every state change is a conditional update from the state it leaves."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .services import bookings, waitlist


@shared_task
def expire_holds():
    """Release the seats of unpaid bookings whose hold has run out."""
    return bookings.expire_holds()


@shared_task
def expire_waitlist_offers():
    """Pass unclaimed waitlist offers on to the next person in line."""
    return waitlist.expire_offers()


@shared_task
def check_seat_drift():
    """Log sessions (ending in the last 30 days or later) whose seats_taken differs
    from what their bookings and offers hold. Returns how many drifted."""
    return len(bookings.check_seat_drift(since=timezone.now() - timedelta(days=30)))
