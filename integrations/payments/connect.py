"""Connecting a tenant's Stripe account.

- Stripe Connect OAuth for standard accounts: the admin follows `authorize_url`
  to Stripe; Stripe sends them back to the callback with a code and our signed
  `state` (tenant, user, a nonce, 30 minutes); the code is exchanged at the OAuth
  token endpoint for the account id and tokens, stored encrypted.
- Where the platform allows it (STRIPE_ALLOW_ACCOUNT_KEYS), the account's own
  secret key, checked by reading the account with it.
- Disconnecting revokes the platform's access (OAuth) and forgets the secrets.

A paid event type cannot be published while the tenant has no connected account
(`paid_event_needs_account`, registered in booking.publish_checks).
"""

import secrets

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from site_platform import audit

from .errors import PaymentError
from .models import StripeAccount
from .stripe_client import StripeGateway, StripeProblem, StripeRefused

STATE_SALT = "payments.connect.state"
STATE_MAX_AGE = 30 * 60


def connected_account(tenant):
    return StripeAccount.objects.filter(tenant=tenant, status=StripeAccount.Status.CONNECTED).first()


def oauth_enabled():
    return bool(settings.STRIPE_CLIENT_ID and settings.STRIPE_SECRET_KEY)


def keys_enabled():
    return bool(settings.STRIPE_ALLOW_ACCOUNT_KEYS)


def callback_url():
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/admin/payments/stripe/callback/"


def authorize_url(tenant, user):
    """Where to send the admin to connect the tenant's Stripe account."""
    if not oauth_enabled():
        raise PaymentError("oauth_not_configured")
    state = signing.dumps({"tenant": tenant.pk, "user": user.pk, "nonce": secrets.token_urlsafe(8)}, salt=STATE_SALT)
    return StripeGateway.for_platform().authorize_url(state=state, redirect_uri=callback_url())


def read_state(state, user):
    """The tenant id the signed state names, if it is fresh and was made for `user`."""
    try:
        data = signing.loads(state or "", salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.BadSignature:
        raise PaymentError("oauth_state_invalid") from None
    if data.get("user") != user.pk:
        raise PaymentError("oauth_state_invalid")
    return data["tenant"]


def complete_oauth(tenant, code, *, actor=None):
    """Exchange the code Stripe gave the admin for the account's id and tokens."""
    if not oauth_enabled():
        raise PaymentError("oauth_not_configured")
    gateway = StripeGateway.for_platform()
    try:
        token = gateway.oauth_token(code)
    except StripeProblem as error:
        raise PaymentError("oauth_refused", detail=str(error)) from None
    account_id = token["stripe_user_id"]
    display_name = ""
    try:
        details = StripeGateway(api_key=settings.STRIPE_SECRET_KEY, stripe_account=account_id).retrieve_account()
        display_name = _account_name(details)
    except StripeProblem:
        pass
    return _save(tenant, actor=actor, account_id=account_id, mode=StripeAccount.Mode.OAUTH,
                 access_token=token.get("access_token") or "", refresh_token=token.get("refresh_token") or "",
                 publishable_key=token.get("stripe_publishable_key") or "", livemode=bool(token.get("livemode")),
                 secret_key="", webhook_secret="", display_name=display_name)


def connect_with_keys(tenant, *, secret_key, publishable_key="", webhook_secret="", actor=None):
    """Connect by the account's own keys (if the platform allows it): checked by reading the account."""
    if not keys_enabled():
        raise PaymentError("keys_not_allowed")
    secret_key = (secret_key or "").strip()
    try:
        details = StripeGateway(api_key=secret_key).retrieve_account()
    except StripeProblem as error:
        raise PaymentError("keys_invalid", detail=str(error)) from None
    return _save(tenant, actor=actor, account_id=details["id"], mode=StripeAccount.Mode.KEYS,
                 secret_key=secret_key, publishable_key=(publishable_key or "").strip(),
                 webhook_secret=(webhook_secret or "").strip(), access_token="", refresh_token="",
                 livemode=secret_key.startswith("sk_live_"), display_name=_account_name(details))


def _account_name(details):
    settings_ = details.get("settings") or {}
    dashboard = settings_.get("dashboard") or {}
    profile = details.get("business_profile") or {}
    return dashboard.get("display_name") or profile.get("name") or ""


def _save(tenant, *, actor, **fields):
    now = timezone.now()
    with transaction.atomic():
        account, _created = StripeAccount.objects.update_or_create(
            tenant=tenant, defaults={**fields, "status": StripeAccount.Status.CONNECTED, "connected_at": now,
                                     "disconnected_at": None, "connected_by": actor if getattr(
                                         actor, "is_authenticated", False) else None})
        audit.record("payments.stripe_connected", tenant=tenant, actor=actor, target=f"stripe:{account.account_id}",
                     mode=account.mode)
    return account


def disconnect(tenant, *, actor=None):
    """Revoke the platform's access (OAuth) and forget the account's secrets. Returns
    a warning text when Stripe could not be told (the account is disconnected here anyway)."""
    account = connected_account(tenant)
    if account is None:
        return None
    warning = None
    if account.mode == StripeAccount.Mode.OAUTH and oauth_enabled():
        try:
            StripeGateway.for_platform().oauth_deauthorize(account.account_id)
        except StripeRefused:
            pass  # already revoked at Stripe
        except StripeProblem as error:
            warning = str(error)
    mark_disconnected(account, actor=actor, reason="disconnected by admin")
    return warning


def mark_disconnected(account, *, actor=None, reason=""):
    with transaction.atomic():
        changed = StripeAccount.objects.filter(pk=account.pk, status=StripeAccount.Status.CONNECTED).update(
            status=StripeAccount.Status.DISCONNECTED, disconnected_at=timezone.now(), access_token="",
            refresh_token="", secret_key="", webhook_secret="")
        if changed:
            audit.record("payments.stripe_disconnected", tenant=account.tenant, actor=actor,
                         target=f"stripe:{account.account_id}", reason=reason)
    account.refresh_from_db()
    return bool(changed)


def paid_event_needs_account(*, tenant, event_type, is_published, price, **kwargs):
    """booking.publish_checks: a paid event type is published only with a connected account."""
    if not is_published or not price or price <= 0 or tenant is None:
        return []
    if connected_account(tenant) is not None:
        return []
    return [PaymentError("publish_needs_account").message]
