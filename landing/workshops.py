"""What the workshop list block shows: a tenant's published classes and
workshops with their next sessions, read in a fixed number of queries
(event types 1, their next sessions with teachers 1, the teacher filter 1)
whatever the number of event types or sessions."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Subquery
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

SESSIONS_PER_ITEM = 3


@dataclass
class WorkshopListing:
    event_types: list
    teachers: list
    selected_teacher: int | None


def session_kinds():
    from booking.models import EventType

    return [EventType.Kind.LIVE_CLASS, EventType.Kind.WORKSHOP]


def load_workshops(tenant, *, kinds=None, teacher_id=None, limit=12, now=None):
    from booking.models import EventType, Session

    now = now or timezone.now()
    kinds = [kind for kind in (kinds or session_kinds()) if kind in session_kinds()]
    upcoming = Session.objects.for_tenant(tenant).filter(
        status=Session.Status.SCHEDULED, start__gt=now, event_type__is_published=True, event_type__kind__in=kinds,
    )
    teachers = list(
        get_user_model().objects.filter(pk__in=upcoming.values("teacher_id")).order_by("first_name", "email")
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
    for event_type in event_types:
        for session in event_type.next_sessions:
            session.book_url = booking_url("booking:book_session", session)
            session.waitlist_url = booking_url("booking:join_waitlist", session)
    return WorkshopListing(event_types=event_types, teachers=teachers, selected_teacher=teacher_id)


def booking_url(name, session):
    """The booking lifecycle's URL for a session, once it exists (the booking
    app names them `booking:book_session` and `booking:join_waitlist`)."""
    try:
        return reverse(name, kwargs={"session_id": session.pk})
    except NoReverseMatch:
        return None
