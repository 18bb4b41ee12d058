import secrets

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from site_platform.models import TenantOwnedQuerySet


class NotificationLog(models.Model):
    """One email that was sent. Its unique key is what makes sending idempotent:
    a task that runs twice finds the row and sends nothing.

    About a booking (`booking`), one session of a booking (`booking` and `session`: a
    whole-series booking's reminders and cancelled sessions), a session (`session`: the
    teacher's notice) or a waitlist offer (`waitlist_entry`).

    `sequence` is the booking's calendar sequence when the email was sent, so a
    rescheduled booking gets a new reminder and a second reschedule a second email.
    """

    class Kind(models.TextChoices):
        CONFIRMED = "confirmed", _("Booking confirmed")
        CANCELLED = "cancelled", _("Booking cancelled")
        RESCHEDULED = "rescheduled", _("Booking rescheduled")
        REMINDER = "reminder", _("Reminder")
        WAITLIST_OFFER = "waitlist_offer", _("Waitlist offer")
        SESSION_CANCELLED = "session_cancelled", _("One session of a course cancelled")
        TEACHER_BOOKED = "teacher_booked", _("Teacher: new booking")
        TEACHER_CANCELLED = "teacher_cancelled", _("Teacher: booking cancelled")
        TEACHER_RESCHEDULED = "teacher_rescheduled", _("Teacher: booking moved")
        TEACHER_SESSION_CANCELLED = "teacher_session_cancelled", _("Teacher: session cancelled")
        # Group bookings: each participant's own emails (sequence: the participant's id, or the
        # booking's sequence for the whole booking moved or cancelled) and the booker's notice.
        PARTICIPANT_CONFIRMED = "participant_confirmed", _("Participant: booked")
        PARTICIPANT_ENDED = "participant_ended", _("Participant: place cancelled")
        PARTICIPANT_GAVE_UP = "participant_gave_up", _("Booker: a participant gave up their seat")
        PARTICIPANT_RESCHEDULED = "participant_rescheduled", _("Participant: booking moved")
        PARTICIPANT_CANCELLED = "participant_cancelled", _("Participant: booking cancelled")
        PARTICIPANT_REMINDER = "participant_reminder", _("Participant: reminder")

    tenant = models.ForeignKey("site_platform.Tenant", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("tenant"))
    booking = models.ForeignKey("booking.Booking", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="notifications", verbose_name=_("booking"))
    waitlist_entry = models.ForeignKey("booking.WaitlistEntry", on_delete=models.CASCADE, null=True, blank=True,
                                       related_name="notifications", verbose_name=_("waitlist entry"))
    session = models.ForeignKey("booking.Session", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="notifications", verbose_name=_("session"))
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    recipient = models.EmailField(_("recipient"))
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0)
    language = models.CharField(_("language"), max_length=10, blank=True)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)

    objects = TenantOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["booking", "kind", "recipient", "sequence"],
                                    condition=models.Q(booking__isnull=False, session__isnull=True),
                                    name="notification_once_per_booking"),
            models.UniqueConstraint(fields=["booking", "session", "kind", "recipient", "sequence"],
                                    condition=models.Q(booking__isnull=False, session__isnull=False),
                                    name="notification_once_per_booked_session"),
            models.UniqueConstraint(fields=["session", "kind", "recipient", "sequence"],
                                    condition=models.Q(booking__isnull=True, session__isnull=False),
                                    name="notification_once_per_session"),
            models.UniqueConstraint(fields=["waitlist_entry", "kind", "recipient", "sequence"],
                                    condition=models.Q(waitlist_entry__isnull=False),
                                    name="notification_once_per_waitlist_entry"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient}"


class BookingLanguage(models.Model):
    """The language the student was using when they booked: the language of their
    emails when their account has no preference of its own."""

    booking = models.OneToOneField("booking.Booking", on_delete=models.CASCADE, primary_key=True,
                                   related_name="notification_language", verbose_name=_("booking"))
    language = models.CharField(_("language"), max_length=10)

    class Meta:
        verbose_name = _("booking language")
        verbose_name_plural = _("booking languages")

    def __str__(self):
        return f"{self.booking_id}: {self.language}"


def new_feed_token():
    return secrets.token_urlsafe(32)


class TeacherCalendarToken(models.Model):
    """The secret in a teacher's private calendar feed URL, one per teacher per tenant.

    Anyone holding the URL can read the feed, so the token is long and random
    and `rotate()` replaces it (the old URL stops working at once).
    """

    tenant = models.ForeignKey("site_platform.Tenant", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("tenant"))
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_tokens",
                                verbose_name=_("teacher"))
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_feed_token, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TenantOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("teacher calendar token")
        verbose_name_plural = _("teacher calendar tokens")
        constraints = [models.UniqueConstraint(fields=["tenant", "teacher"], name="teacher_calendar_token_unique")]

    def __str__(self):
        return f"{self.teacher} · {self.tenant}"

    @classmethod
    def for_teacher(cls, tenant, teacher):
        """The teacher's token on this tenant, made on first use."""
        token, _created = cls.objects.get_or_create(tenant=tenant, teacher=teacher)
        return token

    @classmethod
    def rotate(cls, tenant, teacher):
        """Replace the teacher's token; the old feed URL answers 404 from now on."""
        with transaction.atomic():
            token = cls.for_teacher(tenant, teacher)
            token.token = new_feed_token()
            token.save(update_fields=["token"])
        return token

    @property
    def feed_url(self):
        from django.urls import reverse

        return self.tenant.root_url + reverse("booking_feed:teacher_feed", args=[self.token],
                                              urlconf=settings.TENANT_URLCONF)
