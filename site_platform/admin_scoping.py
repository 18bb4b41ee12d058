"""Tenant scoping for Wagtail admin screens of tenant-owned models.

Every tenant-owned model has a `tenant` foreign key. A tenant admin sees, opens,
edits and deletes only rows of the tenants they administer; any other id
answers 404. Forms offer only those tenants, and only those tenants' rows in
foreign-key choices. Super admins see everything.

Use `TenantScopedModelViewSet` (or `TenantScopedSnippetViewSet`) instead of
Wagtail's own, and `TenantScopedAdminForm` as the base of a custom form.
"""

from django import forms
from django.forms.models import modelform_factory
from django.http import Http404
from wagtail.admin.forms import WagtailAdminModelForm
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

from .models import Tenant


def admin_tenants(user):
    """Tenants whose rows the user may manage in the admin (None: all of them)."""
    if not user.is_authenticated:
        return Tenant.objects.none()
    if user.is_superuser:
        return None
    return Tenant.objects.administered_by(user)


def scope_queryset(queryset, user):
    tenants = admin_tenants(user)
    if tenants is None:
        return queryset
    return queryset.filter(tenant__in=tenants)


def user_may_manage(user, obj):
    tenants = admin_tenants(user)
    return tenants is None or tenants.filter(pk=obj.tenant_id).exists()


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
            raise forms.ValidationError("A row cannot be moved to another tenant.")
        return tenant


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
