"""Messages a teacher sends to the attendees of one of their sessions, and the
per-recipient log that makes sending each one idempotent.

Kept in site_platform (the booking app's migrations belong to other work); the
session is referred to by foreign key to `booking.Session`.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import TenantOwnedQuerySet


class TeacherMessage(models.Model):
    """One message to a session's attendees: written by the teacher, or the notice of a
    new meeting link (`kind=meeting_link`, `body` holds the link)."""

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        MEETING_LINK = "meeting_link", _("New meeting link")

    tenant = models.ForeignKey("site_platform.Tenant", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("tenant"))
    session = models.ForeignKey("booking.Session", on_delete=models.CASCADE, related_name="teacher_messages",
                                verbose_name=_("session"))
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("sender"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MESSAGE)
    subject = models.CharField(_("subject"), max_length=150)
    body = models.TextField(_("message"), max_length=5000)
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)

    objects = TenantOwnedQuerySet.as_manager()
    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("message to attendees")
        verbose_name_plural = _("messages to attendees")
        indexes = [models.Index(fields=["sender", "created_at"], name="teacher_message_sender_time")]

    def __str__(self):
        return self.subject


class TeacherMessageDelivery(models.Model):
    """One recipient's copy of a message: written in the transaction that sends it, so a
    task that runs twice finds the row and sends nothing."""

    message = models.ForeignKey(TeacherMessage, on_delete=models.CASCADE, related_name="deliveries",
                                verbose_name=_("message"))
    recipient = models.EmailField(_("recipient"))
    language = models.CharField(_("language"), max_length=10, blank=True)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["sent_at", "id"]
        verbose_name = _("message delivery")
        verbose_name_plural = _("message deliveries")
        constraints = [models.UniqueConstraint(fields=["message", "recipient"], name="teacher_message_once")]

    def __str__(self):
        return f"{self.message_id} → {self.recipient}"


class TeacherNotice(models.Model):
    """One email the platform sent a teacher about their own work (daily agenda, waitlist
    offer, reassigned work), keyed by what it was about: written in the transaction that
    sends it, so a task that runs twice sends once."""

    tenant = models.ForeignKey("site_platform.Tenant", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("tenant"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("teacher"))
    key = models.CharField(_("about"), max_length=120)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    objects = TenantOwnedQuerySet.as_manager()
    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("teacher notice")
        verbose_name_plural = _("teacher notices")
        constraints = [models.UniqueConstraint(fields=["tenant", "user", "key"], name="teacher_notice_once")]

    def __str__(self):
        return f"{self.user_id}: {self.key}"


# What a teacher may turn off, per school, and the Membership field that holds the choice.
NOTICE_PREFERENCES = {
    "booking": "notify_new_booking",
    "cancellation": "notify_cancellation",
    "reschedule": "notify_reschedule",
    "waitlist": "notify_waitlist",
    "agenda": "daily_agenda",
}


def teacher_wants(tenant_id, user_id, kind):
    """Whether the teacher `user_id` wants the emails of `kind` (a key of NOTICE_PREFERENCES)
    from tenant `tenant_id`. Someone without a membership there (a super admin teaching a
    class) gets the defaults: every notice, no agenda."""
    from .models import Membership

    field = NOTICE_PREFERENCES[kind]
    value = (Membership.objects.filter(tenant_id=tenant_id, user_id=user_id)
             .values_list(field, flat=True).first())
    if value is None:
        return Membership._meta.get_field(field).default
    return value
