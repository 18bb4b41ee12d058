"""Periodic API jobs (celery beat, see CELERY_BEAT_SCHEDULE)."""

from celery import shared_task
from django.utils import timezone

from ..models import IdempotencyRecord
from .idempotency import retention

BATCH = 5000


@shared_task
def purge_idempotency_records(*, now=None):
    """Delete the idempotency records older than API_IDEMPOTENCY_RETENTION_HOURS (they no
    longer bind their key), in batches so no statement locks many rows for long. A
    second run finds nothing to delete. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - retention()
    deleted = 0
    while True:
        batch = list(IdempotencyRecord.objects.filter(created_at__lt=cutoff).order_by("pk")
                     .values_list("pk", flat=True)[:BATCH])
        if not batch:
            return deleted
        count, _per_model = IdempotencyRecord.objects.filter(pk__in=batch, created_at__lt=cutoff).delete()
        deleted += count
