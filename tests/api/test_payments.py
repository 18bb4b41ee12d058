"""Payments through the API: a student reads the payment of a booking and gets the
Stripe Checkout page to pay it (the real `stripe` library against the fake Stripe on
loopback); the school lists its payments and refunds, in minor units, never
another school's."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from booking.models import Booking
from booking.services import bookings as booking_service
from integrations.payments.models import Payment, Refund
from tests.api.conftest import ApiClient
from tests.booking.booking_helpers import make_class
from tests.payments.conftest import (  # noqa: F401  (fixtures)
    commit, connect_account, connected, deliver, fake_stripe, paid_class, session_id_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_booking(student_client, paid_class):
    event_type, session = paid_class
    made = student_client.post_json("/api/v1/me/bookings", {"event_type": event_type.pk, "session": session.pk,
                                                            "seats": 2})
    assert made.status_code == 201 and made.json()["status"] == "pending_payment"
    return Booking.objects.get(uid=made.json()["uid"])


def test_student_sees_the_price_pays_through_checkout_and_sees_it_paid(student_client, paid_booking, connected,
                                                                      fake_stripe, commit):
    url = f"/api/v1/me/bookings/{paid_booking.uid}"
    state = student_client.get(f"{url}/payment")
    assert state.status_code == 200
    body = state.json()
    assert body["status"] == "awaiting" and body["can_pay"] is True
    assert body["currency"] == "USD" and body["amount_minor"] == 5000
    assert body["lines"][0]["amount_minor"] == 5000 and "English B1" in body["lines"][0]["label"]

    pay = student_client.post_json(f"{url}/pay", HTTP_IDEMPOTENCY_KEY="pay-1")
    assert pay.status_code == 200
    checkout_url = pay.json()["checkout_url"]
    session_id = session_id_of(checkout_url)
    assert checkout_url == fake_stripe.get(connected.account_id, session_id)["url"]
    assert student_client.post_json(f"{url}/pay").json()["checkout_url"] == checkout_url  # the open one again
    assert len(fake_stripe.requests_to("POST", "/v1/checkout/sessions")) == 1

    for event in fake_stripe.pay(session_id, account=connected.account_id):
        assert deliver(fake_stripe, event, commit).status_code == 200
    paid = student_client.get(f"{url}/payment").json()
    assert paid["status"] == "paid" and paid["booking_status"] == "confirmed" and paid["can_pay"] is False
    again = student_client.post_json(f"{url}/pay")
    assert again.status_code == 409 and again.json()["code"] == "already_paid"


def test_pay_when_stripe_is_down_is_a_503_with_retry_after(student_client, paid_booking, connected, fake_stripe):
    fake_stripe.fail_next(500, times=10, path="/v1/checkout/sessions")
    response = student_client.post_json(f"/api/v1/me/bookings/{paid_booking.uid}/pay")
    assert response.status_code == 503 and response.json()["code"] == "stripe_unavailable"
    assert int(response["Retry-After"]) > 0
    assert Payment.objects.get(booking=paid_booking).status != Payment.Status.PAID


def test_free_or_other_peoples_bookings_have_no_payment_here(student_client, paid_booking, tenant, teacher, student,
                                                             connected):
    free_type, free_sessions = make_class(tenant, teacher, title="Free club")
    free = booking_service.create_booking(event_type=free_type, session=free_sessions[0], attendee=student)
    response = student_client.get(f"/api/v1/me/bookings/{free.uid}/payment")
    assert response.status_code == 404 and response.json()["code"] == "not_payable"
    response = student_client.post_json(f"/api/v1/me/bookings/{free.uid}/pay")
    assert response.status_code == 404 and response.json()["code"] == "not_payable"

    from tests.conftest import make_user

    stranger = ApiClient(tenant)
    stranger.force_login(make_user("stranger@example.com"))
    assert stranger.get(f"/api/v1/me/bookings/{paid_booking.uid}/payment").status_code == 404
    assert stranger.post_json(f"/api/v1/me/bookings/{paid_booking.uid}/pay").status_code == 404
    assert ApiClient(tenant).get(f"/api/v1/me/bookings/{paid_booking.uid}/payment").status_code == 401


def _payment(booking, *, status, amount, currency="USD", created_at=None, refunded=Decimal("0")):
    payment = Payment.objects.create(
        tenant_id=booking.tenant_id, booking=booking, event_type=booking.event_type, currency=currency,
        lines=[{"label": "Seat", "amount": str(amount)}], subtotal=amount, amount=amount, status=status,
        amount_refunded=refunded, application_fee=(amount * Decimal("0.05")).quantize(Decimal("0.01")),
        paid_at=timezone.now() if status in Payment.SETTLED else None, payment_intent_id="pi_x")
    if created_at is not None:
        Payment.objects.filter(pk=payment.pk).update(created_at=created_at)
    return payment


def test_school_lists_payments_and_refunds_in_minor_units_filtered_and_only_its_own(
        key_client, tenant, other_tenant, teacher, student, other_workshop):
    from tests.api.conftest import new_key

    english, english_sessions = make_class(tenant, teacher, title="English B1", price=Decimal("25.00"))
    vietnamese, viet_sessions = make_class(tenant, teacher, title="Tiếng Việt", price=Decimal("250000"),
                                           currency="VND")
    first = booking_service.create_booking(event_type=english, session=english_sessions[0], attendee=student)
    second = booking_service.create_booking(event_type=vietnamese, session=viet_sessions[0], attendee=student)
    paid = _payment(first, status=Payment.Status.PAID, amount=Decimal("25.00"), refunded=Decimal("10.00"),
                    created_at=timezone.now() - timedelta(days=40))
    open_ = _payment(second, status=Payment.Status.OPEN, amount=Decimal("250000"), currency="VND")
    refund = Refund.objects.create(tenant=tenant, payment=paid, purpose=Refund.Purpose.CANCELLATION,
                                   amount=Decimal("10.00"), currency="USD", payment_intent_id="pi_x",
                                   idempotency_key="refund:1", status=Refund.Status.SUCCEEDED)
    other_type, other_sessions = other_workshop
    other_booking = booking_service.create_booking(event_type=other_type, session=other_sessions[0],
                                                   attendee=student)
    other_paid = _payment(other_booking, status=Payment.Status.PAID, amount=Decimal("99.00"))
    Refund.objects.create(tenant=other_tenant, payment=other_paid, purpose=Refund.Purpose.CANCELLATION,
                          amount=Decimal("99.00"), currency="USD", payment_intent_id="pi_y",
                          idempotency_key="refund:2")

    listing = key_client.get("/api/v1/tenant/payments").json()
    assert listing["count"] == 2
    by_id = {item["id"]: item for item in listing["results"]}
    assert set(by_id) == {paid.pk, open_.pk}
    assert by_id[paid.pk]["amount_minor"] == 2500 and by_id[paid.pk]["amount_refunded_minor"] == 1000
    assert by_id[paid.pk]["application_fee_minor"] == 125 and by_id[paid.pk]["currency"] == "USD"
    assert by_id[open_.pk]["amount_minor"] == 250000 and by_id[open_.pk]["currency"] == "VND"
    assert by_id[paid.pk]["booking"] == str(first.uid) and by_id[paid.pk]["event_type"]["title"] == "English B1"

    def ids(query, path="/api/v1/tenant/payments"):
        return [item["id"] for item in key_client.get(f"{path}?{query}").json()["results"]]

    assert ids("status=paid") == [paid.pk]
    assert ids(f"event_type={vietnamese.pk}") == [open_.pk]
    since = (timezone.now() - timedelta(days=7)).isoformat().replace("+", "%2B")
    assert ids(f"created_from={since}") == [open_.pk]
    assert ids(f"created_before={since}") == [paid.pk]
    assert ids(f"event_type={other_type.pk}") == []
    assert key_client.get("/api/v1/tenant/payments?status=stolen").status_code == 400
    assert key_client.get("/api/v1/tenant/payments?page_size=1").json()["next"]

    refunds = key_client.get("/api/v1/tenant/refunds").json()
    assert [item["id"] for item in refunds["results"]] == [refund.pk]
    assert refunds["results"][0]["amount_minor"] == 1000 and refunds["results"][0]["booking"] == str(first.uid)
    assert ids("status=succeeded&purpose=cancellation", "/api/v1/tenant/refunds") == [refund.pk]
    assert ids(f"event_type={vietnamese.pk}", "/api/v1/tenant/refunds") == []

    saigon = ApiClient(other_tenant, key=new_key(other_tenant)[1])
    assert [item["amount_minor"] for item in saigon.get("/api/v1/tenant/payments").json()["results"]] == [9900]
