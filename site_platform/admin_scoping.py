"""Tenant scoping for Wagtail admin screens of tenant-owned models.

Every tenant-owned model has a `tenant` foreign key. A tenant admin sees, opens,
edits and deletes only rows of the tenants they administer; any other id
answers 404. Forms offer only those tenants, and only those tenants' rows in
foreign-key choices. Super admins see everything.

A model that names a `teacher_field` (a teacher's schedule, their calendar
feeds) is also open to the teachers of a tenant, for their own rows only, with
the actions listed in `tenant_teacher_permissions`.

Rights come from memberships, through `TenantPermissionPolicy`, registered for
every model that declares `tenant_admin_permissions` or
`tenant_teacher_permissions`.

Use `TenantScopedModelViewSet` (or `TenantScopedSnippetViewSet`) instead of
Wagtail's own, and `TenantScopedAdminForm` as the base of a custom form.

A user with memberships in several tenants may pick one as the current tenant
(the admin's school switcher stores it in the session; `CurrentTenantMiddleware`
puts it on `request.user`). From then on `tenant_roles` and
`Tenant.objects.administered_by` answer for that tenant alone, so every listing,
form and dashboard panel shows its data only. No choice: all their tenants.
"""

from django import forms
from django.db.models import Q
from django.forms.models import modelform_factory
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.snippets.views.snippets import (
    DeleteView as SnippetDeleteView,
    EditView as SnippetEditView,
    IndexView as SnippetIndexView,
    InspectView as SnippetInspectView,
    UsageView as SnippetUsageView,
    HistoryView as SnippetHistoryView,
)
from wagtail.admin.views import generic
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Membership, Tenant


CURRENT_TENANT_SESSION_KEY = "admin_current_tenant"


def tenant_roles(user):
    """{tenant id: role} of the user's active memberships (only the current tenant's when
    one is chosen and still held), read once per user object."""
    if not user.is_authenticated:
        return {}
    roles = getattr(user, "_tenant_roles", None)
    if roles is None:
        roles = dict(Membership.objects.filter(user=user, is_active=True).values_list("tenant_id", "role"))
        current = getattr(user, "_current_tenant_id", None)
        if current in roles:
            roles = {current: roles[current]}
        user._tenant_roles = roles
    return roles


def all_tenant_roles(user):
    """{tenant id: role} of every active membership, whatever tenant is current."""
    if not user.is_authenticated:
        return {}
    return dict(Membership.objects.filter(user=user, is_active=True).values_list("tenant_id", "role"))


def set_current_tenant(request, tenant_id):
    """Make `tenant_id` (one of the user's active memberships) the current tenant of this
    admin session; None goes back to all of them. Returns False if not theirs."""
    if tenant_id is not None and tenant_id not in all_tenant_roles(request.user):
        return False
    if tenant_id is None:
        request.session.pop(CURRENT_TENANT_SESSION_KEY, None)
    else:
        request.session[CURRENT_TENANT_SESSION_KEY] = tenant_id
    user = request.user
    if hasattr(user, "_tenant_roles"):
        del user._tenant_roles  # read again for the new choice
    user._current_tenant_id = tenant_id
    return True


class CurrentTenantMiddleware:
    """Puts the admin session's chosen tenant on `request.user` (admin paths only),
    before anything reads the user's rights. After AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and request.path.startswith("/admin/"):
            current = session.get(CURRENT_TENANT_SESSION_KEY)
            if current is not None and request.user.is_authenticated:
                request.user._current_tenant_id = current
        return self.get_response(request)


def _ids(user, role):
    return [tenant_id for tenant_id, held in tenant_roles(user).items() if held == role]


def admin_tenants(user):
    """Tenants whose rows the user may manage in the admin (None: all of them)."""
    if not user.is_authenticated:
        return Tenant.objects.none()
    if user.is_superuser:
        return None
    return Tenant.objects.administered_by(user)


def teacher_field_of(model):
    return getattr(model, "teacher_field", None)


def scope_queryset(queryset, user):
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    condition = Q(tenant_id__in=_ids(user, Membership.Role.ADMIN))
    teacher_field = teacher_field_of(queryset.model)
    if teacher_field:
        condition |= Q(tenant_id__in=_ids(user, Membership.Role.TEACHER), **{teacher_field: user})
    return queryset.filter(condition)


def user_may_manage(user, obj):
    if not user.is_authenticated:
        return False
    if user.is_superuser or obj.tenant_id in _ids(user, Membership.Role.ADMIN):
        return True
    teacher_field = teacher_field_of(type(obj))
    return bool(teacher_field) and obj.tenant_id in _ids(user, Membership.Role.TEACHER) and (
        getattr(obj, f"{teacher_field}_id") == user.pk)


class TenantPermissionPolicy(ModelPermissionPolicy):
    """Model rights from memberships: a tenant admin may do what the model lists in
    `tenant_admin_permissions`, a teacher what it lists in
    `tenant_teacher_permissions`; which rows is `scope_queryset`'s business."""

    def user_has_permission(self, user, action):
        if not (user.is_authenticated and user.is_active):
            return False
        if user.is_superuser:
            return True
        if action in getattr(self.model, "tenant_admin_permissions", ()) and _ids(user, Membership.Role.ADMIN):
            return True
        if action in getattr(self.model, "tenant_teacher_permissions", ()) and _ids(user, Membership.Role.TEACHER):
            return True
        return super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and user_may_manage(user, instance)

    def instances_user_has_permission_for(self, user, action):
        if not self.user_has_permission(user, action):
            return self.model._default_manager.none()
        return scope_queryset(self.model._default_manager.all(), user)


def register_tenant_permission_policies():
    from django.apps import apps
    from wagtail.permissions import policy_registry, register_permission_policy

    for model in apps.get_models():
        declares = hasattr(model, "tenant_admin_permissions") or hasattr(model, "tenant_teacher_permissions")
        if declares and not policy_registry.get_by_type(model, fallback=False):
            register_permission_policy(model, TenantPermissionPolicy(model), exact_class=True)


class ScopedListingMixin:
    def get_base_queryset(self):
        return scope_queryset(super().get_base_queryset(), self.request.user)


class ScopedObjectMixin:
    """Look the object up by id, then refuse (404) one of another tenant."""

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if not user_may_manage(self.request.user, obj):
            raise Http404
        return obj


def _scoped(view_class, mixin):
    return type(f"Scoped{view_class.__name__}", (mixin, view_class), {})


class TenantScopedAdminForm(WagtailAdminModelForm):
    """Offers only the user's tenants, and only their rows in foreign keys.

    With a single tenant the tenant field is filled in and hidden.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        tenants = admin_tenants(user) if user is not None else Tenant.objects.none()
        if tenants is None:
            return
        teacher_field = teacher_field_of(self._meta.model)
        self.teacher_only = False
        if teacher_field and user is not None:
            taught = _ids(user, Membership.Role.TEACHER)
            if taught:
                tenants = Tenant.objects.filter(Q(pk__in=tenants.values("pk")) | Q(pk__in=taught))
            if not _ids(user, Membership.Role.ADMIN) and teacher_field in self.fields:
                # A teacher (and not an admin) manages their own rows only.
                self.teacher_only = True
                field = self.fields[teacher_field]
                field.queryset = field.queryset.filter(pk=user.pk)
                field.initial = user.pk
                field.widget = forms.HiddenInput()
        tenant_field = self.fields.get("tenant")
        if tenant_field is not None:
            tenant_field.queryset = tenants
            if tenants.count() == 1:
                only = tenants.get()
                tenant_field.initial = only.pk
                tenant_field.widget = forms.HiddenInput()
                if not self.instance.pk:
                    self.instance.tenant = only
        for name, field in self.fields.items():
            queryset = getattr(field, "queryset", None)
            if name == "tenant" or queryset is None:
                continue
            model = queryset.model
            if any(f.name == "tenant" for f in model._meta.get_fields()):
                field.queryset = queryset.filter(tenant__in=tenants)

    def clean_tenant(self):
        tenant = self.cleaned_data.get("tenant")
        if self.instance.pk and tenant and tenant.pk != self.instance.tenant_id:
            raise forms.ValidationError(_("A row cannot be moved to another tenant."))
        return tenant

    def clean(self):
        cleaned = super().clean()
        teacher_field = teacher_field_of(self._meta.model)
        user, tenant = self.for_user, cleaned.get("tenant")
        if teacher_field and user is not None and tenant is not None and not user.is_superuser:
            if tenant.pk not in _ids(user, Membership.Role.ADMIN) and cleaned.get(teacher_field) != user:
                self.add_error(teacher_field, _("You can only manage your own rows."))
        return cleaned


class TenantScopedFormMixin:
    def get_form_class(self, for_update=False):
        if self._edit_handler:
            if self._edit_handler.base_form_class is None:
                self._edit_handler.base_form_class = TenantScopedAdminForm
            return self._edit_handler.get_form_class()
        return modelform_factory(
            self.model, form=TenantScopedAdminForm, formfield_callback=self.formfield_for_dbfield,
            fields=self.get_form_fields(), exclude=self.get_exclude_form_fields(),
        )


class TenantScopedModelViewSet(TenantScopedFormMixin, ModelViewSet):
    index_view_class = _scoped(generic.IndexView, ScopedListingMixin)
    edit_view_class = _scoped(generic.EditView, ScopedObjectMixin)
    delete_view_class = _scoped(generic.DeleteView, ScopedObjectMixin)
    inspect_view_class = _scoped(generic.InspectView, ScopedObjectMixin)
    copy_view_class = _scoped(generic.CopyView, ScopedObjectMixin)
    history_view_class = _scoped(HistoryView, ScopedObjectMixin)
    usage_view_class = _scoped(UsageView, ScopedObjectMixin)


class TenantScopedSnippetViewSet(TenantScopedFormMixin, SnippetViewSet):
    index_view_class = _scoped(SnippetIndexView, ScopedListingMixin)
    edit_view_class = _scoped(SnippetEditView, ScopedObjectMixin)
    delete_view_class = _scoped(SnippetDeleteView, ScopedObjectMixin)
    inspect_view_class = _scoped(SnippetInspectView, ScopedObjectMixin)
    history_view_class = _scoped(SnippetHistoryView, ScopedObjectMixin)
    usage_view_class = _scoped(SnippetUsageView, ScopedObjectMixin)
