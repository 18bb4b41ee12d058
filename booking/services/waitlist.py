"""Waitlists of full sessions.

When seats free up (a cancellation, an expired hold, a reschedule, an expired offer),
the first people in line get offers in the same transaction that freed the seats: each
offer takes its seats (`seats_taken`) so nobody else can book them, and holds them
until `offer_expires_at` (default 12 hours, never past the session's start). The
student claims with the link's token and gets a booking on the held seats; an offer
left unclaimed expires (periodic task) and the seats pass to the next person.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone as dj_timezone

from site_platform import audit
from site_platform import usage as plan_usage

from .. import signals
from ..errors import BookingError
from ..models import Booking, EventType, Session, WaitlistEntry, WaitlistSeat
from . import bookings as booking_service
from . import whitelist

OFFER_HOURS = getattr(settings, "BOOKING_WAITLIST_OFFER_HOURS", 12)


def _announce_offer(entry):
    transaction.on_commit(lambda: signals.waitlist_offered.send(
        sender=WaitlistEntry, entry_id=entry.pk, tenant_id=entry.tenant_id, session_id=entry.session_id))


def join_waitlist(session, user, *, seats=1, now=None):
    """Put the user in line for a full session. Joining twice returns the same entry."""
    now = now or dj_timezone.now()
    event_type = session.event_type
    if not event_type.has_sessions:
        raise BookingError("waitlist_unavailable")
    seats = booking_service.parse_seats(seats, event_type)
    whitelist.check_may_book(event_type, user)
    if event_type.booked_as == EventType.BookedAs.WHOLE_SERIES:
        return _join_series(session, user, seats, now)
    with transaction.atomic():
        current = Session.objects.select_for_update().get(pk=session.pk)
        if current.is_cancelled:
            raise BookingError("session_cancelled")
        if current.start <= now:
            raise BookingError("too_late")
        existing = WaitlistEntry.objects.filter(session=current, user=user, status__in=WaitlistEntry.OPEN).first()
        if existing:
            return existing
        waiting = WaitlistEntry.objects.filter(session=current, status=WaitlistEntry.Status.WAITING).exists()
        if current.seats_left >= seats and not waiting:
            raise BookingError("waitlist_has_seats")
        entry = WaitlistEntry.objects.create(tenant_id=current.tenant_id, session=current, user=user,
                                             email=user.email, seats=seats)
        audit.record("booking.waitlist_joined", tenant=current.tenant, actor=user, target=f"session:{current.pk}",
                     entry=entry.pk)
        _offer_locked(current.pk, now)
    entry.refresh_from_db()
    return entry


def _future_series_sessions(series_id, now):
    return list(Session.objects.filter(series_id=series_id, status=Session.Status.SCHEDULED, start__gt=now)
                .order_by("start", "pk"))


def _join_series(session, user, seats, now):
    """The line for a whole-series course (a run): keyed on the series; refused while every
    future session of it has the seats and nobody is waiting (book it instead)."""
    if not session.series_id:
        raise BookingError("waitlist_unavailable")
    with transaction.atomic():
        sessions = _future_series_sessions(session.series_id, now)
        if not sessions:
            raise BookingError("series_empty")
        # Every session of the run, locked in id order (as take_seats and reschedules do).
        list(Session.objects.select_for_update().filter(pk__in=[s.pk for s in sessions]).order_by("pk")
             .values_list("pk", flat=True))
        sessions = _future_series_sessions(session.series_id, now)
        existing = WaitlistEntry.objects.filter(series_id=session.series_id, user=user,
                                                status__in=WaitlistEntry.OPEN).first()
        if existing:
            return existing
        waiting = WaitlistEntry.objects.filter(series_id=session.series_id,
                                               status=WaitlistEntry.Status.WAITING).exists()
        if not waiting and all(s.seats_left >= seats for s in sessions):
            raise BookingError("waitlist_has_seats")
        first = sessions[0]
        entry = WaitlistEntry.objects.create(tenant_id=first.tenant_id, session=first, series_id=first.series_id,
                                             user=user, email=user.email, seats=seats)
        audit.record("booking.waitlist_joined", tenant=first.tenant, actor=user, target=f"series:{first.series_id}",
                     entry=entry.pk)
        _offer_series_locked(first.series_id, now)
    entry.refresh_from_db()
    return entry


def _offer_series_locked(series_id, now):
    """Offer a run's free seats to its line: the first waiting gets a seat held in every
    future session, or nobody does (a group that does not fit stops the line)."""
    if not WaitlistEntry.objects.filter(series_id=series_id, status=WaitlistEntry.Status.WAITING).exists():
        return []
    sessions = _future_series_sessions(series_id, now)
    if not sessions:
        return []
    ids = [s.pk for s in sessions]
    expires = min(now + timedelta(hours=OFFER_HOURS), sessions[0].start)
    offered = []
    for entry in WaitlistEntry.objects.filter(series_id=series_id, status=WaitlistEntry.Status.WAITING).order_by(
            "created_at", "pk"):
        try:
            with transaction.atomic():  # all the sessions or none
                booking_service.take_seats(ids, entry.seats)
        except BookingError:
            break
        token = secrets.token_urlsafe(24)
        changed = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistEntry.Status.WAITING).update(
            status=WaitlistEntry.Status.OFFERED, offered_at=now, offer_expires_at=expires, offer_token=token)
        if not changed:
            booking_service.give_back_seats([(session_id, entry.seats) for session_id in ids])
            continue
        WaitlistSeat.objects.bulk_create([WaitlistSeat(tenant_id=entry.tenant_id, entry=entry, session_id=session_id,
                                                       seats=entry.seats) for session_id in ids])
        entry.status, entry.offered_at, entry.offer_expires_at, entry.offer_token = (
            WaitlistEntry.Status.OFFERED, now, expires, token)
        audit.record("booking.waitlist_offered", tenant=entry.tenant, target=f"series:{series_id}",
                     entry=entry.pk, email=entry.email, expires=expires.isoformat())
        _announce_offer(entry)
        offered.append(entry)
    return offered


def _held_rows(entry):
    """(session_id, seats) an offer holds: its session, or every session of its run."""
    if entry.series_id:
        return list(WaitlistSeat.objects.filter(entry_id=entry.pk).values_list("session_id", "seats"))
    return [(entry.session_id, entry.seats)]


def _offer_again(entry, now):
    if entry.series_id:
        return _offer_series_locked(entry.series_id, now)
    return _offer_locked(entry.session_id, now)


def leave_waitlist(entry, *, now=None):
    """The student leaves the line (an offer they hold is given back to the next)."""
    now = now or dj_timezone.now()
    with transaction.atomic():
        was_offered = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistEntry.Status.OFFERED).update(
            status=WaitlistEntry.Status.LEFT)
        if was_offered:
            booking_service.give_back_seats(_held_rows(entry))
        left = was_offered or WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistEntry.Status.WAITING).update(
            status=WaitlistEntry.Status.LEFT)
        if left:
            audit.record("booking.waitlist_left", tenant=entry.tenant, actor=entry.user,
                         target=f"session:{entry.session_id}", entry=entry.pk)
        if was_offered:
            _offer_again(entry, now)
    entry.refresh_from_db()
    return bool(left)


def offer_freed_seats(session_ids, *, now=None):
    """Offer freed seats of these sessions to their waitlists. MUST be called inside the
    transaction that freed them, so no one else can book them in between."""
    now = now or dj_timezone.now()
    offered = []
    for session_id in sorted(set(session_ids)):
        offered += _offer_locked(session_id, now)
    # Whole-series lines of the runs these sessions belong to.
    series_ids = set(Session.objects.filter(pk__in=session_ids, series__isnull=False)
                     .values_list("series_id", flat=True))
    for series_id in sorted(series_ids):
        offered += _offer_series_locked(series_id, now)
    return offered


def offer_waitlist(session, *, now=None):
    """Offer a session's free seats to the first people in line. Returns the offers made."""
    with transaction.atomic():
        return _offer_locked(session.pk, now or dj_timezone.now())


def _offer_locked(session_id, now):
    if not WaitlistEntry.objects.filter(session_id=session_id, series__isnull=True,
                                        status=WaitlistEntry.Status.WAITING).exists():
        return []
    # The session's row only: locking its event type too (a join FOR UPDATE) waited on every
    # booking of that event type in flight (their inserts hold its key share) and deadlocked.
    session = Session.objects.select_for_update(of=("self",)).get(pk=session_id)
    if session.is_cancelled or session.start <= now:
        return []
    expires = min(now + timedelta(hours=OFFER_HOURS), session.start)
    offered = []
    for entry in WaitlistEntry.objects.filter(session_id=session_id, series__isnull=True,
                                              status=WaitlistEntry.Status.WAITING).order_by("created_at", "pk"):
        try:
            booking_service.take_seats([session_id], entry.seats)
        except BookingError:
            break  # first come, first served: nobody jumps the queue with a smaller group
        token = secrets.token_urlsafe(24)
        changed = WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistEntry.Status.WAITING).update(
            status=WaitlistEntry.Status.OFFERED, offered_at=now, offer_expires_at=expires, offer_token=token)
        if not changed:
            booking_service.give_back_seats([(session_id, entry.seats)])
            continue
        entry.status, entry.offered_at, entry.offer_expires_at, entry.offer_token = (
            WaitlistEntry.Status.OFFERED, now, expires, token)
        audit.record("booking.waitlist_offered", tenant=session.tenant_id, target=f"session:{session_id}",
                     entry=entry.pk, email=entry.email, expires=expires.isoformat())
        _announce_offer(entry)
        offered.append(entry)
    return offered


def claim_offer(entry, *, token, user, answers=None, now=None):
    """Turn a held offer into a booking on the seats it holds. Claiming twice returns
    the same booking. Raises BookingError("offer_invalid"/"offer_expired").

    The booking counts towards the plan's monthly allowance in the same transaction
    (`site_platform.usage.count_booking`). When the allowance is used up the claim is
    refused with BookingError("monthly_limit") and nothing is written: the offer stays
    the student's, its seats still held, until it expires (the school may change plan,
    or a new month starts), and only then passes to the next in line."""
    now = now or dj_timezone.now()
    with transaction.atomic():
        # The entry's row only (its session and event type are read, not locked): the held
        # seats are the entry's, and a session's row is locked only where seats are taken.
        current = (WaitlistEntry.objects.select_for_update(of=("self",)).select_related("session__event_type")
                   .get(pk=entry.pk))
        if not current.token_matches(token) or current.user_id != getattr(user, "pk", None):
            raise BookingError("offer_invalid")
        if current.status == WaitlistEntry.Status.CLAIMED and current.booking_id:
            return current.booking
        if current.status != WaitlistEntry.Status.OFFERED or current.offer_expires_at <= now:
            raise BookingError("offer_expired")
        event_type = current.session.event_type
        answers = booking_service.clean_answers(event_type, answers)
        if current.series_id:
            _settle_series_hold(current, now)
        booking, _duplicate = booking_service._create_for_session(
            event_type, current.session, user, current.seats, answers, Booking.Source.WAITLIST, now,
            seats_held=True)
        if not plan_usage.count_booking(current.tenant_id, now=now):
            raise BookingError("monthly_limit", school=current.tenant.name)
        WaitlistEntry.objects.filter(pk=current.pk, status=WaitlistEntry.Status.OFFERED).update(
            status=WaitlistEntry.Status.CLAIMED, booking=booking)
        audit.record("booking.created", tenant=current.tenant, actor=user, target=f"booking:{booking.uid}",
                     event_type=event_type.pk, session=current.session_id, seats=booking.seats,
                     status=booking.status, source=booking.source, attendee=booking.attendee_email)
        booking_service._announce_created(booking, user)
    return booking


def _settle_series_hold(entry, now):
    """Before a whole-series claim books the run's future sessions on the held seats: a
    held session that has started since is given back, a session added since is taken
    (or the claim is refused, "full"). The hold rows end with the offer."""
    held = dict(_held_rows(entry))
    wanted = [s.pk for s in _future_series_sessions(entry.series_id, now)]
    booking_service.give_back_seats([(sid, seats) for sid, seats in held.items() if sid not in wanted])
    missing = [sid for sid in wanted if sid not in held]
    if missing:
        booking_service.take_seats(missing, entry.seats)
    WaitlistSeat.objects.filter(entry_id=entry.pk).delete()


def expire_offers(now=None):
    """Expire unclaimed offers, give their seats back and offer them to the next in
    line. Safe to run twice. Returns how many offers expired."""
    now = now or dj_timezone.now()
    due = list(WaitlistEntry.objects.filter(status=WaitlistEntry.Status.OFFERED, offer_expires_at__lte=now)
               .values_list("pk", "session_id", "seats", "series_id"))
    expired = 0
    for entry_id, session_id, seats, series_id in due:
        with transaction.atomic():
            changed = WaitlistEntry.objects.filter(pk=entry_id, status=WaitlistEntry.Status.OFFERED,
                                                   offer_expires_at__lte=now).update(
                status=WaitlistEntry.Status.EXPIRED)
            if not changed:
                continue
            expired += 1
            entry = WaitlistEntry.objects.select_related("tenant").get(pk=entry_id)
            booking_service.give_back_seats(_held_rows(entry))
            audit.record("booking.waitlist_offer_expired", tenant=entry.tenant, target=f"session:{session_id}",
                         entry=entry_id, email=entry.email)
            _offer_again(entry, now)
    return expired


def close_waitlist(session, *, now=None):
    """A cancelled session: every open entry ends, offered seats are given back.
    MUST be called inside a transaction."""
    # A whole-series line keyed on this session (its run's first) ends too; its other held seats go back.
    offered = list(WaitlistEntry.objects.filter(session=session, status=WaitlistEntry.Status.OFFERED))
    for entry in offered:
        if WaitlistEntry.objects.filter(pk=entry.pk, status=WaitlistEntry.Status.OFFERED).update(
                status=WaitlistEntry.Status.EXPIRED):
            booking_service.give_back_seats(_held_rows(entry))
    WaitlistEntry.objects.filter(session=session, status=WaitlistEntry.Status.WAITING).update(
        status=WaitlistEntry.Status.EXPIRED)


def position(entry):
    """1 for the first person waiting."""
    return WaitlistEntry.objects.filter(session_id=entry.session_id, status=WaitlistEntry.Status.WAITING).filter(
        created_at__lte=entry.created_at).exclude(created_at=entry.created_at, pk__gt=entry.pk).count()

