from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from booking.models import Booking
from integrations.payments import checkout, pricing, tasks
from integrations.payments.errors import PaymentError
from integrations.payments.models import (
    Coupon, CouponRedemption, GroupDiscount, GroupPrice, Payment, PriceGroup, PriceGroupMember,
)
from tests.booking.booking_helpers import make_class
from tests.concurrency import at_once
from tests.conftest import host_client, make_tenant, make_user
from tests.payments.conftest import book, reload, session_id_of, start_checkout


def payment_of(booking):
    return Payment.objects.get(booking=booking)


def test_group_discount_from_n_seats(tenant, paid_class, student, commit):
    event_type, session = paid_class
    GroupDiscount.objects.create(tenant=tenant, event_type=event_type, min_seats=3, percent=Decimal("10"))
    two = book(event_type, session, student, commit, seats=2)
    assert payment_of(two).amount == Decimal("50.00") and reload(two).amount == Decimal("50.00")
    other = make_user("group@example.com")
    four = book(event_type, session, other, commit, seats=4)
    payment = payment_of(four)
    assert payment.amount == Decimal("90.00") and reload(four).amount == Decimal("90.00")
    assert [line["amount"] for line in payment.lines] == ["100.00", "-10.00"]
    assert "Group discount: 10% off from 3 seats" in payment.lines[1]["label"]


def test_role_price_for_a_tenant_defined_group(tenant, paid_class, student, commit):
    event_type, session = paid_class
    group = PriceGroup.objects.create(tenant=tenant, name="Resident students")
    PriceGroupMember.objects.create(group=group, email=student.email)
    GroupPrice.objects.create(group=group, event_type=event_type, price=Decimal("15.00"))
    GroupPrice.objects.create(group=group, event_type=None, price=Decimal("20.00"))
    booking = book(event_type, session, student, commit, seats=2)
    payment = payment_of(booking)
    assert payment.amount == Decimal("30.00") and payment.price_group == group
    assert "(Resident students price)" in payment.lines[0]["label"]
    outsider = book(event_type, session, make_user("out@example.com"), commit)
    assert payment_of(outsider).amount == Decimal("25.00")


def test_role_price_of_another_tenant_does_not_apply(tenant, other_tenant, paid_class, student, commit):
    event_type, session = paid_class
    group = PriceGroup.objects.create(tenant=other_tenant, name="Saigon residents")
    PriceGroupMember.objects.create(group=group, email=student.email)
    GroupPrice.objects.create(group=group, event_type=None, price=Decimal("1.00"))
    assert payment_of(book(event_type, session, student, commit)).amount == Decimal("25.00")


@pytest.mark.parametrize(("kind", "value", "expected"), [
    (Coupon.Kind.PERCENT, Decimal("20"), Decimal("40.00")),
    (Coupon.Kind.FIXED, Decimal("7.50"), Decimal("42.50")),
    (Coupon.Kind.FIXED, Decimal("80"), Decimal("0.00")),
])
def test_coupon_percent_or_fixed_is_itemised_and_charged(tenant, paid_class, connected, fake_stripe, student, commit,
                                                         kind, value, expected):
    event_type, session = paid_class
    Coupon.objects.create(tenant=tenant, code="spring", kind=kind, value=value, max_uses=3)
    booking = book(event_type, session, student, commit, seats=2)
    client = host_client(tenant, user=student)
    with commit(execute=True):
        client.post(f"/pay/{booking.uid}/coupon/", {"code": " Spring "})
    payment = payment_of(booking)
    assert payment.amount == expected and reload(booking).amount == expected
    assert payment.lines[-1]["label"] == "Coupon SPRING"
    assert Coupon.objects.get(code="SPRING").times_used == 1
    page = client.get(f"/pay/{booking.uid}/").content.decode()
    assert "Coupon SPRING" in page
    if expected == 0:
        assert reload(booking).status == Booking.Status.CONFIRMED
        assert fake_stripe.received == []
    else:
        start_checkout(booking, commit)
        sent = fake_stripe.requests_to("POST", "/v1/checkout/sessions")[0]
        assert sent.params["line_items"][0]["price_data"]["unit_amount"] == str(int(expected * 100))


def test_coupon_validity_event_type_and_limit(tenant, paid_class, teacher, student, student2, commit):
    event_type, session = paid_class
    other_event, _sessions = make_class(tenant, teacher, price=Decimal("10"), title="Other")
    now = timezone.now()
    Coupon.objects.create(tenant=tenant, code="SOON", value=Decimal("10"), valid_from=now + timedelta(days=1))
    Coupon.objects.create(tenant=tenant, code="OLD", value=Decimal("10"), valid_until=now - timedelta(days=1))
    Coupon.objects.create(tenant=tenant, code="ELSEWHERE", value=Decimal("10"), event_type=other_event)
    Coupon.objects.create(tenant=tenant, code="ONCE", value=Decimal("10"), max_uses=1)
    payment = payment_of(book(event_type, session, student, commit))
    for code, error in [("SOON", "coupon_not_yet"), ("OLD", "coupon_expired"), ("ELSEWHERE", "coupon_other_event"),
                        ("NOPE", "coupon_unknown")]:
        with pytest.raises(PaymentError) as refused:
            checkout.apply_coupon(payment, code)
        assert refused.value.code == error
    checkout.apply_coupon(payment, "once")
    with pytest.raises(PaymentError) as again:
        checkout.apply_coupon(payment, "ONCE")
    assert again.value.code == "coupon_already"
    second = payment_of(book(event_type, session, student2, commit))
    with pytest.raises(PaymentError) as used_up:
        checkout.apply_coupon(second, "ONCE")
    assert used_up.value.code == "coupon_used_up"


def test_coupon_of_another_tenant_is_unknown(tenant, other_tenant, paid_class, student, commit):
    event_type, session = paid_class
    Coupon.objects.create(tenant=other_tenant, code="SAIGON", value=Decimal("50"))
    payment = payment_of(book(event_type, session, student, commit))
    with pytest.raises(PaymentError) as refused:
        checkout.apply_coupon(payment, "SAIGON")
    assert refused.value.code == "coupon_unknown"


def test_unpaid_booking_gives_its_coupon_use_back(tenant, paid_class, connected, fake_stripe, student, commit):
    from booking.services import bookings as booking_service

    event_type, session = paid_class
    coupon = Coupon.objects.create(tenant=tenant, code="BACK", value=Decimal("10"), max_uses=1)
    booking = book(event_type, session, student, commit)
    checkout.apply_coupon(payment_of(booking), "BACK")
    url = start_checkout(booking, commit)
    booking_service.expire_holds(now=reload(booking).hold_expires_at)
    for _run in range(2):
        with commit(execute=True):
            tasks.close_stale_checkouts()
    coupon.refresh_from_db()
    assert coupon.times_used == 0
    assert fake_stripe.get(connected.account_id, session_id_of(url))["status"] == "expired"
    assert CouponRedemption.objects.get().released_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_redeem_a_coupon_limited_to_five():
    tenant = make_tenant("danang")
    coupon = Coupon.objects.create(tenant=tenant, code="RUSH", value=Decimal("10"), max_uses=5)

    def redeem():
        from django.db import transaction

        with transaction.atomic():
            return pricing.take_coupon_use(coupon)

    results = at_once([redeem] * 20)
    # A thread that crashed used to leave no result behind (and fail the length check below).
    assert not [result for result in results if isinstance(result, Exception)], results
    assert results.count(True) == 5 and len(results) == 20
    coupon.refresh_from_db()
    assert coupon.times_used == 5
