from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def grant_tenant_admins(sender, **kwargs):
    """Tenants made before this app existed: give their admin groups its permissions too
    (new tenants get them from create_tenant)."""
    from django.contrib.auth.models import Permission

    from site_platform.models import Tenant

    perms = []
    for model in sender.get_models():
        actions = getattr(model, "tenant_admin_permissions", ())
        perms += Permission.objects.filter(content_type__app_label=sender.label,
                                           codename__in=[f"{a}_{model._meta.model_name}" for a in actions])
    if perms:
        for tenant in Tenant.objects.select_related("admin_group"):
            tenant.admin_group.permissions.add(*perms)


class WebhooksConfig(AppConfig):
    name = "integrations.webhooks"
    label = "webhooks"
    verbose_name = _("Outgoing webhooks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import receivers  # noqa: F401  (connects the booking and payment signals)

        post_migrate.connect(grant_tenant_admins, sender=self)
