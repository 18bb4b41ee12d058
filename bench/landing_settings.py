"""Settings for bench/landing.py's gunicorn: production-like (DEBUG off, Redis cache
when REDIS_URL is set), and a tenant URLconf with one trivial view to compare with."""

import os

from site_platform.settings.base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY") or "bench-only-secret-key"
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY") or "YmVuY2gtb25seS1maWVsZC1rZXktMzItYnl0ZXMtbG9uZw=="
ALLOWED_HOSTS = ["*"]
TENANT_URLCONF = "landing_urls"
MEDIA_ROOT = Path(os.environ.get("BENCH_MEDIA_ROOT", "/tmp/landing-bench-media"))  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # noqa: F405

# The page cache in front of the stack (landing/middleware.py), as the project's
# MIDDLEWARE has it; BENCH_EARLY_CACHE=0 measures without it (the view-level cache only).
if os.environ.get("BENCH_EARLY_CACHE", "1") == "0":
    MIDDLEWARE = [m for m in MIDDLEWARE if m != "landing.middleware.PageCacheMiddleware"]  # noqa: F405
