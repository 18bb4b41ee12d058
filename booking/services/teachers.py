"""Teachers of a tenant: who may teach, what a teacher does to their own sessions
(meeting link, messages to attendees, schedule export), and a teacher's
deactivation with their future work reassigned or cancelled.

Every operation opens its own transaction, writes an audit entry and enqueues its
emails after commit (`booking.notifications.teacher_messages`).
"""

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from site_platform import audit
from site_platform.models import Membership, TeacherMessage

from .. import signals
from ..errors import BookingError
from ..models import Booking, Session

TEACHING_ROLES = (Membership.Role.TEACHER, Membership.Role.ADMIN)

# A teacher may write to one session's attendees this often, and to all their attendees
# this often a day: enough for "running late" and "see you soon", not for a mailing list.
MESSAGES_PER_SESSION_PER_DAY = 3
MESSAGES_PER_SENDER_PER_DAY = 20
MAX_SUBJECT = 150
MAX_BODY = 5000


class TeacherError(BookingError):
    """Refusals of the teacher operations (the booking app's catalogue, and these)."""

    messages = {
        **BookingError.messages,
        "url_invalid": _("“%(value)s” is not a valid web address; it must start with https:// or http://."),
        "url_same": _("This session already uses that link."),
        "session_over": _("This session has already ended."),
        "subject_required": _("Write a subject."),
        "body_required": _("Write a message."),
        "too_long": _("The %(field)s is too long (at most %(most)s characters)."),
        "no_recipients": _("Nobody is booked on this session yet."),
        "rate_session": _("You have already written %(count)s messages to this session's attendees today. "
                          "Try again tomorrow."),
        "rate_sender": _("You have sent %(count)s messages today, the daily limit. Try again tomorrow."),
        "same_teacher": _("Choose another teacher: %(teacher)s already teaches this."),
        "reassign_busy": _("%(teacher)s is busy at that time (%(when)s)."),
        "not_teacher_membership": _("Only a teacher's or an admin's membership can be deactivated."),
        "deactivate_self": _("You cannot deactivate your own membership."),
        "already_inactive": _("%(teacher)s is already deactivated."),
        "future_work_left": _("%(teacher)s still has %(sessions)s future sessions and %(bookings)s one-to-one "
                              "bookings. Reassign or cancel each of them first."),
        "choice_missing": _("Choose what happens to %(item)s."),
    }


# Who teaches ------------------------------------------------------------------------------------

def teachers_of(tenant):
    return get_user_model().objects.filter(
        memberships__tenant=tenant, memberships__is_active=True, memberships__role__in=TEACHING_ROLES,
    ).distinct().order_by("first_name", "last_name", "email")


def teachers_of_any(tenants):
    """Teachers of any of these tenants (a queryset of tenants)."""
    return get_user_model().objects.filter(
        memberships__tenant__in=tenants, memberships__is_active=True, memberships__role__in=TEACHING_ROLES,
    ).distinct().order_by("first_name", "last_name", "email")


def is_teacher(tenant, user):
    return Membership.objects.filter(
        tenant=tenant, user=user, is_active=True, role__in=TEACHING_ROLES,
    ).exists()


def require_teacher(tenant, user):
    """Raise BookingError("not_a_teacher") unless the user teaches in the tenant."""
    if user is None or not is_teacher(tenant, user):
        raise BookingError("not_a_teacher", user=user or "—", tenant=tenant)
    return user


def teacher_timezone(tenant, user, default="UTC"):
    zone = Membership.objects.filter(tenant=tenant, user=user).values_list("timezone", flat=True).first()
    return zone or default


def teacher_profile(tenant, user):
    """The teacher's active membership in the tenant (their public profile), or None."""
    return (Membership.objects.select_related("user", "photo")
            .filter(tenant=tenant, user=user, is_active=True, role__in=TEACHING_ROLES).first())


def teacher_profiles(tenant, user_ids):
    """The public profiles (active teaching memberships) of these users in the tenant, in
    the order given, in one query; users without one are left out."""
    user_ids = list(dict.fromkeys(uid for uid in user_ids if uid is not None))
    if not user_ids:
        return []
    found = {m.user_id: m for m in Membership.objects.select_related("user", "photo").filter(
        tenant=tenant, user_id__in=user_ids, is_active=True, role__in=TEACHING_ROLES)}
    return [found[uid] for uid in user_ids if uid in found]


# Meeting links ----------------------------------------------------------------------------------

def meeting_url_for(session):
    """The link a student joins `session` by: the session's own, else its event type's
    (empty for an in-person class without one). Call it wherever the link is shown."""
    return session.meeting_url or session.event_type.meeting_url


def _clean_url(url):
    url = (url or "").strip()
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise TeacherError("url_invalid", value=url[:200]) from None
    if len(url) > 200:
        raise TeacherError("too_long", field=_("link"), most=200)
    return url


def set_meeting_url(session, url, *, actor, whole_series=False, now=None):
    """Set or change the meeting link of `session` (with `whole_series`, of it and every
    later scheduled session of its series). An empty `url` goes back to the event type's
    link. Attendees with active bookings are emailed the new link after commit.
    Returns the sessions changed."""
    from ..notifications import teacher_messages

    now = now or dj_timezone.now()
    url = _clean_url(url)
    with transaction.atomic():
        current = (Session.objects.select_for_update(of=("self",)).select_related("event_type", "tenant")
                   .get(pk=session.pk))
        if current.status != Session.Status.SCHEDULED:
            raise TeacherError("session_cancelled")
        if current.end <= now:
            raise TeacherError("session_over")
        targets = [current]
        if whole_series and current.series_id:
            targets = list(Session.objects.select_for_update(of=("self",)).select_related("event_type", "tenant")
                           .filter(series_id=current.series_id, status=Session.Status.SCHEDULED,
                                   start__gte=current.start, end__gt=now, teacher_id=current.teacher_id)
                           .order_by("start", "pk"))
        changed = [target for target in targets if target.meeting_url != url]
        if not changed:
            raise TeacherError("url_same")
        Session.objects.filter(pk__in=[target.pk for target in changed]).update(meeting_url=url)
        messages = []
        for target in changed:
            previous, target.meeting_url = target.meeting_url, url
            audit.record("booking.session_meeting_url_changed", tenant=target.tenant, actor=actor,
                         target=f"session:{target.pk}", previous=previous, meeting_url=url)
            if teacher_messages.active_recipients(target):
                messages.append(TeacherMessage.objects.create(
                    tenant=target.tenant, session=target, sender=actor, kind=TeacherMessage.Kind.MEETING_LINK,
                    subject=str(_("New meeting link")), body=meeting_url_for(target)))
        for message in messages:
            teacher_messages.queue_message(message)
        ids = [target.pk for target in changed]
        transaction.on_commit(lambda: signals.sessions_changed.send(
            sender=Session, tenant=current.tenant, session_ids=ids, series=current.series, actor=actor))
    return changed


# Messages to attendees --------------------------------------------------------------------------

def message_attendees(session, *, subject, body, actor, now=None):
    """Email `subject` and `body` to every active attendee of `session`, one Celery task
    per recipient after commit. Limited per session and per sender per day. Returns the
    TeacherMessage."""
    from ..notifications import teacher_messages

    now = now or dj_timezone.now()
    subject, body = " ".join((subject or "").split()), (body or "").strip()
    if not subject:
        raise TeacherError("subject_required")
    if not body:
        raise TeacherError("body_required")
    if len(subject) > MAX_SUBJECT:
        raise TeacherError("too_long", field=_("subject"), most=MAX_SUBJECT)
    if len(body) > MAX_BODY:
        raise TeacherError("too_long", field=_("message"), most=MAX_BODY)
    with transaction.atomic():
        current = (Session.objects.select_for_update(of=("self",)).select_related("event_type", "tenant")
                   .get(pk=session.pk))
        if current.status != Session.Status.SCHEDULED:
            raise TeacherError("session_cancelled")
        since = now - timedelta(days=1)
        written = TeacherMessage.objects.filter(kind=TeacherMessage.Kind.MESSAGE, created_at__gte=since)
        on_session = written.filter(session=current).count()
        if on_session >= MESSAGES_PER_SESSION_PER_DAY:
            raise TeacherError("rate_session", count=on_session)
        by_sender = written.filter(sender=actor).count()
        if by_sender >= MESSAGES_PER_SENDER_PER_DAY:
            raise TeacherError("rate_sender", count=by_sender)
        recipients = teacher_messages.active_recipients(current)
        if not recipients:
            raise TeacherError("no_recipients")
        message = TeacherMessage.objects.create(
            tenant=current.tenant, session=current, sender=actor, kind=TeacherMessage.Kind.MESSAGE,
            subject=subject, body=body, recipient_count=len(recipients))
        audit.record("booking.attendees_messaged", tenant=current.tenant, actor=actor,
                     target=f"session:{current.pk}", message=message.pk, recipients=len(recipients),
                     subject=subject)
        teacher_messages.queue_message(message)
    return message


# Schedule export --------------------------------------------------------------------------------

def upcoming_schedule(tenant, teacher, *, now=None, days=366):
    """The teacher's scheduled sessions and one-to-one bookings from now on, in time order:
    [(start, end, kind, title, seats or student, status, link)]."""
    now = now or dj_timezone.now()
    until = now + timedelta(days=days)
    rows = []
    sessions = (Session.objects.for_tenant(tenant).filter(teacher=teacher, status=Session.Status.SCHEDULED,
                                                          end__gt=now, start__lt=until)
                .select_related("event_type").order_by("start", "pk"))
    for session in sessions:
        rows.append({"start": session.start, "end": session.end, "kind": "session", "title": session.event_type.title,
                     "who": f"{session.seats_taken}/{session.capacity}", "status": session.status,
                     "meeting_url": meeting_url_for(session), "reference": f"session:{session.pk}"})
    bookings = (Booking.objects.for_tenant(tenant).filter(teacher=teacher, session__isnull=True,
                                                          status__in=Booking.ACTIVE, end__gt=now, start__lt=until)
                .select_related("event_type", "attendee").order_by("start", "pk"))
    for booking in bookings:
        rows.append({"start": booking.start, "end": booking.end, "kind": "one_to_one",
                     "title": booking.event_type.title,
                     "who": booking.attendee.get_full_name() or booking.attendee_email, "status": booking.status,
                     "meeting_url": booking.event_type.meeting_url, "reference": str(booking.uid)})
    rows.sort(key=lambda row: (row["start"], row["reference"]))
    return rows


# Deactivation -----------------------------------------------------------------------------------

@dataclass
class FutureWork:
    sessions: list = field(default_factory=list)
    bookings: list = field(default_factory=list)

    def __bool__(self):
        return bool(self.sessions or self.bookings)


def future_work(tenant, teacher, *, now=None):
    """What a teacher still has to teach in the tenant: scheduled sessions that have not
    ended and active one-to-one bookings that have not ended."""
    now = now or dj_timezone.now()
    sessions = list(Session.objects.for_tenant(tenant).filter(teacher=teacher, status=Session.Status.SCHEDULED,
                                                              end__gt=now)
                    .select_related("event_type", "series").order_by("start", "pk"))
    bookings = list(Booking.objects.for_tenant(tenant).filter(teacher=teacher, session__isnull=True,
                                                              status__in=Booking.ACTIVE, end__gt=now)
                    .select_related("event_type", "attendee").order_by("start", "pk"))
    return FutureWork(sessions, bookings)


def _check_free(tenant, teacher, start, end, *, event_type, exclude_session_ids=(), exclude_booking_ids=()):
    from .availability import clashing
    from .slots import load_teacher_busy

    busy = load_teacher_busy(tenant, [teacher.pk], start - event_type.buffer_before, end + event_type.buffer_after,
                             exclude_session_ids=exclude_session_ids, exclude_booking_ids=exclude_booking_ids,
                             include_blackouts=True)[teacher.pk].busy
    if clashing([(start, end, 0)], [(b_start, b_end) for b_start, b_end, _reason in busy],
                buffer_before=event_type.buffer_before, buffer_after=event_type.buffer_after):
        zone = ZoneInfo(teacher_timezone(tenant, teacher))
        raise TeacherError("reassign_busy", teacher=teacher,
                           when=f"{start.astimezone(zone):%Y-%m-%d %H:%M}–{end.astimezone(zone):%H:%M} {zone.key}")


def reassign_session(session, new_teacher, *, actor):
    """Give a scheduled session to another active teacher of its tenant, with its
    per-session bookings. Refused (TeacherError) if they are busy then (sessions,
    one-to-one bookings, blackouts, imported calendars, buffers)."""
    tenant = session.tenant
    with transaction.atomic():
        current = (Session.objects.select_for_update(of=("self",)).select_related("event_type", "series")
                   .get(pk=session.pk))
        require_teacher(tenant, new_teacher)
        if current.teacher_id == new_teacher.pk:
            raise TeacherError("same_teacher", teacher=new_teacher)
        _check_free(tenant, new_teacher, current.start, current.end, event_type=current.event_type,
                    exclude_session_ids=[current.pk])
        previous = current.teacher_id
        Session.objects.filter(pk=current.pk).update(teacher=new_teacher)
        Booking.objects.filter(session=current, series__isnull=True).update(teacher=new_teacher)
        if current.series_id and not Session.objects.filter(
                series_id=current.series_id, status=Session.Status.SCHEDULED, start__gte=current.start,
        ).exclude(teacher=new_teacher).exists():
            # Every session left of the series is theirs now: so is the series, and its bookings.
            type(current.series).objects.filter(pk=current.series_id).update(teacher=new_teacher)
            Booking.objects.filter(series_id=current.series_id).update(teacher=new_teacher)
        audit.record("booking.session_reassigned", tenant=tenant, actor=actor, target=f"session:{current.pk}",
                     previous_teacher=previous, teacher=new_teacher.pk)
        transaction.on_commit(lambda: signals.sessions_changed.send(
            sender=Session, tenant=tenant, session_ids=[current.pk], series=current.series, actor=actor))
    session.refresh_from_db()
    return session


def reassign_booking(booking, new_teacher, *, actor):
    """Give an active one-to-one booking to another active teacher of its tenant at the
    same time. Refused (TeacherError) if they are busy then; on PostgreSQL the exclusion
    constraint on one-to-one time refuses a clash that slips past the check. The student
    is told (the booking's calendar entry is updated)."""
    tenant = booking.tenant
    from .bookings import _is_teacher_time_clash

    try:
        with transaction.atomic():
            current = Booking.objects.select_for_update(of=("self",)).select_related("event_type").get(pk=booking.pk)
            if current.status not in Booking.ACTIVE or not current.is_one_on_one:
                raise TeacherError("not_active")
            require_teacher(tenant, new_teacher)
            if current.teacher_id == new_teacher.pk:
                raise TeacherError("same_teacher", teacher=new_teacher)
            _check_free(tenant, new_teacher, current.start, current.end, event_type=current.event_type,
                        exclude_booking_ids=[current.pk])
            previous = current.teacher_id
            current.teacher = new_teacher
            current.sequence += 1
            current.save(update_fields=["teacher", "sequence", "updated_at"])
            audit.record("booking.teacher_reassigned", tenant=tenant, actor=actor, target=f"booking:{current.uid}",
                         previous_teacher=previous, teacher=new_teacher.pk)
            start, end = current.start, current.end
            actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
            transaction.on_commit(lambda: signals.booking_rescheduled.send(
                sender=Booking, booking_id=current.pk, tenant_id=tenant.pk, actor_id=actor_id,
                previous_start=start, previous_end=end, previous_session_id=None))
    except IntegrityError as exc:
        if _is_teacher_time_clash(exc):
            zone = ZoneInfo(teacher_timezone(tenant, new_teacher))
            raise TeacherError("reassign_busy", teacher=new_teacher,
                               when=f"{booking.start.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}") from None
        raise
    booking.refresh_from_db()
    return booking


CANCEL = "cancel"


def deactivate_teacher(membership, *, actor, sessions=None, bookings=None, reason="", now=None):
    """Deactivate a teacher's (or teaching admin's) membership, resolving their future
    work first, all in one transaction (a refusal changes nothing).

    `sessions` and `bookings` map a session / one-to-one booking id to a new teacher
    (a user of the tenant) or CANCEL (cancelled by an admin: every booking refunded in
    full). Refused while any future session or booking is left without a choice.
    Access ends at once: the membership is inactive and the tenant's teacher and admin
    groups no longer hold the user."""
    from .bookings import cancel_booking, cancel_session_with_bookings

    sessions, bookings = dict(sessions or {}), dict(bookings or {})
    now = now or dj_timezone.now()
    tenant = membership.tenant
    with transaction.atomic():
        current = (Membership.objects.select_for_update(of=("self",)).select_related("user", "tenant")
                   .get(pk=membership.pk))
        teacher = current.user
        if current.role not in TEACHING_ROLES:
            raise TeacherError("not_teacher_membership")
        if actor is not None and actor.pk == teacher.pk:
            raise TeacherError("deactivate_self")
        if not current.is_active:
            raise TeacherError("already_inactive", teacher=teacher)
        # Inactive first: from here on no slot offers this teacher, so nothing new lands meanwhile.
        Membership.objects.filter(pk=current.pk).update(is_active=False, deactivated_at=now)
        work = future_work(tenant, teacher, now=now)
        given = {}  # new teacher id -> ([session ids], [booking ids]): each is told once, after commit
        for session in work.sessions:
            choice = sessions.get(session.pk)
            if choice is None:
                raise TeacherError("choice_missing", item=session)
            if choice == CANCEL:
                cancel_session_with_bookings(session, actor=actor, reason=reason, by_role=Booking.Role.ADMIN, now=now)
            else:
                reassign_session(session, choice, actor=actor)
                given.setdefault(choice.pk, ([], []))[0].append(session.pk)
        for booking in work.bookings:
            choice = bookings.get(booking.pk)
            if choice is None:
                raise TeacherError("choice_missing", item=booking)
            if choice == CANCEL:
                cancel_booking(booking, reason=reason, actor=actor, by_role=Booking.Role.ADMIN, now=now)
            else:
                reassign_booking(booking, choice, actor=actor)
                given.setdefault(choice.pk, ([], []))[1].append(booking.pk)
        left = future_work(tenant, teacher, now=now)
        if left:
            raise TeacherError("future_work_left", teacher=teacher, sessions=len(left.sessions),
                               bookings=len(left.bookings))
        groups = [group for group in (tenant.teacher_group, tenant.admin_group) if group is not None]
        teacher.groups.remove(*groups)
        audit.record("membership.deactivated", tenant=tenant, actor=actor, target=f"user:{teacher.pk}",
                     role=current.role, sessions_cancelled=sum(1 for c in sessions.values() if c == CANCEL),
                     sessions_reassigned=sum(1 for c in sessions.values() if c != CANCEL),
                     bookings_cancelled=sum(1 for c in bookings.values() if c == CANCEL),
                     bookings_reassigned=sum(1 for c in bookings.values() if c != CANCEL), reason=reason)
        _tell_new_teachers(tenant, current, given, now)
    membership.refresh_from_db()
    return membership


def _tell_new_teachers(tenant, membership, given, now):
    """After commit, each teacher who received work gets one email of it with its ICS."""
    from ..notifications import teacher_messages

    key_base = f"reassigned:{membership.pk}:{int(now.timestamp())}"
    for teacher_id, (session_ids, booking_ids) in given.items():
        teacher_messages.send_work_reassigned.delay_on_commit(tenant.pk, teacher_id, session_ids, booking_ids,
                                                              f"{key_base}:{teacher_id}")


def reassignment_candidates(tenant, teacher):
    """Other active teachers (and teaching admins) of the tenant."""
    return teachers_of(tenant).exclude(pk=teacher.pk)


