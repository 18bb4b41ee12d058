from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = _("Booking")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .notifications import receivers  # noqa: F401  (connects the email receivers; loads their models)
        from site_platform import usage

        from . import publish_checks

        publish_checks.register(usage.publish_limit_problems)
        from .data_rights import register_sources

        register_sources()
        from . import metrics

        metrics.connect()
