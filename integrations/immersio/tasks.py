"""Celery tasks of the Immersio integration. They take ids and are safe to run twice."""

from celery import shared_task
from django.utils import timezone

from site_platform.models import Tenant

from ..models import ImmersioConnection
from .client import ImmersioError


@shared_task(acks_late=True, ignore_result=True)
def sync_tenant(tenant_id, full=False, trigger="schedule"):
    from .sync import sync_tenant as run_sync

    run = run_sync(tenant_id, full=full, trigger=trigger)
    return run.status


@shared_task(acks_late=True, ignore_result=True)
def sync_course_students(tenant_id, course_id):
    from .sync import sync_course_students as run

    run(tenant_id, course_id)


@shared_task(ignore_result=True)
def enqueue_due_syncs():
    """Every minute: queue a sync of each connected tenant whose interval has passed."""
    now = timezone.now()
    due = []
    for connection in ImmersioConnection.objects.filter(
        enabled=True, tenant__status__in=[Tenant.Status.ACTIVE, Tenant.Status.PENDING]
    ).only("tenant_id", "last_sync_at", "sync_interval_minutes"):
        interval = timezone.timedelta(minutes=max(connection.sync_interval_minutes, 1))
        if connection.last_sync_at is None or connection.last_sync_at + interval <= now:
            due.append(connection.tenant_id)
    for tenant_id in due:
        sync_tenant.delay(tenant_id)
    return len(due)


@shared_task(bind=True, acks_late=True, ignore_result=True, autoretry_for=(ImmersioError,), retry_backoff=30,
             retry_backoff_max=3600, retry_jitter=True, max_retries=20)
def process_webhook_event(self, event_id):
    from .webhooks import process_event

    return process_event(event_id)


@shared_task(acks_late=True, ignore_result=True)
def deliver_push(outbox_id):
    from .push import deliver

    return deliver(outbox_id).status


@shared_task(ignore_result=True)
def sweep_push_outbox():
    from .push import sweep

    return sweep()
