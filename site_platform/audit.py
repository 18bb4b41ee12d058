from .models import AuditEntry


def record(action, *, tenant=None, actor=None, target="", **data):
    """Write one audit entry. Call it inside the transaction of the change it describes."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry.objects.create(tenant=tenant, actor=actor, action=action, target=str(target), data=data)
