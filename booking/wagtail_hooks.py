from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.admin.ui.tables import DateColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views import generic
from wagtail.admin.widgets.button import Button

from site_platform.admin_scoping import ScopedListingMixin, TenantScopedModelViewSet

from .admin_forms import EventTypeForm, ScheduleForm, SessionFilterSet, SessionForm, SessionSeriesFilterSet
from .admin_views import (
    RecurrenceCreateView, SeriesEditView, SessionCreateView, SessionEditView, SessionExportView,
)
from .admin_bookings import (
    BookingAttendanceView, BookingCancelView, BookingFilterSet, BookingIndexView, BookSomeoneInView,
    SessionCancelWithBookingsView, WhitelistDeleteView, WhitelistExportView, WhitelistFilterSet, WhitelistImportView,
    WhitelistIndexView,
)
from .models import Booking, EventType, Schedule, Session, SessionSeries, WhitelistEntry


class EventTypeViewSet(TenantScopedModelViewSet):
    name = "event-types"
    model = EventType
    icon = "tasks"
    menu_label = _("Event types")
    list_display = ["title", "kind", "price", "currency", "is_published", "tenant"]
    list_filter = ["kind", "is_published"]
    search_fields = ["title", "slug", "description"]
    copy_view_enabled = False
    inspect_view_enabled = True
    panels = [
        FieldPanel("tenant"),
        MultiFieldPanel([
            FieldPanel("kind"), FieldPanel("title"), FieldPanel("slug"), FieldPanel("description"),
            FieldPanel("is_published"),
        ], heading=_("What it is")),
        MultiFieldPanel([
            FieldRowPanel([FieldPanel("price"), FieldPanel("currency")]),
            FieldPanel("whitelist_enabled"),
            FieldRowPanel([FieldPanel("refund_window_hours"), FieldPanel("late_cancel_refund_percent")]),
            FieldPanel("hold_minutes"),
        ], heading=_("Price and policy")),
        MultiFieldPanel([
            FieldPanel("duration_minutes"), FieldPanel("slot_interval_minutes"),
            FieldRowPanel([FieldPanel("buffer_before_minutes"), FieldPanel("buffer_after_minutes")]),
            FieldRowPanel([FieldPanel("minimum_notice_minutes"), FieldPanel("booking_horizon_days")]),
            FieldPanel("daily_limit_per_teacher"),
        ], heading=_("Timing")),
        MultiFieldPanel([
            FieldRowPanel([FieldPanel("seats_per_session"), FieldPanel("max_seats_per_booking")]),
            FieldPanel("booked_as"),
            FieldRowPanel([FieldPanel("participant_names"), FieldPanel("participant_names_cutoff_hours")]),
        ], heading=_("Seats (live classes and workshops)")),
        MultiFieldPanel([
            FieldPanel("location_kind"), FieldPanel("address"), FieldPanel("meeting_url"),
        ], heading=_("Location")),
        InlinePanel("hosts", panels=[FieldPanel("teacher")], heading=_("Teachers"), label=_("Teacher")),
        FieldPanel("questions"),
        FieldPanel("immersio_course_id"),
    ]

    def get_edit_handler(self):
        handler = super().get_edit_handler()
        handler.base_form_class = EventTypeForm
        return handler


class ScheduleViewSet(TenantScopedModelViewSet):
    name = "schedules"
    model = Schedule
    icon = "time"
    menu_label = _("Schedules")
    list_display = ["teacher", "timezone", "tenant"]
    search_fields = ["teacher__email", "teacher__first_name", "teacher__last_name"]
    copy_view_enabled = False
    panels = [
        FieldPanel("tenant"), FieldPanel("teacher"), FieldPanel("timezone"),
        InlinePanel("ranges", panels=[FieldPanel("weekday"), FieldPanel("start_time"), FieldPanel("end_time")],
                    heading=_("Weekly hours"), label=_("Hours")),
        InlinePanel("overrides", panels=[FieldPanel("date"), FieldPanel("start_time"), FieldPanel("end_time"),
                                         FieldPanel("unavailable")],
                    heading=_("Date overrides"), label=_("Override")),
        InlinePanel("blackouts", panels=[FieldPanel("start"), FieldPanel("end"), FieldPanel("reason")],
                    heading=_("Blackouts"), label=_("Blackout")),
    ]

    def get_edit_handler(self):
        handler = super().get_edit_handler()
        handler.base_form_class = ScheduleForm
        return handler


class SessionIndexView(ScopedListingMixin, generic.IndexView):
    viewset_export_url = None
    viewset_cancel_url = None

    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        teacher = self.request.GET.get("teacher", "")
        params = f"&teacher={teacher}" if teacher.isdigit() else ""
        export = reverse(self.viewset_export_url)
        buttons.append(Button(_("Export CSV"), url=f"{export}?format=csv{params}", icon_name="download",
                              priority=50))
        buttons.append(Button(_("Export ICS"), url=f"{export}?format=ics{params}", icon_name="calendar",
                              priority=51))
        return buttons

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if not instance.is_cancelled:
            buttons.append(MenuItem(_("Cancel session"), url=reverse(self.viewset_cancel_url, args=[instance.pk]),
                                    icon_name="cross", priority=40))
        return buttons


class SessionViewSet(TenantScopedModelViewSet):
    name = "sessions"
    model = Session
    icon = "date"
    menu_label = _("Sessions")
    index_view_class = SessionIndexView
    add_view_class = SessionCreateView
    edit_view_class = SessionEditView
    list_display = ["event_type", DateColumn("start", label=_("Start (UTC)")), "teacher", "capacity",
                    "seats_taken", "status", "tenant"]
    filterset_class = SessionFilterSet
    search_fields = ["event_type__title", "teacher__email"]
    copy_view_enabled = False
    inspect_view_enabled = True
    panels = [FieldPanel("tenant"), FieldPanel("event_type"), FieldPanel("teacher"), FieldPanel("start"),
              FieldPanel("end"), FieldPanel("capacity")]

    def get_edit_handler(self):
        handler = super().get_edit_handler()
        handler.base_form_class = SessionForm
        return handler

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            viewset_export_url=self.get_url_name("export"), viewset_cancel_url=self.get_url_name("cancel"), **kwargs)

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("export/", SessionExportView.as_view(), name="export"),
            path("cancel/<int:pk>/", SessionCancelWithBookingsView.as_view(viewset=self), name="cancel"),
        ]


class SessionSeriesIndexView(ScopedListingMixin, generic.IndexView):
    viewset_edit_url = None

    def get_list_more_buttons(self, instance):
        return [MenuItem(_("Edit future sessions"), url=reverse(self.viewset_edit_url, args=[instance.pk]),
                         icon_name="edit", priority=10)]


class SessionSeriesViewSet(TenantScopedModelViewSet):
    name = "session-series"
    model = SessionSeries
    icon = "rotate"
    menu_label = _("Recurring sessions")
    index_view_class = SessionSeriesIndexView
    list_display = ["event_type", "teacher", "starts_on", "until", "count", "start_time", "timezone", "tenant"]
    filterset_class = SessionSeriesFilterSet
    copy_view_enabled = False
    add_item_label = _("Create sessions from a recurrence")
    form_fields = []

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(viewset_edit_url=self.get_url_name("edit"), **kwargs)

    @property
    def add_view(self):
        return RecurrenceCreateView.as_view(viewset=self)

    @property
    def edit_view(self):
        return SeriesEditView.as_view(viewset=self)


class BookingViewSet(TenantScopedModelViewSet):
    name = "bookings"
    model = Booking
    icon = "tick-inverse"
    menu_label = _("Bookings")
    index_view_class = BookingIndexView
    list_display = ["attendee_email", "event_type", DateColumn("start", label=_("Start (UTC)")), "teacher", "seats",
                    "status", "amount", "tenant"]
    filterset_class = BookingFilterSet
    search_fields = ["attendee_email"]
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = ["uid", "event_type", "session", "series", "teacher", "start", "end", "seats",
                           "attendee_email", "status", "attended", "hold_expires_at", "amount", "currency", "answers",
                           "source", "reschedule_count", "cancellation_reason", "cancelled_by", "cancelled_by_role",
                           "cancelled_at", "refund_due", "needs_refund", "payment_reference", "created_at"]
    panels = [FieldPanel("answers")]

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            viewset_cancel_url=self.get_url_name("cancel"), viewset_attendance_url=self.get_url_name("attendance"),
            viewset_book_url=self.get_url_name("book"), **kwargs)

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("cancel/<int:pk>/", BookingCancelView.as_view(viewset=self), name="cancel"),
            path("attendance/<int:pk>/", BookingAttendanceView.as_view(viewset=self), name="attendance"),
            path("book/", BookSomeoneInView.as_view(viewset=self), name="book"),
        ]


class WhitelistViewSet(TenantScopedModelViewSet):
    name = "whitelist"
    model = WhitelistEntry
    icon = "user"
    menu_label = _("Whitelists")
    index_view_class = WhitelistIndexView
    delete_view_class = WhitelistDeleteView
    list_display = ["email", "event_type", "note", DateColumn("created_at", label=_("Added")), "tenant"]
    filterset_class = WhitelistFilterSet
    search_fields = ["email"]
    copy_view_enabled = False
    panels = [FieldPanel("tenant"), FieldPanel("event_type"), FieldPanel("email"), FieldPanel("note")]

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(viewset_import_url=self.get_url_name("import"),
                                             viewset_export_url=self.get_url_name("export"), **kwargs)

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("import/", WhitelistImportView.as_view(viewset=self), name="import"),
            path("export/", WhitelistExportView.as_view(), name="export"),
        ]


class BookingsGroup(ViewSetGroup):
    menu_label = _("Bookings")
    menu_icon = "tick-inverse"
    menu_order = 205
    items = (BookingViewSet, WhitelistViewSet)


class SchedulingGroup(ViewSetGroup):
    menu_label = _("Scheduling")
    menu_icon = "calendar"
    menu_order = 210
    items = (EventTypeViewSet, ScheduleViewSet, SessionViewSet, SessionSeriesViewSet)


@hooks.register("register_admin_viewset")
def register_scheduling_viewsets():
    return SchedulingGroup()


@hooks.register("register_admin_viewset")
def register_booking_viewsets():
    return BookingsGroup()
from .api import admin as api_admin  # noqa: F401

from . import teacher_workspace  # noqa: E402,F401  (the teacher's workspace registers its own hooks)
