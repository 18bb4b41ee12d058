"""The people a group booking is for: one active participant per seat.

The booker (`Booking.attendee`) books and pays; each participant is told on their own,
with their own manage link (`/bookings/participants/<uid>/?token=...`) through which
they may give up their seat. A participant row is never deleted: replacing, removing
or giving up a seat ends it (`status`, `ended_at`) and, for a replacement, a new row
takes the seat.
"""

import hmac
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from .bookings import new_manage_token
from .common import TenantOwned


class BookingParticipant(TenantOwned):
    """One person a booking's seat is for. `email` is blank while the booker has not
    named them yet (event types that allow names later, until the cut-off)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RELEASED = "released", _("Gave up their seat")
        REPLACED = "replaced", _("Replaced")
        REMOVED = "removed", _("Removed")

    booking = models.ForeignKey("booking.Booking", on_delete=models.CASCADE, related_name="participants",
                                verbose_name=_("booking"))
    name = models.CharField(_("name"), max_length=150, blank=True)
    email = models.EmailField(_("email"), blank=True)
    uid = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
    manage_token = models.CharField(_("manage token"), max_length=64, default=new_manage_token, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE,
                              db_index=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    wagtail_reference_index_ignore = True
    tenant_admin_permissions = ("view",)

    class Meta:
        ordering = ["booking", "created_at", "id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        indexes = [models.Index(fields=["booking", "status"], name="participant_booking_status")]

    def __str__(self):
        return f"{self.name or _('(name to come)')} · {self.booking_id} · {self.status}"

    @property
    def is_active(self):
        return self.status == self.Status.ACTIVE

    @property
    def is_named(self):
        return bool(self.email)

    def token_matches(self, token):
        """Constant-time comparison of a participant manage link's token."""
        return bool(token) and hmac.compare_digest(str(token).encode(), self.manage_token.encode())

    def manage_path(self):
        return f"/bookings/participants/{self.uid}/?token={self.manage_token}"

    def manage_url(self):
        return self.tenant.root_url + self.manage_path()
