"""Settings for bench/booking_race.py's gunicorn: production-like (DEBUG off, no
query log, plain static storage so no collectstatic is needed), quiet request log."""

import os

from site_platform.settings.base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY") or "bench-only-secret-key"
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY") or "YmVuY2gtb25seS1maWVsZC1rZXktMzItYnl0ZXMtbG9uZw=="
ALLOWED_HOSTS = ["*"]
LOGGING["loggers"]["django.request"] = {"level": "ERROR"}  # noqa: F405  (400 "fully booked" is expected)
