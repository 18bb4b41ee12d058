"""What a booking costs, itemised, fixed when the booking is made.

    seat price × seats      the event type's price, or the student's group price
    − group discount        the best one whose `min_seats` the booking reaches
    − coupon                percent of what is left, or a fixed amount (never below 0)

The coupon's use is counted by one conditional UPDATE
(`times_used < max_uses`), so under any concurrency a coupon with a limit of 5
is used 5 times and refused after.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import PaymentError
from .models import ZERO_DECIMAL_CURRENCIES, Coupon, CouponRedemption, GroupDiscount, GroupPrice

CENT = Decimal("0.01")


def quantize(amount, currency):
    step = Decimal("1") if currency.upper() in ZERO_DECIMAL_CURRENCIES else CENT
    return Decimal(amount).quantize(step, rounding=ROUND_HALF_UP).quantize(CENT)


@dataclass
class Quote:
    currency: str
    seats: int
    unit_price: Decimal
    lines: list = field(default_factory=list)  # [{"label", "amount"}], amounts as strings
    subtotal: Decimal = Decimal("0")
    total: Decimal = Decimal("0")
    price_group: object = None
    coupon: object = None
    coupon_discount: Decimal = Decimal("0")

    def add(self, label, amount):
        self.lines.append({"label": str(label), "amount": str(amount)})


def group_price_for(event_type, email):
    """(GroupPrice, group) that applies to the student, the lowest one; event-specific
    prices win over "every event type" ones of the same group."""
    rows = list(GroupPrice.objects.filter(
        tenant_id=event_type.tenant_id, group__members__email__iexact=(email or "").strip(),
    ).filter(Q(event_type=event_type) | Q(event_type__isnull=True)).select_related("group"))
    best_by_group = {}
    for row in rows:
        current = best_by_group.get(row.group_id)
        if current is None or (current.event_type_id is None and row.event_type_id is not None):
            best_by_group[row.group_id] = row
    if not best_by_group:
        return None
    return min(best_by_group.values(), key=lambda r: (r.price, r.pk))


def _percent_text(value):
    return f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"


def group_discount_for(event_type, seats):
    return (GroupDiscount.objects.filter(tenant_id=event_type.tenant_id, min_seats__lte=seats)
            .filter(Q(event_type=event_type) | Q(event_type__isnull=True))
            .order_by("-percent", "pk").first())


def quote(event_type, *, email, seats, coupon=None):
    """The itemised price of `seats` seats of `event_type` for the student with `email`."""
    currency = event_type.currency.upper()
    unit = event_type.price
    group_price = group_price_for(event_type, email)
    result = Quote(currency=currency, seats=seats, unit_price=unit)
    if group_price is not None and group_price.price < unit:
        unit = group_price.price
        result.unit_price = unit
        result.price_group = group_price.group
    subtotal = quantize(unit * seats, currency)
    label = event_type.title if seats == 1 else f"{event_type.title} × {seats}"
    if result.price_group is not None:
        label = _("%(item)s (%(group)s price)") % {"item": label, "group": result.price_group.name}
    result.add(label, subtotal)
    result.subtotal = subtotal
    total = subtotal
    discount = group_discount_for(event_type, seats) if seats > 1 and total > 0 else None
    if discount is not None:
        off = quantize(total * discount.percent / 100, currency)
        result.add(_("Group discount: %(percent)s%% off from %(seats)s seats")
                   % {"percent": _percent_text(discount.percent), "seats": discount.min_seats}, -off)
        total -= off
    if coupon is not None and total > 0:
        if coupon.kind == Coupon.Kind.PERCENT:
            off = quantize(total * min(coupon.value, Decimal("100")) / 100, currency)
        else:
            off = min(quantize(coupon.value, currency), total)
        result.add(_("Coupon %(code)s") % {"code": coupon.code}, -off)
        result.coupon, result.coupon_discount = coupon, off
        total -= off
    result.total = max(total, Decimal("0.00"))
    return result


def find_coupon(tenant, code, event_type, *, now=None):
    """The coupon named `code` if it may be used now for `event_type`; PaymentError otherwise."""
    now = now or timezone.now()
    code = (code or "").strip().upper()
    coupon = Coupon.objects.filter(tenant=tenant, code__iexact=code, is_active=True).first() if code else None
    if coupon is None:
        raise PaymentError("coupon_unknown", coupon=code)
    if coupon.event_type_id and coupon.event_type_id != event_type.pk:
        raise PaymentError("coupon_other_event")
    if coupon.valid_from and now < coupon.valid_from:
        raise PaymentError("coupon_not_yet")
    if coupon.valid_until and now > coupon.valid_until:
        raise PaymentError("coupon_expired")
    if coupon.max_uses is not None and coupon.times_used >= coupon.max_uses:
        raise PaymentError("coupon_used_up")
    return coupon


def take_coupon_use(coupon, *, now=None):
    """Count one use of the coupon if it has one left and is valid now. One UPDATE;
    True if this call got the use. MUST be called inside a transaction that also
    records the redemption."""
    now = now or timezone.now()
    return bool(Coupon.objects.filter(pk=coupon.pk, is_active=True)
                .filter(Q(max_uses__isnull=True) | Q(times_used__lt=F("max_uses")))
                .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=now))
                .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=now))
                .update(times_used=F("times_used") + 1))


def give_back_coupon_use(payment, *, now=None):
    """A booking that is never paid gives its coupon use back. Twice changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        released = CouponRedemption.objects.filter(payment=payment, released_at__isnull=True).update(released_at=now)
        if released:
            Coupon.objects.filter(pk=payment.coupon_id, times_used__gt=0).update(times_used=F("times_used") - 1)
    return bool(released)
