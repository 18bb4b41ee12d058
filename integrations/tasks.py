from celery import shared_task

from site_platform.models import Tenant

from .calendars.services import refresh_feed
from .models import CalendarFeed


@shared_task(ignore_result=True)
def refresh_calendar_feed(feed_id):
    """Refresh one feed. A failure of the calendar server is recorded on the feed,
    not raised: the next scheduled run is the retry."""
    result = refresh_feed(feed_id)
    return {"ok": result.ok, "busy": result.busy_count, "error": result.error.code if result.error else ""}


@shared_task(ignore_result=True)
def refresh_all_calendar_feeds():
    """Queue a refresh of every active feed of a serving tenant (one task per feed)."""
    feed_ids = list(
        CalendarFeed.objects.filter(is_active=True, tenant__status__in=[Tenant.Status.ACTIVE, Tenant.Status.PENDING])
        .order_by("pk").values_list("pk", flat=True)
    )
    for feed_id in feed_ids:
        refresh_calendar_feed.delay(feed_id)
    return len(feed_ids)
