"""API keys in the Wagtail admin: a tenant admin creates one (its secret shown once),
sees when each was last used, and revokes it. Scoped to the admin's tenants."""

from pathlib import Path

from django import forms
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.views import generic

from site_platform import audit
from site_platform.admin_scoping import ScopedObjectMixin, TenantScopedAdminForm, TenantScopedModelViewSet

from ..models import ApiKey

TEMPLATE = Path(__file__).parent / "templates" / "api_key_created.html"


class ApiKeyCreateForm(TenantScopedAdminForm):
    class Meta:
        model = ApiKey
        fields = ["tenant", "name"]
        help_texts = {"name": _("Who or what uses it, e.g. “Immersio sync” or “Website team”.")}


class ApiKeyEditForm(TenantScopedAdminForm):
    revoke = forms.BooleanField(
        label=_("Revoke this key"), required=False,
        help_text=_("Requests with this key are refused (401) at once. This cannot be undone."))

    class Meta:
        model = ApiKey
        fields = ["tenant", "name"]


class ApiKeyCreateView(generic.CreateView):
    def save_instance(self):
        instance = self.form.instance
        instance.created_by = self.request.user
        self.clear_key = instance.set_new_secret()
        instance = super().save_instance()
        audit.record("api.key_created", tenant=instance.tenant, actor=self.request.user,
                     target=f"api_key:{instance.pk}", name=instance.name, prefix=instance.prefix)
        return instance

    def save_action(self):
        template = engines["django"].from_string(TEMPLATE.read_text())
        response = TemplateResponse(self.request, template, {
            "api_key": self.object, "clear_key": self.clear_key, "page_title": _("API key created"),
            "index_url": reverse(self.index_url_name),
        })
        response["Cache-Control"] = "no-store"
        return response


class ApiKeyEditView(ScopedObjectMixin, generic.EditView):
    def save_instance(self):
        instance = super().save_instance()
        if self.form.cleaned_data.get("revoke") and instance.revoke():
            audit.record("api.key_revoked", tenant=instance.tenant, actor=self.request.user,
                         target=f"api_key:{instance.pk}", name=instance.name, prefix=instance.prefix)
        return instance


class ApiKeyViewSet(TenantScopedModelViewSet):
    name = "api-keys"
    model = ApiKey
    icon = "key"
    menu_label = _("API keys")
    menu_order = 290
    add_to_admin_menu = True
    list_display = ["name", "prefix", "tenant", "created_by", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["tenant"]
    search_fields = ["name", "prefix"]
    copy_view_enabled = False
    inspect_view_enabled = False
    add_view_class = ApiKeyCreateView
    edit_view_class = ApiKeyEditView

    def get_form_class(self, for_update=False):
        return ApiKeyEditForm if for_update else ApiKeyCreateForm


@hooks.register("register_admin_viewset")
def register_api_key_viewset():
    return ApiKeyViewSet()
