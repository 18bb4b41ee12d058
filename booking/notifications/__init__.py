"""Booking notifications: emails to students and teachers, and teachers' calendar feeds.

Receivers (`receivers.py`) listen to the booking signals, which are sent after
commit, and enqueue Celery tasks with primary keys (`tasks.py`). A task reloads
the booking, checks that what it is about to say is still true, renders the
email in the recipient's language and the tenant's branding (`emails.py`) and
sends it once: `NotificationLog` holds one row per (booking, kind, recipient,
calendar sequence), written in the transaction that sends.
"""
