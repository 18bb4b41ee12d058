"""Admin screens of the booking lifecycle: bookings (cancel, attendance, book someone in),
whitelists (add, remove, CSV import with a report, CSV export) and session cancellation
with its bookings. Views call the services; every lookup is scoped to the tenants the
user administers, so another tenant's id answers 404."""

import uuid

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.views import generic
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets.button import Button

from site_platform.admin_scoping import ScopedListingMixin, TenantScopedModelViewSet, scope_queryset
from site_platform.usage import refusal_for_school

from .admin_forms import CancelSessionForm, teacher_choices_for
from .admin_views import AdminPageMixin, require_perm, scoped_get
from .errors import BookingError
from .models import Booking, BookingParticipant, EventType, Session, WhitelistEntry
from .services import bookings as booking_service
from .services import whitelist as whitelist_service


def _own_event_types(request):
    return scope_queryset(EventType.objects.all(), request.user)


def _own_teachers(request):
    return teacher_choices_for(request.user)


class BookingFilterSet(WagtailFilterSet):
    event_type = django_filters.ModelChoiceFilter(queryset=_own_event_types, label=gettext_lazy("Event type"))
    teacher = django_filters.ModelChoiceFilter(queryset=_own_teachers, label=gettext_lazy("Teacher"))

    class Meta:
        model = Booking
        fields = ["status", "event_type", "teacher", "source", "needs_refund"]


def participant_names(booking):
    """The admin list's Participants cell: "Name <email>" of each active participant."""
    people = getattr(booking, "active_participants", None)
    if people is None:
        people = list(booking.participants.filter(status=BookingParticipant.Status.ACTIVE))
    return "; ".join(f"{p.name} <{p.email}>" if p.email else str(_("(name to come)")) for p in people)


class BookingIndexView(ScopedListingMixin, generic.IndexView):
    viewset_cancel_url = None
    viewset_attendance_url = None
    viewset_book_url = None

    def get_base_queryset(self):
        active = BookingParticipant.objects.filter(status=BookingParticipant.Status.ACTIVE).order_by("created_at", "pk")
        return super().get_base_queryset().prefetch_related(
            Prefetch("participants", queryset=active, to_attr="active_participants"))

    @cached_property
    def columns(self):
        return [*super().columns,
                Column("participants", label=gettext_lazy("Participants"), accessor=participant_names)]

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        query = self.search_query.strip()
        try:
            return queryset.filter(uid=uuid.UUID(query))
        except ValueError:
            return queryset.filter(Q(attendee_email__icontains=query) | Q(participants__email__icontains=query)
                                   | Q(participants__name__icontains=query)).distinct()

    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        buttons.append(Button(_("Book someone in"), url=reverse(self.viewset_book_url), icon_name="plus",
                              priority=10))
        return buttons

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.status in Booking.ACTIVE:
            buttons.append(MenuItem(_("Cancel booking"), url=reverse(self.viewset_cancel_url, args=[instance.pk]),
                                    icon_name="cross", priority=40))
        if instance.status in (Booking.Status.CONFIRMED, Booking.Status.NO_SHOW) and instance.start <= timezone.now():
            buttons.append(MenuItem(_("Mark attendance"),
                                    url=reverse(self.viewset_attendance_url, args=[instance.pk]),
                                    icon_name="user", priority=41))
        return buttons


class AdminCancelForm(forms.Form):
    reason = forms.CharField(required=False, max_length=2000, label=gettext_lazy("Reason (told to the student)"),
                             widget=forms.Textarea(attrs={"rows": 3}))


class BookingCancelView(AdminPageMixin, View):
    template_name = "booking/admin/booking_action.html"

    def dispatch(self, request, pk):
        require_perm(request.user, Booking, "change")
        self.booking = scoped_get(Booking, request.user, pk)
        return super().dispatch(request, pk)

    def get(self, request, pk):
        refund = self.booking.refund_amount(timezone.now(), by_role=Booking.Role.ADMIN)
        return self.render(request, {
            "booking": self.booking, "form": AdminCancelForm(), "page_title": _("Cancel booking"),
            "intro": _("Cancel %(booking)s? The seats are freed at once and the refund is in full (%(amount)s "
                       "%(currency)s).") % {"booking": self.booking, "amount": refund,
                                            "currency": self.booking.currency},
            "submit": _("Yes, cancel this booking"),
        })

    def post(self, request, pk):
        form = AdminCancelForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        role = Booking.Role.ADMIN if request.user.is_superuser or _is_admin(self.booking.tenant, request.user) \
            else Booking.Role.TEACHER
        if booking_service.cancel_booking(self.booking, reason=reason, actor=request.user, by_role=role):
            messages.success(request, _("Booking cancelled."))
        else:
            messages.warning(request, BookingError("not_active").message)
        return redirect(self.viewset.get_url_name("index"))


def _is_admin(tenant, user):
    return whitelist_service.may_override(tenant, user)


class AttendanceForm(forms.Form):
    attended = forms.TypedChoiceField(
        choices=[("yes", gettext_lazy("Attended")), ("no", gettext_lazy("No-show"))], coerce=lambda v: v == "yes",
        widget=forms.RadioSelect, label=gettext_lazy("Attendance"))


class BookingAttendanceView(AdminPageMixin, View):
    template_name = "booking/admin/booking_action.html"

    def dispatch(self, request, pk):
        require_perm(request.user, Booking, "change")
        self.booking = scoped_get(Booking, request.user, pk)
        return super().dispatch(request, pk)

    def get(self, request, pk):
        return self.render(request, {"booking": self.booking, "form": AttendanceForm(),
                                     "page_title": _("Mark attendance"), "intro": str(self.booking),
                                     "submit": _("Save")})

    def post(self, request, pk):
        form = AttendanceForm(request.POST)
        if form.is_valid():
            try:
                booking_service.mark_attendance(self.booking, attended=form.cleaned_data["attended"],
                                                actor=request.user)
            except BookingError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Attendance saved."))
        return redirect(self.viewset.get_url_name("index"))


class BookSomeoneInForm(forms.Form):
    event_type = forms.ModelChoiceField(queryset=EventType.objects.none(), label=gettext_lazy("Event type"))
    session = forms.ModelChoiceField(queryset=Session.objects.none(), required=False,
                                     label=gettext_lazy("Session (classes and workshops)"))
    start = forms.DateTimeField(required=False, label=gettext_lazy("Start, UTC (one-to-one)"),
                                help_text=gettext_lazy("YYYY-MM-DD HH:MM"))
    email = forms.EmailField(label=gettext_lazy("Student's email"))
    seats = forms.IntegerField(min_value=1, initial=1, label=gettext_lazy("Seats"))
    participants = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), label=gettext_lazy("Participants"),
        help_text=gettext_lazy("For event types that name participants: one person per line, “name, email”. "
                               "Seats left out can be named later from the booking page."))
    override_whitelist = forms.BooleanField(
        required=False, label=gettext_lazy("Book over the whitelist"),
        help_text=gettext_lazy("Lets this student in even if the event type is whitelist-only. Logged."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event_type"].queryset = scope_queryset(EventType.objects.all(), user)
        self.fields["session"].queryset = scope_queryset(
            Session.objects.filter(status=Session.Status.SCHEDULED, start__gt=timezone.now()), user,
        ).select_related("event_type")

    def clean(self):
        data = super().clean()
        event_type, session = data.get("event_type"), data.get("session")
        if event_type and event_type.is_one_on_one and not data.get("start"):
            self.add_error("start", BookingError("time_missing").message)
        if event_type and not event_type.is_one_on_one:
            if not session:
                self.add_error("session", BookingError("session_not_found").message)
            elif session.event_type_id != event_type.pk:
                self.add_error("session", BookingError("wrong_session").message)
        data["participants"] = self._participants(event_type, data)
        return data

    def _participants(self, event_type, data):
        """[{"name", "email"}] from the participants box, checked line by line."""
        lines = [line.strip() for line in (data.get("participants") or "").splitlines() if line.strip()]
        if not lines:
            return None
        if event_type and not event_type.asks_participants:
            self.add_error("participants", BookingError("group_not_for_event").message)
            return None
        seats = data.get("seats") or 1
        if len(lines) > seats:
            self.add_error("participants", _("%(count)s people named for %(seats)s seats: name one per seat.")
                           % {"count": len(lines), "seats": seats})
            return None
        people = []
        for number, line in enumerate(lines, start=1):
            name, _comma, email = line.rpartition(",")
            name, email = name.strip(), email.strip().strip("<>").strip()
            try:
                if not name:
                    raise forms.ValidationError("")
                forms.EmailField().clean(email)
            except forms.ValidationError:
                self.add_error("participants", _("Line %(number)s: write “name, email”.") % {"number": number})
                return None
            people.append({"name": name, "email": email})
        return people


class BookSomeoneInView(AdminPageMixin, View):
    template_name = "booking/admin/booking_action.html"

    def dispatch(self, request):
        require_perm(request.user, Booking, "change")
        return super().dispatch(request)

    def get(self, request):
        return self._page(request, BookSomeoneInForm(user=request.user))

    def _page(self, request, form):
        return self.render(request, {"form": form, "page_title": _("Book someone in"), "submit": _("Book"),
                                     "intro": _("Books a student directly; free events are confirmed at once.")})

    def post(self, request):
        form = BookSomeoneInForm(request.POST, user=request.user)
        if not form.is_valid():
            return self._page(request, form)
        data = form.cleaned_data
        attendee = get_user_model().objects.filter(email__iexact=data["email"]).first()
        if attendee is None:
            attendee = get_user_model().objects.create_user(email=data["email"])
        try:
            booking = booking_service.create_booking(
                event_type=data["event_type"], session=data.get("session"), start=data.get("start"),
                attendee=attendee, seats=data["seats"], source=Booking.Source.ADMIN, actor=request.user,
                override_whitelist=data["override_whitelist"], participants=data.get("participants"))
        except BookingError as error:
            form.add_error(None, refusal_for_school(error, data["event_type"].tenant))
            return self._page(request, form)
        messages.success(request, _("Booked %(email)s (%(uid)s).") % {"email": attendee.email, "uid": booking.uid})
        return redirect(self.viewset.get_url_name("index"))


# Whitelist ---------------------------------------------------------------------------------------

class WhitelistFilterSet(WagtailFilterSet):
    event_type = django_filters.ModelChoiceFilter(queryset=_own_event_types, label=gettext_lazy("Event type"))

    class Meta:
        model = WhitelistEntry
        fields = ["event_type"]


class WhitelistIndexView(ScopedListingMixin, generic.IndexView):
    viewset_import_url = None
    viewset_export_url = None

    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        event_type = self.request.GET.get("event_type", "")
        params = f"?event_type={event_type}" if event_type.isdigit() else ""
        buttons.append(Button(_("Import CSV"), url=reverse(self.viewset_import_url) + params, icon_name="upload",
                              priority=50))
        if params:
            buttons.append(Button(_("Export CSV"), url=reverse(self.viewset_export_url) + params,
                                  icon_name="download", priority=51))
        return buttons


class WhitelistImportForm(forms.Form):
    event_type = forms.ModelChoiceField(queryset=EventType.objects.none(), label=gettext_lazy("Event type"))
    file = forms.FileField(label=gettext_lazy("CSV file"),
                           help_text=gettext_lazy("One email a row; a column headed “email”, or the first column."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event_type"].queryset = scope_queryset(EventType.objects.all(), user)


class WhitelistImportView(AdminPageMixin, View):
    template_name = "booking/admin/whitelist_import.html"
    max_bytes = 5 * 1024 * 1024

    def dispatch(self, request):
        require_perm(request.user, WhitelistEntry, "add")
        return super().dispatch(request)

    def get(self, request):
        initial = {"event_type": request.GET.get("event_type")} if request.GET.get("event_type", "").isdigit() else {}
        return self.render(request, {"form": WhitelistImportForm(user=request.user, initial=initial),
                                     "page_title": _("Import a whitelist")})

    def post(self, request):
        form = WhitelistImportForm(request.POST, request.FILES, user=request.user)
        report = None
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > self.max_bytes:
                form.add_error("file", _("The file is too large (at most 5 MB)."))
            else:
                report = whitelist_service.import_csv(form.cleaned_data["event_type"], upload.read(),
                                                      actor=request.user)
        return self.render(request, {"form": form, "report": report, "page_title": _("Import a whitelist"),
                                     "index_url": reverse(self.viewset.get_url_name("index"))})


class WhitelistExportView(View):
    def get(self, request):
        require_perm(request.user, WhitelistEntry, "view")
        event_type_id = request.GET.get("event_type", "")
        if not event_type_id.isdigit():
            raise Http404
        event_type = scoped_get(EventType, request.user, int(event_type_id))
        response = HttpResponse(whitelist_service.export_csv(event_type), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="whitelist-{slugify(event_type.slug)}.csv"'
        return response


class WhitelistDeleteView(TenantScopedModelViewSet.delete_view_class):
    """Removes through the service, so the removal is audited."""

    def delete_action(self):
        whitelist_service.remove_entry(self.object, actor=self.request.user)


# Sessions: cancelling a session cancels its bookings ---------------------------------------------

class SessionCancelWithBookingsView(AdminPageMixin, View):
    template_name = "booking/admin/session_cancel.html"

    def dispatch(self, request, pk):
        require_perm(request.user, Session, "change")
        self.session = scoped_get(Session, request.user, pk)
        return super().dispatch(request, pk)

    def get(self, request, pk):
        return self.render(request, {"session": self.session, "form": CancelSessionForm(),
                                     "page_title": _("Cancel session")})

    def post(self, request, pk):
        form = CancelSessionForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        was_cancelled = self.session.is_cancelled
        role = Booking.Role.ADMIN if _is_admin(self.session.tenant, request.user) else Booking.Role.TEACHER
        count = booking_service.cancel_session_with_bookings(self.session, actor=request.user, reason=reason,
                                                             by_role=role)
        if was_cancelled:
            messages.warning(request, BookingError("session_cancelled").message)
        else:
            messages.success(request, _("Session “%(session)s” cancelled with %(count)s bookings; every attendee "
                                        "is told.") % {"session": self.session, "count": count})
        return redirect(self.viewset.get_url_name("index"))
