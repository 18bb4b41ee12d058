"""Deleting a cancelled tenant and everything it owns (#10).

A cancelled tenant keeps its data for `TENANT_DELETION_GRACE_DAYS` (default 30) from
the moment it was cancelled (`Tenant.status_changed_at`); a super admin can reactivate
it until then. After that the daily task `site_platform.tasks.delete_cancelled_tenants`
deletes it; a super admin can also delete a cancelled tenant at once ("Delete now",
confirmed by typing its subdomain).

Deleting takes, in one transaction: every row of every tenant-owned model (bookings,
sessions, event types, schedules, waitlists, payments and refunds, coupons, API keys,
webhooks and their deliveries, the Immersio connection, links and sync logs, calendar
feeds, memberships, invitations, usage, the tenant's own audit entries...), the Stripe
events recorded for it, its Sites (custom domain too) and their branding settings, its
page tree with revisions and page history, its collection with the images and documents
in it (files are removed after commit), and its admin and teacher groups. People keep
their accounts: a user is a person who may book elsewhere. One audit entry, without a
tenant so it outlives it, records the deletion: name, subdomain, who cancelled and when.
"""

import logging
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import CharField
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, ModelLogEntry, Page, PageLogEntry, Site

from . import audit
from .errors import CatalogueError
from .models import AuditEntry, Tenant

CANCELLED = Tenant.Status.CANCELLED
logger = logging.getLogger(__name__)


class TenantDeletionError(CatalogueError):
    messages = {
        "not_cancelled": _("%(tenant)s is %(status)s: only a cancelled tenant can be deleted. Cancel it first."),
        "confirmation": _("Type the subdomain “%(subdomain)s” exactly to confirm."),
        "refunds_outstanding": _("%(tenant)s still owes students %(count)s refund(s) that Stripe has not "
                                 "completed. Deleting it would lose them: settle them in Payments → Refunds "
                                 "first."),
    }


def outstanding_refunds(tenant):
    """Refunds of the tenant not yet done at Stripe (requested, pending, or failed and
    waiting for a retry): money owed to students that deletion would lose."""
    try:
        refund_model = apps.get_model("payments", "Refund")
    except LookupError:
        return 0
    owed = [refund_model.Status.REQUESTED, refund_model.Status.PENDING, refund_model.Status.FAILED]
    return refund_model.objects.filter(tenant=tenant, status__in=owed).count()


def grace_days():
    return int(getattr(settings, "TENANT_DELETION_GRACE_DAYS", 30))


def cancelled_since(tenant):
    """When the tenant was cancelled (tenants cancelled before `status_changed_at` existed:
    their last change, which is never earlier)."""
    return tenant.status_changed_at or tenant.updated_at


def deletion_date(tenant):
    """When a cancelled tenant is deleted; None for a tenant that is not cancelled."""
    if tenant.status != CANCELLED:
        return None
    return cancelled_since(tenant) + timedelta(days=grace_days())


def due_for_deletion(now=None):
    """Cancelled tenants whose grace period is over."""
    cutoff = (now or timezone.now()) - timedelta(days=grace_days())
    return (Tenant.objects.filter(status=CANCELLED)
            .annotate(cancelled_since=Coalesce("status_changed_at", "updated_at"))
            .filter(cancelled_since__lte=cutoff))


def tenant_owned_models():
    """Every model with a `tenant` foreign key to Tenant."""
    for model in apps.get_models():
        field = next((f for f in model._meta.concrete_fields if f.name == "tenant"), None)
        if field is not None and field.related_model is Tenant:
            yield model


def delete_tenant(tenant_id, *, actor=None, confirm_subdomain=None, only_if_due_at=None):
    """Delete a cancelled tenant and everything it owns. Returns False when there is no
    such tenant any more (deleting twice does nothing) or, with `only_if_due_at`, when its
    grace period is not over at that time (it was reactivated, or cancelled again since).

    `confirm_subdomain`, when given (the super admin's typed confirmation), must be the
    tenant's subdomain. Raises TenantDeletionError, deleting nothing, for a tenant that is
    not cancelled or a confirmation that does not match.
    """
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().filter(pk=tenant_id).first()
        if tenant is None:
            return False
        if only_if_due_at is not None:
            if not due_for_deletion(only_if_due_at).filter(pk=tenant.pk).exists():
                return False
        elif tenant.status != CANCELLED:
            raise TenantDeletionError("not_cancelled", tenant=tenant.name, status=tenant.get_status_display())
        if confirm_subdomain is not None and confirm_subdomain.strip().lower() != tenant.subdomain:
            raise TenantDeletionError("confirmation", subdomain=tenant.subdomain)
        owed = outstanding_refunds(tenant)
        if owed:
            raise TenantDeletionError("refunds_outstanding", tenant=tenant.name, count=owed)
        cancelled = (AuditEntry.objects.filter(tenant=tenant, action="tenant.cancelled")
                     .select_related("actor").order_by("-created_at", "-pk").first())
        rows = _delete_everything(tenant)
        audit.record(
            "tenant.deleted", tenant=None, actor=actor, target=f"tenant:{tenant.pk}",
            name=tenant.name, subdomain=tenant.subdomain, custom_domain=tenant.custom_domain,
            cancelled_at=cancelled_since(tenant).isoformat(),
            cancelled_by=cancelled.actor.email if cancelled and cancelled.actor else None,
            reason="grace_period" if only_if_due_at is not None else "deleted_now",
            grace_days=grace_days(), rows=rows,
        )
    return True


def _delete_everything(tenant):
    """MUST be called inside a transaction holding the tenant's row. Returns {model label: rows}."""
    root, collection = tenant.root_page, tenant.collection
    pages = list(Page.objects.descendant_of(root, inclusive=True).values_list("pk", flat=True))
    collections = Collection.objects.descendant_of(collection, inclusive=True).values("pk")
    media = [(model, model.objects.filter(collection_id__in=collections)) for model in (get_image_model(),
                                                                                      get_document_model())]
    owned = list(tenant_owned_models())
    groups = [pk for pk in (tenant.admin_group_id, tenant.teacher_group_id) if pk]
    deleted = {"wagtailcore.Page": len(pages), "wagtailcore.Collection": collections.count()}
    deleted.update({model._meta.label: rows.count() for model, rows in media})

    def count(result):
        for label, number in result[1].items():
            deleted[label] = deleted.get(label, 0) + number

    # Wagtail's history of these rows (edits in the admin), while the rows still say what is the tenant's.
    for model, rows in [(Tenant, Tenant.objects.filter(pk=tenant.pk)), *media,
                        *[(model, model._default_manager.filter(tenant=tenant)) for model in owned]]:
        count(_history_of(model, rows).delete())
    # Table by table, a row before the rows it protects (refunds, payments, bookings, then
    # sessions and event types); rows that only point at the tenant (SET_NULL: the Stripe
    # events) would otherwise outlive it. Then the tenant row itself.
    for model in _deletion_order(owned):
        count(model._default_manager.filter(tenant=tenant).delete())
    count(Tenant.objects.filter(pk=tenant.pk).delete())
    count(Site.objects.filter(root_page_id=root.pk).delete())
    root.specific.delete(skip_permission_checks=True)
    count(PageLogEntry.objects.filter(page_id__in=pages).delete())
    collection.delete()  # its images and documents too (their files go after commit)
    count(Group.objects.filter(pk__in=groups).delete())
    return {label: number for label, number in sorted(deleted.items()) if number}


def _history_of(model, rows):
    """Wagtail's ModelLogEntry rows about these rows (object_id is text: compare as text)."""
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    object_ids = rows.annotate(history_object_id=Cast("pk", CharField())).values("history_object_id")
    return ModelLogEntry.objects.filter(content_type=content_type, object_id__in=object_ids)


def _deletion_order(owned):
    """The models, each before every model it references with on_delete=PROTECT."""
    owned = set(owned)

    def protected(model):
        return {field.related_model for field in model._meta.concrete_fields
                if field.is_relation and field.remote_field.on_delete is models.PROTECT
                and field.related_model in owned and field.related_model is not model}

    order, remaining = [], set(owned)
    while remaining:
        free = [model for model in remaining if not any(model in protected(other) for other in remaining)]
        if not free:
            raise RuntimeError(f"PROTECT cycle among {sorted(m._meta.label for m in remaining)}")
        order += sorted(free, key=lambda model: model._meta.label)
        remaining -= set(free)
    return order


def delete_due_tenants(now=None):
    """Delete every cancelled tenant whose grace period is over, each in its own
    transaction. Safe to run twice. Returns the subdomains deleted."""
    now = now or timezone.now()
    deleted = []
    for tenant_id, subdomain in due_for_deletion(now).values_list("pk", "subdomain"):
        try:
            if delete_tenant(tenant_id, only_if_due_at=now):
                deleted.append(subdomain)
        except TenantDeletionError as refusal:
            logger.warning("tenant %s not deleted: %s", subdomain, refusal.message)
    return deleted
