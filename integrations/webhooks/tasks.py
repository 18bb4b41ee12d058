from celery import shared_task

from . import services


@shared_task
def deliver(delivery_id):
    """Send one webhook delivery if it is due; running it twice sends it once."""
    services.attempt_delivery(delivery_id)


@shared_task
def sweep_deliveries():
    """Queue every delivery whose retry is due (beat runs this every few seconds)."""
    return services.sweep()
