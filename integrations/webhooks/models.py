"""Outgoing webhooks: endpoints a tenant registers and the deliveries made to them.

A `Delivery` is one event (one `webhook-id`) for one endpoint; each try at sending
it is a `DeliveryAttempt`, kept as the delivery log (request, response code, body
excerpt, duration).
"""

import base64
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from site_platform.fields import EncryptedTextField
from site_platform.models import TenantOwnedQuerySet

EVENT_TYPES = [
    ("booking.created", _("Booking created")),
    ("booking.confirmed", _("Booking confirmed")),
    ("booking.cancelled", _("Booking cancelled")),
    ("booking.rescheduled", _("Booking rescheduled")),
    ("payment.succeeded", _("Payment succeeded")),
    ("payment.refunded", _("Payment refunded")),
    ("session.cancelled", _("Session cancelled")),
]
TEST_EVENT = "webhook.test"
SECRET_PREFIX = "whsec_"


def new_secret():
    """A Standard Webhooks secret: whsec_ and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class Endpoint(models.Model):
    tenant = models.ForeignKey("site_platform.Tenant", on_delete=models.CASCADE, related_name="webhook_endpoints",
                               verbose_name=_("tenant"))
    url = models.URLField(_("URL"), max_length=500, help_text=_("An HTTPS address that accepts POST requests."))
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list, blank=True)
    secret = EncryptedTextField(_("signing secret"), default=new_secret, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True, editable=False)
    disabled_reason = models.CharField(_("why disabled"), max_length=200, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TenantOwnedQuerySet.as_manager()
    tenant_admin_permissions = ("view", "add", "change", "delete")

    class Meta:
        ordering = ["tenant", "url"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return self.url

    def wants(self, event_type):
        return event_type == TEST_EVENT or event_type in (self.events or [])


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed (gave up)")

    tenant = models.ForeignKey("site_platform.Tenant", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("tenant"))
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 verbose_name=_("endpoint"))
    message_id = models.CharField(_("webhook id"), max_length=64, db_index=True)
    event_type = models.CharField(_("event"), max_length=40)
    payload = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    redelivery_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                      verbose_name=_("redelivery of"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    objects = TenantOwnedQuerySet.as_manager()
    tenant_admin_permissions = ("view",)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self):
        return f"{self.event_type} → {self.endpoint}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("sent at"))
    request_headers = models.JSONField(_("request headers"), default=dict)
    response_status = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_body = models.TextField(_("response body (excerpt)"), blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_unique")]

    @property
    def succeeded(self):
        return self.response_status is not None and 200 <= self.response_status < 300
