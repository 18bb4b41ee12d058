from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from .common import TenantOwned, TenantOwnedChild, TimeZoneField


class Schedule(TenantOwned, ClusterableModel):
    """A teacher's weekly availability in the teacher's own time zone, with date
    overrides and blackouts. One per teacher and tenant."""

    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="schedules",
                                verbose_name=_("teacher"))
    timezone = TimeZoneField(_("time zone"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    tenant_admin_permissions = ("view", "add", "change", "delete")
    # Teachers keep their own weekly hours, overrides and blackouts.
    teacher_field = "teacher"
    tenant_teacher_permissions = ("view", "add", "change")

    class Meta:
        ordering = ["teacher__email"]
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        constraints = [models.UniqueConstraint(fields=["tenant", "teacher"], name="schedule_one_per_teacher")]

    def __str__(self):
        return _("%(teacher)s (%(zone)s)") % {"teacher": self.teacher, "zone": self.timezone}


def _check_times(start, end, *, required=True):
    """End 00:00 means midnight at the end of the day."""
    if start is None or end is None:
        if required:
            raise ValidationError(_("Give a start and an end time."))
        return
    if end != time(0) and end <= start:
        raise ValidationError(_("The end time must be after the start time (00:00 means midnight)."))


class AvailabilityRange(TenantOwnedChild):
    """Weekly hours: the teacher is available on this weekday between two local times."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    schedule = ParentalKey(Schedule, on_delete=models.CASCADE, related_name="ranges", verbose_name=_("schedule"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"), help_text=_("00:00 means midnight."))

    parent_field = "schedule"

    class Meta:
        ordering = ["weekday", "start_time"]
        verbose_name = _("weekly hours")
        verbose_name_plural = _("weekly hours")
        constraints = [models.CheckConstraint(condition=models.Q(weekday__lte=6), name="availability_weekday_0_6")]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def clean(self):
        super().clean()
        _check_times(self.start_time, self.end_time)


class DateOverride(TenantOwnedChild):
    """Different hours on one date: the date's rows replace its weekly hours.
    A row marked unavailable takes the whole date off."""

    schedule = ParentalKey(Schedule, on_delete=models.CASCADE, related_name="overrides", verbose_name=_("schedule"))
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("from"), null=True, blank=True)
    end_time = models.TimeField(_("until"), null=True, blank=True, help_text=_("00:00 means midnight."))
    unavailable = models.BooleanField(_("unavailable all day"), default=False)

    parent_field = "schedule"

    class Meta:
        ordering = ["date", "start_time"]
        verbose_name = _("date override")
        verbose_name_plural = _("date overrides")

    def __str__(self):
        if self.unavailable:
            return _("%(date)s: unavailable") % {"date": self.date}
        return f"{self.date}: {self.start_time:%H:%M}–{self.end_time:%H:%M}"

    def clean(self):
        super().clean()
        if not self.unavailable:
            _check_times(self.start_time, self.end_time)


class Blackout(TenantOwnedChild):
    """Time off: no slots between two moments, whatever the weekly hours say."""

    schedule = ParentalKey(Schedule, on_delete=models.CASCADE, related_name="blackouts", verbose_name=_("schedule"))
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    parent_field = "schedule"

    class Meta:
        ordering = ["start"]
        verbose_name = _("blackout")
        verbose_name_plural = _("blackouts")
        constraints = [models.CheckConstraint(condition=models.Q(end__gt=models.F("start")),
                                              name="blackout_end_after_start")]

    def __str__(self):
        return f"{self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M}"

    def clean(self):
        super().clean()
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": _("The end must be after the start.")})
