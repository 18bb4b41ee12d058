"""Busy time from calendar feeds, for booking.busy.external_busy()."""

from collections import defaultdict

from ..models import CalendarBusyInterval


def calendar_feed_busy(tenant, teacher_ids, start, end):
    """{teacher_id: [(start, end), ...]} of the tenant's active feeds overlapping [start, end). One query."""
    busy = defaultdict(list)
    rows = (
        CalendarBusyInterval.objects.for_tenant(tenant)
        .filter(teacher_id__in=teacher_ids, start__lt=end, end__gt=start, feed__is_active=True)
        .order_by()
        .values_list("teacher_id", "start", "end")
    )
    for teacher_id, busy_start, busy_end in rows:
        busy[teacher_id].append((busy_start, busy_end))
    return dict(busy)
