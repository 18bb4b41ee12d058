"""Who is calling: a tenant API key or a student's personal token, both sent as
`Authorization: Bearer <secret>`, or a student's browser session (with CSRF).

A credential is looked up by its prefix among the rows of the tenant whose host
was called, so a key of tenant A on tenant B's host is simply unknown there: 401,
never B's data. The hash comparison is constant-time.
"""

from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, status

from ..models import ApiKey, PersonalToken
from .errors import ApiError

# last_used_at is written at most this often per credential.
LAST_USED_PRECISION = timedelta(minutes=1)


def bearer_secret(request):
    header = authentication.get_authorization_header(request).decode("latin-1", errors="replace")
    scheme, _sep, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip()


def _tenant(request):
    return getattr(request._request, "tenant", None)


class AuthenticationFailed(ApiError):
    def __init__(self, code):
        super().__init__(code, status.HTTP_401_UNAUTHORIZED)


class _CredentialAuthentication(authentication.BaseAuthentication):
    model = None
    error_code = ""

    def authenticate(self, request):
        secret = bearer_secret(request)
        if secret is None:
            return None
        prefix = self.model.split(secret)
        if prefix is None:
            if self.other_kind(secret):
                return None
            raise AuthenticationFailed(self.error_code)
        tenant = _tenant(request)
        credential = self.lookup(tenant, prefix)
        if credential is None or not credential.is_active or not credential.matches(secret):
            raise AuthenticationFailed(self.error_code)
        now = timezone.now()
        if credential.last_used_at is None or now - credential.last_used_at > LAST_USED_PRECISION:
            type(credential).objects.filter(pk=credential.pk).update(last_used_at=now)
            credential.last_used_at = now
        return self.principal(credential), credential

    def lookup(self, tenant, prefix):
        if tenant is None:
            return None
        return self.model.objects.for_tenant(tenant).filter(prefix=prefix).select_related(*self.related).first()

    related = ()

    def other_kind(self, secret):
        return False

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiKeyAuthentication(_CredentialAuthentication):
    """A tenant API key: `request.auth` is the ApiKey, `request.user` anonymous."""

    model = ApiKey
    error_code = "key_invalid"
    related = ("tenant", "created_by")

    def other_kind(self, secret):
        return PersonalToken.split(secret) is not None

    def principal(self, credential):
        return AnonymousUser()


class PersonalTokenAuthentication(_CredentialAuthentication):
    """A student's personal token: `request.user` is its owner."""

    model = PersonalToken
    error_code = "token_invalid"
    related = ("user",)

    def other_kind(self, secret):
        return ApiKey.split(secret) is not None

    def principal(self, credential):
        if not credential.user.is_active:
            raise AuthenticationFailed(self.error_code)
        return credential.user


class SessionAuthentication(authentication.SessionAuthentication):
    """Django's session, CSRF-checked on writes (DRF's own class)."""


def principal_of(request):
    """A stable name of the caller, for idempotency records and rate limits."""
    if isinstance(request.auth, ApiKey):
        return f"key:{request.auth.pk}"
    if request.user is not None and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return None


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "tenantApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "lsk_<prefix>_<secret>",
                "description": "The school's API key, made by a tenant admin in the admin (API keys)."}


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    target_class = PersonalTokenAuthentication
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "lsp_<prefix>_<secret>",
                "description": "A student's personal token (POST /api/v1/me/tokens from a signed-in session)."}


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = SessionAuthentication
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid",
                "description": "A signed-in browser session; writes need the X-CSRFToken header."}
