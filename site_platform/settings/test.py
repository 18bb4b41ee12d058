"""Settings for the test suite: runs on SQLite, or on PostgreSQL and Redis when
DATABASE_URL and REDIS_URL are set (as CI does)."""

from .base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = "test-secret-key"
FIELD_ENCRYPTION_KEY = "dGVzdC1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5LTA=,b2xkLXRlc3QtZmllbGQtZW5jcnlwdGlvbi1rZXktMDA="
PLATFORM_DOMAIN = "platform.test"
PLATFORM_PORT = 80
WAGTAILADMIN_BASE_URL = "http://platform.test"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests run tasks in-process unless a test starts a real worker itself.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
if REDIS_URL:  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = "platform-test"  # noqa: F405
# Tests share one cache for a whole run: limits high enough that only the tests
# about limits (which set their own) ever meet them.
RATE_LIMITS = [(name, prefix, "100000/m") for name, prefix, _rate in RATE_LIMITS]  # noqa: F405
API_KEY_RATE_LIMIT = API_ADDRESS_RATE_LIMIT = "100000/m"
