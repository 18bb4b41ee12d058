from .models import AuditEntry


def record(action, *, tenant=None, actor=None, target="", **data):
    """Write one audit entry. Call it inside the transaction of the change it describes.

    `tenant` is a Tenant or a tenant id (callers that only hold the id need not load the row).
    The row is written with a single INSERT (`bulk_create`: no post_save), so Wagtail's
    reference index, which indexed every entry's tenant and actor foreign keys (a read,
    a savepoint and an insert per entry, on the booking path too), is not kept for the
    audit log: nothing looks audit entries up by what they point at."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    entry = AuditEntry(tenant_id=getattr(tenant, "pk", tenant), actor_id=getattr(actor, "pk", None), action=action,
                       target=str(target), data=data)
    if tenant is not None and hasattr(tenant, "_meta"):
        entry.tenant = tenant
    if actor is not None:
        entry.actor = actor
    AuditEntry.objects.bulk_create([entry])
    return entry
