from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_tenant_invitation(tenant_id, user_id):
    """Email a tenant's admin the link to their site and to set a password."""
    from .services.tenants import send_tenant_invitation as send

    send(tenant_id, user_id)
