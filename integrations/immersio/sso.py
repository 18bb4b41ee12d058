"""Single sign-on from Immersio: GET /sso/immersio/?token=<JWT>&next=<relative path>.

The token is HS256 with the tenant's SSO secret; `iss` is "immersio", `aud` the
host it was sent to, `exp` at most five minutes after `iat`, and its `jti` is good
for one sign-in. A valid token signs the user in (the account is created on first
sight and linked to the Immersio id) and redirects to `next` when it is a path on
this host. Any failure shows a page that says why and signs nobody in.
"""

from datetime import UTC, datetime

import jwt
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model, login
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from site_platform import audit

from ..models import ImmersioConnection, ImmersioLink, SsoTokenUse

MAX_LIFETIME_SECONDS = 300
LEEWAY_SECONDS = 10

MESSAGES = {
    "not_configured": _("This school has not set up sign-in from Immersio."),
    "missing": _("The sign-in link has no token."),
    "bad_signature": _("The sign-in link was not signed by this school's Immersio."),
    "expired": _("The sign-in link has expired. Links from Immersio work for five minutes."),
    "wrong_tenant": _("The sign-in link was made for another school's site."),
    "bad_issuer": _("The sign-in link was not issued by Immersio."),
    "lifetime": _("The sign-in link is valid for too long to be trusted."),
    "incomplete": _("The sign-in link is missing information."),
    "invalid": _("The sign-in link is not valid."),
    "replayed": _("This sign-in link has already been used. Open it again from Immersio."),
    "email_unverified": _("Immersio has not verified this email address, and an account with it exists here. "
                          "Sign in with your email instead."),
}


class SsoRefused(Exception):
    def __init__(self, code):
        self.code = code
        super().__init__(code)


def safe_next(request, target):
    """`target` when it is a relative path on this host, else the home page."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure())):
        return target
    return "/"


def decode_token(token, secret, audience):
    if not token:
        raise SsoRefused("missing")
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], audience=audience, issuer="immersio", leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "jti", "sub", "iss", "aud", "email"]},
        )
    except jwt.InvalidSignatureError:
        raise SsoRefused("bad_signature") from None
    except jwt.ExpiredSignatureError:
        raise SsoRefused("expired") from None
    except jwt.InvalidAudienceError:
        raise SsoRefused("wrong_tenant") from None
    except jwt.InvalidIssuerError:
        raise SsoRefused("bad_issuer") from None
    except jwt.MissingRequiredClaimError:
        raise SsoRefused("incomplete") from None
    except jwt.InvalidTokenError:
        raise SsoRefused("invalid") from None
    try:
        if float(claims["exp"]) - float(claims["iat"]) > MAX_LIFETIME_SECONDS:
            raise SsoRefused("lifetime")
        validate_email(str(claims["email"]))
    except (TypeError, ValueError, ValidationError):
        raise SsoRefused("invalid") from None
    return claims


def sign_in_user(tenant, claims):
    """The account for verified claims, created or linked; spends the token's jti.
    MUST run inside a transaction: a refusal leaves the jti unspent."""
    User = get_user_model()
    email = str(claims["email"]).strip().lower()
    verified = claims.get("email_verified") is True
    try:
        with transaction.atomic():
            SsoTokenUse.objects.create(tenant=tenant, jti=str(claims["jti"])[:200],
                                       expires_at=datetime.fromtimestamp(float(claims["exp"]), UTC))
    except IntegrityError:
        raise SsoRefused("replayed") from None
    kind = ImmersioLink.Kind.TEACHER if claims.get("role") == "teacher" else ImmersioLink.Kind.STUDENT
    link = ImmersioLink.objects.filter(tenant=tenant, kind=kind, immersio_id=str(claims["sub"])).first()
    user = User.objects.filter(pk=link.local_id).first() if link else None
    created = False
    if user is None:
        user = User.objects.filter(email__iexact=email).first()
        if user is not None and not verified:
            raise SsoRefused("email_unverified")
        if user is None:
            first, _sep, last = str(claims.get("name") or "").strip().partition(" ")
            user = User.objects.create(email=email, first_name=first[:150], last_name=last[:150],
                                       password=make_password(None))
            created = True
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is None:
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    elif verified and not address.verified and address.email.lower() == email:
        address.verified = True
        address.save(update_fields=["verified"])
    ImmersioLink.objects.update_or_create(
        tenant=tenant, kind=kind, immersio_id=str(claims["sub"]),
        defaults={"local_id": user.pk, "label": email[:200]})
    audit.record("immersio.sso_sign_in", tenant=tenant, actor=user, target=f"user:{user.pk}",
                 immersio_id=str(claims["sub"]), created=created)
    return user


@never_cache
@require_GET
def sso_login(request):
    tenant = getattr(request, "tenant", None)
    connection = ImmersioConnection.objects.filter(tenant=tenant, enabled=True).first() if tenant else None
    try:
        if connection is None or not connection.sso_secret:
            raise SsoRefused("not_configured")
        audience = request.get_host().rsplit(":", 1)[0].lower()
        claims = decode_token(request.GET.get("token", ""), connection.sso_secret, audience)
        with transaction.atomic():
            user = sign_in_user(tenant, claims)
    except SsoRefused as refusal:
        return render(request, "integrations/immersio/sso_failed.html",
                      {"message": MESSAGES[refusal.code], "code": refusal.code, "tenant": tenant}, status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect(safe_next(request, request.GET.get("next", "")))
