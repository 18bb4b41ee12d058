"""Invitations: a tenant admin brings a teacher or another admin in by email.

The token lives only in the emailed link; the database keeps its SHA-256 hash,
looked up by index and then compared in constant time. An invitation is single
use, expires after `INVITATION_DAYS`, and a resend replaces the token (the older
link is dead at once). Accepting creates the membership through `add_member`,
so the plan's teacher limit is checked there too.

The email is sent after commit from the web process, not from a Celery task:
a task argument would put the token in the broker.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import audit, usage
from ..errors import PlatformError
from ..models import Invitation, Membership, Tenant
from .tenants import add_member

INVITATION_DAYS = 7


class InvitationError(PlatformError):
    messages = {
        **PlatformError.messages,
        "invalid": gettext_lazy("This invitation link is not valid. It may have been replaced by a newer "
                                "invitation; ask the school for a new one."),
        "expired": gettext_lazy("This invitation expired on %(date)s. Ask the school to send it again."),
        "used": gettext_lazy("This invitation was already accepted. Sign in to reach the school."),
        "revoked": gettext_lazy("This invitation was withdrawn by the school."),
        "already_member": gettext_lazy("%(email)s is already an active member of %(school)s."),
        "already_invited": gettext_lazy("%(email)s already has a pending invitation; resend it instead."),
        "role_invalid": gettext_lazy("Choose the role admin or teacher."),
        "wrong_account": gettext_lazy("This invitation is for %(email)s; you are signed in as %(current)s."),
        "account_exists": gettext_lazy("An account with %(email)s already exists: sign in to accept."),
        "not_pending": gettext_lazy("This invitation is no longer pending."),
    }


def hash_token(token):
    return hashlib.sha256(str(token).encode()).hexdigest()


def new_token():
    return secrets.token_urlsafe(32)


def invitation_url(token):
    """The link in the email, on the platform host."""
    path = reverse("team_invitation", args=[token], urlconf=settings.ROOT_URLCONF)
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def find(token):
    """The invitation whose token this is, or None. Does not look at its state."""
    if not token or len(token) > 128:
        return None
    digest = hash_token(token)
    invitation = Invitation.objects.select_related("tenant", "tenant__plan").filter(token_hash=digest).first()
    if invitation is None or not hmac.compare_digest(invitation.token_hash, digest):
        return None
    return invitation


def check_usable(invitation, now=None):
    """Raise InvitationError unless the invitation may be accepted now."""
    if invitation is None:
        raise InvitationError("invalid")
    state = invitation.state(now)
    if state == Invitation.State.ACCEPTED:
        raise InvitationError("used")
    if state == Invitation.State.REVOKED:
        raise InvitationError("revoked")
    if state == Invitation.State.EXPIRED:
        raise InvitationError("expired", date=timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M"))


def _check_teacher_room(tenant, email, *, exclude_pk=None):
    """One more teacher (this invitation) must fit the plan, counting active teachers
    and other pending teacher invitations. Raises usage.PlanLimitError naming the limit."""
    user = get_user_model().objects.filter(email__iexact=email).first()
    usage.check_teacher_limit(tenant, user)
    plan = tenant.plan if tenant.plan_id else None
    if plan is None or plan.max_teachers is None:
        return
    pending = Invitation.objects.for_tenant(tenant).pending().filter(role=Membership.Role.TEACHER).exclude(
        email__iexact=email)
    if exclude_pk:
        pending = pending.exclude(pk=exclude_pk)
    if usage.active_teacher_count(tenant, exclude_user=user) + pending.count() >= plan.max_teachers:
        raise usage.PlanLimitError("teachers", plan=plan.name, limit=plan.max_teachers)


def _send(invitation, token):
    tenant = invitation.tenant
    context = {
        "invitation": invitation, "tenant": tenant, "url": invitation_url(token),
        "inviter": invitation.invited_by, "role": invitation.get_role_display(),
        "expires_at": invitation.expires_at, "platform_name": settings.PLATFORM_NAME, "site_url": tenant.root_url,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("You are invited to join %(school)s on %(platform)s") % {
            "school": tenant.name, "platform": settings.PLATFORM_NAME}
        send_mail(subject, render_to_string("emails/invitation.txt", context), settings.DEFAULT_FROM_EMAIL,
                  [invitation.email], html_message=render_to_string("emails/invitation.html", context))


def _send_after_commit(invitation, token):
    transaction.on_commit(lambda: _send(invitation, token))


def invite(tenant, email, name, role, actor):
    """Invite `email` to `tenant` with `role`. Returns the invitation.

    Refused (InvitationError) for an invalid address or an active member, or one
    already invited; refused (usage.PlanLimitError) when a teacher would pass the
    plan's teacher limit."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvitationError("email_invalid", email=email) from None
    if role not in Membership.Role.values:
        raise InvitationError("role_invalid")
    if Membership.objects.filter(tenant=tenant, user__email__iexact=email, is_active=True).exists():
        raise InvitationError("already_member", email=email, school=tenant.name)
    with transaction.atomic():
        if Invitation.objects.for_tenant(tenant).pending().filter(email__iexact=email).exists():
            raise InvitationError("already_invited", email=email)
        if role == Membership.Role.TEACHER:
            _check_teacher_room(tenant, email)
        token = new_token()
        now = timezone.now()
        invitation = Invitation.objects.create(
            tenant=tenant, email=email, name=(name or "").strip(), role=role, token_hash=hash_token(token),
            invited_by=actor if getattr(actor, "is_authenticated", False) else None,
            sent_at=now, expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        audit.record("invitation.created", tenant=tenant, actor=actor, target=f"invitation:{invitation.pk}",
                     email=email, role=role)
        _send_after_commit(invitation, token)
    return invitation


def resend(invitation, actor):
    """Send a new link (a new token, seven more days); the previous link stops working."""
    with transaction.atomic():
        current = Invitation.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=invitation.pk)
        if current.accepted_at or current.revoked_at:
            raise InvitationError("not_pending")
        if current.role == Membership.Role.TEACHER:
            _check_teacher_room(current.tenant, current.email, exclude_pk=current.pk)
        token = new_token()
        now = timezone.now()
        current.token_hash = hash_token(token)
        current.sent_at = now
        current.expires_at = now + timedelta(days=INVITATION_DAYS)
        current.save(update_fields=["token_hash", "sent_at", "expires_at"])
        audit.record("invitation.resent", tenant=current.tenant, actor=actor, target=f"invitation:{current.pk}",
                     email=current.email)
        _send_after_commit(current, token)
    invitation.refresh_from_db()
    return invitation


def revoke(invitation, actor):
    """Withdraw a pending invitation. Returns True if this call revoked it."""
    with transaction.atomic():
        changed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True,
                                            revoked_at__isnull=True).update(revoked_at=timezone.now())
        if changed:
            audit.record("invitation.revoked", tenant=invitation.tenant, actor=actor,
                         target=f"invitation:{invitation.pk}", email=invitation.email)
    invitation.refresh_from_db()
    return bool(changed)


def _accept_locked(invitation, user):
    """Inside a transaction: re-check the locked row, create the membership, mark it used."""
    current = Invitation.objects.select_for_update(of=("self",)).select_related(
        "tenant", "tenant__plan").get(pk=invitation.pk)
    check_usable(current)
    if user.email.lower() != current.email.lower():
        raise InvitationError("wrong_account", email=current.email, current=user.email)
    if current.role == Membership.Role.TEACHER:
        # Two invitations of one tenant lock different rows; the tenant's row makes their
        # teacher-limit checks take turns, so the last seat goes to one of them only.
        Tenant.objects.select_for_update().filter(pk=current.tenant_id).values_list("pk", flat=True).first()
    add_member(current.tenant, current.email, current.role, actor=user)
    if current.name and not (user.first_name or user.last_name):
        first, _sep, last = current.name.partition(" ")
        user.first_name, user.last_name = first[:150], last[:150]
        user.save(update_fields=["first_name", "last_name"])
    EmailAddress.objects.update_or_create(user=user, email__iexact=user.email,
                                          defaults={"email": user.email, "verified": True, "primary": True})
    current.accepted_at = timezone.now()
    current.accepted_by = user
    current.save(update_fields=["accepted_at", "accepted_by"])
    audit.record("invitation.accepted", tenant=current.tenant, actor=user, target=f"invitation:{current.pk}",
                 email=current.email, role=current.role)
    return current


def needs_password(invitation):
    """True when the invitee has no account they can sign in with (none, or one without a password)."""
    user = get_user_model().objects.filter(email__iexact=invitation.email).first()
    return user is None or not user.has_usable_password()


def accept(token, user):
    """A signed-in account accepts: single use; expired, revoked or used links refused.
    Raises InvitationError or usage.PlanLimitError; returns the invitation."""
    invitation = find(token)
    check_usable(invitation)
    with transaction.atomic():
        return _accept_locked(invitation, user)


def accept_with_password(token, password, *, first_name="", last_name=""):
    """A new person (no account, or one that never had a password) sets a password and
    accepts in one transaction. Returns the user, ready to be signed in."""
    invitation = find(token)
    check_usable(invitation)
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email__iexact=invitation.email).first()
        if user is not None and user.has_usable_password():
            raise InvitationError("account_exists", email=invitation.email)
        if user is None:
            user = User.objects.create_user(email=invitation.email)
        user.set_password(password)
        if first_name or last_name:
            user.first_name, user.last_name = first_name.strip(), last_name.strip()
        user.save()
        _accept_locked(invitation, user)
    return user
