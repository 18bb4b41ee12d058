"""Settings for bench/scale.py's gunicorn and Celery workers: the landing benchmark's
(DEBUG off, its tenant URLconf, the page cache in front), the booking race's quiet
request log, Redis as cache (REDIS_URL) and, apart from it, as broker
(SCALE_BROKER_URL), tasks queued as in production, emails kept in memory."""

import os

from landing_settings import *  # noqa: F401,F403

LOGGING["loggers"]["django.request"] = {"level": "ERROR"}  # noqa: F405  (400 "fully booked" is expected)
LOGGING["loggers"]["celery"] = {"level": "WARNING"}  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = os.environ.get("SCALE_BROKER_URL", "redis://127.0.0.1:6379/9")
# The workers send real messages through Django's mail API; the locmem backend keeps
# them in the worker's memory (no SMTP server, no files to count).
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
