"""A teacher's private calendar feed: their sessions and one-to-one bookings as ICS.

The URL holds a secret token (TeacherCalendarToken) and works without signing
in, so Google Calendar and Outlook can subscribe to it. It answers only on the
token's own tenant's hosts and only while the teacher is an active member of
that tenant; anything else is a 404.
"""

import datetime as dt

from django.http import Http404, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from booking import ics
from booking.models import Booking, Session
from booking.notifications.models import TeacherCalendarToken
from booking.notifications.recipients import teacher_recipient
from booking.services.teachers import meeting_url_for
from site_platform.models import Membership

FEED_PAST = dt.timedelta(days=30)
FEED_FUTURE = dt.timedelta(days=366)


def _session_entry(session):
    event_type = session.event_type
    meeting_url = meeting_url_for(session)
    description = [_("%(taken)s of %(capacity)s seats booked") % {"taken": session.seats_taken,
                                                                   "capacity": session.capacity}]
    if meeting_url:
        description.append(_("Join: %(url)s") % {"url": meeting_url})
    location = event_type.address if event_type.location_kind == event_type.LocationKind.IN_PERSON \
        else meeting_url
    return ics.CalendarEntry(
        uid=ics.session_event_uid(session.pk),
        sequence=0,
        start=session.start,
        end=session.end,
        summary=_("%(event)s (%(taken)s/%(capacity)s booked)") % {
            "event": event_type.title, "taken": session.seats_taken, "capacity": session.capacity},
        description="\n".join(description),
        location=location,
        url=meeting_url,
        last_modified=session.created_at,
    )


def _booking_entry(booking):
    event_type = booking.event_type
    student = booking.attendee.get_full_name() or booking.attendee_email
    summary = _("%(event)s with %(student)s") % {"event": event_type.title, "student": student}
    if booking.status == Booking.Status.PENDING_PAYMENT:
        summary = _("%(summary)s (awaiting payment)") % {"summary": summary}
    description = [_("Student: %(student)s <%(email)s>") % {"student": student, "email": booking.attendee_email}]
    if event_type.meeting_url:
        description.append(_("Join: %(url)s") % {"url": event_type.meeting_url})
    location = event_type.address if event_type.location_kind == event_type.LocationKind.IN_PERSON \
        else event_type.meeting_url
    return ics.CalendarEntry(
        uid=ics.booking_event_uid(booking.uid),
        sequence=booking.sequence,
        start=booking.start,
        end=booking.end,
        summary=summary,
        description="\n".join(description),
        location=location,
        url=event_type.meeting_url,
        last_modified=booking.updated_at,
    )


def teacher_feed_calendar(tenant, teacher, *, now=None):
    """The teacher's feed on `tenant`: sessions and one-to-one bookings from 30 days ago
    to a year ahead."""
    now = now or timezone.now()
    window_start, window_end = now - FEED_PAST, now + FEED_FUTURE
    sessions = (Session.objects.for_tenant(tenant)
                .filter(teacher=teacher, status=Session.Status.SCHEDULED, end__gte=window_start,
                        start__lte=window_end)
                .select_related("event_type"))
    bookings = (Booking.objects.for_tenant(tenant)
                .filter(teacher=teacher, session__isnull=True, end__gte=window_start, start__lte=window_end,
                        status__in=[Booking.Status.CONFIRMED, Booking.Status.PENDING_PAYMENT, Booking.Status.NO_SHOW])
                .select_related("event_type", "attendee"))
    entries = [_session_entry(session) for session in sessions] + [_booking_entry(booking) for booking in bookings]
    entries.sort(key=lambda entry: (entry.start, entry.uid))
    name = _("%(school)s: %(teacher)s") % {"school": tenant.name, "teacher": teacher}
    return ics.build_calendar(entries, name=name, stamp=now)


@require_GET
def teacher_feed(request, token):
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        raise Http404
    feed_token = (TeacherCalendarToken.objects.for_tenant(tenant).select_related("teacher")
                  .filter(token=token).first())
    if feed_token is None:
        raise Http404
    teacher = feed_token.teacher
    if not Membership.objects.filter(tenant=tenant, user=teacher, is_active=True).exists():
        raise Http404
    with translation.override(teacher_recipient(tenant, teacher).language):
        body = teacher_feed_calendar(tenant, teacher).to_ical()
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
