"""The booking app's part of a student's data rights (see site_platform.data_rights)."""

from django.db.models import Q

from site_platform.data_rights import PersonalDataSource, register

from .models import Booking, WaitlistEntry, WhitelistEntry


def _bookings(tenant, user):
    return Booking.objects.for_tenant(tenant).filter(Q(attendee=user) | Q(attendee_email__iexact=user.email))


def export_bookings(tenant, user):
    return [
        {"uid": str(b.uid), "event_type": b.event_type.title, "start": b.start, "end": b.end,
         "status": b.status, "seats": b.seats, "amount": b.amount, "currency": b.currency,
         "answers": b.answers, "attendee_email": b.attendee_email, "source": b.source,
         "cancellation_reason": b.cancellation_reason, "created_at": b.created_at}
        for b in _bookings(tenant, user).select_related("event_type").order_by("created_at")
    ]


def erase_bookings(tenant, user, placeholder):
    # Amounts, seats and dates stay: they are the school's financial and attendance records.
    return _bookings(tenant, user).update(attendee_email=placeholder, answers={}, cancellation_reason="")


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
    register(PersonalDataSource("whitelist", export_whitelist, erase_whitelist))
    register(PersonalDataSource("waitlist", export_waitlist, erase_waitlist))
    register(PersonalDataSource("emails_sent", export_emails_sent, erase_emails_sent))
