"""The booking lifecycle: create, confirm, cancel, reschedule, expire, attendance.

Every operation opens its own transaction, changes state with conditional updates
from the states it may leave (running one twice changes nothing), writes an audit
entry and announces itself with a signal sent after commit (`booking.signals`).

Seats (invariant 1): taken by one conditional UPDATE per session,
`seats_taken = seats_taken + n WHERE seats_taken + n <= capacity`, in the
transaction that creates the booking, and given back in the transaction that
cancels, expires or moves it. The CHECK constraint on Session backs it.
Teacher time (invariant 2): the PostgreSQL exclusion constraint refuses an
overlapping one-to-one booking; on SQLite IMMEDIATE transactions serialise
writers and the slot check below sees every committed booking.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone as dj_timezone

from site_platform import audit
from site_platform import usage as plan_usage

from .. import signals
from ..errors import BookingError
from ..models import Booking, BookingSeat, EventType, Session, WaitlistEntry, WaitlistSeat
from ..models.bookings import TEACHER_TIME_CONSTRAINT, new_manage_token
from . import slots as slot_service
from . import whitelist

logger = logging.getLogger("booking.seats")

# A second identical submission within this time returns the first booking.
DOUBLE_SUBMIT_WINDOW = timedelta(seconds=getattr(settings, "BOOKING_DOUBLE_SUBMIT_SECONDS", 30))
MAX_ANSWER_LENGTH = 2000
STAFF_ROLES = (Booking.Role.TEACHER, Booking.Role.ADMIN, Booking.Role.SYSTEM)


def _actor_id(actor):
    return actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None


def _announce(signal, sender=Booking, **kwargs):
    transaction.on_commit(lambda: signal.send(sender=sender, **kwargs))


# Seats ------------------------------------------------------------------------------------------

def take_seats(session_ids, seats):
    """Take `seats` in each session, or raise BookingError("full") if any lacks them.
    MUST be called inside a transaction: a refusal rolls back the sessions already taken."""
    for session_id in sorted(session_ids):
        taken = Session.objects.filter(
            pk=session_id, status=Session.Status.SCHEDULED, seats_taken__lte=F("capacity") - seats,
        ).update(seats_taken=F("seats_taken") + seats)
        if not taken:
            raise BookingError("full")


def give_back_seats(seat_rows):
    """Return the seats of (session_id, seats) pairs. MUST run in the transaction that
    changes the booking's status."""
    for session_id, seats in sorted(seat_rows):
        Session.objects.filter(pk=session_id).update(seats_taken=F("seats_taken") - seats)


def _seat_rows(booking_id):
    return list(BookingSeat.objects.filter(booking_id=booking_id).values_list("session_id", "seats"))


# Input ------------------------------------------------------------------------------------------

def parse_seats(value, event_type):
    most = 1 if event_type.is_one_on_one else event_type.max_seats_per_booking
    try:
        seats = int(str(value).strip())
    except (TypeError, ValueError):
        raise BookingError("seats_invalid", most=most) from None
    if not 1 <= seats <= most:
        raise BookingError("seats_invalid", most=most)
    return seats


def clean_answers(event_type, answers):
    """Answers keyed by question label, checked against the event type's questions.
    Unknown keys are dropped; yes/no answers become "yes" or "no"."""
    answers = answers or {}
    cleaned = {}
    for question in event_type.questions or []:
        label = str(question.get("label", "")).strip()
        kind = question.get("kind", "text")
        raw = answers.get(label)
        if isinstance(raw, bool):
            value = "yes" if raw else "no"
        else:
            value = str(raw).strip() if raw is not None else ""
        if not value:
            if question.get("required"):
                raise BookingError("answer_required", question=label)
            continue
        if kind == "choice" and value not in [str(c) for c in question.get("choices") or []]:
            raise BookingError("answer_invalid_choice", value=value, question=label)
        if kind == "yes_no":
            value = {"true": "yes", "on": "yes", "1": "yes", "false": "no", "0": "no"}.get(value.lower(),
                                                                                      value.lower())
            if value not in ("yes", "no"):
                raise BookingError("answer_invalid_choice", value=value, question=label)
        if len(value) > MAX_ANSWER_LENGTH:
            raise BookingError("answer_too_long", question=label, most=MAX_ANSWER_LENGTH)
        cleaned[label] = value
    return cleaned


def _as_pk(value):
    value = getattr(value, "pk", value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# pg_advisory_xact_lock(TEACHER_TIME_LOCK, teacher id): one namespace for teachers' one-to-one time.
TEACHER_TIME_LOCK = 0x626B7431


def lock_teacher_time(teacher_ids=None, *, event_type=None):
    """Serialise one-to-one bookings of these teachers until the transaction ends (PostgreSQL
    transaction-level advisory locks, taken in id order so two callers cannot deadlock).

    The exclusion constraint refuses overlapping bookings, but the other slot rules
    (buffers before and after, daily limit) are checked by reading: two transactions
    booking 10 minutes apart with 15-minute buffers would each read the other as absent.
    Taken before the check, the lock makes the second wait for the first to commit; its
    check (READ COMMITTED: a fresh snapshot per statement) then sees the first booking.
    On SQLite IMMEDIATE transactions already serialise writers. MUST be called inside a
    transaction. Without `teacher_ids`: every host of `event_type` (a slot with any host)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    if teacher_ids is None:
        teacher_ids = slot_service.host_ids(event_type)
    ids = sorted({int(pk) for pk in teacher_ids if pk is not None})
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, t) FROM unnest(%s::int[]) AS t ORDER BY t",
                       [TEACHER_TIME_LOCK, ids])


def _lock_attendee(attendee):
    """Serialise one student's bookings, so a double submit sees the first one."""
    list(get_user_model().objects.select_for_update().filter(pk=attendee.pk).values_list("pk", flat=True))


def _open_session(event_type, session, now, *, reuse=False):
    """The session to book, checked. With `reuse`, a Session instance the caller has just
    loaded (the booking view reads it, scoped to the request's tenant) is used as it is,
    not read again: `_take_seats_as_read` then checks in its UPDATE that the row still
    says what the instance says."""
    if reuse and isinstance(session, Session) and session.pk and not session._state.adding \
            and session.tenant_id == event_type.tenant_id:
        found = session
    else:
        session_id = _as_pk(session)
        found = Session.objects.for_tenant(event_type.tenant_id).filter(pk=session_id).first() if session_id else None
    if found is None:
        raise BookingError("session_not_found")
    if found.event_type_id != event_type.pk:
        raise BookingError("wrong_session")
    if found.is_cancelled:
        raise BookingError("session_cancelled")
    if found.start < now + timedelta(minutes=event_type.minimum_notice_minutes):
        raise BookingError("too_late")
    return found


def _take_seats_as_read(session, seats, event_type, now):
    """Take seats in a session the caller read before this transaction (not read again).
    The UPDATE also requires the fields the booking copies (start, end, teacher) to be
    unchanged. When it takes nothing: a session that already looked full is "full";
    otherwise the row is read as the old path did (`_open_session`: cancelled, too late,
    gone) and, if it was changed or seats came free meanwhile, the seats are taken in the
    row as it is now. Returns the session the booking is for."""
    taken = Session.objects.filter(
        pk=session.pk, status=Session.Status.SCHEDULED, seats_taken__lte=F("capacity") - seats,
        start=session.start, end=session.end, teacher_id=session.teacher_id,
    ).update(seats_taken=F("seats_taken") + seats)
    if taken:
        return session
    if session.seats_taken + seats > session.capacity:
        raise BookingError("full")
    fresh = _open_session(event_type, session.pk, now)
    if fresh.seats_taken + seats > fresh.capacity:
        raise BookingError("full")
    take_seats([fresh.pk], seats)
    return fresh


def _series_sessions(event_type, session, now):
    """The sessions a booking of `session` takes seats in: itself, or every future
    scheduled session of its series for whole-series event types."""
    if event_type.booked_as != EventType.BookedAs.WHOLE_SERIES or not session.series_id:
        return [session]
    sessions = list(Session.objects.filter(series_id=session.series_id, status=Session.Status.SCHEDULED,
                                           start__gt=now).order_by("start", "pk"))
    if not sessions:
        raise BookingError("series_empty")
    return sessions


def free_hosts(event_type, start, now, *, exclude_booking_ids=()):
    """Teachers free for a one-to-one slot starting at `start` (every slot rule applies)."""
    found = slot_service.one_on_one_slots(event_type, start, start + timedelta(seconds=1), now,
                                          exclude_booking_ids=exclude_booking_ids)
    for slot in found:
        if slot.start == start:
            return list(slot.host_ids)
    return []


def _parse_start(start):
    if isinstance(start, str):
        try:
            start = datetime.fromisoformat(start.strip())
        except ValueError:
            raise BookingError("time_missing") from None
    if not isinstance(start, datetime) or dj_timezone.is_naive(start):
        raise BookingError("time_missing")
    return start.astimezone(slot_service.availability.UTC)


def _is_teacher_time_clash(exc):
    return TEACHER_TIME_CONSTRAINT in str(exc)


# Create -----------------------------------------------------------------------------------------

def create_booking(*, event_type, session=None, start=None, teacher=None, attendee, seats=1, answers=None,
                   source=Booking.Source.DIRECT, actor=None, override_whitelist=False, now=None, participants=None):
    """Book seats in a session (or the whole series) or a one-to-one slot for `attendee`.

    Free event types are confirmed at once; paid ones wait for payment, holding their
    seats until `hold_expires_at`. The same student submitting the same booking again
    within DOUBLE_SUBMIT_WINDOW gets the first booking back. Raises BookingError with
    nothing written when the booking cannot be made: a group whose seats the session
    has not all left is refused whole.

    Event types that ask for participants: `participants` is a list of {"name", "email"},
    one per seat (services.participants); a student booking on the website must name
    each one when the event type requires it. On a whitelisted event type each named
    participant must be on the whitelist (see participants.check_group_may_book).
    """
    now = now or dj_timezone.now()
    # The tenant's id is enough (count, audit): its row is read only for the monthly-limit message.
    tenant_id = event_type.tenant_id
    if not event_type.is_published and not override_whitelist:
        raise BookingError("event_not_open")
    seats = parse_seats(seats, event_type)
    answers = clean_answers(event_type, answers)
    named = None
    if event_type.asks_participants:
        from .participants import clean_participants

        named = clean_participants(event_type, seats, participants,
                                   require_names=None if source == Booking.Source.DIRECT else False)
    try:
        with transaction.atomic():
            require_verified = source in (Booking.Source.DIRECT, Booking.Source.WAITLIST)
            if named is not None:
                from .participants import check_group_may_book

                overridden = check_group_may_book(event_type, attendee, named, override=override_whitelist,
                                                  actor=actor, require_verified=require_verified)
            else:
                overridden = whitelist.check_may_book(event_type, attendee, override=override_whitelist, actor=actor,
                                                      require_verified=require_verified)
            _lock_attendee(attendee)
            if event_type.is_one_on_one:
                booking, duplicate = _create_one_on_one(event_type, start, teacher, attendee, answers, source, now)
            else:
                booking, duplicate = _create_for_session(event_type, session, attendee, seats, answers, source, now,
                                                         participants=named)
            if duplicate:
                return booking
            if not plan_usage.count_booking(tenant_id, now=now):
                raise BookingError("monthly_limit", school=event_type.tenant.name)
            audit.record("booking.created", tenant=tenant_id, actor=actor or attendee, target=f"booking:{booking.uid}",
                         event_type=event_type.pk, session=booking.session_id, seats=booking.seats,
                         status=booking.status, source=booking.source, attendee=booking.attendee_email)
            if overridden:
                audit.record("booking.whitelist_override", tenant=tenant_id, actor=actor,
                             target=f"booking:{booking.uid}", event_type=event_type.pk,
                             attendee=booking.attendee_email)
            _announce_created(booking, actor)
    except IntegrityError as exc:
        if _is_teacher_time_clash(exc):
            raise BookingError("slot_taken") from None
        raise
    return booking


def _announce_created(booking, actor):
    _announce(signals.booking_created, booking_id=booking.pk, tenant_id=booking.tenant_id, actor_id=_actor_id(actor))
    if booking.status == Booking.Status.CONFIRMED:
        _announce(signals.booking_confirmed, booking_id=booking.pk, tenant_id=booking.tenant_id,
                  actor_id=_actor_id(actor))


def _recent_duplicate(attendee, event_type, **where):
    return Booking.objects.filter(
        tenant_id=event_type.tenant_id, attendee=attendee, event_type=event_type, status__in=Booking.ACTIVE,
        created_at__gte=dj_timezone.now() - DOUBLE_SUBMIT_WINDOW, **where,
    ).order_by("pk").first()


def _new_booking(event_type, attendee, *, seats, answers, source, now, **fields):
    paid = not event_type.is_free
    return Booking(
        tenant_id=event_type.tenant_id, event_type=event_type, attendee=attendee, attendee_email=attendee.email,
        seats=seats, answers=answers, source=source,
        status=Booking.Status.PENDING_PAYMENT if paid else Booking.Status.CONFIRMED,
        hold_expires_at=now + timedelta(minutes=event_type.hold_minutes) if paid else None,
        confirmed_at=None if paid else now,
        amount=event_type.price * seats, currency=event_type.currency, **fields,
    )


def _create_for_session(event_type, session, attendee, seats, answers, source, now, *, seats_held=False,
                        participants=None):
    # A per-session event type, whose seats the UPDATE below takes in this session only: the
    # caller's instance will do. Whole-series event types (seats in every session of the
    # series, found from the session's row) and seats held by an offer (no UPDATE): read it.
    per_session = event_type.booked_as != EventType.BookedAs.WHOLE_SERIES
    given = session
    session = _open_session(event_type, session, now, reuse=per_session and not seats_held)
    reused = session is given
    duplicate = None if seats_held else _recent_duplicate(attendee, event_type, session=session)
    if duplicate is not None:
        return duplicate, True
    sessions = _series_sessions(event_type, session, now)
    if reused:
        sessions = [_take_seats_as_read(session, seats, event_type, now)]
    elif not seats_held:
        take_seats([s.pk for s in sessions], seats)
    whole_series = event_type.booked_as == EventType.BookedAs.WHOLE_SERIES
    booking = _new_booking(event_type, attendee, seats=seats, answers=answers, source=source, now=now,
                           session=sessions[0], series_id=session.series_id if whole_series else None,
                           teacher_id=sessions[0].teacher_id, start=sessions[0].start, end=sessions[-1].end)
    booking.save()
    BookingSeat.objects.bulk_create([
        BookingSeat(tenant_id=booking.tenant_id, booking=booking, session=s, seats=seats) for s in sessions
    ])
    if event_type.asks_participants:
        # One participant per seat; seats not named yet (a waitlist claim, "name later") are blank rows.
        from .participants import create_participant_rows

        create_participant_rows(booking, participants or [("", "")] * seats)
    return booking, False


def _create_one_on_one(event_type, start, teacher, attendee, answers, source, now):
    if start is None:
        raise BookingError("time_missing")
    start = _parse_start(start)
    duplicate = _recent_duplicate(attendee, event_type, session__isnull=True, start=start)
    if duplicate is not None:
        return duplicate, True
    lock_teacher_time([_as_pk(teacher)] if teacher is not None else None, event_type=event_type)
    hosts = free_hosts(event_type, start, now)
    teacher_id = _as_pk(teacher) if teacher is not None else (hosts[0] if hosts else None)
    if teacher_id is None or teacher_id not in hosts:
        raise BookingError("slot_unavailable")
    booking = _new_booking(event_type, attendee, seats=1, answers=answers, source=source, now=now,
                           teacher_id=teacher_id, start=start, end=start + event_type.duration)
    booking.save()
    return booking, False


# Confirm ----------------------------------------------------------------------------------------

def confirm_booking(booking, *, payment_reference="", actor=None, now=None):
    """A booking's payment arrived: pending_payment → confirmed.

    Twice changes nothing. A payment for a booking whose hold has expired confirms it
    only if its seats (or teacher time) can still be taken; otherwise the booking stays
    expired and is flagged `needs_refund`, and no seat is resurrected. A payment for a
    cancelled booking is flagged the same way. Returns the booking, reloaded.
    """
    now = now or dj_timezone.now()
    try:
        with transaction.atomic():
            changed = Booking.objects.filter(pk=booking.pk, status=Booking.Status.PENDING_PAYMENT).update(
                status=Booking.Status.CONFIRMED, confirmed_at=now, hold_expires_at=None,
                payment_reference=payment_reference, updated_at=now)
            current = Booking.objects.select_related("event_type").get(pk=booking.pk)
            if not changed and current.status == Booking.Status.EXPIRED:
                changed = _revive_expired(current, payment_reference, now)
                current.refresh_from_db()
            if changed:
                audit.record("booking.confirmed", tenant=current.tenant, actor=actor, target=f"booking:{current.uid}",
                             payment_reference=payment_reference)
                _announce(signals.booking_confirmed, booking_id=current.pk, tenant_id=current.tenant_id,
                          actor_id=_actor_id(actor))
            elif current.status in (Booking.Status.EXPIRED, Booking.Status.CANCELLED) and not current.needs_refund:
                Booking.objects.filter(pk=current.pk).update(needs_refund=True, payment_reference=payment_reference,
                                                             updated_at=now)
                audit.record("booking.payment_after_release", tenant=current.tenant, actor=actor,
                             target=f"booking:{current.uid}", status=current.status,
                             payment_reference=payment_reference)
                current.refresh_from_db()
    except IntegrityError as exc:
        if not _is_teacher_time_clash(exc):
            raise
        return _flag_refund(booking, payment_reference, actor, now)
    booking.refresh_from_db()
    return current


def _flag_refund(booking, payment_reference, actor, now):
    with transaction.atomic():
        Booking.objects.filter(pk=booking.pk).update(needs_refund=True, payment_reference=payment_reference,
                                                     updated_at=now)
        current = Booking.objects.get(pk=booking.pk)
        audit.record("booking.payment_after_release", tenant=current.tenant, actor=actor,
                     target=f"booking:{current.uid}", status=current.status, payment_reference=payment_reference)
    booking.refresh_from_db()
    return current


def _revive_expired(booking, payment_reference, now):
    """Take an expired booking's seats or time again if nobody took them meanwhile.
    Returns True if it is confirmed now. MUST be called inside a transaction."""
    if booking.start <= now:
        return False
    try:
        with transaction.atomic():
            if booking.is_one_on_one:
                lock_teacher_time([booking.teacher_id])
                clash = Booking.objects.filter(
                    tenant_id=booking.tenant_id, teacher_id=booking.teacher_id, session__isnull=True,
                    status__in=Booking.HOLDING, start__lt=booking.end, end__gt=booking.start,
                ).exclude(pk=booking.pk).exists()
                if clash:
                    return False
            else:
                take_seats([session_id for session_id, _seats in _seat_rows(booking.pk)], booking.seats)
            return bool(Booking.objects.filter(pk=booking.pk, status=Booking.Status.EXPIRED).update(
                status=Booking.Status.CONFIRMED, confirmed_at=now, hold_expires_at=None,
                payment_reference=payment_reference, sequence=F("sequence") + 1, updated_at=now))
    except BookingError:
        return False


# Cancel -----------------------------------------------------------------------------------------

def cancel_booking(booking, *, reason="", actor=None, by_role=Booking.Role.STUDENT, now=None,
                   session_cancelled=False):
    """Cancel a booking and give its seats back in the same transaction.

    A student may cancel until the start (`Booking.can_cancel`); a teacher or admin at
    any time, always with a full refund. The refund the policy gives is stored in
    `refund_due` for the payments integration. Cancelling twice changes nothing.
    Returns True if this call cancelled it.
    """
    now = now or dj_timezone.now()
    with transaction.atomic():
        current = Booking.objects.select_related("event_type", "tenant").get(pk=booking.pk)
        if current.status not in Booking.ACTIVE:
            booking.refresh_from_db()
            return False
        if by_role == Booking.Role.STUDENT and not current.can_cancel(now):
            raise BookingError("change_too_late")
        refund = current.refund_amount(now, by_role=by_role)
        changed = Booking.objects.filter(pk=current.pk, status__in=Booking.ACTIVE).update(
            status=Booking.Status.CANCELLED, cancelled_at=now, cancelled_by_id=_actor_id(actor),
            cancelled_by_role=by_role, cancellation_reason=(reason or "").strip()[:2000], refund_due=refund,
            hold_expires_at=None, sequence=F("sequence") + 1, updated_at=now)
        if changed:
            rows = _seat_rows(current.pk)
            give_back_seats(rows)
            audit.record("booking.cancelled", tenant=current.tenant, actor=actor, target=f"booking:{current.uid}",
                         by_role=by_role, reason=reason, refund_due=str(refund))
            _announce(signals.booking_cancelled, booking_id=current.pk, tenant_id=current.tenant_id,
                      actor_id=_actor_id(actor), by_role=by_role, reason=reason, refund_due=refund,
                      session_cancelled=session_cancelled)
            if not session_cancelled:
                from .waitlist import offer_freed_seats
                offer_freed_seats([session_id for session_id, _seats in rows], now=now)
    booking.refresh_from_db()
    return bool(changed)


def cancel_session_with_bookings(session, *, actor=None, reason="", by_role=Booking.Role.TEACHER, now=None):
    """Cancel a session and, in the same transaction, every per-session booking of it
    (full refund) and its waitlist. Whole-series bookings keep their other sessions.
    Twice changes nothing. Returns the number of bookings cancelled."""
    from .sessions import cancel_session

    now = now or dj_timezone.now()
    cancelled = 0
    with transaction.atomic():
        cancel_session(session, actor=actor, reason=reason)
        per_session = Booking.objects.filter(session_id=session.pk, series__isnull=True,
                                             status__in=Booking.ACTIVE).order_by("pk")
        for booking in per_session:
            cancelled += cancel_booking(booking, reason=reason, actor=actor, by_role=by_role, now=now,
                                        session_cancelled=True)
        from .waitlist import close_waitlist
        close_waitlist(session, now=now)
        if cancelled:
            audit.record("booking.session_bookings_cancelled", tenant=session.tenant, actor=actor,
                         target=f"session:{session.pk}", bookings=cancelled, reason=reason)
    return cancelled


# Reschedule -------------------------------------------------------------------------------------

def reschedule_booking(booking, *, new_session=None, new_start=None, new_teacher=None, actor=None,
                       by_role=Booking.Role.STUDENT, now=None):
    """Move a booking to another session of the same event type, or a one-to-one
    booking to another open slot. The booking keeps its uid, payment and history; its
    `sequence` grows and its manage token is replaced (old links stop working).
    The old seats are given back in the same transaction. Returns the booking."""
    now = now or dj_timezone.now()
    try:
        with transaction.atomic():
            # FOR UPDATE OF the booking only: locking its tenant and event type rows too would
            # block every concurrent booking's foreign-key check on them (a deadlock).
            current = (Booking.objects.select_for_update(of=("self",)).select_related("event_type", "tenant")
                       .get(pk=booking.pk))
            if current.status not in Booking.ACTIVE:
                raise BookingError("not_active")
            if by_role == Booking.Role.STUDENT and not current.can_reschedule(now):
                raise BookingError("change_too_late")
            previous = {"previous_start": current.start, "previous_end": current.end,
                        "previous_session_id": current.session_id}
            if current.series_id:
                previous["previous_session_ids"] = _move_series(current, new_session, now)
            elif current.is_one_on_one:
                _move_one_on_one(current, new_start, new_teacher, now)
            else:
                _move_session(current, new_session, now)
            current.sequence += 1
            current.reschedule_count += 1
            current.manage_token = new_manage_token()
            current.save(update_fields=["session", "series", "teacher", "start", "end", "sequence",
                                        "reschedule_count", "manage_token", "updated_at"])
            audit.record("booking.rescheduled", tenant=current.tenant, actor=actor, target=f"booking:{current.uid}",
                         by_role=by_role, previous_start=previous["previous_start"].isoformat(),
                         start=current.start.isoformat(), previous_session=previous["previous_session_id"],
                         session=current.session_id)
            _announce(signals.booking_rescheduled, booking_id=current.pk, tenant_id=current.tenant_id,
                      actor_id=_actor_id(actor), **previous)
            freed = previous.get("previous_session_ids") or [previous["previous_session_id"]]
            freed = [session_id for session_id in freed if session_id and session_id != current.session_id]
            if freed:
                from .waitlist import offer_freed_seats
                offer_freed_seats(freed, now=now)
    except IntegrityError as exc:
        if _is_teacher_time_clash(exc):
            raise BookingError("slot_taken") from None
        raise
    booking.refresh_from_db()
    return current


def _move_session(booking, new_session, now):
    target = _open_session(booking.event_type, new_session, now)
    if target.pk == booking.session_id:
        raise BookingError("reschedule_same")
    take_seats([target.pk], booking.seats)
    give_back_seats(_seat_rows(booking.pk))
    BookingSeat.objects.filter(booking=booking).update(session=target)
    booking.session, booking.teacher_id, booking.start, booking.end = target, target.teacher_id, target.start, target.end


def _move_series(booking, new_session, now):
    """Move a whole-series booking to another series (run) of its event type: its seats in
    every future session of the target series are taken, or none (BookingError("full")
    if any lacks them); its seats in the old series' future sessions are given back.
    Seats of sessions already held (started) stay as history. Every session row involved
    is locked in id order first, so two bookings swapping runs cannot deadlock.
    Returns the ids of the old sessions given up. MUST run inside a transaction."""
    if new_session is None:
        raise BookingError("session_not_found")
    target = _open_session(booking.event_type, new_session, now)
    if not target.series_id:
        raise BookingError("wrong_session")
    if target.series_id == booking.series_id:
        raise BookingError("reschedule_same")
    old_rows = list(BookingSeat.objects.filter(booking=booking, session__start__gt=now)
                    .values_list("session_id", "seats"))
    old_ids = [session_id for session_id, _seats in old_rows]
    target_ids = list(Session.objects.filter(series_id=target.series_id, status=Session.Status.SCHEDULED,
                                             start__gt=now).values_list("pk", flat=True))
    if not target_ids:
        raise BookingError("series_empty")
    list(Session.objects.select_for_update().filter(pk__in=old_ids + target_ids).order_by("pk")
         .values_list("pk", flat=True))
    sessions = list(Session.objects.filter(pk__in=target_ids, status=Session.Status.SCHEDULED, start__gt=now)
                    .order_by("start", "pk"))
    if not sessions:
        raise BookingError("series_empty")
    take_seats([s.pk for s in sessions], booking.seats)
    give_back_seats(old_rows)
    BookingSeat.objects.filter(booking=booking, session_id__in=old_ids).delete()
    BookingSeat.objects.bulk_create([
        BookingSeat(tenant_id=booking.tenant_id, booking=booking, session=s, seats=booking.seats) for s in sessions
    ])
    first, last = sessions[0], sessions[-1]
    booking.session, booking.series_id, booking.teacher_id = first, target.series_id, first.teacher_id
    booking.start, booking.end = first.start, last.end
    return old_ids


def _move_one_on_one(booking, new_start, new_teacher, now):
    if new_start is None:
        raise BookingError("time_missing")
    new_start = _parse_start(new_start)
    if new_start == booking.start and (new_teacher is None or _as_pk(new_teacher) == booking.teacher_id):
        raise BookingError("reschedule_same")
    lock_teacher_time([_as_pk(new_teacher)] if new_teacher is not None else None, event_type=booking.event_type)
    hosts = free_hosts(booking.event_type, new_start, now, exclude_booking_ids=[booking.pk])
    wanted = _as_pk(new_teacher) if new_teacher is not None else None
    if wanted is None:
        wanted = booking.teacher_id if booking.teacher_id in hosts else (hosts[0] if hosts else None)
    if wanted is None or wanted not in hosts:
        raise BookingError("slot_unavailable")
    booking.teacher_id, booking.start, booking.end = wanted, new_start, new_start + booking.event_type.duration


# Holds, attendance, drift ------------------------------------------------------------------------

def expire_holds(now=None, *, limit=1000):
    """Expire unpaid bookings whose hold has run out and give their seats back; the
    freed seats go to the waitlist. Safe to run twice. Returns how many expired."""
    now = now or dj_timezone.now()
    due = list(Booking.objects.filter(status=Booking.Status.PENDING_PAYMENT, hold_expires_at__lte=now)
               .order_by("hold_expires_at").values_list("pk", flat=True)[:limit])
    expired = 0
    for booking_id in due:
        with transaction.atomic():
            changed = Booking.objects.filter(pk=booking_id, status=Booking.Status.PENDING_PAYMENT,
                                             hold_expires_at__lte=now).update(
                status=Booking.Status.EXPIRED, sequence=F("sequence") + 1, updated_at=now)
            if not changed:
                continue
            expired += 1
            rows = _seat_rows(booking_id)
            give_back_seats(rows)
            booking = Booking.objects.select_related("tenant").get(pk=booking_id)
            audit.record("booking.expired", tenant=booking.tenant, target=f"booking:{booking.uid}")
            from .waitlist import offer_freed_seats
            offer_freed_seats([session_id for session_id, _seats in rows], now=now)
    return expired


def mark_attendance(booking, *, attended, actor=None, now=None):
    """After the start, mark a confirmed booking attended or no-show (and correct it).
    Twice changes nothing. Returns True if this call changed it."""
    now = now or dj_timezone.now()
    with transaction.atomic():
        current = Booking.objects.select_related("tenant").get(pk=booking.pk)
        if current.start > now:
            raise BookingError("attendance_too_early")
        status = Booking.Status.CONFIRMED if attended else Booking.Status.NO_SHOW
        changed = Booking.objects.filter(
            pk=current.pk, status__in=(Booking.Status.CONFIRMED, Booking.Status.NO_SHOW),
        ).exclude(status=status, attended=bool(attended)).update(status=status, attended=bool(attended),
                                                                 updated_at=now)
        if changed:
            audit.record("booking.attendance", tenant=current.tenant, actor=actor, target=f"booking:{current.uid}",
                         attended=bool(attended))
        elif current.status not in (Booking.Status.CONFIRMED, Booking.Status.NO_SHOW):
            raise BookingError("not_active")
    booking.refresh_from_db()
    return bool(changed)


def seat_drift(*, since=None):
    """Sessions whose `seats_taken` differs from the seats their bookings and open
    waitlist offers hold (a whole-series offer: its WaitlistSeat rows):
    [(session_id, seats_taken, expected)]. Three subqueries, one query."""
    booked = (BookingSeat.objects.filter(session=OuterRef("pk"), booking__status__in=Booking.HOLDING)
              .values("session").annotate(total=Sum("seats")).values("total"))
    offered = (WaitlistEntry.objects.filter(session=OuterRef("pk"), series__isnull=True,
                                            status=WaitlistEntry.Status.OFFERED)
               .values("session").annotate(total=Sum("seats")).values("total"))
    held = (WaitlistSeat.objects.filter(session=OuterRef("pk"), entry__status=WaitlistEntry.Status.OFFERED)
            .values("session").annotate(total=Sum("seats")).values("total"))
    sessions = Session.objects.all()
    if since is not None:
        sessions = sessions.filter(end__gte=since)
    rows = sessions.annotate(
        expected=Coalesce(Subquery(booked, output_field=IntegerField()), Value(0))
        + Coalesce(Subquery(offered, output_field=IntegerField()), Value(0))
        + Coalesce(Subquery(held, output_field=IntegerField()), Value(0)),
    ).filter(~Q(seats_taken=F("expected"))).values_list("pk", "seats_taken", "expected")
    return list(rows)


def check_seat_drift(*, since=None):
    """Log every session whose seat count drifted from its bookings. Returns the rows."""
    drift = seat_drift(since=since)
    for session_id, taken, expected in drift:
        logger.error("Seat drift on session %s: seats_taken=%s, bookings and offers hold %s",
                     session_id, taken, expected)
    return drift
