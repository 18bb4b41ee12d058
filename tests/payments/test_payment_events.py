"""Payments announce what happened: outgoing webhooks and metrics hear
payment.succeeded once, however often Stripe repeats itself."""

import json

import pytest

from integrations.payments import signals
from integrations.payments.models import Payment
from integrations.webhooks import services as webhooks
from integrations.webhooks.models import Delivery
from site_platform.models import Plan, Tenant
from tests.payments.conftest import book, deliver, session_id_of, start_checkout

pytestmark = pytest.mark.django_db


def test_a_paid_booking_announces_payment_succeeded_once(tenant, paid_class, connected, fake_stripe, student,
                                                         commit, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    Tenant.objects.filter(pk=tenant.pk).update(plan=Plan.objects.get(code="growth"))
    tenant.refresh_from_db()
    # A closed loopback port: the delivery is recorded (and retried later), which is what is checked here.
    webhooks.create_endpoint(tenant=tenant, url="http://127.0.0.1:9/hook", events=["payment.succeeded"])
    heard = []

    def listener(sender, **kwargs):
        heard.append(kwargs)

    signals.payment_succeeded.connect(listener, weak=False, dispatch_uid="test-listener")
    try:
        event_type, session = paid_class
        booking = book(event_type, session, student, commit)
        url = start_checkout(booking, commit)
        events = fake_stripe.pay(session_id_of(url), account=connected.account_id)
        for event in events + events:  # Stripe delivers everything twice
            assert deliver(fake_stripe, event, commit).status_code == 200
    finally:
        signals.payment_succeeded.disconnect(dispatch_uid="test-listener")
    payment = Payment.objects.get(booking=booking)
    assert len(heard) == 1
    assert heard[0]["booking_id"] == booking.pk and heard[0]["tenant_id"] == tenant.pk
    assert heard[0]["amount"] == str(payment.amount)
    delivery = Delivery.objects.get(event_type="payment.succeeded")
    body = json.loads(delivery.payload)
    assert body["type"] == "payment.succeeded"
    assert body["data"]["booking"]["id"] == str(booking.uid) and body["data"]["amount"] == str(payment.amount)


def test_a_student_back_through_the_manage_link_can_still_pay(tenant, paid_class, connected, student, commit):
    import re

    from django.test import Client

    event_type, session = paid_class
    booking = book(event_type, session, student, commit)
    anonymous = Client(HTTP_HOST=tenant.hostname)
    page = anonymous.get(booking.manage_path())
    assert page.status_code == 200
    link = re.search(r'href="(/pay/[^"]+)">Pay now<', page.content.decode())
    assert link, "the booking page offers to pay"
    pay_page = anonymous.get(link.group(1).replace("&amp;", "&"))
    assert pay_page.status_code == 200
    assert "English B1" in pay_page.content.decode()
