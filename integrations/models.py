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
    # Teachers add their own calendars and see their refresh errors.
    teacher_field = "teacher"
    tenant_teacher_permissions = ("view", "add", "change", "delete")

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


class ImmersioConnection(models.Model):
    """A tenant's link to its Immersio organisation. Keys and secrets are encrypted at rest."""

    class SyncState(models.TextChoices):
        NEVER = "never", _("Never synced")
        RUNNING = "running", _("Running")
        OK = "ok", _("Succeeded")
        PARTIAL = "partial", _("Succeeded with errors")
        FAILED = "failed", _("Failed")

    tenant = models.OneToOneField("site_platform.Tenant", on_delete=models.CASCADE, related_name="immersio_connection",
                                  verbose_name=_("tenant"))
    base_url = models.URLField(_("API address"), default="https://api.immersio.com",
                               help_text=_("Leave the default unless Immersio gave you another address."))
    org_id = models.CharField(_("organisation id"), max_length=100)
    api_key = EncryptedTextField(_("API key"))
    webhook_secret = EncryptedTextField(_("webhook secret"), blank=True)
    sso_secret = EncryptedTextField(_("single sign-on secret"), blank=True)
    enabled = models.BooleanField(_("enabled"), default=True,
                                  help_text=_("When off, nothing is synced or pushed and webhooks are refused."))
    sync_interval_minutes = models.PositiveIntegerField(_("sync every (minutes)"), default=15)
    last_sync_at = models.DateTimeField(_("last sync"), null=True, blank=True)
    last_sync_state = models.CharField(_("last sync state"), max_length=10, choices=SyncState.choices,
                                       default=SyncState.NEVER)
    last_success_at = models.DateTimeField(_("last successful sync started"), null=True, blank=True,
                                           help_text=_("The next sync asks only for what changed since."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TenantOwnedQuerySet.as_manager()
    tenant_admin_permissions = ("view", "add", "change")

    class Meta:
        verbose_name = _("Immersio connection")
        verbose_name_plural = _("Immersio connections")

    def __str__(self):
        return f"Immersio {self.org_id} · {self.tenant}"


class SyncRun(models.Model):
    """One sync with Immersio: what it did, how many of each outcome, each record's error,
    and, when it stopped early, where."""

    class Kind(models.TextChoices):
        FULL = "full", _("Full")
        CHANGES = "changes", _("Changes since last sync")
        WEBHOOK = "webhook", _("Webhook")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("Succeeded")
        PARTIAL = "partial", _("Succeeded with errors")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped: another sync was running")

    tenant = models.ForeignKey("site_platform.Tenant", on_delete=models.CASCADE, related_name="immersio_sync_runs",
                               verbose_name=_("tenant"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CHANGES)
    trigger = models.CharField(_("started by"), max_length=20, default="schedule")
    started_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    counts = models.JSONField(_("counts by kind"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True,
                              help_text=_("Each failed record: kind, Immersio id, error."))
    error = models.TextField(_("error that stopped the sync"), blank=True)
    stopped_at = models.JSONField(_("stopped at"), default=dict, blank=True,
                                  help_text=_("Where a failed sync stopped: step, course and page cursor."))

    objects = TenantOwnedQuerySet.as_manager()
    tenant_admin_permissions = ("view",)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("Immersio sync")
        verbose_name_plural = _("Immersio sync log")

    def __str__(self):
        return f"{self.get_kind_display()} · {self.started_at:%Y-%m-%d %H:%M} · {self.get_status_display()}"


class ImmersioWebhookEvent(models.Model):
    """A webhook Immersio sent, recorded once per event id."""

    tenant = models.ForeignKey("site_platform.Tenant", on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(_("event id"), max_length=100)
    type = models.CharField(_("type"), max_length=60)
    payload = models.JSONField(_("payload"), default=dict)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    objects = TenantOwnedQuerySet.as_manager()
    tenant_admin_permissions = ("view",)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("Immersio webhook event")
        verbose_name_plural = _("Immersio webhook events")
        constraints = [models.UniqueConstraint(fields=["tenant", "event_id"], name="immersio_event_once")]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class ImmersioLink(models.Model):
    """Which local row an Immersio record is: a course's event type, a student's or a
    teacher's account. `fingerprint` is a digest of the fields last synced, so an
    unchanged record is recognised without comparing field by field."""

    class Kind(models.TextChoices):
        COURSE = "course", _("Course")
        STUDENT = "student", _("Student")
        TEACHER = "teacher", _("Teacher")
        ENROLLMENT = "enrollment", _("Enrollment (a booking)")
        PARTICIPANT = "participant", _("Enrollment (a participant of a group booking)")

    tenant = models.ForeignKey("site_platform.Tenant", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    immersio_id = models.CharField(_("Immersio id"), max_length=100)
    local_id = models.BigIntegerField(_("local id"))
    label = models.CharField(_("name"), max_length=200, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    source_updated_at = models.DateTimeField(
        _("changed in Immersio"), null=True, blank=True,
        help_text=_("The record's updated_at in Immersio when it was last written here: older news is ignored."))
    mapped = models.BooleanField(
        _("mapped"), default=True,
        help_text=_("Courses: off when an admin unmapped the course; a sync then creates no event type for it."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TenantOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("Immersio link")
        verbose_name_plural = _("Immersio links")
        constraints = [models.UniqueConstraint(fields=["tenant", "kind", "immersio_id"], name="immersio_link_unique")]
        indexes = [models.Index(fields=["tenant", "kind", "local_id"], name="immersio_link_local")]

    def __str__(self):
        return f"{self.kind} {self.immersio_id} → {self.local_id}"


class ImmersioCourseStudent(models.Model):
    """A student of an Immersio course as last synced: the source of the course's
    event type whitelist."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    tenant = models.ForeignKey("site_platform.Tenant", on_delete=models.CASCADE, related_name="+")
    course_id = models.CharField(_("course id"), max_length=100)
    student_id = models.CharField(_("student id"), max_length=100)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(_("email"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    fingerprint = models.CharField(max_length=64)
    source_updated_at = models.DateTimeField(
        _("changed in Immersio"), null=True, blank=True,
        help_text=_("When Immersio last changed this student or enrollment, as last written here."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TenantOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("Immersio course student")
        verbose_name_plural = _("Immersio course students")
        constraints = [models.UniqueConstraint(fields=["tenant", "course_id", "student_id"],
                                               name="immersio_course_student_unique")]


class SsoTokenUse(models.Model):
    """A single sign-on token that was used; a token id is good once."""

    tenant = models.ForeignKey("site_platform.Tenant", on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=200, unique=True)
    used_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    objects = TenantOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = _("used sign-on token")
        verbose_name_plural = _("used sign-on tokens")


class PushOutbox(models.Model):
    """A change to push to Immersio, written in (or right after) the transaction that
    made it. A row stays pending until Immersio has accepted it, so a worker that dies
    mid-push loses nothing: the sweeper sends the row again when its lease runs out."""

    class Kind(models.TextChoices):
        LIVE_CLASS = "live_class", _("Live class")
        ENROLLMENT_CREATE = "enrollment_create", _("Enrollment")
        ENROLLMENT_UPDATE = "enrollment_update", _("Enrollment change")
        PAYMENT = "payment", _("Payment")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not needed")

    tenant = models.ForeignKey("site_platform.Tenant", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    object_key = models.CharField(_("object"), max_length=100, help_text=_("What the push is about, e.g. session:12."))
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    give_up_at = models.DateTimeField(
        _("retried until"), null=True, blank=True,
        help_text=_("Empty: 48 hours after the row was written. “Retry now” starts a new 48 hours."))
    last_error = models.TextField(_("last error"), blank=True)
    response = models.JSONField(_("answer"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = TenantOwnedQuerySet.as_manager()
    tenant_admin_permissions = ("view",)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("Immersio push")
        verbose_name_plural = _("Immersio pushes")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="immersio_outbox_due")]

    def __str__(self):
        return f"{self.kind} {self.object_key} · {self.status}"
