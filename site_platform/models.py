from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractUser):
    """A global account: one email, one login, any number of tenants."""

    username = None
    email = models.EmailField(_("email address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)


class Plan(models.Model):
    """A subscription plan. Limits of None mean unlimited."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    max_teachers = models.PositiveIntegerField(_("teachers"), null=True, blank=True)
    max_bookings_per_month = models.PositiveIntegerField(_("bookings per month"), null=True, blank=True)
    max_published_event_types = models.PositiveIntegerField(_("published event types"), null=True, blank=True)
    platform_fee_percent = models.DecimalField(_("platform fee %"), max_digits=5, decimal_places=2, default=0)
    features = models.JSONField(_("features"), default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self):
        return self.name


class TenantQuerySet(models.QuerySet):
    def administered_by(self, user):
        """Tenants `user` is an active admin of; only the current one when the admin's
        school switcher picked one (`admin_scoping.CurrentTenantMiddleware`)."""
        if user.is_superuser:
            return self
        tenants = self.filter(memberships__user=user, memberships__role=Membership.Role.ADMIN,
                              memberships__is_active=True)
        current = getattr(user, "_current_tenant_id", None)
        if current is not None and Membership.objects.filter(user=user, tenant_id=current, is_active=True).exists():
            tenants = tenants.filter(pk=current)
        return tenants


class Tenant(models.Model):
    """A school or a solo teacher: one Wagtail Site, one page tree, one collection."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(_("name"), max_length=120)
    subdomain = models.CharField(_("subdomain"), max_length=63, unique=True)
    custom_domain = models.CharField(_("custom domain"), max_length=253, unique=True, null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="tenants")
    template = models.CharField(_("template"), max_length=40)
    root_page = models.OneToOneField("wagtailcore.Page", on_delete=models.PROTECT, related_name="tenant")
    collection = models.OneToOneField("wagtailcore.Collection", on_delete=models.PROTECT, related_name="tenant")
    admin_group = models.OneToOneField("auth.Group", on_delete=models.PROTECT, related_name="admin_of_tenant")
    teacher_group = models.OneToOneField(
        "auth.Group", on_delete=models.PROTECT, related_name="teacher_of_tenant", null=True, blank=True
    )
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self):
        return self.name

    @property
    def hostname(self):
        return f"{self.subdomain}.{settings.PLATFORM_DOMAIN}"

    @property
    def is_serving(self):
        return self.status == self.Status.ACTIVE

    @property
    def root_url(self):
        port = settings.PLATFORM_PORT
        suffix = "" if port in (80, 443) else f":{port}"
        return f"{settings.PLATFORM_SCHEME}://{self.hostname}{suffix}"


class TenantOwnedQuerySet(models.QuerySet):
    def for_tenant(self, tenant):
        return self.filter(tenant=tenant)


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Admin")
        TEACHER = "teacher", _("Teacher")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)
    # The teacher's public profile in this tenant (landing page teacher block, event type pages).
    display_name = models.CharField(_("display name"), max_length=120, blank=True,
                                    help_text=_("Shown to students; empty uses the account's name."))
    photo = models.ForeignKey("wagtailimages.Image", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("photo"))
    bio = models.TextField(_("bio"), max_length=2000, blank=True)
    languages = models.CharField(_("languages taught"), max_length=200, blank=True,
                                 help_text=_("For example: English, Vietnamese"))
    levels = models.CharField(_("levels"), max_length=200, blank=True,
                              help_text=_("For example: A1–B2, IELTS"))
    deactivated_at = models.DateTimeField(_("deactivated"), null=True, blank=True, editable=False)
    # The teacher's email preferences in this tenant (`teacher_models.teacher_wants` reads them).
    notify_new_booking = models.BooleanField(_("each new booking"), default=True)
    notify_cancellation = models.BooleanField(_("each cancellation"), default=True)
    notify_reschedule = models.BooleanField(_("each moved booking"), default=True)
    notify_waitlist = models.BooleanField(_("waitlist activity"), default=True,
                                          help_text=_("When a freed seat is offered to someone on a waitlist."))
    daily_agenda = models.BooleanField(_("daily agenda"), default=False,
                                       help_text=_("One email each evening with tomorrow's sessions and lessons."))

    objects = TenantOwnedQuerySet.as_manager()
    tenant_admin_permissions = ("view", "change", "delete")

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_per_tenant")]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.tenant}"

    def clean(self):
        """Unticking `is_active` on a form would leave a teacher's future sessions and
        bookings without a teacher: that goes through the deactivation screen instead."""
        super().clean()
        if not self.pk or self.is_active:
            return
        was_active = type(self).objects.filter(pk=self.pk, is_active=True).exists()
        if was_active and self.role in (self.Role.TEACHER, self.Role.ADMIN) and self.has_future_work():
            from django.core.exceptions import ValidationError

            raise ValidationError({"is_active": _(
                "This teacher still has future sessions or bookings. Use Teachers → Deactivate to reassign "
                "or cancel them.")})

    def has_future_work(self):
        from django.apps import apps
        from django.utils import timezone

        now = timezone.now()
        Session, Booking = apps.get_model("booking", "Session"), apps.get_model("booking", "Booking")
        return (Session.objects.filter(tenant_id=self.tenant_id, teacher_id=self.user_id, status="scheduled",
                                       end__gt=now).exists()
                or Booking.objects.filter(tenant_id=self.tenant_id, teacher_id=self.user_id, session__isnull=True,
                                          status__in=Booking.ACTIVE, end__gt=now).exists())

    @property
    def public_name(self):
        return self.display_name or self.user.get_full_name() or self.user.email.split("@")[0]

    def language_list(self):
        return [part.strip() for part in self.languages.split(",") if part.strip()]

    def level_list(self):
        return [part.strip() for part in self.levels.split(",") if part.strip()]


class AuditEntry(models.Model):
    """What happened, who did it, to what. Written by services, never edited."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target = models.CharField(_("target"), max_length=200, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = TenantOwnedQuerySet.as_manager()
    tenant_admin_permissions = ("view",)
    # Audit entries refer to nothing Wagtail needs to track: skip its reference index.
    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self):
        return f"{self.action} {self.target}"


class MonthlyUsage(models.Model):
    """Bookings a tenant took in one calendar month (UTC), counted in the transaction
    that creates each booking (`site_platform.usage.count_booking`), so it never drifts."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="monthly_usage")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    bookings = models.PositiveIntegerField(_("bookings"), default=0)

    objects = TenantOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-month"]
        verbose_name = _("monthly usage")
        verbose_name_plural = _("monthly usage")
        constraints = [models.UniqueConstraint(fields=["tenant", "month"], name="monthly_usage_unique")]

    def __str__(self):
        return f"{self.tenant} · {self.month:%Y-%m} · {self.bookings}"


class UsageNotice(models.Model):
    """The email telling a tenant's admins that a monthly limit is 80% or 100% used:
    one row per tenant, month and threshold, so each is sent once."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="usage_notices")
    month = models.DateField(_("month"))
    threshold = models.PositiveSmallIntegerField(_("threshold %"))
    limit = models.PositiveIntegerField(_("limit"))
    created_at = models.DateTimeField(_("reached"), auto_now_add=True)
    sent_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    objects = TenantOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("usage notice")
        verbose_name_plural = _("usage notices")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "month", "threshold"], name="usage_notice_once_per_threshold"),
        ]

    def __str__(self):
        return f"{self.tenant} · {self.month:%Y-%m} · {self.threshold}%"


class InvitationQuerySet(TenantOwnedQuerySet):
    def pending(self, now=None):
        from django.utils import timezone

        now = now or timezone.now()
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class Invitation(models.Model):
    """An email invitation to join a tenant as an admin or a teacher.

    Only a SHA-256 hash of the token is stored; the token itself exists in the
    email link alone. Single use: accepting sets `accepted_at`, and a resend
    replaces the hash, so an older link stops working at once.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("tenant"))
    email = models.EmailField(_("email"))
    name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=10, choices=Membership.Role.choices,
                            default=Membership.Role.TEACHER)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("invited by"))
    created_at = models.DateTimeField(_("invited"), auto_now_add=True)
    sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("accepted by"))

    objects = InvitationQuerySet.as_manager()
    tenant_admin_permissions = ("view", "add")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["tenant", "email"], name="invitation_tenant_email")]

    def __str__(self):
        return f"{self.email} · {self.get_role_display()} · {self.tenant}"

    def state(self, now=None):
        from django.utils import timezone

        if self.accepted_at:
            return self.State.ACCEPTED
        if self.revoked_at:
            return self.State.REVOKED
        if self.expires_at <= (now or timezone.now()):
            return self.State.EXPIRED
        return self.State.PENDING

    def get_state_display(self):
        return self.State(self.state()).label

    @property
    def is_pending(self):
        return self.state() == self.State.PENDING


from .teacher_models import TeacherMessage, TeacherMessageDelivery, TeacherNotice  # noqa: E402,F401  (models of this app)
