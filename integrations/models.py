from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from site_platform.fields import EncryptedTextField
from site_platform.models import TenantOwnedQuerySet

from .calendars.addresses import validate_feed_url
from .errors import IntegrationError


class CalendarFeed(models.Model):
    """An outside calendar (an ICS address) whose busy times block a teacher's availability.

    The address is a credential (Google's "secret address in iCal format" lets
    anyone holding it read the calendar), so it is encrypted at rest and never
    shown in listings. A failed refresh records its error and leaves the busy
    times of the last good copy in force.
    """

    tenant = models.ForeignKey("site_platform.Tenant", on_delete=models.CASCADE, related_name="calendar_feeds")
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds", verbose_name=_("teacher")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("For example “Personal Google Calendar”."))
    url = EncryptedTextField(
        _("calendar address"), validators=[validate_feed_url],
        help_text=_("The calendar’s ICS address: Google Calendar’s “secret address in iCal format” or "
                    "Outlook’s published calendar ICS link."),
    )
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Inactive feeds block no time."))
    last_fetched_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_code = models.CharField(max_length=40, blank=True)
    last_error_params = models.JSONField(default=dict, blank=True)
    etag = models.CharField(max_length=255, blank=True)
    last_modified = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = TenantOwnedQuerySet.as_manager()
    tenant_admin_permissions = ("view", "add", "change", "delete")

    class Meta:
        ordering = ["teacher__email", "name", "pk"]
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return self.name

    @property
    def has_error(self):
        return bool(self.last_error_code or self.last_error)

    def error_message(self):
        """The last refresh's error in the reader's language ('' when the last refresh worked)."""
        if not self.has_error:
            return ""
        return IntegrationError.render(self.last_error_code, self.last_error_params) or self.last_error

    error_message.short_description = _("last error")


class CalendarBusyInterval(models.Model):
    """One busy stretch of a teacher's time, read from a calendar feed (UTC).

    Event titles are private and not needed to block time, so they are not kept.
    """

    tenant = models.ForeignKey("site_platform.Tenant", on_delete=models.CASCADE, related_name="+")
    feed = models.ForeignKey(CalendarFeed, on_delete=models.CASCADE, related_name="busy_intervals")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    summary = models.CharField(_("summary"), max_length=200, blank=True)

    objects = TenantOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["start", "pk"]
        verbose_name = _("calendar busy time")
        verbose_name_plural = _("calendar busy times")
        indexes = [models.Index(fields=["teacher", "start"], name="calbusy_teacher_start")]
        constraints = [models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="calbusy_end_after_start")]

    def __str__(self):
        return f"{self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M} UTC"
