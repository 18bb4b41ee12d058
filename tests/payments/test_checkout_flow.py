from decimal import Decimal

from django.core import mail
from django.test import RequestFactory

from booking import payment_flow
from booking.models import Booking
from booking.services import bookings as booking_service
from integrations.payments import tasks
from integrations.payments.models import Payment, TenantBillingProfile, WebhookEvent
from tests.conftest import host_client

from tests.payments.conftest import book, deliver, reload, session_id_of, start_checkout


def receipts_sent():
    return [m for m in mail.outbox if m.subject.startswith("Receipt ")]


def test_paid_booking_end_to_end(tenant, paid_class, connected, fake_stripe, student, commit):
    TenantBillingProfile.objects.create(tenant=tenant, legal_name="Hanoi English Centre Ltd",
                                        address="12 Hang Bai, Hoan Kiem, Hanoi", tax_id="0101234567")
    event_type, session = paid_class
    booking = book(event_type, session, student, commit, seats=2)
    assert booking.status == Booking.Status.PENDING_PAYMENT
    assert payment_flow.checkout_redirect(RequestFactory().get("/"), booking) == f"/pay/{booking.uid}/"

    page = host_client(tenant, user=student).get(f"/pay/{booking.uid}/")
    assert page.status_code == 200
    assert "English B1 × 2" in page.content.decode() and "50.00 USD" in page.content.decode()

    url = start_checkout(booking, commit)
    created = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert len(created) == 1
    request = created[0]
    assert request.account == connected.account_id and request.acting_as == connected.account_id
    assert request.idempotency_key == f"checkout:{booking.uid}:1"
    assert request.params["line_items"][0]["price_data"]["unit_amount"] == "5000"
    assert request.params["payment_intent_data"]["application_fee_amount"] == "250"  # 5% of the plan
    assert request.params["metadata"]["booking_uid"] == str(booking.uid)
    assert request.params["payment_intent_data"]["metadata"]["booking_uid"] == str(booking.uid)
    assert url == fake_stripe.get(connected.account_id, session_id_of(url))["url"]

    for event in fake_stripe.pay(session_id_of(url), account=connected.account_id):
        assert deliver(fake_stripe, event, commit).status_code == 200
    booking = reload(booking)
    assert booking.status == Booking.Status.CONFIRMED
    payment = Payment.objects.get(booking=booking)
    assert payment.status == Payment.Status.PAID and payment.amount == Decimal("50.00")
    assert payment.application_fee == Decimal("2.50")
    assert payment.receipt_number == "R-000001"
    assert len(receipts_sent()) == 1
    receipt = receipts_sent()[0]
    assert receipt.to == [student.email]
    assert "Hanoi English Centre Ltd" in receipt.body and "12 Hang Bai" in receipt.body
    assert "English B1 × 2: 50.00 USD" in receipt.body

    back = host_client(tenant, user=student).get(f"/pay/{booking.uid}/return/?session_id={session_id_of(url)}")
    assert 'data-state="confirmed"' in back.content.decode()
    printable = host_client(tenant).get(f"/pay/{booking.uid}/receipt/?token={booking.manage_token}")
    assert printable.status_code == 200
    assert "R-000001" in printable.content.decode() and "0101234567" in printable.content.decode()
    assert WebhookEvent.objects.filter(processed_at__isnull=False).count() == 2


def test_return_page_confirms_before_the_webhook_and_waits_otherwise(tenant, paid_class, connected, fake_stripe,
                                                                    student, commit):
    event_type, session = paid_class
    booking = book(event_type, session, student, commit)
    url = start_checkout(booking, commit)
    client = host_client(tenant, user=student)
    waiting = client.get(f"/pay/{booking.uid}/return/?session_id={session_id_of(url)}")
    assert 'data-state="waiting"' in waiting.content.decode()
    assert 'http-equiv="refresh"' in waiting.content.decode()
    fake_stripe.pay(session_id_of(url), account=connected.account_id)  # the webhook is late
    with commit(execute=True):
        done = client.get(f"/pay/{booking.uid}/return/?session_id={session_id_of(url)}")
    assert 'data-state="confirmed"' in done.content.decode()
    assert reload(booking).status == Booking.Status.CONFIRMED
    assert len(receipts_sent()) == 1


def test_declined_card_shows_failed_and_try_again_opens_a_new_attempt(tenant, paid_class, connected, fake_stripe,
                                                                     student, commit):
    event_type, session = paid_class
    booking = book(event_type, session, student, commit)
    url = start_checkout(booking, commit)
    for event in fake_stripe.pay(session_id_of(url), account=connected.account_id, outcome="declined"):
        deliver(fake_stripe, event, commit)
    page = host_client(tenant, user=student).get(f"/pay/{booking.uid}/").content.decode()
    assert 'data-state="failed"' in page and "Your card was declined." in page and "Try again" in page
    # The session is still open at Stripe: pressing Try again goes back to it.
    assert start_checkout(booking, commit) == url
    fake_stripe.expire(session_id_of(url), account=connected.account_id)
    second = start_checkout(booking, commit)
    assert second != url
    keys = [r.idempotency_key for r in fake_stripe.requests_to("POST", "/v1/checkout/sessions")]
    assert keys == [f"checkout:{booking.uid}:1", f"checkout:{booking.uid}:2"]
    for event in fake_stripe.pay(session_id_of(second), account=connected.account_id):
        deliver(fake_stripe, event, commit)
    assert reload(booking).status == Booking.Status.CONFIRMED


def test_expired_checkout_page_offers_retry_while_the_hold_lasts(tenant, paid_class, connected, fake_stripe,
                                                                 student, commit):
    event_type, session = paid_class
    booking = book(event_type, session, student, commit)
    url = start_checkout(booking, commit)
    for event in fake_stripe.expire(session_id_of(url), account=connected.account_id):
        deliver(fake_stripe, event, commit)
    page = host_client(tenant, user=student).get(f"/pay/{booking.uid}/").content.decode()
    assert 'data-state="checkout_expired"' in page and "Try again" in page
    booking_service.expire_holds(now=booking.hold_expires_at)
    page = host_client(tenant, user=student).get(f"/pay/{booking.uid}/").content.decode()
    assert 'data-state="hold_expired"' in page and "Try again" not in page
    response = host_client(tenant, user=student).post(f"/pay/{booking.uid}/checkout/")
    assert response.status_code == 302 and response["Location"].startswith("/pay/")


def test_nightly_reconciliation_confirms_a_payment_whose_webhook_was_lost(tenant, paid_class, connected,
                                                                          fake_stripe, student, commit):
    event_type, session = paid_class
    booking = book(event_type, session, student, commit)
    url = start_checkout(booking, commit)
    fake_stripe.pay(session_id_of(url), account=connected.account_id)  # no webhook arrives
    for _run in range(2):
        with commit(execute=True):
            tasks.reconcile_payments()
    assert reload(booking).status == Booking.Status.CONFIRMED
    assert len(receipts_sent()) == 1


def test_free_for_a_group_confirms_without_stripe(tenant, paid_class, connected, fake_stripe, student, commit):
    from integrations.payments.models import GroupPrice, PriceGroup, PriceGroupMember

    event_type, session = paid_class
    group = PriceGroup.objects.create(tenant=tenant, name="Resident students")
    PriceGroupMember.objects.create(group=group, email=student.email.upper())
    GroupPrice.objects.create(group=group, event_type=None, price=Decimal("0"))
    booking = book(event_type, session, student, commit)
    assert reload(booking).status == Booking.Status.CONFIRMED
    assert payment_flow.checkout_redirect(RequestFactory().get("/"), reload(booking)) is None
    assert fake_stripe.received == []


def test_other_tenant_and_strangers_cannot_open_the_payment_page(tenant, other_tenant, paid_class, connected,
                                                                 student, student2, commit):
    event_type, session = paid_class
    booking = book(event_type, session, student, commit)
    assert host_client(other_tenant, user=student).get(f"/pay/{booking.uid}/").status_code == 404
    assert host_client(tenant, user=student2).get(f"/pay/{booking.uid}/").status_code == 404
    assert host_client(tenant).get(f"/pay/{booking.uid}/?token=wrong").status_code == 404
    assert host_client(tenant).get(f"/pay/{booking.uid}/?token={booking.manage_token}").status_code == 200


def test_booking_form_sends_a_paid_booking_to_its_payment_page(tenant, paid_class, connected, student, commit):
    event_type, session = paid_class
    client = host_client(tenant, user=student)
    with commit(execute=True):
        response = client.post(f"/book/session/{session.pk}/", {"seats": "1"})
    booking = Booking.objects.get(attendee=student)
    assert response.status_code == 302 and response["Location"] == f"/pay/{booking.uid}/"
    assert "Pay now" in client.get(response["Location"]).content.decode()


def test_booking_form_keeps_free_bookings_on_the_booking_page(tenant, teacher, student, commit):
    from tests.booking.booking_helpers import make_class

    event_type, sessions = make_class(tenant, teacher, price=Decimal("0"), title="Free class")
    with commit(execute=True):
        response = host_client(tenant, user=student).post(f"/book/session/{sessions[0].pk}/", {"seats": "1"})
    booking = Booking.objects.get(attendee=student)
    assert response["Location"] == f"/bookings/{booking.uid}/"
