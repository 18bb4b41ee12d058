from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from .common import TenantOwned, TenantOwnedChild

QUESTION_KINDS = ("text", "choice", "yes_no")


def validate_questions(value):
    """Extra booking questions: a list of {label, kind, choices, required}."""
    if not isinstance(value, list):
        raise ValidationError(_("Questions must be a list."), code="questions_invalid")
    for number, question in enumerate(value, start=1):
        if not isinstance(question, dict) or not str(question.get("label", "")).strip():
            raise ValidationError(_("Question %(n)s needs a label."), params={"n": number}, code="questions_invalid")
        kind = question.get("kind", "text")
        if kind not in QUESTION_KINDS:
            raise ValidationError(
                _("Question %(n)s has an unknown kind “%(kind)s” (use text, choice or yes_no)."),
                params={"n": number, "kind": kind}, code="questions_invalid",
            )
        choices = question.get("choices") or []
        if kind == "choice" and (not isinstance(choices, list) or len(choices) < 2):
            raise ValidationError(_("Question %(n)s is a choice and needs at least two choices."),
                                  params={"n": number}, code="questions_invalid")


class EventType(TenantOwned, ClusterableModel):
    """What a tenant sells: one-to-one tutoring, or seats in live classes and workshops."""

    class Kind(models.TextChoices):
        ONE_ON_ONE = "one_on_one", _("One-to-one tutoring")
        LIVE_CLASS = "live_class", _("Live class")
        WORKSHOP = "workshop", _("Workshop")

    class BookedAs(models.TextChoices):
        PER_SESSION = "per_session", _("Per session")
        WHOLE_SERIES = "whole_series", _("Whole series")

    class ParticipantNames(models.TextChoices):
        NOT_ASKED = "not_asked", _("Not asked")
        REQUIRED = "required", _("Required when booking")
        LATER = "later", _("May be given later, until the cut-off")

    class LocationKind(models.TextChoices):
        ONLINE = "online", _("Online (meeting link)")
        IN_PERSON = "in_person", _("In person (address)")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.ONE_ON_ONE)
    title = models.CharField(_("title"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, default=Decimal("0"),
                                validators=[MinValueValidator(Decimal("0"))], help_text=_("0 means free."))
    currency = models.CharField(_("currency"), max_length=3, default="USD",
                                help_text=_("Three-letter ISO code, e.g. USD, VND, EUR."))
    seats_per_session = models.PositiveIntegerField(
        _("seats per session"), default=1, validators=[MinValueValidator(1)],
        help_text=_("Live classes and workshops: how many students a session takes."))
    max_seats_per_booking = models.PositiveIntegerField(
        _("most seats in one booking"), default=1, validators=[MinValueValidator(1)])
    participant_names = models.CharField(
        _("participant names"), max_length=12, choices=ParticipantNames.choices, default=ParticipantNames.NOT_ASKED,
        help_text=_("Group bookings: whether the booker names each participant (name and email)."))
    participant_names_cutoff_hours = models.PositiveIntegerField(
        _("name participants until (hours before start)"), default=24, validators=[MaxValueValidator(8760)],
        help_text=_("With names given later: how many hours before the start the names must be in."))
    booked_as = models.CharField(_("booked as"), max_length=20, choices=BookedAs.choices,
                                 default=BookedAs.PER_SESSION)
    whitelist_enabled = models.BooleanField(_("whitelist only"), default=False)
    refund_window_hours = models.PositiveIntegerField(
        _("refund window (hours)"), default=12,
        help_text=_("Cancelling at least this long before the start refunds in full."))
    late_cancel_refund_percent = models.PositiveSmallIntegerField(
        _("late cancellation refund %"), default=0, validators=[MaxValueValidator(100)])
    location_kind = models.CharField(_("location"), max_length=20, choices=LocationKind.choices,
                                     default=LocationKind.ONLINE)
    address = models.TextField(_("address"), blank=True)
    meeting_url = models.URLField(_("meeting link"), blank=True)
    questions = models.JSONField(_("booking questions"), default=list, blank=True, validators=[validate_questions],
                                 help_text=_('A list like [{"label": "Your level", "kind": "choice", '
                                             '"choices": ["A1", "A2"], "required": true}].'))
    immersio_course_id = models.CharField(_("Immersio course id"), max_length=64, blank=True)
    is_published = models.BooleanField(_("published"), default=False,
                                       help_text=_("Drafts are invisible to students."))
    duration_minutes = models.PositiveIntegerField(_("length (minutes)"), default=60,
                                                   validators=[MinValueValidator(5), MaxValueValidator(24 * 60)])
    slot_interval_minutes = models.PositiveIntegerField(
        _("slot interval (minutes)"), null=True, blank=True, validators=[MinValueValidator(5)],
        help_text=_("One-to-one: how often a slot may start. Empty: every length of the event."))
    buffer_before_minutes = models.PositiveIntegerField(_("buffer before (minutes)"), default=0)
    buffer_after_minutes = models.PositiveIntegerField(_("buffer after (minutes)"), default=0)
    minimum_notice_minutes = models.PositiveIntegerField(
        _("minimum notice (minutes)"), default=120, help_text=_("How long before the start booking closes."))
    booking_horizon_days = models.PositiveIntegerField(
        _("booking horizon (days)"), default=60, validators=[MinValueValidator(1)],
        help_text=_("How far ahead a slot can be booked."))
    daily_limit_per_teacher = models.PositiveIntegerField(
        _("daily limit per teacher"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("One-to-one: the most bookings of this event a teacher takes in one day. Empty: no limit."))
    hold_minutes = models.PositiveIntegerField(
        _("payment hold (minutes)"), default=15, validators=[MinValueValidator(1)],
        help_text=_("How long an unpaid booking keeps its seats."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    tenant_admin_permissions = ("view", "add", "change", "delete")

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("event type")
        verbose_name_plural = _("event types")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="event_type_slug_unique_per_tenant"),
            models.CheckConstraint(condition=models.Q(late_cancel_refund_percent__lte=100),
                                   name="event_type_late_refund_percent_max_100"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_one_on_one(self):
        return self.kind == self.Kind.ONE_ON_ONE

    @property
    def has_sessions(self):
        return self.kind in (self.Kind.LIVE_CLASS, self.Kind.WORKSHOP)

    @property
    def asks_participants(self):
        return self.has_sessions and self.participant_names != self.ParticipantNames.NOT_ASKED

    def participant_names_cutoff(self, start):
        """Until when participants' names may still be given or changed for a session at `start`."""
        return start - timedelta(hours=self.participant_names_cutoff_hours)

    @property
    def is_free(self):
        return self.price == 0

    @property
    def duration(self):
        return timedelta(minutes=self.duration_minutes)

    @property
    def buffer_before(self):
        return timedelta(minutes=self.buffer_before_minutes)

    @property
    def buffer_after(self):
        return timedelta(minutes=self.buffer_after_minutes)

    def clean(self):
        super().clean()
        errors = {}
        self.currency = (self.currency or "").upper()
        if len(self.currency) != 3 or not self.currency.isalpha():
            errors["currency"] = _("Use a three-letter currency code such as USD or VND.")
        if self.location_kind == self.LocationKind.IN_PERSON and not self.address.strip():
            errors["address"] = _("An in-person event needs an address.")
        if self.max_seats_per_booking and self.seats_per_session and self.has_sessions \
                and self.max_seats_per_booking > self.seats_per_session:
            errors["max_seats_per_booking"] = _("A booking cannot take more seats than a session has.")
        if errors:
            raise ValidationError(errors)


class EventHost(TenantOwnedChild):
    """A teacher who hosts an event type (one-to-one: whose availability gives slots)."""

    event_type = ParentalKey(EventType, on_delete=models.CASCADE, related_name="hosts",
                             verbose_name=_("event type"))
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hosted_event_types",
                                verbose_name=_("teacher"))

    parent_field = "event_type"
    tenant_admin_permissions = ("view", "add", "change", "delete")

    class Meta:
        verbose_name = _("host")
        verbose_name_plural = _("hosts")
        constraints = [models.UniqueConstraint(fields=["event_type", "teacher"], name="event_host_unique")]

    def __str__(self):
        return str(self.teacher)
