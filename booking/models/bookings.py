"""Bookings, the seats they hold, whitelists and waitlists.

Seats are counted on `Session.seats_taken`; a booking of a class or workshop holds
them through its `BookingSeat` rows (one per session: one row for a per-session
booking, one per future session for a whole-series booking). A one-to-one booking
holds the teacher's time (`teacher`, `start`, `end`, no session); on PostgreSQL an
exclusion constraint (migration 0003) keeps two active ones from overlapping.
"""

import hmac
import secrets
import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .common import TenantOwned

# Name of the PostgreSQL exclusion constraint created in migration 0003.
TEACHER_TIME_CONSTRAINT = "booking_teacher_time_no_overlap"


def new_manage_token():
    return secrets.token_urlsafe(32)


class Booking(TenantOwned):
    """A student's booking: seats in a session (or every future session of a series),
    or a one-to-one slot with a teacher."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Waiting for payment")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        NO_SHOW = "no_show", _("No-show")

    class Source(models.TextChoices):
        DIRECT = "direct", _("Website")
        API = "api", _("API")
        IMMERSIO = "immersio", _("Immersio")
        ADMIN = "admin", _("Admin")
        WAITLIST = "waitlist", _("Waitlist")

    class Role(models.TextChoices):
        STUDENT = "student", _("Student")
        TEACHER = "teacher", _("Teacher")
        ADMIN = "admin", _("Admin")
        SYSTEM = "system", _("System")

    # Statuses in which a booking holds its seats or the teacher's time.
    HOLDING = (Status.PENDING_PAYMENT, Status.CONFIRMED, Status.NO_SHOW)
    # Statuses a student may still cancel or reschedule from.
    ACTIVE = (Status.PENDING_PAYMENT, Status.CONFIRMED)

    uid = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
    event_type = models.ForeignKey("booking.EventType", on_delete=models.PROTECT, related_name="bookings",
                                   verbose_name=_("event type"))
    session = models.ForeignKey("booking.Session", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="bookings", verbose_name=_("session"),
                                help_text=_("Classes and workshops: the (first) session booked."))
    series = models.ForeignKey("booking.SessionSeries", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="bookings", verbose_name=_("series"),
                               help_text=_("Whole-series bookings: the series booked."))
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="teaching_bookings",
                                verbose_name=_("teacher"))
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    seats = models.PositiveIntegerField(_("seats"), default=1)
    seats_given_back = models.PositiveIntegerField(
        _("seats given back"), default=0, editable=False,
        help_text=_("Group bookings: seats freed one by one (a participant gave up or was removed). "
                    "Seats paid for = seats + seats given back."))
    group_parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="extra_seat_bookings",
        verbose_name=_("extra seats for"),
        help_text=_("Seats added to a paid group booking are a booking of their own, paid on their own."))
    attendee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings",
                                 verbose_name=_("attendee"))
    attendee_email = models.EmailField(_("attendee email"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.CONFIRMED,
                              db_index=True)
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    hold_expires_at = models.DateTimeField(_("hold expires"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.DIRECT)
    manage_token = models.CharField(_("manage token"), max_length=64, default=new_manage_token, editable=False)
    sequence = models.PositiveIntegerField(
        _("revision"), default=0, editable=False,
        help_text=_("Grows on each reschedule or cancellation (ICS SEQUENCE)."))
    reschedule_count = models.PositiveIntegerField(_("times rescheduled"), default=0, editable=False)
    cancellation_reason = models.TextField(_("cancellation reason"), blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("cancelled by"))
    cancelled_by_role = models.CharField(_("cancelled by (role)"), max_length=10, choices=Role.choices, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    refund_due = models.DecimalField(_("refund due"), max_digits=10, decimal_places=2, null=True, blank=True,
                                     help_text=_("Set when cancelled: what the policy refunds."))
    needs_refund = models.BooleanField(
        _("needs refund"), default=False,
        help_text=_("A payment arrived for a booking that could no longer be honoured."))
    payment_reference = models.CharField(_("payment reference"), max_length=120, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Admin screens would otherwise index every row's foreign keys on save, on the booking hot path.
    wagtail_reference_index_ignore = True
    tenant_admin_permissions = ("view", "change")

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        indexes = [
            models.Index(fields=["tenant", "status", "start"], name="booking_tenant_status_start"),
            models.Index(fields=["teacher", "start"], name="booking_teacher_start"),
            models.Index(fields=["attendee", "start"], name="booking_attendee_start"),
            models.Index(fields=["status", "hold_expires_at"], name="booking_status_hold"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(seats__gte=1), name="booking_seats_positive"),
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="booking_end_after_start"),
        ]

    def __str__(self):
        return f"{self.event_type} · {self.attendee_email} · {self.start:%Y-%m-%d %H:%M} UTC"

    @property
    def is_one_on_one(self):
        return self.session_id is None

    @property
    def is_active(self):
        return self.status in self.ACTIVE

    def token_matches(self, token):
        """Constant-time comparison of a manage link's token."""
        return bool(token) and hmac.compare_digest(str(token).encode(), self.manage_token.encode())

    def manage_path(self):
        return f"/bookings/{self.uid}/manage/?token={self.manage_token}"

    def manage_url(self):
        return self.tenant.root_url + self.manage_path()

    def join_url(self, session=None):
        """The meeting link a student joins by: the session's own link, else the event
        type's (`services.teachers.meeting_url_for`); for `session` (one session of a
        whole-series booking) that session's. One-to-one bookings: the event type's."""
        from ..services.teachers import meeting_url_for

        session = session if session is not None else (self.session if self.session_id else None)
        if session is not None:
            if "event_type" not in session._state.fields_cache and session.event_type_id == self.event_type_id:
                session.event_type = self.event_type  # the booking's, already loaded
            return meeting_url_for(session)
        return self.event_type.meeting_url

    @property
    def seats_paid_for(self):
        return self.seats + self.seats_given_back

    @property
    def group(self):
        """The booking that heads this one's group (itself unless it holds extra seats)."""
        return self.group_parent if self.group_parent_id else self

    def can_cancel(self, now):
        """A student may cancel or reschedule an active booking until it starts."""
        return self.status in self.ACTIVE and now < self.start

    can_reschedule = can_cancel

    def refund_amount(self, now, *, by_role=Role.STUDENT):
        """What cancelling now refunds: nothing unpaid; in full when a teacher or admin
        cancels or the student cancels at least the refund window before the start;
        otherwise the event type's late-cancel percentage."""
        if self.status != self.Status.CONFIRMED or not self.amount:
            return Decimal("0.00")
        if by_role in (self.Role.TEACHER, self.Role.ADMIN, self.Role.SYSTEM):
            return self.amount
        if self.start - now >= timedelta(hours=self.event_type.refund_window_hours):
            return self.amount
        percent = Decimal(self.event_type.late_cancel_refund_percent)
        return (self.amount * percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class BookingSeat(TenantOwned):
    """Seats a booking holds in one session. The session's `seats_taken` counts them
    while the booking is in a holding status."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="seat_rows",
                                verbose_name=_("booking"))
    session = models.ForeignKey("booking.Session", on_delete=models.PROTECT, related_name="booking_seats",
                                verbose_name=_("session"))
    seats = models.PositiveIntegerField(_("seats"))

    wagtail_reference_index_ignore = True
    tenant_admin_permissions = ("view",)

    class Meta:
        verbose_name = _("booked seat")
        verbose_name_plural = _("booked seats")
        constraints = [models.UniqueConstraint(fields=["booking", "session"], name="booking_seat_unique")]

    def __str__(self):
        return f"{self.booking_id} · {self.session_id} · {self.seats}"


class WhitelistEntry(TenantOwned):
    """An email allowed to book a whitelisted event type (compared case-insensitively)."""

    event_type = models.ForeignKey("booking.EventType", on_delete=models.CASCADE, related_name="whitelist",
                                   verbose_name=_("event type"))
    email = models.EmailField(_("email"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("added by"))
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    wagtail_reference_index_ignore = True
    tenant_admin_permissions = ("view", "add", "change", "delete")

    class Meta:
        ordering = ["email"]
        verbose_name = _("whitelist entry")
        verbose_name_plural = _("whitelist")
        constraints = [
            models.UniqueConstraint(models.F("event_type"), Lower("email"), name="whitelist_email_unique_ci"),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        if self.event_type_id and not self.tenant_id:
            self.tenant_id = self.event_type.tenant_id
        super().save(*args, **kwargs)


def new_offer_token():
    return secrets.token_urlsafe(24)


class WaitlistEntry(TenantOwned):
    """A student waiting for a seat in a full session. An offer holds one seat for the
    student (counted in `seats_taken`) until it is claimed or expires."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered")
        CLAIMED = "claimed", _("Claimed")
        EXPIRED = "expired", _("Offer expired")
        LEFT = "left", _("Left the waitlist")

    OPEN = (Status.WAITING, Status.OFFERED)

    session = models.ForeignKey("booking.Session", on_delete=models.CASCADE, related_name="waitlist",
                                verbose_name=_("session"))
    # A whole-series course: the line is for the series (`session` is its first future session
    # when joining); an offer holds a seat in every future session (WaitlistSeat rows).
    series = models.ForeignKey("booking.SessionSeries", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="waitlist", verbose_name=_("course run"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries",
                             verbose_name=_("student"))
    email = models.EmailField(_("email"))
    seats = models.PositiveIntegerField(_("seats"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires"), null=True, blank=True)
    offer_token = models.CharField(_("offer token"), max_length=64, blank=True, editable=False)
    booking = models.ForeignKey(Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("booking"))
    created_at = models.DateTimeField(_("joined"), auto_now_add=True)

    wagtail_reference_index_ignore = True
    tenant_admin_permissions = ("view", "change", "delete")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist")
        indexes = [models.Index(fields=["status", "offer_expires_at"], name="waitlist_status_expiry")]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], condition=models.Q(status__in=["waiting", "offered"]),
                                    name="waitlist_one_open_entry_per_user"),
        ]

    def __str__(self):
        return f"{self.email} · {self.session_id} · {self.status}"

    def token_matches(self, token):
        return bool(token and self.offer_token) and hmac.compare_digest(str(token).encode(),
                                                                         self.offer_token.encode())

    def claim_path(self):
        return f"/waitlist/{self.pk}/claim/?token={self.offer_token}"

    def claim_url(self):
        return self.tenant.root_url + self.claim_path()


class WaitlistSeat(TenantOwned):
    """The seats an offer of a whole-series waitlist holds in one session of the series
    (counted in its `seats_taken` while the entry is `offered`). Per-session offers hold
    their seats in `WaitlistEntry.session` and have no rows here."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="held_seats",
                              verbose_name=_("waitlist entry"))
    session = models.ForeignKey("booking.Session", on_delete=models.CASCADE, related_name="waitlist_seats",
                                verbose_name=_("session"))
    seats = models.PositiveIntegerField(_("seats"))

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("seat held by a waitlist offer")
        verbose_name_plural = _("seats held by waitlist offers")
        constraints = [models.UniqueConstraint(fields=["entry", "session"], name="waitlist_seat_unique")]

    def __str__(self):
        return f"{self.entry_id} · {self.session_id} · {self.seats}"
