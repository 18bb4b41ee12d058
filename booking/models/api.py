"""Credentials and replay records of the public REST API (`booking.api`).

A tenant API key and a student's personal token are both shown once when made and
stored as the SHA-256 of a high-entropy secret. The clear text is
`<kind>_<prefix>_<secret>`: the prefix finds the row, the hash of the whole text is
compared in constant time.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .common import TenantOwned


def hash_secret(text):
    return hashlib.sha256(text.encode()).hexdigest()


class SecretCredential(TenantOwned):
    """Abstract: a named bearer credential of one tenant, revocable, stored hashed."""

    KIND = ""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.name} ({self.KIND}_{self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None

    def set_new_secret(self):
        """Give the credential a fresh secret; returns the clear text (shown once, never stored)."""
        self.prefix = secrets.token_hex(6)
        clear = f"{self.KIND}_{self.prefix}_{secrets.token_urlsafe(32)}"
        self.key_hash = hash_secret(clear)
        return clear

    def matches(self, clear):
        return hmac.compare_digest(self.key_hash.encode(), hash_secret(clear).encode())

    @classmethod
    def split(cls, clear):
        """The prefix of a clear-text credential of this kind, or None."""
        kind, _sep, rest = (clear or "").partition("_")
        prefix, _sep, secret = rest.partition("_")
        if kind != cls.KIND or not prefix or not secret or len(prefix) > 16:
            return None
        return prefix

    def revoke(self):
        """Revoke once; returns True if this call revoked it."""
        return bool(type(self).objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()))


class ApiKey(SecretCredential):
    """A tenant's API key, made and revoked by a tenant admin in the Wagtail admin."""

    KIND = "lsk"

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"), editable=False)

    wagtail_reference_index_ignore = True
    tenant_admin_permissions = ("view", "add", "change")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")


class PersonalToken(SecretCredential):
    """A student's own token for the API of one tenant (instead of a session cookie)."""

    KIND = "lsp"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_api_tokens",
                             verbose_name=_("user"))

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("personal API token")
        verbose_name_plural = _("personal API tokens")


class IdempotencyRecord(TenantOwned):
    """The first answer to a write sent with an `Idempotency-Key` header, kept so that
    a retry with the same key and body gets the same answer and changes nothing."""

    principal = models.CharField(_("principal"), max_length=64)
    key = models.CharField(_("idempotency key"), max_length=255)
    request_hash = models.CharField(_("request hash"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True,
                                                   help_text=_("Empty while the first request runs."))
    response_body = models.JSONField(_("response"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "principal", "key"], name="idempotency_key_unique"),
        ]

    def __str__(self):
        return f"{self.principal} · {self.key}"
