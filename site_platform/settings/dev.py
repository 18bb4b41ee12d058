"""The embedded default: runs on a bare machine with no environment at all."""

import os

from .base import *  # noqa: F401,F403
from .base import PLATFORM_PORT  # noqa: F401

DEBUG = True
SECRET_KEY = SECRET_KEY or "dev-only-insecure-secret-key-do-not-use-in-production"  # noqa: F405
# A fixed development key so encrypted fields survive restarts of the demo.
FIELD_ENCRYPTION_KEY = FIELD_ENCRYPTION_KEY or "ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmc="  # noqa: F405
if "PLATFORM_PORT" not in os.environ:
    PLATFORM_PORT = 8000
    WAGTAILADMIN_BASE_URL = f"http://{PLATFORM_DOMAIN}:8000"  # noqa: F405
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
PLATFORM_HOST_ALIASES = PLATFORM_HOST_ALIASES or ["127.0.0.1"]  # noqa: F405
