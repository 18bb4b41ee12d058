"""bench/booking_race_settings.py with Celery tasks queued, as a production web process
does (to an in-process memory broker nobody consumes: the emails are a worker's job,
not the web request's). BENCH_TASKS=queued of bench/booking_race.py, and
bench/booking_profile.py."""

from booking_race_settings import *  # noqa: F401,F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = "memory://"
