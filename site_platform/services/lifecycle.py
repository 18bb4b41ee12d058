"""A super admin's actions on a tenant: approve, suspend, reactivate, cancel, change plan.

Each runs in one transaction, moves only from the states it may leave (a second
run changes nothing and returns False), saves the tenant with the time of the change
in `status_changed_at` (so the host map is refreshed and a suspended site shows its
"temporarily unavailable" page at once, and a cancelled tenant's grace period before
deletion starts) and records an audit entry with the actor. These are the only way a super admin changes a status: the
tenant edit form has no status field.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import audit
from ..models import Plan, Tenant

S = Tenant.Status

ACTIONS = {
    # action: (states it may leave, state it sets, button label, question, done)
    "approve": ((S.PENDING,), S.ACTIVE, _("Approve"),
                _("Approve %(tenant)s? Its site goes live and students can book."), _("%(tenant)s approved.")),
    "suspend": ((S.ACTIVE,), S.SUSPENDED, _("Suspend"),
                _("Suspend %(tenant)s? Its site shows “temporarily unavailable” and takes no bookings; "
                  "its data is kept."), _("%(tenant)s suspended.")),
    "reactivate": ((S.SUSPENDED, S.CANCELLED), S.ACTIVE, _("Reactivate"),
                   _("Reactivate %(tenant)s? Its site comes back and takes bookings again."),
                   _("%(tenant)s reactivated.")),
    "cancel": ((S.PENDING, S.ACTIVE, S.SUSPENDED), S.CANCELLED, _("Cancel"),
               _("Cancel %(tenant)s? Its site disappears (unknown address) and takes no bookings. Its data is "
                 "kept for %(days)s days, during which it can be reactivated; then the tenant and all its data "
                 "are deleted."), _("%(tenant)s cancelled.")),
}
AUDIT_ACTIONS = {"approve": "tenant.approved", "suspend": "tenant.suspended", "reactivate": "tenant.reactivated",
                 "cancel": "tenant.cancelled"}


def available_actions(tenant):
    return [name for name, (sources, *_rest) in ACTIONS.items() if tenant.status in sources]


def apply_action(tenant, action, *, actor=None):
    """Apply a lifecycle action; False when the tenant's status does not allow it, or the tenant
    was deleted meanwhile (nothing changes)."""
    sources, target = ACTIONS[action][:2]
    with transaction.atomic():
        current = Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        if current is None or current.status not in sources:  # None: deleted meanwhile
            return False
        previous = current.status
        current.status = target
        current.status_changed_at = timezone.now()
        current.save(update_fields=["status", "status_changed_at", "updated_at"])
        audit.record(AUDIT_ACTIONS[action], tenant=current, actor=actor, target=f"tenant:{current.pk}",
                     previous=previous, status=target)
    tenant.status, tenant.status_changed_at = target, current.status_changed_at
    return True


def current_usage(tenant):
    """What the tenant uses now, for comparing with a plan's limits:
    [(key, label, used)] for teachers, published event types and this month's bookings."""
    from .. import usage

    bookings, teachers, event_types = (row["used"] for row in usage.usage_summary(tenant)["rows"])
    return [("max_teachers", _("Teachers"), teachers),
            ("max_published_event_types", _("Published event types"), event_types),
            ("max_bookings_per_month", _("Bookings this month"), bookings)]


def plan_overview(tenant, plans):
    """Each plan's limits next to the tenant's usage: [{plan, rows: [{label, used, limit, over}], over}]."""
    used = current_usage(tenant)
    overview = []
    for plan in plans:
        rows = [{"label": label, "used": count, "limit": getattr(plan, key),
                 "over": over_limit(count, getattr(plan, key))} for key, label, count in used]
        overview.append({"plan": plan, "rows": rows, "over": [row for row in rows if row["over"]],
                         "current": plan.pk == tenant.plan_id})
    return overview


def over_limit(used, limit):
    return limit is not None and used > limit


def plan_overages(tenant, plan):
    """The limits of `plan` the tenant is already over: [{key, label, used, limit}]. Moving
    there is allowed (nothing made is undone) but the super admin is told first."""
    if plan is None:
        return []
    return [{"key": key.removeprefix("max_"), "label": label, "used": count, "limit": getattr(plan, key)}
            for key, label, count in current_usage(tenant) if over_limit(count, getattr(plan, key))]


def change_plan(tenant, plan, *, actor=None):
    """Move the tenant to another plan; limits apply from the next change they check. Usage
    already over the new plan's limits stays (the audit entry names it, `over_limits`)."""
    with transaction.atomic():
        current = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if current.plan_id == getattr(plan, "pk", None):
            return False
        previous = current.plan.code if current.plan else None
        over = {row["key"]: f"{row['used']}/{row['limit']}" for row in plan_overages(current, plan)}
        current.plan = plan
        current.save(update_fields=["plan", "updated_at"])
        extra = {"over_limits": over} if over else {}
        audit.record("tenant.plan_changed", tenant=current, actor=actor, target=f"tenant:{current.pk}",
                     previous=previous, plan=plan.code if isinstance(plan, Plan) else None, **extra)
    tenant.plan = plan
    return True
