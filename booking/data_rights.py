"""The booking app's part of a student's data rights (see site_platform.data_rights)."""

from django.db.models import Q

from site_platform.data_rights import PersonalDataSource, register

from .models import Booking, BookingParticipant, WaitlistEntry, WhitelistEntry
from .models.bookings import new_manage_token


def _bookings(tenant, user):
    return Booking.objects.for_tenant(tenant).filter(Q(attendee=user) | Q(attendee_email__iexact=user.email))


def export_bookings(tenant, user):
    """The student's bookings; a group's with the people they named for its seats."""
    rows = list(_bookings(tenant, user).select_related("event_type").prefetch_related("participants")
                .order_by("created_at"))
    return [
        {"uid": str(b.uid), "event_type": b.event_type.title, "start": b.start, "end": b.end,
         "status": b.status, "seats": b.seats, "amount": b.amount, "currency": b.currency,
         "answers": b.answers, "attendee_email": b.attendee_email, "source": b.source,
         "cancellation_reason": b.cancellation_reason, "created_at": b.created_at,
         "participants": [{"name": p.name, "email": p.email, "status": p.status} for p in b.participants.all()]}
        for b in rows
    ]


def _erase_participants(participants, placeholder):
    """Blank the name and email of participant rows and end their links (a new token each);
    their status, seat and the booking's amounts stay."""
    count = 0
    for participant in participants.only("pk"):
        count += BookingParticipant.objects.filter(pk=participant.pk).update(
            name="", email=placeholder, manage_token=new_manage_token())
    return count


def erase_bookings(tenant, user, placeholder):
    # Amounts, seats and dates stay: they are the school's financial and attendance records.
    # The people the student named for a group's seats were given by the student: erased too.
    bookings = _bookings(tenant, user)
    _erase_participants(BookingParticipant.objects.filter(booking__in=bookings.values("pk")).exclude(email=""),
                        placeholder)
    return bookings.update(attendee_email=placeholder, answers={}, cancellation_reason="")


def _participations(tenant, user):
    return BookingParticipant.objects.for_tenant(tenant).filter(email__iexact=user.email)


def export_participations(tenant, user):
    """Seats somebody else booked for this person (a participant of a group booking)."""
    return [{"booking": str(p.booking.uid), "event_type": p.booking.event_type.title, "start": p.booking.start,
             "booked_by": p.booking.attendee_email, "name": p.name, "email": p.email, "status": p.status,
             "created_at": p.created_at}
            for p in _participations(tenant, user).select_related("booking__event_type").order_by("created_at")]


def erase_participations(tenant, user, placeholder):
    # The booking (the booker's, with its payment, seats and amounts) stays as it is.
    return _erase_participants(_participations(tenant, user), placeholder)


def export_whitelist(tenant, user):
    return [{"event_type": e.event_type.title, "email": e.email, "note": e.note, "created_at": e.created_at}
            for e in WhitelistEntry.objects.for_tenant(tenant).filter(email__iexact=user.email)
            .select_related("event_type")]


def erase_whitelist(tenant, user, placeholder):
    return WhitelistEntry.objects.for_tenant(tenant).filter(email__iexact=user.email).delete()[0]


def _waitlist(tenant, user):
    return WaitlistEntry.objects.for_tenant(tenant).filter(Q(user=user) | Q(email__iexact=user.email))


def export_waitlist(tenant, user):
    return [{"session_start": w.session.start, "event_type": w.session.event_type.title, "status": w.status,
             "email": w.email, "created_at": w.created_at}
            for w in _waitlist(tenant, user).select_related("session__event_type")]


def erase_waitlist(tenant, user, placeholder):
    return _waitlist(tenant, user).delete()[0]


def _emails_sent(tenant, user):
    from .notifications.models import NotificationLog

    return NotificationLog.objects.for_tenant(tenant).filter(recipient__iexact=user.email)


def export_emails_sent(tenant, user):
    return [{"kind": n.kind, "recipient": n.recipient, "sent_at": n.sent_at, "language": n.language}
            for n in _emails_sent(tenant, user)]


def erase_emails_sent(tenant, user, placeholder):
    return _emails_sent(tenant, user).update(recipient=placeholder)


def register_sources():
    register(PersonalDataSource("bookings", export_bookings, erase_bookings))
    register(PersonalDataSource("group_participations", export_participations, erase_participations))
    register(PersonalDataSource("whitelist", export_whitelist, erase_whitelist))
    register(PersonalDataSource("waitlist", export_waitlist, erase_waitlist))
    register(PersonalDataSource("emails_sent", export_emails_sent, erase_emails_sent))
