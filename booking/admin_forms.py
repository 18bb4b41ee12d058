"""Forms of the Scheduling admin screens."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from wagtail.admin.filters import WagtailFilterSet

from site_platform.admin_scoping import TenantScopedAdminForm, admin_tenants, scope_queryset
from site_platform.models import Tenant

from . import publish_checks
from .errors import BookingError
from .models import EventType, Session, SessionSeries
from .models.common import timezone_choices
from .services.teachers import is_teacher, teachers_of_any

WEEKDAY_CHOICES = [(0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")),
                   (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday"))]


def teacher_choices_for(user):
    tenants = admin_tenants(user) if user is not None else Tenant.objects.none()
    if tenants is not None and not tenants.exists() and user is not None:
        # A teacher who administers nothing chooses only themself.
        return teachers_of_any(Tenant.objects.filter(memberships__user=user)).filter(pk=user.pk)
    return teachers_of_any(Tenant.objects.all() if tenants is None else tenants)


def _restrict_formset_field(formset, field_name, queryset):
    """Every form of the formset (including the blank one the page copies) offers only `queryset`."""
    base = formset.form

    class Restricted(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if field_name in self.fields:
                self.fields[field_name].queryset = queryset

    Restricted.__name__ = base.__name__
    formset.form = Restricted


class TeacherFieldsMixin:
    """Teacher fields (on the form and in inline formsets) offer the teachers of the
    user's tenants only, and must name a teacher of the row's tenant."""

    teacher_formsets = ()

    def restrict_teachers(self):
        teachers = teacher_choices_for(self.for_user)
        if "teacher" in self.fields:
            self.fields["teacher"].queryset = teachers
        for name in self.teacher_formsets:
            if name in self.formsets:
                _restrict_formset_field(self.formsets[name], "teacher", teachers)

    def row_tenant(self):
        return self.cleaned_data.get("tenant") or getattr(self.instance, "tenant", None)

    def check_teachers(self):
        tenant = self.row_tenant() if self.instance.tenant_id or self.cleaned_data.get("tenant") else None
        if tenant is None:
            return
        teacher = self.cleaned_data.get("teacher")
        if teacher is not None and not is_teacher(tenant, teacher):
            self.add_error("teacher", BookingError("not_a_teacher", user=teacher, tenant=tenant).message)
        for name in self.teacher_formsets:
            formset = self.formsets.get(name)
            for form in getattr(formset, "forms", []):
                if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                    continue
                teacher = form.cleaned_data.get("teacher")
                if teacher is not None and not is_teacher(tenant, teacher):
                    form.add_error("teacher", BookingError("not_a_teacher", user=teacher, tenant=tenant).message)


class EventTypeForm(TeacherFieldsMixin, TenantScopedAdminForm):
    teacher_formsets = ("hosts",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.restrict_teachers()
        # Group naming is optional on the form: left out, an event type asks for no names.
        for name in ("participant_names", "participant_names_cutoff_hours"):
            if name in self.fields:
                self.fields[name].required = False

    def clean_participant_names(self):
        return self.cleaned_data.get("participant_names") or EventType.ParticipantNames.NOT_ASKED

    def clean_participant_names_cutoff_hours(self):
        value = self.cleaned_data.get("participant_names_cutoff_hours")
        return EventType._meta.get_field("participant_names_cutoff_hours").default if value is None else value

    def clean(self):
        cleaned = super().clean()
        self.check_teachers()
        tenant = self.row_tenant() if (self.instance.tenant_id or cleaned.get("tenant")) else None
        for problem in publish_checks.publish_problems(tenant=tenant, event_type=self.instance,
                                                       is_published=cleaned.get("is_published"),
                                                       price=cleaned.get("price")):
            self.add_error("is_published", problem)
        if cleaned.get("kind") == EventType.Kind.ONE_ON_ONE \
                and cleaned.get("participant_names") not in (None, EventType.ParticipantNames.NOT_ASKED):
            self.add_error("participant_names", _("Only live classes and workshops take named participants."))
        return cleaned


class ScheduleForm(TeacherFieldsMixin, TenantScopedAdminForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.restrict_teachers()

    def clean(self):
        cleaned = super().clean()
        self.check_teachers()
        return cleaned


class SessionForm(TeacherFieldsMixin, TenantScopedAdminForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.restrict_teachers()
        if "event_type" in self.fields:
            self.fields["event_type"].queryset = self.fields["event_type"].queryset.exclude(
                kind=EventType.Kind.ONE_ON_ONE)

    def clean(self):
        cleaned = super().clean()
        self.check_teachers()
        event_type, tenant = cleaned.get("event_type"), self.row_tenant() if (
            self.instance.tenant_id or cleaned.get("tenant")) else None
        if event_type is not None and tenant is not None and event_type.tenant_id != tenant.pk:
            self.add_error("event_type", _("Choose an event type of this tenant."))
        return cleaned


class RecurrenceForm(forms.Form):
    """Create the sessions of a live class or workshop from a weekly rule."""

    event_type = forms.ModelChoiceField(queryset=EventType.objects.none(), label=_("Event type"))
    teacher = forms.ModelChoiceField(queryset=None, label=_("Teacher"))
    weekdays = forms.TypedMultipleChoiceField(choices=WEEKDAY_CHOICES, coerce=int, label=_("Weekdays"),
                                              widget=forms.CheckboxSelectMultiple)
    interval_weeks = forms.IntegerField(min_value=1, max_value=52, initial=1, label=_("Every N weeks"))
    start_time = forms.TimeField(label=_("Start time"), help_text=_("In the time zone below, e.g. 18:30"))
    duration_minutes = forms.IntegerField(min_value=5, max_value=24 * 60, required=False,
                                          label=_("Length (minutes)"), help_text=_("Empty: the event type's length"))
    timezone = forms.ChoiceField(choices=[("", _("The teacher's time zone"))], required=False,
                                 label=_("Time zone"))
    starts_on = forms.DateField(label=_("From"), help_text=_("YYYY-MM-DD"))
    until = forms.DateField(required=False, label=_("Until"), help_text=_("YYYY-MM-DD, inclusive"))
    count = forms.IntegerField(min_value=1, required=False, label=_("Or a number of sessions"))
    capacity = forms.IntegerField(min_value=1, required=False, label=_("Seats per session"),
                                  help_text=_("Empty: the event type's seats per session"))
    skip_conflicts = forms.BooleanField(required=False, label=_("Skip clashing dates"),
                                        help_text=_("Create the other sessions and leave out the dates the "
                                                    "teacher is busy."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        tenants = admin_tenants(user)
        event_types = EventType.objects.exclude(kind=EventType.Kind.ONE_ON_ONE).select_related("tenant")
        if tenants is not None:
            event_types = event_types.filter(tenant__in=tenants)
        self.fields["event_type"].queryset = event_types
        self.fields["teacher"].queryset = teacher_choices_for(user)
        self.fields["timezone"].choices = [("", _("The teacher's time zone"))] + timezone_choices()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("until") and not cleaned.get("count"):
            self.add_error("until", BookingError("recurrence_no_end").message)
        event_type, teacher = cleaned.get("event_type"), cleaned.get("teacher")
        if event_type and teacher and not is_teacher(event_type.tenant, teacher):
            self.add_error("teacher", BookingError("not_a_teacher", user=teacher, tenant=event_type.tenant).message)
        return cleaned


class SeriesEditForm(forms.Form):
    """Change the sessions of a series that have not started yet."""

    teacher = forms.ModelChoiceField(queryset=None, label=_("Teacher"))
    start_time = forms.TimeField(label=_("Start time"))
    duration_minutes = forms.IntegerField(min_value=5, max_value=24 * 60, label=_("Length (minutes)"))
    capacity = forms.IntegerField(min_value=1, label=_("Seats per session"))

    def __init__(self, *args, series, **kwargs):
        super().__init__(*args, **kwargs)
        self.series = series
        from .services.teachers import teachers_of

        self.fields["teacher"].queryset = teachers_of(series.tenant)


class CancelSessionForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200, label=_("Reason (optional)"))


def _own_event_types(request):
    return scope_queryset(EventType.objects.exclude(kind=EventType.Kind.ONE_ON_ONE), request.user)


def _own_teachers(request):
    return teacher_choices_for(request.user)


class SessionFilterSet(WagtailFilterSet):
    """Filter choices list only the user's tenants' event types and teachers."""

    event_type = django_filters.ModelChoiceFilter(queryset=_own_event_types, label=_("Event type"))
    teacher = django_filters.ModelChoiceFilter(queryset=_own_teachers, label=_("Teacher"))

    class Meta:
        model = Session
        fields = ["status", "event_type", "teacher"]


class SessionSeriesFilterSet(WagtailFilterSet):
    event_type = django_filters.ModelChoiceFilter(queryset=_own_event_types, label=_("Event type"))
    teacher = django_filters.ModelChoiceFilter(queryset=_own_teachers, label=_("Teacher"))

    class Meta:
        model = SessionSeries
        fields = ["event_type", "teacher"]
