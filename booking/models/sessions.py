from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .common import TenantOwned, TimeZoneField


class SessionSeries(TenantOwned):
    """A recurrence rule that created sessions: every `interval_weeks` weeks on
    `weekdays` at a local time, from a date until a date or for a count."""

    event_type = models.ForeignKey("booking.EventType", on_delete=models.CASCADE, related_name="series",
                                   verbose_name=_("event type"))
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("teacher"))
    timezone = TimeZoneField(_("time zone"))
    interval_weeks = models.PositiveSmallIntegerField(_("every N weeks"), default=1, validators=[MinValueValidator(1)])
    weekdays = models.JSONField(_("weekdays"), default=list, help_text=_("0 = Monday … 6 = Sunday"))
    start_time = models.TimeField(_("start time"))
    duration_minutes = models.PositiveIntegerField(_("length (minutes)"), validators=[MinValueValidator(5)])
    starts_on = models.DateField(_("from"))
    until = models.DateField(_("until"), null=True, blank=True)
    count = models.PositiveIntegerField(_("number of sessions"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("seats per session"), validators=[MinValueValidator(1)])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    tenant_admin_permissions = ("view", "add", "change", "delete")

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("session series")
        verbose_name_plural = _("session series")
        constraints = [
            models.CheckConstraint(condition=models.Q(until__isnull=False) | models.Q(count__isnull=False),
                                   name="series_until_or_count"),
        ]

    def __str__(self):
        return _("%(event)s with %(teacher)s from %(date)s") % {
            "event": self.event_type, "teacher": self.teacher, "date": self.starts_on}

    @property
    def duration(self):
        return timedelta(minutes=self.duration_minutes)


class Session(TenantOwned):
    """One occurrence of a live class or workshop, with its seats."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    event_type = models.ForeignKey("booking.EventType", on_delete=models.CASCADE, related_name="sessions",
                                   verbose_name=_("event type"))
    series = models.ForeignKey(SessionSeries, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="sessions", verbose_name=_("series"))
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="taught_sessions",
                                verbose_name=_("teacher"))
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    capacity = models.PositiveIntegerField(_("seats"), validators=[MinValueValidator(1)])
    seats_taken = models.PositiveIntegerField(_("seats taken"), default=0, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)
    meeting_url = models.URLField(_("meeting link"), blank=True,
                                  help_text=_("This session's own link; empty uses the event type's."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    tenant_admin_permissions = ("view", "add", "change", "delete")

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        indexes = [
            models.Index(fields=["teacher", "start"], name="session_teacher_start"),
            models.Index(fields=["tenant", "event_type", "start"], name="session_event_type_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(seats_taken__gte=0) & models.Q(seats_taken__lte=models.F("capacity")),
                name="session_seats_within_capacity",
            ),
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="session_end_after_start"),
        ]

    def __str__(self):
        return f"{self.event_type} · {self.start:%Y-%m-%d %H:%M} UTC"

    @property
    def seats_left(self):
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_cancelled(self):
        return self.status == self.Status.CANCELLED

    def clean(self):
        super().clean()
        errors = {}
        if self.start and self.end and self.end <= self.start:
            errors["end"] = _("The end must be after the start.")
        if self.capacity is not None and self.capacity < self.seats_taken:
            errors["capacity"] = _("%(taken)s seats are already taken; the session cannot have fewer.") % {
                "taken": self.seats_taken}
        if errors:
            raise ValidationError(errors)
