"""What the workshop list block shows: a tenant's published classes and
workshops with their next sessions, read in a fixed number of queries
(event types 1, their next sessions with teachers 1, the teacher filter 1)
whatever the number of event types or sessions.

Visitors filter by teacher (`?teacher=<id>`) and, when the block shows both
kinds, by kind (`?kind=workshop|live_class`). Event types carry no language or
level, so there is no filter for those."""

from dataclasses import dataclass
from datetime import UTC

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Subquery
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext, ngettext

SESSIONS_PER_ITEM = 3


@dataclass
class WorkshopListing:
    event_types: list
    teachers: list
    selected_teacher: int | None
    kinds: list
    selected_kind: str | None = None

    @property
    def kind_choices(self):
        """[(value, label)] of the kinds a visitor can choose between (none when only one is shown)."""
        from booking.models import EventType

        if len(self.kinds) < 2:
            return []
        labels = dict(EventType.Kind.choices)
        return [(kind, labels[kind]) for kind in self.kinds]

    @property
    def sessions(self):
        return [session for event_type in self.event_types for session in event_type.next_sessions]


def session_kinds():
    from booking.models import EventType

    return [EventType.Kind.LIVE_CLASS, EventType.Kind.WORKSHOP]


def load_workshops(tenant, *, kinds=None, teacher_id=None, kind=None, limit=12, now=None):
    from booking.models import EventType, Session

    now = now or timezone.now()
    kinds = [k for k in session_kinds() if k in (kinds or session_kinds())]
    offered_kinds = list(kinds)
    selected_kind = kind if kind in kinds and len(kinds) > 1 else None
    if selected_kind:
        kinds = [selected_kind]
    upcoming = Session.objects.for_tenant(tenant).filter(
        status=Session.Status.SCHEDULED, start__gt=now, event_type__is_published=True, event_type__kind__in=kinds,
    )
    teachers = list(
        get_user_model().objects.filter(pk__in=upcoming.values("teacher_id")).order_by("first_name", "email")
        .only("pk", "first_name", "last_name", "email")
    )
    if teacher_id not in {teacher.pk for teacher in teachers}:
        teacher_id = None
    if teacher_id is not None:
        upcoming = upcoming.filter(teacher_id=teacher_id)
    for_event_type = upcoming.filter(event_type=OuterRef("pk"))
    event_types = list(
        EventType.objects.for_tenant(tenant)
        .filter(is_published=True, kind__in=kinds)
        .filter(Exists(for_event_type))
        .annotate(next_start=Subquery(for_event_type.order_by("start").values("start")[:1]))
        .order_by("next_start", "title", "pk")
        .prefetch_related(Prefetch(
            "sessions",
            queryset=upcoming.select_related("teacher").order_by("start", "pk")[:SESSIONS_PER_ITEM],
            to_attr="next_sessions",
        ))[:limit]
    )
    book_base = booking_url("booking:book_session", _Placeholder)
    waitlist_base = booking_url("booking:join_waitlist", _Placeholder)
    for event_type in event_types:
        for session in event_type.next_sessions:
            # URLs and labels made here, not by a dozen template tags per session.
            session.book_url = _fill(book_base, session.pk)
            session.waitlist_url = _fill(waitlist_base, session.pk)
            start = session.start.astimezone(UTC)
            session.start_iso = start.isoformat()
            session.when_label = dateformat.format(start, "D j M, H:i")
            session.when_short = dateformat.format(start, "D j M H:i")
            teacher = session.teacher
            session.teacher_name = (teacher.get_full_name() or teacher.email) if teacher is not None else ""
            seats = session.seats_left
            session.seats_label = (ngettext("%(seats)s seat left", "%(seats)s seats left", seats) % {"seats": seats}
                                   if seats else "")
    return WorkshopListing(event_types=event_types, teachers=teachers, selected_teacher=teacher_id,
                           kinds=offered_kinds, selected_kind=selected_kind)


class _Placeholder:
    pk = 987654321


def _fill(base, pk):
    return base.replace(str(_Placeholder.pk), str(pk)) if base else None


def session_labels():
    """The words every session row repeats, translated once per render."""
    return {"book": gettext("Book"), "soon": gettext("Booking opens soon"), "full": gettext("Full – join the waitlist")}


def booking_url(name, session):
    """The booking lifecycle's URL for a session (`booking:book_session`,
    `booking:join_waitlist`); None where the booking URLs are not served
    (e.g. the platform host's URLconf)."""
    try:
        return reverse(name, kwargs={"session_id": session.pk}, urlconf=settings.TENANT_URLCONF)
    except NoReverseMatch:
        return None
