"""What each event's `data` holds: plain JSON of the booking, session or payment."""

from booking.models import Booking, Session


def booking_data(booking):
    event_type = booking.event_type
    return {
        "id": str(booking.uid),
        "status": booking.status,
        "event_type": {"id": event_type.pk, "slug": event_type.slug, "title": event_type.title,
                       "kind": event_type.kind},
        "session_id": booking.session_id,
        "start": booking.start,
        "end": booking.end,
        "seats": booking.seats,
        "attendee": {"email": booking.attendee_email, "name": booking.attendee.get_full_name()},
        "teacher": booking.teacher.email if booking.teacher_id else None,
        "amount": str(booking.amount),
        "currency": booking.currency,
        "source": booking.source,
        "created_at": booking.created_at,
        "confirmed_at": booking.confirmed_at,
        "cancelled_at": booking.cancelled_at,
        "cancellation_reason": booking.cancellation_reason,
        "cancelled_by": booking.cancelled_by_role or None,
    }


def load_booking(booking_id):
    return (Booking.objects.select_related("event_type", "attendee", "teacher").filter(pk=booking_id).first())


def session_data(session):
    return {
        "id": session.pk,
        "event_type": {"id": session.event_type_id, "slug": session.event_type.slug,
                       "title": session.event_type.title},
        "start": session.start,
        "end": session.end,
        "status": session.status,
        "capacity": session.capacity,
        "seats_taken": session.seats_taken,
        "teacher": session.teacher.email if session.teacher_id else None,
    }


def load_session(session_id):
    return Session.objects.select_related("event_type", "teacher").filter(pk=session_id).first()


def plain(value):
    """Signal keyword arguments as JSON values (ids, strings, numbers, dates)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return str(value)
