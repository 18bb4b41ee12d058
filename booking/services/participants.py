"""Group bookings: the participants a booking's seats are for.

A booking of an event type that asks for participants (`EventType.participant_names`
is "required" or "later") has one active `BookingParticipant` per seat. The booker
(`Booking.attendee`) pays and manages the group; each participant is told on their
own and may give up their own seat through their manage link.

Seats follow invariant 1 like every other path: added seats are taken with the same
conditional UPDATE as a new booking (`bookings.take_seats`, whole or nothing, under
the CHECK constraint), freed seats are given back in the transaction that ends the
participant. Every operation locks the booking's row first, so two changes to one
group are serialised; two groups of one session only meet in the UPDATE.

Money: a freed seat refunds that seat's share of what was actually paid
(`Booking.amount / Booking.seats`, discounts and coupons included) under the refund
policy, to the payer: the payments app hears `participants_changed` (`refund_due`)
and refunds through its own machinery. Seats added to a paid, confirmed booking
become a booking of their own (`Booking.group_parent`) that waits for payment like
any new booking: the payments app prices it on `booking_created`, and its hold
expires (seats given back) if it is not paid.

Each operation opens its own transaction, records an audit entry and announces
`signals.participants_changed` after commit.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone as dj_timezone

from site_platform import audit

from .. import signals
from ..errors import BookingError
from ..models import Booking, BookingParticipant, BookingSeat, EventType, WhitelistEntry
from . import bookings as booking_service
from . import whitelist

ParticipantNames = EventType.ParticipantNames
NAME_MAX_LENGTH = 150
CENT = Decimal("0.01")


# Input ------------------------------------------------------------------------------------------

def clean_participants(event_type, seats, participants, *, require_names=None):
    """[(name, email)] for `seats` seats from a list of {"name", "email"} (or pairs):
    emails normalised, checked, not repeated. Missing rows are unnamed ("", "").
    `require_names` (default: the event type requires them) refuses an unnamed seat."""
    if require_names is None:
        require_names = event_type.participant_names == ParticipantNames.REQUIRED
    rows = []
    for item in list(participants or [])[:seats]:
        if isinstance(item, dict):
            name, email = item.get("name", ""), item.get("email", "")
        else:
            name, email = item
        rows.append((str(name or "").strip()[:NAME_MAX_LENGTH], str(email or "").strip()))
    rows += [("", "")] * (seats - len(rows))
    cleaned, seen = [], set()
    for number, (name, email) in enumerate(rows, start=1):
        if not name and not email:
            if require_names:
                raise BookingError("participant_name_missing", number=number)
            cleaned.append(("", ""))
            continue
        if not name or not email:
            raise BookingError("participant_name_missing", number=number)
        email = whitelist.normalise_email(email)
        if email in seen:
            raise BookingError("participant_duplicate", email=email)
        seen.add(email)
        cleaned.append((name, email))
    return cleaned


def check_participants_whitelist(event_type, emails):
    """On a whitelisted event type every participant's email must be on the list."""
    if not event_type.whitelist_enabled:
        return
    emails = [e for e in emails if e]
    listed = set(WhitelistEntry.objects.filter(event_type=event_type, email__in=emails)
                 .values_list("email", flat=True))
    for email in emails:
        if email not in listed:
            raise BookingError("participant_not_whitelisted", email=email)


def check_group_may_book(event_type, attendee, participants, *, override=False, actor=None, require_verified=True):
    """The whitelist rule of a booking with named participants (instead of
    `whitelist.check_may_book`): the booker needs a verified email, each named
    participant must be on the list, and seats not named yet count as the booker's
    own, so then the booker must be on it too. Returns True if an admin override let
    them in."""
    if override:
        if not whitelist.may_override(event_type.tenant, actor):
            raise BookingError("override_not_allowed")
        try:
            check_group_may_book(event_type, attendee, participants, require_verified=False)
        except BookingError:
            return True
        return False
    if require_verified and not whitelist.verified_emails(attendee):
        raise BookingError("email_unverified")
    check_participants_whitelist(event_type, [email for _name, email in participants])
    if event_type.whitelist_enabled and any(not email for _name, email in participants) \
            and not whitelist.is_whitelisted(event_type, attendee):
        raise BookingError("whitelist_only")
    return False


def create_participant_rows(booking, participants):
    """One active participant per (name, email). MUST be called inside the transaction
    that takes their seats."""
    return BookingParticipant.objects.bulk_create([
        BookingParticipant(tenant_id=booking.tenant_id, booking=booking, name=name, email=email)
        for name, email in participants
    ])


# Reading ----------------------------------------------------------------------------------------

def group_bookings(booking):
    """The booking heading the group and its extra-seat bookings, oldest first."""
    head = booking.group
    return [head] + list(Booking.objects.filter(group_parent=head).order_by("pk"))


def group_participants(booking, *, active_only=True):
    """The participants of the whole group (head booking and extra seats)."""
    head = booking.group
    rows = BookingParticipant.objects.filter(booking__in=Booking.objects.filter(pk=head.pk)
                                             | Booking.objects.filter(group_parent=head))
    if active_only:
        rows = rows.filter(status=BookingParticipant.Status.ACTIVE,
                           booking__status__in=Booking.HOLDING)
    return list(rows.select_related("booking").order_by("created_at", "pk"))


def group_seats(head):
    """Seats the group holds: the head booking's and those of its extra-seat bookings
    still holding seats."""
    extra = (Booking.objects.filter(group_parent=head, status__in=Booking.HOLDING)
             .aggregate(total=Sum("seats"))["total"] or 0)
    return (head.seats if head.status in Booking.HOLDING else 0) + extra


def seats_left_to_add(booking):
    head = booking.group
    return max(head.event_type.max_seats_per_booking - group_seats(head), 0)


def names_open(booking, now=None):
    """May unnamed participants still be named (the event type's cut-off, else the start)?"""
    now = now or dj_timezone.now()
    event_type = booking.event_type
    if event_type.participant_names == ParticipantNames.LATER:
        return now < event_type.participant_names_cutoff(booking.start)
    return now < booking.start


@dataclass
class SessionAttendee:
    """One line of a session's attendee list: a named participant, a seat still to be
    named, or (bookings without participants) the booker with their seats."""

    booking: Booking
    name: str
    email: str
    seats: int
    participant: BookingParticipant | None = None

    @property
    def booker_email(self):
        return self.booking.attendee_email


def attendees_for_session(session, *, statuses=None):
    """Who comes to `session`: each active participant of each booking holding seats in
    it (one line each, with their own name and email), or the booker with their seats
    for a booking without participants. In booking order. Two queries.

    For the teacher's attendee list (booking/teacher_workspace.py), exports and pushes."""
    return attendees_for_sessions([session], statuses=statuses).get(session.pk, [])


def attendees_for_sessions(sessions, *, statuses=None):
    """{session id: [SessionAttendee]} for many sessions in two queries (exports)."""
    statuses = statuses or Booking.HOLDING
    seats = list(BookingSeat.objects.filter(session_id__in=[getattr(s, "pk", s) for s in sessions],
                                            booking__status__in=statuses)
                 .select_related("booking", "booking__attendee").order_by("booking__created_at", "pk"))
    by_booking = {}
    for participant in BookingParticipant.objects.filter(
            booking_id__in={seat.booking_id for seat in seats},
            status=BookingParticipant.Status.ACTIVE).order_by("created_at", "pk"):
        by_booking.setdefault(participant.booking_id, []).append(participant)
    lines = {}
    for seat in seats:
        booking = seat.booking
        rows = lines.setdefault(seat.session_id, [])
        participants = by_booking.get(booking.pk)
        if not participants:
            rows.append(SessionAttendee(booking=booking, name=booking.attendee.get_full_name(),
                                        email=booking.attendee_email, seats=seat.seats))
            continue
        for participant in participants:
            rows.append(SessionAttendee(booking=booking, name=participant.name, email=participant.email, seats=1,
                                        participant=participant))
    return lines


def participant_for_link(tenant, uid, token):
    """The participant of a manage link: BookingError("token_invalid") for a wrong token
    or an ended participant's old link; None for an unknown uid or another tenant's."""
    participant = (BookingParticipant.objects.for_tenant(tenant)
                   .select_related("booking__event_type", "booking__teacher", "booking__tenant",
                                   "booking__session", "booking__attendee", "tenant")
                   .filter(uid=uid).first())
    if participant is None:
        return None
    if not participant.token_matches(token) or participant.status != BookingParticipant.Status.ACTIVE:
        raise BookingError("token_invalid")
    return participant


# Money ------------------------------------------------------------------------------------------

def seat_share(booking):
    """What one seat of the booking was actually paid (after discounts and coupons)."""
    if not booking.amount or booking.seats < 1:
        return Decimal("0.00")
    return (booking.amount / booking.seats).quantize(CENT, rounding=ROUND_HALF_UP)


def seat_refund(booking, now, *, by_role=Booking.Role.STUDENT):
    """(share, refund) of freeing one seat now: the seat's share of the amount paid, and
    what the refund policy gives back of it (in full by a teacher or admin or at least
    the refund window before the start; else the late-cancel percentage)."""
    share = seat_share(booking)
    if booking.status != Booking.Status.CONFIRMED or not share:
        return share, Decimal("0.00")
    if by_role in booking_service.STAFF_ROLES \
            or booking.start - now >= timedelta(hours=booking.event_type.refund_window_hours):
        return share, share
    percent = Decimal(booking.event_type.late_cancel_refund_percent)
    return share, (share * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def refund_preview(participant, now=None):
    """What giving up this participant's seat would refund the payer now."""
    now = now or dj_timezone.now()
    booking = participant.booking
    if booking.seats <= 1:
        return booking.refund_amount(now)
    return seat_refund(booking, now)[1]


# Changes ----------------------------------------------------------------------------------------

def _lock(booking):
    return (Booking.objects.select_for_update(of=("self",)).select_related("event_type", "tenant")
            .get(pk=booking.pk))


def _announce(booking, actor, action, *, added=(), removed=(), seats_released=0, refund_due=Decimal("0.00")):
    booking_service._announce(
        signals.participants_changed, sender=BookingParticipant, booking_id=booking.pk,
        tenant_id=booking.tenant_id, actor_id=booking_service._actor_id(actor), action=action,
        added=list(added), removed=list(removed), seats_released=seats_released, refund_due=refund_due)


def _check_changeable(booking, now):
    if booking.status not in Booking.ACTIVE:
        raise BookingError("not_active")
    if not booking.event_type.asks_participants:
        raise BookingError("group_not_for_event")
    if not booking.can_cancel(now):
        raise BookingError("change_too_late")


def _active_participant(booking, participant):
    """The group's participant, on a booking that still holds its seats: a participant
    of a cancelled or expired booking (an extra-seats booking left unpaid, say) has no
    seat to give back or pass on."""
    pk = getattr(participant, "pk", participant)
    found = (BookingParticipant.objects.select_related("booking")
             .filter(booking__in=[b.pk for b in group_bookings(booking)], pk=pk).first())
    if found is None:
        raise BookingError("participant_not_found")
    if found.status != BookingParticipant.Status.ACTIVE or found.booking.status not in Booking.ACTIVE:
        raise BookingError("participant_not_active")
    return found


def _participant_to_change(head, participant, now, *, by_role=Booking.Role.STUDENT):
    """The active participant to change, checked against the booking that holds their
    seat (the head's or an extra-seats booking), locked. MUST be called inside the
    transaction holding the head's lock."""
    found = _active_participant(head, participant)
    own = head if found.booking_id == head.pk else _lock(found.booking)
    if by_role == Booking.Role.STUDENT:
        _check_changeable(own, now)
    elif own.status not in Booking.ACTIVE:
        raise BookingError("not_active")
    return found


def add_participants(booking, participants, *, actor=None, now=None):
    """Add participants (and as many seats) to a group. Returns the booking that holds
    them: for a free event type the booking itself, its seats grown; for a paid,
    confirmed one a new booking of the extra seats (`group_parent`), waiting for
    payment. Whole or nothing: a session without that many seats left refuses them
    all with BookingError("full")."""
    now = now or dj_timezone.now()
    with transaction.atomic():
        head = _lock(booking.group)
        _check_changeable(head, now)
        event_type = head.event_type
        wanted = [row for row in (participants or []) if any(str(v or "").strip() for v in
                                                            (row.values() if isinstance(row, dict) else row))]
        if not wanted:
            raise BookingError("participant_none")
        cleaned = clean_participants(event_type, len(wanted), wanted, require_names=True)
        current = {p.email for p in group_participants(head) if p.email}
        for _name, email in cleaned:
            if email in current:
                raise BookingError("participant_duplicate", email=email)
        check_participants_whitelist(event_type, [email for _name, email in cleaned])
        total = group_seats(head) + len(cleaned)
        if total > event_type.max_seats_per_booking:
            raise BookingError("group_too_big", most=event_type.max_seats_per_booking, seats=total)
        if head.session_id and head.session.start < now + timedelta(minutes=event_type.minimum_notice_minutes):
            raise BookingError("too_late")
        seats = len(cleaned)
        session_ids = [session_id for session_id, _seats in booking_service._seat_rows(head.pk)]
        if not event_type.is_free and head.status == Booking.Status.PENDING_PAYMENT:
            raise BookingError("group_pay_first")
        booking_service.take_seats(session_ids, seats)
        if event_type.is_free:
            holder = head
            Booking.objects.filter(pk=head.pk).update(seats=F("seats") + seats, updated_at=now)
            BookingSeat.objects.filter(booking=head).update(seats=F("seats") + seats)
        else:
            holder = booking_service._new_booking(
                event_type, head.attendee, seats=seats, answers=head.answers, source=head.source, now=now,
                session_id=head.session_id, series_id=head.series_id, teacher_id=head.teacher_id, start=head.start,
                end=head.end)
            holder.group_parent = head
            holder.save()
            BookingSeat.objects.bulk_create([
                BookingSeat(tenant_id=head.tenant_id, booking=holder, session_id=session_id, seats=seats)
                for session_id in session_ids])
        rows = create_participant_rows(holder, cleaned)
        audit.record("booking.participants_added", tenant=head.tenant_id, actor=actor,
                     target=f"booking:{head.uid}", seats=seats, holder=str(holder.uid),
                     emails=[email for _name, email in cleaned])
        if holder.pk != head.pk:
            booking_service._announce_created(holder, actor)
        _announce(holder, actor, "added", added=[p.pk for p in rows])
    holder.refresh_from_db()
    return holder


def name_participant(booking, participant, *, name, email, actor=None, now=None):
    """Name a seat given "name later", before the event type's cut-off. Returns the participant."""
    now = now or dj_timezone.now()
    with transaction.atomic():
        head = _lock(booking.group)
        found = _participant_to_change(head, participant, now)
        if found.email:
            return replace_participant(head, found, name=name, email=email, actor=actor, now=now)
        if not names_open(found.booking, now):
            raise BookingError("participant_names_closed", hours=head.event_type.participant_names_cutoff_hours)
        [(name, email)] = clean_participants(head.event_type, 1, [(name, email)], require_names=True)
        _check_new_email(head, email)
        BookingParticipant.objects.filter(pk=found.pk, status=BookingParticipant.Status.ACTIVE).update(
            name=name, email=email)
        audit.record("booking.participant_named", tenant=head.tenant_id, actor=actor,
                     target=f"booking:{head.uid}", participant=str(found.uid), email=email)
        _announce(found.booking, actor, "named", added=[found.pk])
    found.refresh_from_db()
    return found


def _check_new_email(head, email):
    if email in {p.email for p in group_participants(head) if p.email}:
        raise BookingError("participant_duplicate", email=email)
    check_participants_whitelist(head.event_type, [email])


def replace_participant(booking, participant, *, name, email, actor=None, now=None):
    """Give a participant's seat to someone else (the seat stays taken; the old
    participant's link stops working and they are told). Returns the new participant."""
    now = now or dj_timezone.now()
    with transaction.atomic():
        head = _lock(booking.group)
        found = _participant_to_change(head, participant, now)
        if not found.email:
            return name_participant(head, found, name=name, email=email, actor=actor, now=now)
        if head.event_type.participant_names == ParticipantNames.LATER and not names_open(found.booking, now):
            raise BookingError("participant_names_closed", hours=head.event_type.participant_names_cutoff_hours)
        [(name, email)] = clean_participants(head.event_type, 1, [(name, email)], require_names=True)
        _check_new_email(head, email)
        if not BookingParticipant.objects.filter(pk=found.pk, status=BookingParticipant.Status.ACTIVE).update(
                status=BookingParticipant.Status.REPLACED, ended_at=now):
            raise BookingError("participant_not_active")
        [new] = create_participant_rows(found.booking, [(name, email)])
        audit.record("booking.participant_replaced", tenant=head.tenant_id, actor=actor,
                     target=f"booking:{head.uid}", participant=str(found.uid), old_email=found.email,
                     new_participant=str(new.uid), email=email)
        _announce(found.booking, actor, "replaced", added=[new.pk], removed=[found.pk])
    return new


def remove_participant(booking, participant, *, actor=None, by_role=Booking.Role.STUDENT, now=None):
    """The booker (or staff) takes a participant out of the group: their seat is given
    back and its policy refund goes to the payer. Returns the refund due."""
    now = now or dj_timezone.now()
    with transaction.atomic():
        head = _lock(booking.group)
        found = _participant_to_change(head, participant, now, by_role=by_role)
        return _free_seat(found, BookingParticipant.Status.REMOVED, actor=actor, by_role=by_role, now=now,
                          action="removed")


def give_up_own_seat(participant, *, token, now=None):
    """A participant gives up their own seat through their manage link (a wrong or old
    token: BookingError("token_invalid")). The seat is given back, the seat's policy
    refund goes to the payer and the booker is told. Returns the refund due."""
    now = now or dj_timezone.now()
    with transaction.atomic():
        current = BookingParticipant.objects.select_related("booking").get(pk=participant.pk)
        if not current.token_matches(token) or current.status != BookingParticipant.Status.ACTIVE:
            raise BookingError("token_invalid")
        booking = _lock(current.booking)
        if booking.status not in Booking.ACTIVE:
            raise BookingError("not_active")
        if not booking.can_cancel(now):
            raise BookingError("change_too_late")
        return _free_seat(current, BookingParticipant.Status.RELEASED, actor=None, by_role=Booking.Role.STUDENT,
                          now=now, action="released")


def _free_seat(participant, status, *, actor, by_role, now, action):
    """End a participant and give back their seat. MUST be called inside a transaction
    holding the lock on the group's head booking. The last seat of a booking cancels
    the booking (its own refund and emails follow `cancel_booking`)."""
    booking = _lock(participant.booking)
    if booking.status == Booking.Status.PENDING_PAYMENT:
        raise BookingError("group_pay_first")
    if booking.status not in Booking.ACTIVE:
        raise BookingError("not_active")  # its seats went back when it ended
    if not BookingParticipant.objects.filter(pk=participant.pk, status=BookingParticipant.Status.ACTIVE).update(
            status=status, ended_at=now):
        raise BookingError("participant_not_active")
    if booking.seats <= 1:
        booking_service.cancel_booking(booking, actor=actor, by_role=by_role, now=now,
                                       reason=str(participant.name))
        booking.refresh_from_db()
        refund = booking.refund_due or Decimal("0.00")
        audit.record(f"booking.participant_{action}", tenant=booking.tenant_id, actor=actor,
                     target=f"booking:{booking.uid}", participant=str(participant.uid), email=participant.email,
                     refund_due=str(refund), booking_cancelled=True)
        _announce(booking, actor, action, removed=[participant.pk], seats_released=1, refund_due=Decimal("0.00"))
        return refund
    share, refund = seat_refund(booking, now, by_role=by_role)
    Booking.objects.filter(pk=booking.pk, seats__gt=1).update(
        seats=F("seats") - 1, seats_given_back=F("seats_given_back") + 1, amount=F("amount") - share,
        updated_at=now)
    BookingSeat.objects.filter(booking=booking).update(seats=F("seats") - 1)
    rows = [(session_id, 1) for session_id, _seats in booking_service._seat_rows(booking.pk)]
    booking_service.give_back_seats(rows)
    audit.record(f"booking.participant_{action}", tenant=booking.tenant_id, actor=actor,
                 target=f"booking:{booking.uid}", participant=str(participant.uid), email=participant.email,
                 seat_share=str(share), refund_due=str(refund), by_role=by_role)
    _announce(booking, actor, action, removed=[participant.pk], seats_released=1, refund_due=refund)
    from .waitlist import offer_freed_seats
    offer_freed_seats([session_id for session_id, _seats in rows], now=now)
    return refund
