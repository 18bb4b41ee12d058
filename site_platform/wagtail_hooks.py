import json
from datetime import timedelta

import django_filters
from django import forms
from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail import hooks
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from . import stats, tenant_deletion, usage
from .admin_scoping import ScopedListingMixin, TenantScopedAdminForm, TenantScopedModelViewSet, admin_tenants
from .errors import PlatformError
from .forms import TenantCreateForm, TenantEditForm
from .invitations_admin import InvitationViewSet
from .models import AuditEntry, Membership, MonthlyUsage, Plan, Tenant
from .services import lifecycle
from .services.tenants import create_tenant, update_tenant

ERROR_FIELDS = {
    "subdomain_invalid": "subdomain", "subdomain_reserved": "subdomain", "subdomain_taken": "subdomain",
    "template_unknown": "template", "name_required": "name", "email_invalid": "admin_email",
    "plan_unknown": "plan", "domain_invalid": "custom_domain", "domain_taken": "custom_domain",
}


class SuperuserOnlyPolicy(ModelPermissionPolicy):
    """Platform-wide models (tenants, plans): super admins only, whatever groups say."""

    def user_has_permission(self, user, action):
        return bool(user.is_active and user.is_superuser)

    def user_has_any_permission(self, user, actions):
        return bool(user.is_active and user.is_superuser)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return self.user_has_permission(user, "view")


register_permission_policy(Tenant, SuperuserOnlyPolicy(Tenant))
register_permission_policy(Plan, SuperuserOnlyPolicy(Plan))


def require_superuser(user):
    if not (user.is_active and user.is_superuser):
        raise PermissionDenied


class RefusalMixin:
    def refuse(self, form, error):
        """Show a service's refusal on the form, as Wagtail shows its own validation errors."""
        form.add_error(ERROR_FIELDS.get(error.code), error.message)
        self.produced_error_code = "validation_error"
        self.produced_error_message = self.get_error_message()
        return self.form_invalid(form)


# Super admin: tenants --------------------------------------------------------------------------

class TenantFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), choices=Tenant.Status.choices)
    plan = django_filters.ModelChoiceFilter(label=gettext_lazy("Plan"), queryset=Plan.objects.all())
    created_at = django_filters.DateFromToRangeFilter(label=gettext_lazy("Created"), widget=DateRangePickerWidget)

    class Meta:
        model = Tenant
        fields = ["status", "plan", "created_at"]


class UsageColumn(Column):
    def get_value(self, instance):
        used = getattr(instance, "bookings_this_month", None) or 0
        limit = instance.plan.max_bookings_per_month if instance.plan_id else None
        return f"{used} / {limit}" if limit is not None else f"{used} / ∞"


class RevenueColumn(Column):
    """Read from `revenue_this_month`, set for the whole page at once by TenantIndexView."""

    def get_value(self, instance):
        return stats.format_money(getattr(instance, "revenue_this_month", []))


class DeletionColumn(Column):
    """A cancelled tenant's deletion date (no query: read from the row)."""

    def get_value(self, instance):
        when = tenant_deletion.deletion_date(instance)
        if when is None:
            return ""
        return _("will be deleted on %(date)s") % {"date": date_format(timezone.localtime(when), "DATE_FORMAT")}


def _last_sync_subquery():
    try:
        SyncRun = apps.get_model("integrations", "SyncRun")
    except LookupError:
        return None
    return Subquery(SyncRun.objects.filter(tenant=OuterRef("pk")).order_by("-started_at").values("started_at")[:1])


class TenantIndexView(generic.IndexView):
    def get_base_queryset(self):
        require_superuser(self.request.user)
        queryset = super().get_base_queryset().select_related("plan").annotate(
            bookings_this_month=Subquery(MonthlyUsage.objects.filter(
                tenant=OuterRef("pk"), month=usage.month_of()).values("bookings")[:1]))
        last_sync = _last_sync_subquery()
        if last_sync is not None:
            queryset = queryset.annotate(last_sync=last_sync)
        return queryset

    def get_table(self, object_list):
        # One query for the revenue of every tenant on the page, not one per row.
        tenants = list(object_list)
        start, end = stats.period_bounds("month")
        found = stats.revenue([tenant.pk for tenant in tenants], start, end)
        for tenant in tenants:
            tenant.revenue_this_month = found.get(tenant.pk, [])
        return super().get_table(tenants)

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        for priority, action in enumerate(lifecycle.available_actions(instance), start=40):
            buttons.append(MenuItem(
                lifecycle.ACTIONS[action][2], url=reverse(self.viewset_url_name("status"), args=[instance.pk, action]),
                icon_name="resubmit" if action != "cancel" else "cross", priority=priority))
        buttons.append(MenuItem(_("Change plan"), url=reverse(self.viewset_url_name("plan"), args=[instance.pk]),
                                icon_name="tag", priority=50))
        if instance.status == Tenant.Status.CANCELLED:
            buttons.append(MenuItem(_("Delete now"), url=reverse(self.viewset_url_name("delete_now"),
                                                                 args=[instance.pk]), icon_name="bin", priority=60))
        return buttons

    def viewset_url_name(self, name):
        return self.index_url_name.rsplit(":", 1)[0] + ":" + name


class TenantCreateView(RefusalMixin, generic.CreateView):
    def form_valid(self, form):
        self.form = form
        data = form.cleaned_data
        try:
            self.object = create_tenant(
                name=data["name"], subdomain=data["subdomain"], template=data["template"],
                admin_email=data["admin_email"], plan=data.get("plan"), custom_domain=data.get("custom_domain"),
                actor=self.request.user,
            )
        except PlatformError as exc:
            return self.refuse(form, exc)
        return self.save_action()


class TenantEditView(RefusalMixin, generic.EditView):
    def form_valid(self, form):
        self.form = form
        data = form.cleaned_data
        try:
            self.object = update_tenant(
                self.object, name=data["name"], custom_domain=data.get("custom_domain"), actor=self.request.user,
            )
        except PlatformError as exc:
            return self.refuse(form, exc)
        return self.save_action()


class ConfirmedActionView(View):
    """GET shows the question, POST (with the CSRF token) does it. Super admins only."""

    template_name = "site_platform/admin/confirm_action.html"
    viewset = None

    def dispatch(self, request, *args, **kwargs):
        require_superuser(request.user)
        self.tenant = get_object_or_404(Tenant.objects.select_related("plan"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def render(self, context):
        context.setdefault("header_icon", "site")
        context.setdefault("back_url", reverse(self.viewset.get_url_name("index")))
        return TemplateResponse(self.request, self.template_name, context)

    def done(self):
        return redirect(self.viewset.get_url_name("index"))


class TenantStatusView(ConfirmedActionView):
    def get(self, request, pk, action):
        if action not in lifecycle.ACTIONS:
            raise PermissionDenied
        _sources, _target, label, question, _done = lifecycle.ACTIONS[action]
        return self.render({
            "page_title": f"{label}: {self.tenant.name}",
            "intro": question % {"tenant": self.tenant.name, "days": tenant_deletion.grace_days()},
            "submit": label, "allowed": action in lifecycle.available_actions(self.tenant),
            "refusal": _("%(tenant)s is %(status)s; this action does not apply.") % {
                "tenant": self.tenant.name, "status": self.tenant.get_status_display()},
        })

    def post(self, request, pk, action):
        if action not in lifecycle.ACTIONS:
            raise PermissionDenied
        if lifecycle.apply_action(self.tenant, action, actor=request.user):
            messages.success(request, lifecycle.ACTIONS[action][4] % {"tenant": self.tenant.name})
        else:
            messages.warning(request, _("%(tenant)s is %(status)s; nothing was changed.") % {
                "tenant": self.tenant.name, "status": self.tenant.get_status_display()})
        return self.done()


class ChangePlanForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=Plan.objects.all(), label=gettext_lazy("New plan"))
    accept_over_limits = forms.BooleanField(
        label=gettext_lazy("Change the plan although the school is over its limits"), required=False,
        help_text=gettext_lazy("Nothing is undone: the school keeps what it has, and new teachers, event types "
                               "or bookings beyond the limits are refused."))


class TenantPlanView(ConfirmedActionView):
    def context(self, form, overages=()):
        return {"page_title": _("Change plan: %(tenant)s") % {"tenant": self.tenant.name}, "form": form,
                "intro": _("%(tenant)s is on the %(plan)s plan. Limits of the new plan apply to the next teacher, "
                           "event type or booking; nothing already made is undone.") % {
                    "tenant": self.tenant.name, "plan": self.tenant.plan or _("(none)")},
                "plans": lifecycle.plan_overview(self.tenant, Plan.objects.all()), "overages": overages,
                "submit": _("Change plan"), "allowed": True}

    def get(self, request, pk):
        return self.render(self.context(ChangePlanForm(initial={"plan": self.tenant.plan_id})))

    def post(self, request, pk):
        form = ChangePlanForm(request.POST)
        if not form.is_valid():
            return self.render(self.context(form))
        plan = form.cleaned_data["plan"]
        overages = lifecycle.plan_overages(self.tenant, plan) if plan.pk != self.tenant.plan_id else []
        if overages and not form.cleaned_data["accept_over_limits"]:
            form.add_error("accept_over_limits", _(
                "%(tenant)s is over the limits of the %(plan)s plan (below). Tick the box to change the plan "
                "anyway.") % {"tenant": self.tenant.name, "plan": plan.name})
            return self.render(self.context(form, overages))
        if lifecycle.change_plan(self.tenant, plan, actor=request.user):
            messages.success(request, _("%(tenant)s is now on the %(plan)s plan.") % {
                "tenant": self.tenant.name, "plan": plan})
            for row in overages:
                messages.warning(request, _("%(label)s: %(used)s, over the plan's %(limit)s.") % row)
        return self.done()


class DeleteNowForm(forms.Form):
    subdomain = forms.CharField(label=gettext_lazy("Type the subdomain to confirm"), max_length=63)


class TenantDeleteNowView(ConfirmedActionView):
    """Delete a cancelled tenant before its grace period ends, confirmed by typing its subdomain."""

    def context(self, form):
        return {
            "page_title": _("Delete now: %(tenant)s") % {"tenant": self.tenant.name}, "form": form,
            "header_icon": "bin",
            "intro": _("Delete %(tenant)s (%(subdomain)s) now? Its site, pages, images and documents, bookings, "
                       "sessions, event types, payment records, API keys, webhooks, Immersio connection and logs are "
                       "deleted for good; this cannot be undone. People keep their accounts. Type the subdomain "
                       "to confirm.") % {"tenant": self.tenant.name, "subdomain": self.tenant.subdomain},
            "submit": _("Delete now"),
            "allowed": self.tenant.status == Tenant.Status.CANCELLED,
            "refusal": tenant_deletion.TenantDeletionError(
                "not_cancelled", tenant=self.tenant.name, status=self.tenant.get_status_display()).message,
        }

    def get(self, request, pk):
        return self.render(self.context(DeleteNowForm()))

    def post(self, request, pk):
        form = DeleteNowForm(request.POST)
        if not form.is_valid():
            return self.render(self.context(form))
        try:
            tenant_deletion.delete_tenant(self.tenant.pk, actor=request.user,
                                          confirm_subdomain=form.cleaned_data["subdomain"])
        except tenant_deletion.TenantDeletionError as exc:
            form.add_error("subdomain" if exc.code == "confirmation" else None, exc.message)
            return self.render(self.context(form))
        messages.success(request, _("%(tenant)s and all its data were deleted.") % {"tenant": self.tenant.name})
        return self.done()


class TenantViewSet(ModelViewSet):
    model = Tenant
    icon = "site"
    menu_label = gettext_lazy("Tenants")
    add_to_admin_menu = True
    menu_order = 900
    index_view_class = TenantIndexView
    add_view_class = TenantCreateView
    edit_view_class = TenantEditView
    list_display = [
        "name", "subdomain", "status", "plan",
        UsageColumn("bookings_this_month", label=gettext_lazy("Bookings this month")),
        RevenueColumn("revenue", label=gettext_lazy("Revenue this month")),
        DeletionColumn("deletion", label=gettext_lazy("Deletion")),
        DateColumn("last_sync", label=gettext_lazy("Last Immersio sync")),
        DateColumn("created_at", label=gettext_lazy("Created")),
    ]
    filterset_class = TenantFilterSet
    search_fields = ["name", "subdomain", "custom_domain"]
    inspect_view_enabled = True
    copy_view_enabled = False
    delete_view_enabled = False

    def get_form_class(self, for_update=False):
        return TenantEditForm if for_update else TenantCreateForm

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("<int:pk>/status/<slug:action>/", TenantStatusView.as_view(viewset=self), name="status"),
            path("<int:pk>/plan/", TenantPlanView.as_view(viewset=self), name="plan"),
            path("<int:pk>/delete-now/", TenantDeleteNowView.as_view(viewset=self), name="delete_now"),
        ]


class PlanViewSet(ModelViewSet):
    model = Plan
    icon = "tag"
    menu_label = gettext_lazy("Plans")
    add_to_admin_menu = True
    menu_order = 901
    list_display = ["name", "code", "max_teachers", "max_bookings_per_month", "max_published_event_types",
                    "platform_fee_percent"]
    form_fields = ["code", "name", "max_teachers", "max_bookings_per_month", "max_published_event_types",
                   "platform_fee_percent", "features", "position"]
    copy_view_enabled = False


# Tenant admin: team and audit log -------------------------------------------------------------

class MembershipForm(TenantScopedAdminForm):
    """Making someone an active teacher here counts against the plan's teacher limit too."""

    def clean(self):
        cleaned = super().clean()
        error = self.teacher_limit_error(cleaned)
        if error:
            raise forms.ValidationError(error)
        return cleaned

    def limit_tenant(self, cleaned):
        return cleaned.get("tenant") or getattr(self.instance, "tenant", None)

    def teacher_limit_error(self, cleaned):
        """The plan's message when this change makes one more active teacher than it allows."""
        tenant = self.limit_tenant(cleaned)
        becomes_teacher = cleaned.get("role") == Membership.Role.TEACHER and cleaned.get("is_active")
        was_teacher = bool(self.instance.pk) and Membership.objects.filter(
            pk=self.instance.pk, role=Membership.Role.TEACHER, is_active=True).exists()
        if tenant is not None and becomes_teacher and not was_teacher:
            try:
                usage.check_teacher_limit(tenant, self.instance.user if self.instance.pk else None)
            except usage.PlanLimitError as exc:
                return exc.message
        return None

    def save(self, commit=True):
        """Ticking **active** again on a deactivated membership undoes the deactivation:
        `deactivated_at` is cleared and the user is back in the school's group for the role."""
        membership = super().save(commit=commit)
        if commit and membership.is_active and membership.deactivated_at is not None:
            Membership.objects.filter(pk=membership.pk).update(deactivated_at=None)
            membership.deactivated_at = None
            tenant = membership.tenant
            group = tenant.admin_group if membership.role == Membership.Role.ADMIN else tenant.teacher_group
            if group is not None:
                membership.user.groups.add(group)
        return membership


class MembershipEditView(TenantScopedModelViewSet.edit_view_class):
    def form_valid(self, form):
        """Count the plan's teachers again and save with the tenant's row locked (as
        add_member and accepting an invitation do), so two admins making the last allowed
        teacher active at the same moment make exactly one."""
        tenant = form.limit_tenant(form.cleaned_data)
        with transaction.atomic():
            if tenant is not None:
                Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True).first()
            error = form.teacher_limit_error(form.cleaned_data)
            if error:
                form.add_error(None, error)
                self.produced_error_message = error
                return self.form_invalid(form)
            return super().form_valid(form)


class MembershipViewSet(TenantScopedModelViewSet):
    name = "team"
    edit_view_class = MembershipEditView
    model = Membership
    icon = "group"
    menu_label = gettext_lazy("Team")
    list_display = ["user", "role", "is_active", "timezone", "tenant"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    panels = [FieldPanel("tenant"), FieldPanel("role"), FieldPanel("is_active"), FieldPanel("timezone")]
    add_view_enabled = False

    def get_edit_handler(self):
        handler = super().get_edit_handler()
        handler.base_form_class = MembershipForm
        return handler
    copy_view_enabled = False
    inspect_view_enabled = True


class AuditEntryFilterSet(WagtailFilterSet):
    actor = django_filters.ModelChoiceFilter(label=gettext_lazy("Actor"), queryset=None)
    action = django_filters.ChoiceFilter(label=gettext_lazy("Action"), choices=[])
    created_at = django_filters.DateFromToRangeFilter(label=gettext_lazy("Date"), widget=DateRangePickerWidget)
    tenant = django_filters.ModelChoiceFilter(label=gettext_lazy("Tenant"), queryset=Tenant.objects.all())

    class Meta:
        model = AuditEntry
        fields = ["actor", "action", "created_at", "tenant"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        tenants = admin_tenants(user) if user is not None else Tenant.objects.none()
        entries = AuditEntry.objects.all() if tenants is None else AuditEntry.objects.filter(tenant__in=tenants)
        from django.contrib.auth import get_user_model

        self.filters["actor"].queryset = get_user_model().objects.filter(
            pk__in=entries.exclude(actor=None).values("actor")).order_by("email")
        self.filters["action"].extra["choices"] = [
            (a, a) for a in entries.order_by("action").values_list("action", flat=True).distinct()]
        if tenants is None:
            self.filters["tenant"].queryset = Tenant.objects.all()
        else:
            self.filters["tenant"].queryset = tenants


class AuditEntryIndexView(ScopedListingMixin, generic.IndexView):
    custom_field_preprocess = {
        "data": {"csv": lambda value: json.dumps(value, sort_keys=True, default=str),
                 "xlsx": lambda value: json.dumps(value, sort_keys=True, default=str)},
    }

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("actor", "tenant")


class AuditEntryViewSet(TenantScopedModelViewSet):
    name = "audit-log"
    model = AuditEntry
    icon = "history"
    menu_label = gettext_lazy("Audit log")
    index_view_class = AuditEntryIndexView
    list_display = [DateColumn("created_at", label=gettext_lazy("Time")), "action", "target", "actor", "tenant"]
    filterset_class = AuditEntryFilterSet
    search_fields = ["action", "target"]
    list_export = ["created_at", "tenant", "actor", "action", "target", "data"]
    export_headings = {"created_at": gettext_lazy("Time (UTC)"), "tenant": gettext_lazy("Tenant"),
                       "actor": gettext_lazy("Actor"), "action": gettext_lazy("Action"),
                       "target": gettext_lazy("Target"), "data": gettext_lazy("Details")}
    export_filename = "audit-log"
    form_fields = []
    add_view_enabled = False
    edit_view_enabled = False
    delete_view_enabled = False
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = ["created_at", "tenant", "actor", "action", "target", "data"]


class TenantAdminGroup(ViewSetGroup):
    menu_label = gettext_lazy("School")
    menu_icon = "home"
    menu_order = 200
    items = (MembershipViewSet, InvitationViewSet, AuditEntryViewSet)


@hooks.register("register_admin_viewset")
def register_platform_viewsets():
    return [TenantViewSet("tenants"), PlanViewSet("plans"), TenantAdminGroup()]


@hooks.register("register_admin_viewset", order=100)
def register_scoped_page_explorer():
    # Registered after Wagtail's own base page viewset, so it takes its place.
    from .admin_pages import TenantPageViewSet

    return TenantPageViewSet()


# Dashboard -------------------------------------------------------------------------------------

def _model(label):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


class TenantDashboardPanel(Component):
    """One tenant at a glance: usage against the plan, this week and month, upcoming
    sessions with seats taken and waitlists, what needs attention, the last sync."""

    template_name = "site_platform/admin/dashboard_panel.html"
    order = 50

    def __init__(self, tenant):
        self.tenant = tenant
        self.name = f"tenant-dashboard-{tenant.pk}"

    def get_context_data(self, parent_context):
        tenant, now = self.tenant, timezone.now()
        Session = apps.get_model("booking", "Session")
        Booking = apps.get_model("booking", "Booking")
        upcoming = list(
            Session.objects.filter(tenant=tenant, status="scheduled", start__gte=now)
            .select_related("event_type", "teacher")
            .annotate(waiting=Count("waitlist", filter=Q(waitlist__status__in=("waiting", "offered"))))
            .order_by("start")[:8])
        waitlists = list(
            Session.objects.filter(tenant=tenant, status="scheduled", start__gte=now)
            .annotate(waiting=Count("waitlist", filter=Q(waitlist__status__in=("waiting", "offered"))))
            .filter(waiting__gt=0).select_related("event_type").order_by("start")[:8])
        attention = [{"label": _("Bookings waiting for a refund"),
                      "count": Booking.objects.filter(tenant=tenant, needs_refund=True).count()}]
        Payment, Refund = _model("payments.Payment"), _model("payments.Refund")
        if Payment is not None:
            attention.append({"label": _("Failed payments in the last 7 days"), "count": Payment.objects.filter(
                tenant=tenant, status="failed", created_at__gte=now - timedelta(days=7)).count()})
        if Refund is not None:
            attention.append({"label": _("Refunds that failed"), "count": Refund.objects.filter(
                tenant=tenant, status__in=("failed", "gave_up")).count()})
        SyncRun = _model("integrations.SyncRun")
        last_sync = SyncRun.objects.filter(tenant=tenant).order_by("-started_at").first() if SyncRun else None
        week, month = (stats.tenant_stats(tenant, period=p, now=now) for p in ("week", "month"))
        return {
            "tenant": tenant, "usage": usage.usage_summary(tenant, now=now),
            "history": usage.usage_history(tenant),
            "periods": [(_("This week"), week, stats.format_money(week["revenue"])),
                        (_("This month"), month, stats.format_money(month["revenue"]))],
            "upcoming": upcoming, "waitlists": waitlists, "attention": attention, "last_sync": last_sync,
        }


class PlatformOverviewPanel(Component):
    template_name = "site_platform/admin/platform_panel.html"
    name = "platform-overview"
    order = 50

    def get_context_data(self, parent_context):
        counts = dict(Tenant.objects.values_list("status").annotate(n=Count("pk")).order_by())
        month = usage.month_of()
        return {
            "statuses": [(label, counts.get(value, 0)) for value, label in Tenant.Status.choices],
            "bookings": sum(MonthlyUsage.objects.filter(month=month).values_list("bookings", flat=True)),
            "near_limit": [u for u in MonthlyUsage.objects.filter(month=month, tenant__plan__isnull=False)
                           .select_related("tenant__plan")
                           if u.tenant.plan.max_bookings_per_month
                           and u.bookings >= 0.8 * u.tenant.plan.max_bookings_per_month],
            "tenants_url": reverse("tenants:index"),
        }


@hooks.register("construct_homepage_panels")
def add_dashboard_panels(request, panels):
    user = request.user
    if user.is_superuser:
        panels.insert(0, PlatformOverviewPanel())
        return
    for tenant in Tenant.objects.administered_by(user).select_related("plan").distinct()[:5]:
        panels.insert(0, TenantDashboardPanel(tenant))


from . import teachers_admin  # noqa: E402,F401  (teachers: profiles, deactivation, school switch)
