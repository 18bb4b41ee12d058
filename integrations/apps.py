from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from booking.busy import register_busy_provider

        from .calendars.busy import calendar_feed_busy

        register_busy_provider(calendar_feed_busy)
        from .immersio import receivers, tasks  # noqa: F401  (signal receivers; tasks for the worker)
