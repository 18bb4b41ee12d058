from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SitePlatformConfig(AppConfig):
    name = "site_platform"
    verbose_name = _("Platform")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signals  # noqa: F401
        from .observability import connect_signals

        connect_signals()
        from .admin_scoping import register_tenant_permission_policies

        register_tenant_permission_policies()
        from . import data_rights_admin  # noqa: F401  (its admin hooks)
