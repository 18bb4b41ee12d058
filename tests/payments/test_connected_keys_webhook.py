"""The per-account webhook of a school connected with its own Stripe keys (not OAuth):
`/integrations/stripe/webhook/<account id>/`, signed with that account's own webhook
secret. Driven end to end against the fake Stripe with the real stripe library."""

from decimal import Decimal

import pytest

from booking.models import Booking
from booking.services import bookings as booking_service
from integrations.payments import connect
from integrations.payments.models import Payment, Refund, StripeAccount, WebhookEvent
from tests.booking.booking_helpers import make_class
from tests.payments.conftest import WEBHOOK_SECRET, book, deliver, reload, session_id_of, start_checkout

pytestmark = pytest.mark.django_db

OWN_SECRET = "whsec_own_hanoi"
OTHER_SECRET = "whsec_own_saigon"


@pytest.fixture
def keys_accounts(tenant, other_tenant, fake_stripe, settings):
    settings.STRIPE_ALLOW_ACCOUNT_KEYS = True
    fake_stripe.add_account("acct_keys_hanoi", name="Hanoi own keys", secret_key="sk_test_own_hanoi")
    fake_stripe.add_account("acct_keys_saigon", name="Saigon own keys", secret_key="sk_test_own_saigon")
    ours = connect.connect_with_keys(tenant, secret_key="sk_test_own_hanoi", webhook_secret=OWN_SECRET)
    theirs = connect.connect_with_keys(other_tenant, secret_key="sk_test_own_saigon", webhook_secret=OTHER_SECRET)
    assert ours.mode == theirs.mode == StripeAccount.Mode.KEYS
    return ours, theirs


def own_endpoint(account_id):
    return f"/integrations/stripe/webhook/{account_id}/"


def as_delivered_to_the_account(event):
    """An account's own endpoint gets its events without an `account` field."""
    return {key: value for key, value in event.items() if key != "account"}


def test_a_keys_account_is_paid_through_its_own_webhook(tenant, teacher, student, fake_stripe, keys_accounts,
                                                        commit):
    ours, _theirs = keys_accounts
    event_type, sessions = make_class(tenant, teacher, price=Decimal("30.00"), title="Own keys class")
    booking = book(event_type, sessions[0], student, commit)
    url = start_checkout(booking, commit)
    events = [as_delivered_to_the_account(e) for e in fake_stripe.pay(session_id_of(url), account=ours.account_id)]

    for event in events + events:  # delivered twice, as Stripe may
        response = deliver(fake_stripe, event, commit, secret=OWN_SECRET, path=own_endpoint(ours.account_id))
        assert response.status_code == 200
    booking = reload(booking)
    payment = Payment.objects.get(booking=booking)
    assert booking.status == Booking.Status.CONFIRMED
    assert payment.status == Payment.Status.PAID and payment.amount == Decimal("30.00")
    assert set(WebhookEvent.objects.values_list("account_id", flat=True)) == {ours.account_id}
    assert set(WebhookEvent.objects.values_list("tenant_id", flat=True)) == {tenant.pk}
    # The charge was made with the school's own key, on its own account (no Stripe-Account header).
    created = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert created and all(r.account in (None, "", ours.account_id) for r in created)

    with commit(execute=True):  # a refund on cancel goes through the same account
        booking_service.cancel_booking(booking, actor=student)
    refund = Refund.objects.get(payment=payment)
    assert refund.status == Refund.Status.SUCCEEDED and refund.amount == Decimal("30.00")


def test_another_accounts_secret_or_the_platform_secret_is_refused(tenant, teacher, student, fake_stripe,
                                                                   keys_accounts, commit):
    ours, theirs = keys_accounts
    event_type, sessions = make_class(tenant, teacher, price=Decimal("30.00"), title="Own keys class")
    booking = book(event_type, sessions[0], student, commit)
    url = start_checkout(booking, commit)
    events = [as_delivered_to_the_account(e) for e in fake_stripe.pay(session_id_of(url), account=ours.account_id)]

    for secret in (OTHER_SECRET, WEBHOOK_SECRET, "whsec_made_up"):
        for event in events:
            response = deliver(fake_stripe, event, commit, secret=secret, path=own_endpoint(ours.account_id))
            assert response.status_code == 400
    # Our event signed with our secret but sent to the other school's endpoint: refused too.
    for event in events:
        assert deliver(fake_stripe, event, commit, secret=OWN_SECRET,
                       path=own_endpoint(theirs.account_id)).status_code == 400
    # An account that is not connected with keys has no endpoint of its own.
    assert deliver(fake_stripe, events[0], commit, secret=OWN_SECRET,
                   path=own_endpoint("acct_unknown")).status_code == 400
    assert not WebhookEvent.objects.exists()
    assert reload(booking).status == Booking.Status.PENDING_PAYMENT
    assert Payment.objects.get(booking=booking).status != Payment.Status.PAID

    response = deliver(fake_stripe, events[0], commit, secret=OWN_SECRET, path=own_endpoint(ours.account_id))
    assert response.status_code == 200  # the right secret still works afterwards
    assert reload(booking).status == Booking.Status.CONFIRMED


def test_a_keys_account_without_a_webhook_secret_refuses_its_endpoint(tenant, fake_stripe, settings, commit):
    settings.STRIPE_ALLOW_ACCOUNT_KEYS = True
    fake_stripe.add_account("acct_keys_nosecret", secret_key="sk_test_nosecret")
    account = connect.connect_with_keys(tenant, secret_key="sk_test_nosecret")
    event = {"id": "evt_x", "object": "event", "type": "payment_intent.succeeded", "data": {"object": {}}}
    response = deliver(fake_stripe, event, commit, secret="", path=own_endpoint(account.account_id))
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
