"""Calendar feed operations: refresh a feed's busy times, add or change a feed."""

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone

from site_platform import audit
from site_platform.models import Membership

from ..errors import IntegrationError
from ..models import CalendarBusyInterval, CalendarFeed
from .fetch import fetch_feed
from .ics import parse_busy_intervals

logger = logging.getLogger(__name__)

WINDOW_BEFORE = dt.timedelta(days=1)
WINDOW_AFTER = dt.timedelta(days=120)
# Busy times are expanded for a window that moves with the clock, so a
# "not modified" answer is taken only while the stored expansion is recent;
# after that the feed is fetched in full and expanded again.
CONDITIONAL_GET_MAX_AGE = dt.timedelta(hours=12)


@dataclass
class RefreshResult:
    ok: bool
    changed: bool = False
    busy_count: int = 0
    error: IntegrationError | None = None


def busy_window(now=None):
    now = now or timezone.now()
    return now - WINDOW_BEFORE, now + WINDOW_AFTER


def teacher_timezone(feed):
    """The zone in which the feed's all-day and floating times are read: the teacher's
    schedule's zone, else their membership's, else UTC."""
    from booking.models import Schedule

    name = (
        Schedule.objects.filter(tenant_id=feed.tenant_id, teacher_id=feed.teacher_id)
        .values_list("timezone", flat=True).first()
        or Membership.objects.filter(tenant_id=feed.tenant_id, user_id=feed.teacher_id)
        .values_list("timezone", flat=True).first()
    )
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def refresh_feed(feed_id, *, now=None):
    """Fetch the feed and replace its busy times; on failure keep them and record the error.

    Safe to call twice and concurrently: the replacement runs in one transaction
    holding the feed's row lock, and a fetch that started before the last
    successful one does not overwrite it.
    """
    feed = CalendarFeed.objects.filter(pk=feed_id).first()
    if feed is None or not feed.is_active:
        return RefreshResult(ok=False)
    started = now or timezone.now()
    recent = feed.last_success_at is not None and started - feed.last_success_at < CONDITIONAL_GET_MAX_AGE
    try:
        response = fetch_feed(
            feed.url, etag=feed.etag if recent else "", last_modified=feed.last_modified if recent else "",
        )
        intervals = None
        if not response.not_modified:
            window_start, window_end = busy_window(started)
            intervals = parse_busy_intervals(response.body, window_start, window_end,
                                             floating_tz=teacher_timezone(feed))
    except IntegrationError as error:
        _record_failure(feed, error, started)
        return RefreshResult(ok=False, error=error)
    return _record_success(feed, response, intervals, started)


def _record_failure(feed, error, started):
    logger.info("calendar feed %s failed: %s", feed.pk, error.code)
    CalendarFeed.objects.filter(pk=feed.pk).update(
        last_fetched_at=started, last_error=error.message, last_error_code=error.code,
        last_error_params=error.params,
    )


def _record_success(feed, response, intervals, started):
    with transaction.atomic():
        locked = CalendarFeed.objects.select_for_update().filter(pk=feed.pk).first()
        if locked is None:
            return RefreshResult(ok=False)
        if locked.last_success_at is not None and locked.last_success_at > started:
            return RefreshResult(ok=True, busy_count=locked.busy_intervals.count())
        fields = {"last_fetched_at": started, "last_success_at": started, "last_error": "",
                  "last_error_code": "", "last_error_params": {}}
        if intervals is None:
            CalendarFeed.objects.filter(pk=feed.pk).update(**fields)
            return RefreshResult(ok=True, busy_count=locked.busy_intervals.count())
        CalendarBusyInterval.objects.filter(feed=locked).delete()
        CalendarBusyInterval.objects.bulk_create(
            [CalendarBusyInterval(tenant_id=locked.tenant_id, feed=locked, teacher_id=locked.teacher_id,
                                  start=start, end=end) for start, end in intervals],
            batch_size=1000,
        )
        CalendarFeed.objects.filter(pk=feed.pk).update(
            etag=response.etag[:255], last_modified=response.last_modified[:64], **fields,
        )
    return RefreshResult(ok=True, changed=True, busy_count=len(intervals))


def feed_saved(feed, *, created, changed_fields=(), actor=None):
    """After a feed is added or changed in a form: forget the old copy's validators
    when the address changed, and fetch the feed once the change is committed when
    it is new, has a new address or is switched back on. MUST be called inside the
    transaction of the save."""
    from ..tasks import refresh_calendar_feed

    url_changed = "url" in changed_fields
    reactivated = "is_active" in changed_fields and feed.is_active
    if url_changed and not created:
        CalendarFeed.objects.filter(pk=feed.pk).update(etag="", last_modified="")
    CalendarBusyInterval.objects.filter(feed=feed).exclude(teacher_id=feed.teacher_id).update(
        teacher_id=feed.teacher_id)
    audit.record("calendar_feed.added" if created else "calendar_feed.changed", tenant=feed.tenant, actor=actor,
                 target=f"calendar_feed:{feed.pk}", teacher=feed.teacher_id, name=feed.name,
                 changed=list(changed_fields))
    if feed.is_active and (created or url_changed or reactivated):
        feed_id = feed.pk
        transaction.on_commit(lambda: refresh_calendar_feed.delay(feed_id))
