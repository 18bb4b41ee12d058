"""Plan limits and usage: teachers, published event types, bookings per month.

A limit of None (or a tenant without a plan) means unlimited. Refusals name the
limit and the plan ("Your Starter plan allows 3 teachers").

Bookings per month are counted by `count_booking`, called inside the transaction
that creates the booking: one conditional UPDATE
(`bookings = bookings + 1 WHERE bookings < limit`) on the tenant's row for the
month, so concurrent bookings can never pass the limit and a booking that rolls
back takes its count with it. When 80% and 100% of the month's allowance are
reached the tenant's admins are emailed once (a `UsageNotice` row per tenant,
month and threshold).
"""

import math
from datetime import date
from datetime import timezone as dt_timezone

from celery import shared_task
from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from .errors import PlatformError
from .models import Membership, MonthlyUsage, Tenant, UsageNotice

NOTICE_THRESHOLDS = (80, 100)


class PlanLimitError(PlatformError):
    """A plan limit refuses the change. The message names the limit and the plan."""

    messages = {
        # Plural by the limit ("allows 1 teacher", "allows 3 teachers"): formatting the lazy
        # ngettext with the params dict picks the form from params["limit"].
        "teachers": ngettext_lazy(
            "Your %(plan)s plan allows %(limit)s teacher. Upgrade your plan or deactivate a teacher first.",
            "Your %(plan)s plan allows %(limit)s teachers. Upgrade your plan or deactivate a teacher first.",
            "limit"),
        "published_event_types": ngettext_lazy(
            "Your %(plan)s plan allows %(limit)s published event type. "
            "Upgrade your plan or unpublish another event type first.",
            "Your %(plan)s plan allows %(limit)s published event types. "
            "Upgrade your plan or unpublish another event type first.",
            "limit"),
        "bookings_per_month": ngettext_lazy(
            "Your %(plan)s plan allows %(limit)s booking per month, and this month's is used.",
            "Your %(plan)s plan allows %(limit)s bookings per month, and this month's are all used.",
            "limit"),
        "feature": gettext_lazy("Your %(plan)s plan does not include %(feature)s."),
    }


FEATURES = {
    "custom_domain": gettext_lazy("custom domains"),
    "immersio_sync": gettext_lazy("Immersio sync"),
    "outgoing_webhooks": gettext_lazy("outgoing webhooks"),
    "coupons": gettext_lazy("coupons"),
    "remove_branding": gettext_lazy("removing the platform branding"),
}


def month_of(now=None):
    """The first day of `now`'s month (UTC): the key of the month's usage."""
    now = (now or timezone.now()).astimezone(dt_timezone.utc)
    return date(now.year, now.month, 1)


def _plan(tenant):
    if tenant.plan_id is None:
        return None
    return tenant.plan


def has_feature(tenant, feature):
    """Whether the tenant's plan includes `feature` (a tenant without a plan has every feature)."""
    plan = _plan(tenant)
    return plan is None or feature in (plan.features or [])


def require_feature(tenant, feature):
    if not has_feature(tenant, feature):
        raise PlanLimitError("feature", plan=tenant.plan.name, feature=FEATURES.get(feature, feature))


# Teachers ---------------------------------------------------------------------------------------

def active_teacher_count(tenant, *, exclude_user=None):
    teachers = Membership.objects.filter(tenant=tenant, role=Membership.Role.TEACHER, is_active=True)
    if exclude_user is not None:
        teachers = teachers.exclude(user=exclude_user)
    return teachers.count()


def check_teacher_limit(tenant, user=None):
    """Raise PlanLimitError when one more active teacher would pass the plan's limit.
    `user`, if already an active teacher, is not counted twice."""
    plan = _plan(tenant)
    if plan is None or plan.max_teachers is None:
        return
    if active_teacher_count(tenant, exclude_user=user) >= plan.max_teachers:
        raise PlanLimitError("teachers", plan=plan.name, limit=plan.max_teachers)


# Published event types --------------------------------------------------------------------------

def published_event_type_count(tenant, *, exclude_pk=None):
    EventType = apps.get_model("booking", "EventType")
    published = EventType.objects.filter(tenant=tenant, is_published=True)
    if exclude_pk is not None:
        published = published.exclude(pk=exclude_pk)
    return published.count()


def publish_limit_problems(*, tenant, event_type, is_published, price):
    """A `booking.publish_checks` check: publishing one more event type than the plan allows is refused."""
    if not is_published or tenant is None:
        return []
    if event_type is not None and event_type.pk and type(event_type).objects.filter(
            pk=event_type.pk, is_published=True).exists():
        return []
    plan = _plan(tenant)
    if plan is None or plan.max_published_event_types is None:
        return []
    if published_event_type_count(tenant, exclude_pk=getattr(event_type, "pk", None)) >= plan.max_published_event_types:
        return [PlanLimitError("published_event_types", plan=plan.name, limit=plan.max_published_event_types).message]
    return []


# Bookings per month -----------------------------------------------------------------------------

def count_booking(tenant, *, now=None):
    """Count one booking towards the tenant's month. Returns False, counting nothing,
    when the plan's monthly allowance is used up. `tenant` is a Tenant or its id.

    MUST be called inside the transaction that creates the booking: the row stays
    locked until it commits, and a rollback takes the count back.

    One statement on the usual path: the conditional UPDATE reads the plan's limit in a
    subquery and returns the new count and the limit. Only when the month's row does not
    exist yet (the first booking of the month) is it inserted and the UPDATE run again.
    """
    month = month_of(now)
    tenant_id = getattr(tenant, "pk", tenant)
    counted = _increment(tenant_id, month)
    if counted is None:
        MonthlyUsage.objects.bulk_create([MonthlyUsage(tenant_id=tenant_id, month=month)], ignore_conflicts=True)
        counted = _increment(tenant_id, month)
    if counted is None:
        return False
    used, limit = counted
    if limit:
        for threshold in NOTICE_THRESHOLDS:
            if used >= math.ceil(limit * threshold / 100):
                _note_threshold(tenant_id, month, threshold, limit)
    return True


def _increment(tenant_id, month):
    """`bookings = bookings + 1 WHERE bookings < the plan's limit` on the tenant's row for the
    month; (new count, limit or None), or None when no row was updated (no row, or the limit
    is reached)."""
    qn = connection.ops.quote_name
    column = lambda model, name: f"{qn(model._meta.db_table)}.{qn(model._meta.get_field(name).column)}"  # noqa: E731
    Plan = Tenant._meta.get_field("plan").related_model
    limit_sql = (f"(SELECT {column(Plan, 'max_bookings_per_month')} FROM {qn(Tenant._meta.db_table)} "
                 f"INNER JOIN {qn(Plan._meta.db_table)} ON {column(Plan, 'id')} = {column(Tenant, 'plan')} "
                 f"WHERE {column(Tenant, 'id')} = %s)")
    bookings = qn(MonthlyUsage._meta.get_field("bookings").column)
    sql = (f"UPDATE {qn(MonthlyUsage._meta.db_table)} SET {bookings} = {bookings} + 1 "
           f"WHERE {qn(MonthlyUsage._meta.get_field('tenant').column)} = %s "
           f"AND {qn(MonthlyUsage._meta.get_field('month').column)} = %s "
           f"AND {bookings} < COALESCE({limit_sql}, %s) RETURNING {bookings}, {limit_sql}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant_id, connection.ops.adapt_datefield_value(month), tenant_id, UNLIMITED, tenant_id])
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1])


def refusal_for_school(error, tenant):
    """A booking refusal as the school's own staff read it ("Book someone in"): the monthly
    limit names the plan and its allowance, where a student reads "please contact the school"."""
    plan = _plan(tenant)
    limited = plan is not None and plan.max_bookings_per_month is not None
    if getattr(error, "code", None) == "monthly_limit" and limited:
        return PlanLimitError("bookings_per_month", plan=plan.name, limit=plan.max_bookings_per_month).message
    return error.message


# Above any count a month can reach: the "limit" of a plan without one.
UNLIMITED = 2**31 - 1


def _note_threshold(tenant_id, month, threshold, limit):
    if UsageNotice.objects.filter(tenant_id=tenant_id, month=month, threshold=threshold).exists():
        return
    try:
        with transaction.atomic():
            notice = UsageNotice.objects.create(tenant_id=tenant_id, month=month, threshold=threshold, limit=limit)
    except IntegrityError:
        return
    send_usage_notice.delay_on_commit(notice.pk)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_usage_notice(notice_id):
    """Email the tenant's admins that a monthly threshold is reached; sent once per notice."""
    notice = UsageNotice.objects.select_related("tenant", "tenant__plan").filter(pk=notice_id).first()
    if notice is None or not UsageNotice.objects.filter(pk=notice_id, sent_at__isnull=True).update(
            sent_at=timezone.now()):
        return
    tenant = notice.tenant
    recipients = list(Membership.objects.filter(tenant=tenant, role=Membership.Role.ADMIN, is_active=True)
                      .values_list("user__email", flat=True))
    if not recipients:
        return
    context = {
        "tenant": tenant, "notice": notice, "plan": tenant.plan, "month": notice.month,
        "used": MonthlyUsage.objects.filter(tenant=tenant, month=notice.month).values_list(
            "bookings", flat=True).first() or 0,
        "admin_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/admin/",
        "platform_name": settings.PLATFORM_NAME,
    }
    with translation.override(settings.LANGUAGE_CODE):
        names = {"school": tenant.name, "limit": notice.limit, "percent": notice.threshold,
                 "plan": tenant.plan.name if tenant.plan_id else _("current")}
        if notice.threshold >= 100:
            subject = _("%(school)s has used all %(limit)s bookings of its %(plan)s plan this month") % names
        else:
            subject = _("%(school)s has used %(percent)s%% of the monthly bookings of its %(plan)s plan") % names
        try:
            send_mail(subject, render_to_string("site_platform/emails/usage_notice.txt", context), settings.DEFAULT_FROM_EMAIL,
                      recipients)
        except Exception:
            UsageNotice.objects.filter(pk=notice_id).update(sent_at=None)
            raise


# What the tenant admin sees ---------------------------------------------------------------------

def _row(label, used, limit):
    percent = None if not limit else min(100, round(used * 100 / limit))
    return {"label": label, "used": used, "limit": limit, "percent": percent,
            "reached": limit is not None and used >= limit}


def usage_summary(tenant, *, now=None):
    """This month's usage against the plan's limits, for the dashboard and the tenants list."""
    plan = _plan(tenant)
    month = month_of(now)
    bookings = MonthlyUsage.objects.filter(tenant=tenant, month=month).values_list("bookings", flat=True).first() or 0
    return {
        "plan": plan,
        "month": month,
        "rows": [
            _row(_("Bookings this month"), bookings, plan.max_bookings_per_month if plan else None),
            _row(_("Teachers"), active_teacher_count(tenant), plan.max_teachers if plan else None),
            _row(_("Published event types"), published_event_type_count(tenant),
                 plan.max_published_event_types if plan else None),
        ],
    }


def usage_history(tenant, *, months=6):
    return list(MonthlyUsage.objects.filter(tenant=tenant).order_by("-month")[:months])
