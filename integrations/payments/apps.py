from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "integrations.payments"
    label = "payments"
    verbose_name = _("Payments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from booking import payment_flow, publish_checks

        from . import checkout, connect, receivers  # noqa: F401  (connects the booking signals)

        payment_flow.register_checkout_starter(checkout.checkout_redirect_for)
        publish_checks.register(connect.paid_event_needs_account)
