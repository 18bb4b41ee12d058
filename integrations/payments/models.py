"""Payments: each tenant's Stripe account, prices, payments, refunds, receipts.

Money goes straight to the tenant's connected Stripe account (direct charges).
A `Payment` belongs to one booking and fixes its price (itemised `lines`); each
try at Stripe Checkout is an `attempt` with its own idempotency key. A `Refund`
carries the idempotency key Stripe sees, unique here, so one purpose (a
cancellation, a late payment, a duplicate charge) refunds at most once.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from booking.models.common import TenantOwned, TenantOwnedChild
from site_platform.fields import EncryptedTextField

ZERO_DECIMAL_CURRENCIES = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND",
                           "VUV", "XAF", "XOF", "XPF"}


def to_minor_units(amount, currency):
    """Stripe's integer amount: cents for USD, whole dong for VND."""
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return int(Decimal(amount).quantize(Decimal("1")))
    return int((Decimal(amount) * 100).quantize(Decimal("1")))


def from_minor_units(value, currency):
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return Decimal(value).quantize(Decimal("0.01"))
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


class StripeAccount(TenantOwned):
    """The tenant's Stripe account. Connected by Stripe Connect OAuth (standard
    accounts; charges made with the platform key on the account's behalf) or, when
    the platform allows it, by the account's own secret key."""

    class Mode(models.TextChoices):
        OAUTH = "oauth", _("Connected with Stripe")
        KEYS = "keys", _("Account keys")

    class Status(models.TextChoices):
        CONNECTED = "connected", _("Connected")
        DISCONNECTED = "disconnected", _("Disconnected")

    tenant = models.OneToOneField("site_platform.Tenant", on_delete=models.CASCADE, related_name="stripe_account",
                                  verbose_name=_("tenant"))
    account_id = models.CharField(_("Stripe account id"), max_length=64, db_index=True)
    mode = models.CharField(_("connected by"), max_length=10, choices=Mode.choices, default=Mode.OAUTH)
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.CONNECTED)
    display_name = models.CharField(_("account name"), max_length=200, blank=True)
    access_token = EncryptedTextField(_("access token"), blank=True)
    refresh_token = EncryptedTextField(_("refresh token"), blank=True)
    secret_key = EncryptedTextField(_("secret key"), blank=True)
    publishable_key = models.CharField(_("publishable key"), max_length=255, blank=True)
    webhook_secret = EncryptedTextField(_("webhook signing secret"), blank=True,
                                        help_text=_("Account keys only: the secret of this account's own "
                                                    "webhook endpoint."))
    livemode = models.BooleanField(_("live mode"), default=False)
    connected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("connected by"))
    connected_at = models.DateTimeField(_("connected at"), null=True, blank=True)
    disconnected_at = models.DateTimeField(_("disconnected at"), null=True, blank=True)

    tenant_admin_permissions = ("view",)

    class Meta:
        verbose_name = _("Stripe account")
        verbose_name_plural = _("Stripe accounts")

    def __str__(self):
        return f"{self.tenant} · {self.account_id} · {self.get_status_display()}"

    @property
    def is_connected(self):
        return self.status == self.Status.CONNECTED


class TenantBillingProfile(TenantOwned):
    """What receipts say about the school: legal name, address, tax number, and
    the running receipt number."""

    tenant = models.OneToOneField("site_platform.Tenant", on_delete=models.CASCADE, related_name="billing_profile",
                                  verbose_name=_("tenant"))
    legal_name = models.CharField(_("legal name"), max_length=200)
    address = models.TextField(_("address"))
    tax_id = models.CharField(_("tax number"), max_length=60, blank=True)
    email = models.EmailField(_("billing email"), blank=True)
    receipt_prefix = models.CharField(_("receipt number prefix"), max_length=12, default="R",
                                      help_text=_("Receipts are numbered PREFIX-000001, PREFIX-000002, …"))
    next_receipt_number = models.PositiveIntegerField(_("next receipt number"), default=1)

    tenant_admin_permissions = ("view", "add", "change")

    class Meta:
        verbose_name = _("billing profile")
        verbose_name_plural = _("billing profiles")

    def __str__(self):
        return self.legal_name


class PriceGroup(TenantOwned, ClusterableModel):
    """A tenant-defined group of students (e.g. "resident students") who pay a
    different price. Members are listed by email."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)

    tenant_admin_permissions = ("view", "add", "change", "delete")

    class Meta:
        ordering = ["name"]
        verbose_name = _("price group")
        verbose_name_plural = _("price groups")
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="price_group_name_unique")]

    def __str__(self):
        return self.name


class PriceGroupMember(TenantOwnedChild):
    group = ParentalKey(PriceGroup, on_delete=models.CASCADE, related_name="members", verbose_name=_("group"))
    email = models.EmailField(_("email"))

    parent_field = "group"
    tenant_admin_permissions = ("view", "add", "change", "delete")

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        constraints = [models.UniqueConstraint(models.F("group"), Lower("email"), name="price_group_member_unique")]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)


class GroupPrice(TenantOwnedChild):
    """What members of a group pay per seat, for one event type or all (0: free)."""

    group = ParentalKey(PriceGroup, on_delete=models.CASCADE, related_name="prices", verbose_name=_("group"))
    event_type = models.ForeignKey("booking.EventType", on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="+", verbose_name=_("event type"),
                                   help_text=_("Empty: every event type."))
    price = models.DecimalField(_("price per seat"), max_digits=10, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0"))])

    parent_field = "group"
    tenant_admin_permissions = ("view", "add", "change", "delete")

    class Meta:
        verbose_name = _("group price")
        verbose_name_plural = _("group prices")

    def __str__(self):
        return f"{self.group} · {self.event_type or _('all')} · {self.price}"


class GroupDiscount(TenantOwned):
    """A discount for booking many seats at once: `percent` off from `min_seats`."""

    event_type = models.ForeignKey("booking.EventType", on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="+", verbose_name=_("event type"),
                                   help_text=_("Empty: every event type."))
    min_seats = models.PositiveIntegerField(_("from seats"), validators=[MinValueValidator(2)])
    percent = models.DecimalField(_("discount %"), max_digits=5, decimal_places=2,
                                  validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))])

    tenant_admin_permissions = ("view", "add", "change", "delete")

    class Meta:
        ordering = ["min_seats"]
        verbose_name = _("group discount")
        verbose_name_plural = _("group discounts")

    def __str__(self):
        return _("%(percent)s%% off from %(seats)s seats") % {"percent": self.percent, "seats": self.min_seats}


class Coupon(TenantOwned):
    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percent off")
        FIXED = "fixed", _("Fixed amount off")

    code = models.CharField(_("code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERCENT)
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0.01"))],
                                help_text=_("Percent (e.g. 10) or an amount in the event type's currency."))
    event_type = models.ForeignKey("booking.EventType", on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="+", verbose_name=_("event type"),
                                   help_text=_("Empty: every event type."))
    max_uses = models.PositiveIntegerField(_("usage limit"), null=True, blank=True,
                                           help_text=_("Empty: unlimited."))
    times_used = models.PositiveIntegerField(_("times used"), default=0, editable=False)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    tenant_admin_permissions = ("view", "add", "change", "delete")

    class Meta:
        ordering = ["code"]
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        constraints = [
            models.UniqueConstraint("tenant", Lower("code"), name="coupon_code_unique_ci"),
            models.CheckConstraint(condition=models.Q(max_uses__isnull=True) | models.Q(times_used__lte=models.F("max_uses")),
                                   name="coupon_uses_within_limit"),
        ]

    def __str__(self):
        return self.code

    def save(self, *args, **kwargs):
        self.code = (self.code or "").strip().upper()
        super().save(*args, **kwargs)


class Payment(TenantOwned):
    """The money side of one booking: its price fixed at booking time, the Checkout
    attempts, what Stripe took, what was refunded, the receipt."""

    class Status(models.TextChoices):
        AWAITING = "awaiting", _("Awaiting payment")
        OPEN = "open", _("In checkout")
        FAILED = "failed", _("Payment failed")
        EXPIRED = "expired", _("Checkout expired")
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partly refunded")

    UNPAID = (Status.AWAITING, Status.OPEN, Status.FAILED, Status.EXPIRED)
    SETTLED = (Status.PAID, Status.REFUNDED, Status.PARTIALLY_REFUNDED)

    booking = models.OneToOneField("booking.Booking", on_delete=models.PROTECT, related_name="payment",
                                   verbose_name=_("booking"))
    event_type = models.ForeignKey("booking.EventType", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("event type"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.AWAITING,
                              db_index=True)
    currency = models.CharField(_("currency"), max_length=3)
    lines = models.JSONField(_("price lines"), default=list, help_text=_("[{label, amount}] as shown to the student."))
    subtotal = models.DecimalField(_("subtotal"), max_digits=10, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    application_fee = models.DecimalField(_("platform fee"), max_digits=10, decimal_places=2, default=Decimal("0"))
    amount_refunded = models.DecimalField(_("refunded"), max_digits=10, decimal_places=2, default=Decimal("0"))
    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, null=True, blank=True, related_name="payments",
                               verbose_name=_("coupon"))
    price_group = models.ForeignKey(PriceGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("price group"))
    stripe_account_id = models.CharField(_("Stripe account"), max_length=64, blank=True)
    attempt = models.PositiveIntegerField(_("checkout attempts"), default=0)
    checkout_session_id = models.CharField(_("Checkout Session"), max_length=120, blank=True, db_index=True)
    checkout_url = models.URLField(_("Checkout URL"), max_length=1000, blank=True)
    payment_intent_id = models.CharField(_("PaymentIntent"), max_length=120, blank=True, db_index=True)
    failure_message = models.CharField(_("failure"), max_length=300, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    disputed = models.BooleanField(_("disputed"), default=False)
    receipt_number = models.CharField(_("receipt number"), max_length=30, blank=True)
    receipt_sent_at = models.DateTimeField(_("receipt sent"), null=True, blank=True)
    late_payment_notified_at = models.DateTimeField(_("late payment notice sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    tenant_admin_permissions = ("view",)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "receipt_number"], condition=~models.Q(receipt_number=""),
                                    name="payment_receipt_number_unique"),
        ]

    def __str__(self):
        return f"{self.booking.uid} · {self.amount} {self.currency} · {self.get_status_display()}"

    @property
    def is_paid(self):
        return self.status in self.SETTLED

    def amount_minor(self):
        return to_minor_units(self.amount, self.currency)

    def checkout_idempotency_key(self):
        return f"checkout:{self.booking.uid}:{self.attempt}"


class CouponRedemption(TenantOwned):
    """One use of a coupon, by one payment. Given back if the booking is never paid."""

    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="redemptions",
                               verbose_name=_("coupon"))
    payment = models.OneToOneField(Payment, on_delete=models.CASCADE, related_name="coupon_redemption",
                                   verbose_name=_("payment"))
    discount = models.DecimalField(_("discount"), max_digits=10, decimal_places=2)
    released_at = models.DateTimeField(_("given back"), null=True, blank=True)
    created_at = models.DateTimeField(_("used at"), auto_now_add=True)

    tenant_admin_permissions = ("view",)

    class Meta:
        verbose_name = _("coupon use")
        verbose_name_plural = _("coupon uses")


class Refund(TenantOwned):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PENDING = "pending", _("Pending at Stripe")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed (will retry)")
        GAVE_UP = "gave_up", _("Failed (needs attention)")

    class Purpose(models.TextChoices):
        CANCELLATION = "cancellation", _("Booking cancelled")
        LATE_PAYMENT = "late_payment", _("Paid after the hold expired")
        DUPLICATE = "duplicate", _("Paid twice")
        EXTERNAL = "external", _("Refunded at Stripe")

    OPEN = (Status.REQUESTED, Status.FAILED)

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment"))
    purpose = models.CharField(_("reason"), max_length=20, choices=Purpose.choices)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    payment_intent_id = models.CharField(_("PaymentIntent"), max_length=120)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED,
                              db_index=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    stripe_refund_id = models.CharField(_("Stripe refund"), max_length=120, blank=True, db_index=True)
    key_generation = models.PositiveIntegerField(
        _("key generation"), default=0,
        help_text=_("Grows when Stripe refused a try: the next try goes under a new key."))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    notified_at = models.DateTimeField(_("student told"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    tenant_admin_permissions = ("view",)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")

    def __str__(self):
        return f"{self.amount} {self.currency} · {self.get_status_display()}"

    def amount_minor(self):
        return to_minor_units(self.amount, self.currency)


class WebhookEvent(models.Model):
    """Each Stripe event id, stored once. `processed_at` is set when acting on it
    finished; a redelivery of a processed event changes nothing."""

    event_id = models.CharField(_("event id"), max_length=120, unique=True)
    type = models.CharField(_("type"), max_length=80)
    account_id = models.CharField(_("account"), max_length=64, blank=True)
    tenant = models.ForeignKey("site_platform.Tenant", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("tenant"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")

    def __str__(self):
        return f"{self.event_id} {self.type}"
