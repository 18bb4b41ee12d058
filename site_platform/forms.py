from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from .models import Tenant


def template_choices():
    from landing.models import LANDING_TEMPLATES

    return [(key, cls._meta.verbose_name) for key, cls in LANDING_TEMPLATES.items()]


class TenantCreateForm(WagtailAdminModelForm):
    """The super admin's "New tenant" form; the service does the creating."""

    template = forms.ChoiceField(label=_("Template"), choices=template_choices)
    admin_email = forms.EmailField(label=_("Admin email"), help_text=_("The school owner; gets an invitation email."))

    class Meta:
        model = Tenant
        fields = ["name", "subdomain", "template", "plan", "custom_domain"]

    def validate_unique(self):
        # The service checks uniqueness (and reserved names) with its own messages.
        pass


class TenantEditForm(WagtailAdminModelForm):
    """The super admin's edit form. No status or plan field: both change only through the
    confirmed, audited actions (`site_platform.services.lifecycle`: the row menu's status
    actions and **Change plan**)."""

    class Meta:
        model = Tenant
        fields = ["name", "custom_domain"]

    def validate_unique(self):
        # The service checks the custom domain against every Site, with its own message.
        pass
