"""The Celery app. With REDIS_URL set, Redis is the broker; without it, tasks
run eagerly in the calling process (see settings.base)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_platform.settings.dev")

app = Celery("site_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
