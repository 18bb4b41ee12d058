"""Custom Scheduling admin views: sessions through the services, recurrence,
series edits, cancellation and exports. Every lookup is scoped to the tenants
the user administers; another tenant's id answers 404."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views import View
from wagtail.admin.views import generic

from site_platform.admin_scoping import ScopedObjectMixin, scope_queryset

from . import exports
from .admin_forms import RecurrenceForm, SeriesEditForm
from .errors import BookingError
from .models import Session, SessionSeries
from .services import sessions as session_service

SESSION_ERROR_FIELDS = {"not_a_teacher": "teacher", "teacher_busy": "start", "invalid_times": "end",
                        "capacity_below_taken": "capacity", "wrong_event_kind": "event_type"}


def scoped_get(model, user, pk):
    obj = scope_queryset(model.objects.all(), user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def require_perm(user, model, action):
    if not user.has_perm(f"{model._meta.app_label}.{action}_{model._meta.model_name}"):
        raise PermissionDenied


class SessionCreateView(generic.CreateView):
    def form_valid(self, form):
        data = form.cleaned_data
        try:
            self.object = session_service.create_session(
                event_type=data["event_type"], teacher=data["teacher"], start=data["start"], end=data["end"],
                capacity=data.get("capacity"), actor=self.request.user,
            )
        except BookingError as error:
            form.add_error(SESSION_ERROR_FIELDS.get(error.code), error.message)
            self.produced_error_message = error.message
            return self.form_invalid(form)
        return self.save_action()


class SessionEditView(ScopedObjectMixin, generic.EditView):
    def form_valid(self, form):
        data = form.cleaned_data
        try:
            self.object = session_service.update_session(
                self.object, teacher=data["teacher"], start=data["start"], end=data["end"],
                capacity=data["capacity"], actor=self.request.user,
            )
        except BookingError as error:
            form.add_error(SESSION_ERROR_FIELDS.get(error.code), error.message)
            self.produced_error_message = error.message
            return self.form_invalid(form)
        return self.save_action()


class AdminPageMixin:
    template_name = None
    viewset = None

    def render(self, request, context):
        context.setdefault("header_icon", self.viewset.icon if self.viewset else "calendar")
        return TemplateResponse(request, self.template_name, context)


class SessionExportView(View):
    """GET ?format=csv|ics&teacher=<id>&event_type=<id>: the user's tenants' sessions."""

    def get(self, request):
        require_perm(request.user, Session, "view")
        sessions = scope_queryset(Session.objects.all(), request.user)
        name = _("Sessions")
        teacher_id = request.GET.get("teacher")
        if teacher_id:
            if not teacher_id.isdigit():
                raise Http404
            sessions = sessions.filter(teacher_id=teacher_id)
        event_type_id = request.GET.get("event_type")
        if event_type_id:
            if not event_type_id.isdigit():
                raise Http404
            sessions = sessions.filter(event_type_id=event_type_id)
        sessions = list(exports.export_queryset(sessions))
        if teacher_id and sessions:
            name = _("Sessions of %(teacher)s") % {"teacher": sessions[0].teacher}
        filename = slugify(name) or "sessions"
        if request.GET.get("format") == "ics":
            response = HttpResponse(exports.sessions_ics(sessions, name=name), content_type="text/calendar")
            response["Content-Disposition"] = f'attachment; filename="{filename}.ics"'
        else:
            response = HttpResponse(exports.sessions_csv(sessions), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response


class RecurrenceCreateView(AdminPageMixin, View):
    """Create sessions from a weekly rule. Clashing dates are listed and nothing is
    created, unless "skip clashing dates" is ticked."""

    template_name = "booking/admin/recurrence_form.html"

    def dispatch(self, request, *args, **kwargs):
        require_perm(request.user, Session, "add")
        return super().dispatch(request, *args, **kwargs)

    def context(self, form, conflicts=()):
        return {"form": form, "conflicts": conflicts, "page_title": _("Create sessions from a recurrence"),
                "action_url": reverse(self.viewset.get_url_name("add"))}

    def get(self, request):
        initial = {"interval_weeks": 1}
        if request.GET.get("event_type", "").isdigit():
            initial["event_type"] = request.GET["event_type"]
        return self.render(request, self.context(RecurrenceForm(user=request.user, initial=initial)))

    def post(self, request):
        form = RecurrenceForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render(request, self.context(form))
        data = form.cleaned_data
        try:
            series, sessions, skipped = session_service.create_series(
                event_type=data["event_type"], teacher=data["teacher"], weekdays=data["weekdays"],
                start_time=data["start_time"], starts_on=data["starts_on"],
                duration_minutes=data.get("duration_minutes"), until=data.get("until"), count=data.get("count"),
                interval_weeks=data["interval_weeks"], timezone=data.get("timezone") or None,
                capacity=data.get("capacity"), skip_conflicts=data["skip_conflicts"], actor=request.user,
            )
        except BookingError as error:
            form.add_error(None, error.message)
            return self.render(request, self.context(form, error.params.get("conflicts", ())))
        text = _("%(count)s sessions created.") % {"count": len(sessions)}
        if skipped:
            text += " " + _("Skipped: %(dates)s.") % {"dates": session_service.format_days(c.day for c in skipped)}
        messages.success(request, text)
        return redirect(self.viewset.get_url_name("index"))


class SeriesEditView(AdminPageMixin, View):
    """Change a series' sessions that have not started; past ones stay as they were."""

    template_name = "booking/admin/series_edit.html"

    def dispatch(self, request, pk):
        require_perm(request.user, SessionSeries, "change")
        self.series = scoped_get(SessionSeries, request.user, pk)
        return super().dispatch(request, pk)

    def context(self, form, conflicts=()):
        sessions = self.series.sessions.order_by("start")
        return {"form": form, "series": self.series, "sessions": sessions, "conflicts": conflicts,
                "page_title": _("Edit future sessions of a series"),
                "action_url": reverse(self.viewset.get_url_name("edit"), args=[self.series.pk])}

    def get(self, request, pk):
        s = self.series
        form = SeriesEditForm(series=s, initial={"teacher": s.teacher_id, "start_time": s.start_time,
                                                  "duration_minutes": s.duration_minutes, "capacity": s.capacity})
        return self.render(request, self.context(form))

    def post(self, request, pk):
        form = SeriesEditForm(request.POST, series=self.series)
        if not form.is_valid():
            return self.render(request, self.context(form))
        data = form.cleaned_data
        try:
            changed = session_service.update_series(
                self.series, teacher=data["teacher"], start_time=data["start_time"],
                duration_minutes=data["duration_minutes"], capacity=data["capacity"], actor=request.user,
            )
        except BookingError as error:
            form.add_error(None, error.message)
            return self.render(request, self.context(form, error.params.get("conflicts", ())))
        messages.success(request, _("%(count)s future sessions updated.") % {"count": changed})
        return redirect(self.viewset.get_url_name("index"))
