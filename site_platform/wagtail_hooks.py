from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from .admin_scoping import TenantScopedModelViewSet
from .errors import PlatformError
from .forms import TenantCreateForm, TenantEditForm
from .models import AuditEntry, Membership, Plan, Tenant
from .services.tenants import create_tenant, update_tenant

ERROR_FIELDS = {
    "subdomain_invalid": "subdomain", "subdomain_reserved": "subdomain", "subdomain_taken": "subdomain",
    "template_unknown": "template", "name_required": "name", "email_invalid": "admin_email",
    "plan_unknown": "plan", "domain_invalid": "custom_domain", "domain_taken": "custom_domain",
}


class RefusalMixin:
    def refuse(self, form, error):
        """Show a service's refusal on the form, as Wagtail shows its own validation errors."""
        form.add_error(ERROR_FIELDS.get(error.code), error.message)
        self.produced_error_code = "validation_error"
        self.produced_error_message = self.get_error_message()
        return self.form_invalid(form)


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
                self.object, name=data["name"], status=data["status"], plan=data.get("plan"),
                custom_domain=data.get("custom_domain"), actor=self.request.user,
            )
        except PlatformError as exc:
            return self.refuse(form, exc)
        return self.save_action()


class TenantViewSet(ModelViewSet):
    model = Tenant
    icon = "site"
    menu_label = _("Tenants")
    add_to_admin_menu = True
    menu_order = 900
    add_view_class = TenantCreateView
    edit_view_class = TenantEditView
    list_display = ["name", "subdomain", "status", "plan", DateColumn("created_at", label=_("Created"))]
    list_filter = ["status", "plan"]
    search_fields = ["name", "subdomain", "custom_domain"]
    inspect_view_enabled = True
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return TenantEditForm if for_update else TenantCreateForm


class PlanViewSet(ModelViewSet):
    model = Plan
    icon = "tag"
    menu_label = _("Plans")
    add_to_admin_menu = True
    menu_order = 901
    list_display = ["name", "code", "max_teachers", "max_bookings_per_month", "max_published_event_types",
                    "platform_fee_percent"]
    form_fields = ["code", "name", "max_teachers", "max_bookings_per_month", "max_published_event_types",
                   "platform_fee_percent", "features", "position"]
    copy_view_enabled = False


class MembershipViewSet(TenantScopedModelViewSet):
    name = "team"
    model = Membership
    icon = "group"
    menu_label = _("Team")
    list_display = ["user", "role", "is_active", "timezone", "tenant"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    panels = [FieldPanel("tenant"), FieldPanel("role"), FieldPanel("is_active"), FieldPanel("timezone")]
    add_view_enabled = False
    copy_view_enabled = False
    inspect_view_enabled = True


class AuditEntryViewSet(TenantScopedModelViewSet):
    name = "audit-log"
    model = AuditEntry
    icon = "history"
    menu_label = _("Audit log")
    list_display = [DateColumn("created_at", label=_("Time")), "action", "target", "actor", "tenant"]
    list_filter = ["action"]
    search_fields = ["action", "target"]
    form_fields = []
    add_view_enabled = False
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = ["created_at", "tenant", "actor", "action", "target", "data"]


class TenantAdminGroup(ViewSetGroup):
    menu_label = _("School")
    menu_icon = "home"
    menu_order = 200
    items = (MembershipViewSet, AuditEntryViewSet)


@hooks.register("register_admin_viewset")
def register_platform_viewsets():
    return [TenantViewSet("tenants"), PlanViewSet("plans"), TenantAdminGroup()]


@hooks.register("register_admin_viewset", order=100)
def register_scoped_page_explorer():
    # Registered after Wagtail's own base page viewset, so it takes its place.
    from .admin_pages import TenantPageViewSet

    return TenantPageViewSet()
