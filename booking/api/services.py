"""Operations the API needs that the booking services do not offer yet: event types
made and changed from data (not from an admin form), whole-list whitelist updates,
personal tokens. Same shape as `booking.services`: one transaction, an audit entry.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from site_platform import audit

from .. import publish_checks
from ..models import Booking, EventHost, EventType, PersonalToken, WhitelistEntry
from ..services import sessions as session_service
from ..services import whitelist as whitelist_service
from .errors import ApiError


def _unique_slug(tenant, wanted, exclude_pk=None):
    base = slugify(wanted)[:70] or "event"
    taken = set(EventType.objects.for_tenant(tenant).exclude(pk=exclude_pk)
                .filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _set_hosts(event_type, teachers):
    EventHost.objects.filter(event_type=event_type).exclude(teacher__in=teachers).delete()
    have = set(EventHost.objects.filter(event_type=event_type).values_list("teacher_id", flat=True))
    for teacher in teachers:
        if teacher.pk not in have:
            EventHost.objects.create(event_type=event_type, teacher=teacher)


class PublishRefused(ApiError):
    """A check of `booking.publish_checks` (a paid event type without a connected Stripe
    account, the plan's limit) refuses to publish: the admin form's messages, as a 422."""

    def __init__(self, problems):
        self.problems = [str(problem) for problem in problems]
        super().__init__("publish_refused", 422, fields={"is_published": self.problems})

    @property
    def message(self):
        return " ".join(getattr(self, "problems", []))


def check_publish(*, tenant, event_type, fields):
    """The admin form's publish checks, on the values the event type would have after
    saving `fields`. `event_type` is the row as stored (unsaved for a new one)."""
    is_published = fields.get("is_published", event_type.is_published)
    price = fields.get("price", event_type.price)
    problems = publish_checks.publish_problems(tenant=tenant, event_type=event_type, is_published=is_published,
                                               price=price)
    if problems:
        raise PublishRefused(problems)


def check_participant_names(event_type):
    """As the admin form: only classes and workshops name their participants."""
    if event_type.kind == EventType.Kind.ONE_ON_ONE \
            and event_type.participant_names != EventType.ParticipantNames.NOT_ASKED:
        raise ValidationError({"participant_names": [_("Only live classes and workshops take named participants.")]})


def create_event_type(*, tenant, fields, hosts=(), recurrence=None, actor=None):
    """Create an event type (and, with `recurrence`, its series of sessions) in one
    transaction. Raises ValidationError (model rules), PublishRefused (publish checks)
    or BookingError (the sessions service) with nothing created. Returns (event_type,
    series result or None)."""
    with transaction.atomic():
        event_type = EventType(tenant=tenant, **fields)
        check_publish(tenant=tenant, event_type=EventType(tenant=tenant), fields=fields)
        if fields.get("slug"):
            if EventType.objects.for_tenant(tenant).filter(slug=fields["slug"]).exists():
                event_type.slug = _unique_slug(tenant, fields["slug"])
        else:
            event_type.slug = _unique_slug(tenant, fields.get("title", ""))
        check_participant_names(event_type)
        event_type.full_clean(exclude=["tenant"])
        event_type.save()
        _set_hosts(event_type, hosts)
        audit.record("booking.event_type_created", tenant=tenant, actor=actor, target=f"event_type:{event_type.pk}",
                     title=event_type.title, kind=event_type.kind, via="api")
        series_result = None
        if recurrence is not None:
            series, sessions, skipped = session_service.create_series(event_type=event_type, actor=actor,
                                                                      **recurrence)
            series_result = {"series": series, "sessions": sessions, "skipped": skipped}
    return event_type, series_result


def update_event_type(event_type, *, fields, hosts=None, actor=None):
    """Change an event type; refused (PublishRefused) as in the admin form when it would
    be published against a publish check."""
    with transaction.atomic():
        current = EventType.objects.select_for_update().select_related("tenant").get(pk=event_type.pk)
        check_publish(tenant=current.tenant, event_type=current, fields=fields)
        for name, value in fields.items():
            setattr(current, name, value)
        if "slug" in fields and EventType.objects.for_tenant(current.tenant_id).filter(
                slug=current.slug).exclude(pk=current.pk).exists():
            current.slug = _unique_slug(current.tenant, current.slug, exclude_pk=current.pk)
        check_participant_names(current)
        current.full_clean(exclude=["tenant"])
        current.save()
        if hosts is not None:
            _set_hosts(current, hosts)
        audit.record("booking.event_type_changed", tenant=current.tenant, actor=actor,
                     target=f"event_type:{current.pk}", fields=sorted(fields), via="api")
    return current


def delete_event_type(event_type, *, actor=None):
    """Delete an event type that has never been booked (its sessions go with it)."""
    with transaction.atomic():
        if Booking.objects.filter(event_type=event_type).exists():
            raise ApiError("event_type_in_use", 409)
        audit.record("booking.event_type_deleted", tenant=event_type.tenant, actor=actor,
                     target=f"event_type:{event_type.pk}", title=event_type.title, via="api")
        event_type.delete()


def update_whitelist(event_type, *, mode, emails, actor=None):
    """add: put the emails on the list; remove: take them off; replace: the list becomes
    exactly these emails. All or nothing: one invalid email refuses the whole update.
    Returns {"mode", "added", "removed", "total"}."""
    wanted = []
    for email in emails:
        if not str(email).strip() and mode != "add":
            continue
        wanted.append(whitelist_service.normalise_email(email))
    wanted = set(wanted)
    with transaction.atomic():
        entries = WhitelistEntry.objects.filter(event_type=event_type)
        have = set(entries.annotate(lower=Lower("email")).values_list("lower", flat=True))
        removed = 0
        if mode in ("remove", "replace"):
            gone = (have & wanted) if mode == "remove" else (have - wanted)
            if gone:
                removed, _rows = entries.annotate(lower=Lower("email")).filter(lower__in=gone).delete()
            have -= gone
        added = []
        if mode in ("add", "replace"):
            added = sorted(wanted - have)
            WhitelistEntry.objects.bulk_create([
                WhitelistEntry(tenant_id=event_type.tenant_id, event_type=event_type, email=email,
                               added_by=actor if getattr(actor, "is_authenticated", False) else None)
                for email in added
            ], ignore_conflicts=True)
        total = WhitelistEntry.objects.filter(event_type=event_type).count()
        audit.record("booking.whitelist_updated", tenant=event_type.tenant, actor=actor,
                     target=f"event_type:{event_type.pk}", mode=mode, added=len(added), removed=removed,
                     total=total, via="api")
    return {"mode": mode, "added": len(added), "removed": removed, "total": total}


def create_personal_token(*, tenant, user, name):
    """A new personal token; returns (token row, clear text shown once)."""
    with transaction.atomic():
        token = PersonalToken(tenant=tenant, user=user, name=name)
        clear = token.set_new_secret()
        token.save()
        audit.record("api.personal_token_created", tenant=tenant, actor=user, target=f"personal_token:{token.pk}",
                     name=name)
    return token, clear


def revoke_personal_token(token, *, actor=None):
    with transaction.atomic():
        revoked = token.revoke()
        if revoked:
            audit.record("api.personal_token_revoked", tenant=token.tenant, actor=actor,
                         target=f"personal_token:{token.pk}")
    return revoked
