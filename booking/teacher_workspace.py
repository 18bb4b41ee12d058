"""The teacher's workspace in the Wagtail admin.

A home-page panel per tenant the user teaches for: their sessions of the next
14 days with seats taken and a link to the attendee list, their upcoming
one-to-one bookings, and their private calendar feed URL with a button that
replaces it. The session page lists attendees, marks attendance (after the start,
through `services.bookings.mark_attendance`) and exports CSV; it also sets the
session's meeting link and messages its attendees (`services.teachers`), and lists
the messages sent. A teacher exports their upcoming schedule as CSV.

Who sees a session's attendees: its teacher, within a tenant where they are an
active teacher; any active admin of the session's tenant; super admins. Anyone
else gets 404, so ids reveal nothing. Registered from the end of
`booking/wagtail_hooks.py`.
"""

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views import View
from wagtail import hooks
from wagtail.admin.ui.components import Component

from site_platform.admin_scoping import tenant_roles
from site_platform.models import Membership, Tenant

from site_platform.models import TeacherMessage

from .errors import BookingError
from .models import Booking, BookingSeat, Session
from .notifications import teacher_messages  # noqa: F401  (registers its Celery task in every process)
from .notifications.models import TeacherCalendarToken
from .services import bookings as booking_service
from .services import teachers as teacher_service

WORKSPACE_DAYS = 14
ATTENDEE_STATUSES = (Booking.Status.PENDING_PAYMENT, Booking.Status.CONFIRMED, Booking.Status.NO_SHOW)
CSV_COLUMNS = ("name", "email", "seats", "status", "attended", "booked_at_utc", "reference")


def _tenant_ids(user, role):
    return [tenant_id for tenant_id, held in tenant_roles(user).items() if held == role]


def attendee_sessions(user):
    """Sessions whose attendee list `user` may read and mark."""
    if not (user.is_authenticated and user.is_active):
        return Session.objects.none()
    if user.is_superuser:
        return Session.objects.all()
    return Session.objects.filter(
        Q(tenant_id__in=_tenant_ids(user, Membership.Role.ADMIN))
        | Q(tenant_id__in=_tenant_ids(user, Membership.Role.TEACHER), teacher=user))


def get_session(user, pk):
    session = attendee_sessions(user).select_related("event_type", "teacher", "tenant").filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


def session_attendees(session):
    """The session's booked seats, in booking order, with their bookings."""
    return list(BookingSeat.objects.filter(session=session, booking__status__in=ATTENDEE_STATUSES)
                .select_related("booking", "booking__attendee").order_by("booking__created_at", "pk"))


def teacher_zone(tenant, user):
    zone = Membership.objects.filter(tenant=tenant, user=user).values_list("timezone", flat=True).first()
    return zone or "UTC"


def _csv_cell(value):
    """Spreadsheets run cells starting with these as formulas; a quote keeps them text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class TeacherWorkspacePanel(Component):
    template_name = "booking/teacher/workspace_panel.html"
    order = 40

    def __init__(self, tenant, user):
        self.tenant, self.user = tenant, user
        self.name = f"teacher-workspace-{tenant.pk}"

    def get_context_data(self, parent_context):
        tenant, user, now = self.tenant, self.user, timezone.now()
        until = now + timedelta(days=WORKSPACE_DAYS)
        sessions = list(Session.objects.filter(tenant=tenant, teacher=user, status=Session.Status.SCHEDULED,
                                               end__gte=now, start__lte=until)
                        .select_related("event_type").order_by("start", "pk")[:50])
        for session in sessions:
            session.attendees_url = reverse("teacher_session_attendees", args=[session.pk])
        one_to_one = list(Booking.objects.filter(tenant=tenant, teacher=user, session__isnull=True,
                                                 status__in=Booking.ACTIVE, end__gte=now)
                          .select_related("event_type", "attendee").order_by("start", "pk")[:50])
        feed = TeacherCalendarToken.for_teacher(tenant, user)
        return {
            "tenant": tenant, "sessions": sessions, "one_to_one": one_to_one, "days": WORKSPACE_DAYS,
            "feed_url": feed.feed_url, "rotate_url": reverse("teacher_feed_rotate", args=[tenant.pk]),
            "schedule_csv_url": reverse("teacher_schedule_export", args=[tenant.pk]),
            "profile_url": reverse("teacher_own_profile", args=[tenant.pk]),
            "zone": teacher_zone(tenant, user),
            "csrf_token": parent_context.get("csrf_token"),
            "request": parent_context.get("request"),
        }


class SessionAttendeesView(View):
    """GET: the attendee list (HTML, or CSV with ?format=csv)."""

    template_name = "booking/teacher/session_attendees.html"

    def get(self, request, pk):
        session = get_session(request.user, pk)
        attendees = session_attendees(session)
        if request.GET.get("format") == "csv":
            return self.csv(session, attendees)
        now = timezone.now()
        return TemplateResponse(request, self.template_name, {
            "page_title": _("Attendees"), "header_icon": "group", "session": session, "attendees": attendees,
            "started": session.start <= now, "zone": teacher_zone(session.tenant, session.teacher),
            "csv_url": reverse("teacher_session_attendees", args=[session.pk]) + "?format=csv",
            "seats_taken": sum(seat.seats for seat in attendees),
            "open": session.status == Session.Status.SCHEDULED and session.end > now,
            "meeting_url": teacher_service.meeting_url_for(session),
            "own_link": session.meeting_url,
            "messages_sent": TeacherMessage.objects.filter(session=session).select_related("sender")[:50],
            "max_subject": teacher_service.MAX_SUBJECT, "max_body": teacher_service.MAX_BODY,
        })

    def csv(self, session, attendees):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for seat in attendees:
            booking = seat.booking
            attended = "" if booking.attended is None else ("yes" if booking.attended else "no")
            writer.writerow([_csv_cell(value) for value in (
                booking.attendee.get_full_name(), booking.attendee_email, seat.seats, booking.status, attended,
                booking.created_at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M"), booking.uid)])
        filename = f"attendees-{slugify(session.event_type.title)}-{session.start:%Y%m%d-%H%M}.csv"
        return HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class AttendanceView(View):
    """POST attended=yes|no for one booking of the session."""

    def post(self, request, pk, booking_pk):
        session = get_session(request.user, pk)
        seat = BookingSeat.objects.filter(session=session, booking_id=booking_pk).select_related("booking").first()
        if seat is None:
            raise Http404
        attended = request.POST.get("attended")
        if attended not in ("yes", "no"):
            messages.error(request, _("Choose present or no-show."))
        else:
            try:
                booking_service.mark_attendance(seat.booking, attended=attended == "yes", actor=request.user)
            except BookingError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Attendance saved for %(email)s.") % {
                    "email": seat.booking.attendee_email})
        return redirect("teacher_session_attendees", pk=session.pk)


class MeetingLinkView(View):
    """POST meeting_url (empty: the event type's link) and whole_series=on for every later
    session of the series. Attendees are emailed the new link."""

    def post(self, request, pk):
        session = get_session(request.user, pk)
        try:
            changed = teacher_service.set_meeting_url(session, request.POST.get("meeting_url", ""),
                                                      actor=request.user,
                                                      whole_series=request.POST.get("whole_series") == "on")
        except BookingError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Meeting link saved for %(count)s session(s); attendees are being told.")
                             % {"count": len(changed)})
        return redirect("teacher_session_attendees", pk=session.pk)


class MessageAttendeesView(View):
    """POST subject and message: an email to every active attendee of the session."""

    def post(self, request, pk):
        session = get_session(request.user, pk)
        try:
            message = teacher_service.message_attendees(session, subject=request.POST.get("subject", ""),
                                                        body=request.POST.get("message", ""), actor=request.user)
        except BookingError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your message is on its way to %(count)s attendee(s).")
                             % {"count": message.recipient_count})
        return redirect("teacher_session_attendees", pk=session.pk)


SCHEDULE_COLUMNS = ("start_local", "end_local", "time_zone", "kind", "title", "seats_or_student", "status",
                    "meeting_link", "reference")


class ScheduleExportView(View):
    """GET: the signed-in teacher's upcoming sessions and one-to-one bookings in one
    tenant, as CSV in their time zone."""

    def get(self, request, tenant_pk):
        if tenant_pk not in _tenant_ids(request.user, Membership.Role.TEACHER) + _tenant_ids(
                request.user, Membership.Role.ADMIN):
            raise Http404
        tenant = Tenant.objects.get(pk=tenant_pk)
        zone_name = teacher_zone(tenant, request.user)
        zone = ZoneInfo(zone_name)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(SCHEDULE_COLUMNS)
        for row in teacher_service.upcoming_schedule(tenant, request.user):
            writer.writerow([_csv_cell(value) for value in (
                row["start"].astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                row["end"].astimezone(zone).strftime("%Y-%m-%d %H:%M"), zone_name, row["kind"], row["title"],
                row["who"], row["status"], row["meeting_url"], row["reference"])])
        filename = f"schedule-{slugify(tenant.subdomain)}-{timezone.now():%Y%m%d}.csv"
        return HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class RotateFeedView(View):
    """POST: a new private calendar feed address for the signed-in teacher; the old one stops working."""

    def post(self, request, tenant_pk):
        if tenant_roles(request.user).get(tenant_pk) != Membership.Role.TEACHER:
            raise Http404
        TeacherCalendarToken.rotate(Tenant.objects.get(pk=tenant_pk), request.user)
        messages.success(request, _("Your calendar feed has a new address. Update your calendar app with it."))
        return redirect("wagtailadmin_home")


@hooks.register("register_admin_urls")
def register_teacher_workspace_urls():
    return [
        path("teacher/sessions/<int:pk>/attendees/", SessionAttendeesView.as_view(), name="teacher_session_attendees"),
        path("teacher/sessions/<int:pk>/attendance/<int:booking_pk>/", AttendanceView.as_view(),
             name="teacher_session_attendance"),
        path("teacher/calendar/<int:tenant_pk>/rotate/", RotateFeedView.as_view(), name="teacher_feed_rotate"),
        path("teacher/sessions/<int:pk>/meeting-link/", MeetingLinkView.as_view(), name="teacher_session_meeting_link"),
        path("teacher/sessions/<int:pk>/message/", MessageAttendeesView.as_view(), name="teacher_session_message"),
        path("teacher/schedule/<int:tenant_pk>/export/", ScheduleExportView.as_view(), name="teacher_schedule_export"),
    ]


@hooks.register("construct_homepage_panels")
def add_teacher_workspace_panels(request, panels):
    user = request.user
    taught = _tenant_ids(user, Membership.Role.TEACHER)
    for tenant in Tenant.objects.filter(pk__in=taught).order_by("name")[:5]:
        panels.insert(0, TeacherWorkspacePanel(tenant, user))
