from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_tenant_invitation(tenant_id, user_id):
    """Email a tenant's admin the link to their site and to set a password."""
    from .services.tenants import send_tenant_invitation as send

    send(tenant_id, user_id)


@shared_task
def delete_cancelled_tenants():
    """Daily: delete tenants cancelled longer than TENANT_DELETION_GRACE_DAYS, with all their
    data (site_platform.tenant_deletion). Safe to run twice: a deleted tenant is gone, and a
    reactivated one is no longer due."""
    from .tenant_deletion import delete_due_tenants

    return delete_due_tenants()
