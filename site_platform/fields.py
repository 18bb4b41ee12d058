"""A text field whose value is encrypted at rest with Fernet.

Keys come from settings.FIELD_ENCRYPTION_KEY: a comma-separated list, newest
first. The first key encrypts; every key decrypts (MultiFernet), so a new key
can be put in front and old values re-encrypted later with `rotate_value`.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


@lru_cache(maxsize=8)
def _fernet_for(keys):
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is not set; encrypted fields cannot be used.")
    try:
        return MultiFernet([Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()])
    except ValueError as exc:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEY holds a key that is not a Fernet key: {exc}") from exc


def get_fernet():
    return _fernet_for(settings.FIELD_ENCRYPTION_KEY)


def encrypt_value(plaintext):
    return PREFIX + get_fernet().encrypt(plaintext.encode()).decode()


def decrypt_value(stored):
    if not stored.startswith(PREFIX):
        raise ValueError("value is not an encrypted field value")
    try:
        return get_fernet().decrypt(stored[len(PREFIX):].encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured("An encrypted value cannot be read with any key in FIELD_ENCRYPTION_KEY.") from exc


def rotate_value(stored):
    """Re-encrypt a stored value with the newest key."""
    return PREFIX + get_fernet().rotate(stored[len(PREFIX):].encode()).decode()


class EncryptedTextField(models.TextField):
    """Stores `fernet:<token>`; Python code sees the plaintext. Empty stays empty."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt_value(value)

    def to_python(self, value):
        if isinstance(value, str) and value.startswith(PREFIX):
            return decrypt_value(value)
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt_value(value)
