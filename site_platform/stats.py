"""Figures about a tenant for a period: the dashboard, the super admin's tenants list
and `GET /api/v1/tenant/stats?period=month` all read them from here.

Periods are calendar periods in UTC containing `now`: the week from Monday, the
month, the year. Revenue is money actually taken, read from the payments app's
rows: per currency, the payments paid in the period (paid, partly refunded or
refunded) less what has been refunded of them (`Payment.amount_refunded`, which
also counts refunds made in Stripe's dashboard), the same figure as the "Net" of
the Transactions report. A booking's price is not revenue until it is paid.
"""

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, Sum
from django.utils import timezone

from .models import Membership

PERIODS = ("week", "month", "year")
PAID_STATUSES = ("confirmed", "no_show")


class UnknownPeriod(ValueError):
    pass


def period_bounds(period, *, now=None):
    """(start, end) of the calendar period containing `now`, in UTC; end is exclusive."""
    now = (now or timezone.now()).astimezone(dt_timezone.utc)
    day = datetime(now.year, now.month, now.day, tzinfo=dt_timezone.utc)
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if period == "month":
        start = day.replace(day=1)
        return start, (start + timedelta(days=32)).replace(day=1)
    if period == "year":
        start = day.replace(month=1, day=1)
        return start, start.replace(year=start.year + 1)
    raise UnknownPeriod(period)


def _booking_model():
    return apps.get_model("booking", "Booking")


def revenue(tenant_ids, start, end):
    """{tenant_id: [(currency, Decimal amount), ...]} of the money taken in [start, end): payments
    paid in the period less their refunds, per tenant and currency. One query, however many tenants."""
    try:
        Payment = apps.get_model("payments", "Payment")
    except LookupError:
        return {}
    rows = (Payment.objects.filter(tenant_id__in=list(tenant_ids), status__in=Payment.SETTLED,
                                   paid_at__gte=start, paid_at__lt=end)
            .values("tenant_id", "currency")
            .annotate(paid=Sum("amount"), refunded=Sum("amount_refunded"))
            .order_by("tenant_id", "currency"))
    found = {}
    for row in rows:
        net = (row["paid"] or Decimal("0")) - (row["refunded"] or Decimal("0"))
        found.setdefault(row["tenant_id"], []).append((row["currency"], net))
    return found


def tenant_stats(tenant, *, period="month", now=None):
    """Bookings, revenue, teacher count and workshop count of the tenant for the period.

    Returns {"period", "start", "end", "bookings", "cancelled", "revenue": [{"currency", "amount"}],
    "teachers", "workshops"}; amounts are Decimal. Raises UnknownPeriod for a period
    other than week, month or year.
    """
    start, end = period_bounds(period, now=now)
    Booking = _booking_model()
    Session = apps.get_model("booking", "Session")
    made = Booking.objects.filter(tenant=tenant, created_at__gte=start, created_at__lt=end)
    counts = dict(made.values_list("status").annotate(n=Count("pk")).order_by())
    return {
        "period": period,
        "start": start,
        "end": end,
        "bookings": sum(counts.get(status, 0) for status in (*PAID_STATUSES, "pending_payment")),
        "cancelled": counts.get("cancelled", 0),
        "revenue": [{"currency": currency, "amount": amount}
                    for currency, amount in revenue([tenant.pk], start, end).get(tenant.pk, [])],
        "teachers": Membership.objects.filter(tenant=tenant, role=Membership.Role.TEACHER, is_active=True).count(),
        "workshops": Session.objects.filter(tenant=tenant, event_type__kind="workshop", start__gte=start,
                                            start__lt=end).exclude(status="cancelled").count(),
    }


def format_money(rows):
    """"120.00 USD · 3000000.00 VND" from [(currency, amount)] or [{"currency", "amount"}]."""
    parts = []
    for row in rows:
        currency, amount = (row["currency"], row["amount"]) if isinstance(row, dict) else row
        parts.append(f"{amount:,.2f} {currency}" if currency.upper() not in {"VND", "JPY", "KRW"}
                     else f"{amount:,.0f} {currency}")
    return " · ".join(parts) or "0"
