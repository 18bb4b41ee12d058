import json
import random
from datetime import timedelta
from decimal import Decimal

from django.core import mail

from booking.models import Booking
from booking.services import bookings as booking_service
from integrations.payments.models import Payment, Refund, StripeAccount, WebhookEvent
from tests.booking.booking_helpers import make_class
from tests.conftest import host_client, make_user
from tests.payments.conftest import (
    book, connect_account, deliver, reload, session_id_of, set_fee, start_checkout,
)


def state_of(booking):
    booking = reload(booking)
    payment = Payment.objects.get(booking=booking)
    return {
        "booking": booking.status, "needs_refund": booking.needs_refund, "payment": payment.status,
        "receipt": payment.receipt_number, "refunded": payment.amount_refunded, "disputed": payment.disputed,
        "refunds": sorted((r.purpose, r.amount, r.status) for r in Refund.objects.filter(payment=payment)),
        "receipts": len([m for m in mail.outbox if m.subject.startswith("Receipt ")]),
        "refund_emails": len([m for m in mail.outbox if "refund" in m.subject.lower()]),
    }


def test_bad_signature_is_refused_and_changes_nothing(tenant, paid_class, connected, fake_stripe, student, commit):
    event_type, session = paid_class
    booking = book(event_type, session, student, commit)
    url = start_checkout(booking, commit)
    events = fake_stripe.pay(session_id_of(url), account=connected.account_id)
    assert deliver(fake_stripe, events[0], commit, secret="whsec_wrong").status_code == 400
    body, signature = fake_stripe.signed(events[0], "whsec_test_platform")
    tampered = body.replace(b'"paid"', b'"unpaid"')
    response = host_client(tenant).post("/integrations/stripe/webhook/", data=tampered,
                                        content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
    assert response.status_code == 400
    assert host_client(tenant).post("/integrations/stripe/webhook/", data=body,
                                    content_type="application/json").status_code == 400
    assert host_client(tenant).get("/integrations/stripe/webhook/").status_code == 405
    assert WebhookEvent.objects.count() == 0
    assert reload(booking).status == Booking.Status.PENDING_PAYMENT


def test_webhook_answers_on_the_platform_host_too(tenant, paid_class, connected, fake_stripe, student, commit):
    event_type, session = paid_class
    booking = book(event_type, session, student, commit)
    url = start_checkout(booking, commit)
    for event in fake_stripe.pay(session_id_of(url), account=connected.account_id):
        assert deliver(fake_stripe, event, commit, tenant=None).status_code == 200
    assert reload(booking).status == Booking.Status.CONFIRMED


def _paid_scenario_events(fake, connected, booking, commit):
    """A declined first try, an expired first session, a paid second one, a dispute."""
    first = start_checkout(booking, commit)
    events = fake.pay(session_id_of(first), account=connected.account_id, outcome="declined")
    events += fake.expire(session_id_of(first), account=connected.account_id)
    deliver(fake, events[-1], commit)  # the page learns the session expired: the next press opens a new one
    second = start_checkout(booking, commit)
    paid = fake.pay(session_id_of(second), account=connected.account_id)
    events += paid
    intent_id = paid[1]["data"]["object"]["id"]
    events += fake.dispute(intent_id, account=connected.account_id)
    return events


def test_every_event_twice_in_any_order_gives_the_same_state(tenant, teacher, connected, fake_stripe, commit):
    event_type, sessions = make_class(tenant, teacher, capacity=10, price=Decimal("30.00"), title="Workshop",
                                      sessions=3)
    outcomes = []
    for number, seed in enumerate([None, 1, 2]):
        student = make_user(f"s{number}@example.com")
        booking = book(event_type, sessions[number], student, commit)
        events = _paid_scenario_events(fake_stripe, connected, booking, commit)
        mail.outbox.clear()
        deliveries = events + events
        if seed is not None:
            random.Random(seed).shuffle(deliveries)
        for event in deliveries:
            assert deliver(fake_stripe, event, commit).status_code == 200
        state = state_of(booking)
        outcomes.append(state)
    assert outcomes[0]["booking"] == Booking.Status.CONFIRMED
    assert outcomes[0]["receipts"] == 1 and outcomes[0]["disputed"] is True
    assert outcomes[0]["refunds"] == []
    strip = [{k: v for k, v in o.items() if k != "receipt"} for o in outcomes]
    assert strip[0] == strip[1] == strip[2]
    dispute_mails = [m for m in mail.outbox if "disputed" in m.subject]
    assert len(dispute_mails) == 1 and dispute_mails[0].to == ["owner@hanoi.test"]


def test_late_payment_after_the_seat_was_resold_is_refunded_once(tenant, teacher, connected, fake_stripe, student,
                                                                student2, commit):
    event_type, sessions = make_class(tenant, teacher, capacity=1, price=Decimal("20.00"), title="Tiny class")
    booking = book(event_type, sessions[0], student, commit)
    url = start_checkout(booking, commit)
    with commit(execute=True):
        booking_service.expire_holds(now=reload(booking).hold_expires_at + timedelta(seconds=1))
    resold = book(event_type, sessions[0], student2, commit)
    assert resold.status == Booking.Status.PENDING_PAYMENT
    events = fake_stripe.pay(session_id_of(url), account=connected.account_id)
    mail.outbox.clear()
    for event in events + events[::-1]:
        assert deliver(fake_stripe, event, commit).status_code == 200
    refunded_events = [e for e in fake_stripe.events_for(connected.account_id) if e["type"] == "charge.refunded"]
    for event in refunded_events * 2:
        deliver(fake_stripe, event, commit)
    state = state_of(booking)
    assert state["booking"] == Booking.Status.EXPIRED and state["needs_refund"] is True
    assert state["refunds"] == [(Refund.Purpose.LATE_PAYMENT, Decimal("20.00"), Refund.Status.SUCCEEDED)]
    assert state["refunded"] == Decimal("20.00") and state["payment"] == Payment.Status.REFUNDED
    assert state["receipts"] == 0 and state["refund_emails"] == 1
    assert "given to someone else" in mail.outbox[0].body
    assert len(fake_stripe.objects(connected.account_id, "re")) == 1
    page = host_client(tenant, user=student).get(f"/pay/{booking.uid}/").content.decode()
    assert 'data-state="refunded_late"' in page
    assert reload(resold).status == Booking.Status.PENDING_PAYMENT


def test_paying_twice_for_one_booking_refunds_the_second_charge(tenant, paid_class, connected, fake_stripe, student,
                                                               commit):
    event_type, session = paid_class
    booking = book(event_type, session, student, commit)
    first = start_checkout(booking, commit)
    # A second tab: the first session is left open at Stripe and a stale page opens another.
    Payment.objects.filter(booking=booking).update(status=Payment.Status.EXPIRED)
    second = start_checkout(booking, commit)
    events = fake_stripe.pay(session_id_of(first), account=connected.account_id)
    events += fake_stripe.pay(session_id_of(second), account=connected.account_id)
    for event in events * 2:
        deliver(fake_stripe, event, commit)
    refunds = Refund.objects.filter(payment__booking=booking)
    assert [(r.purpose, r.status) for r in refunds] == [(Refund.Purpose.DUPLICATE, Refund.Status.SUCCEEDED)]
    assert reload(booking).status == Booking.Status.CONFIRMED
    assert Payment.objects.get(booking=booking).amount_refunded == Decimal("0")


def test_unknown_events_and_accounts_are_answered_200(tenant, connected, fake_stripe, commit):
    event = {"id": "evt_other", "object": "event", "type": "customer.created", "account": connected.account_id,
             "data": {"object": {"id": "cus_1", "object": "customer"}}}
    assert deliver(fake_stripe, event, commit).status_code == 200
    event = {"id": "evt_stranger", "object": "event", "type": "checkout.session.completed", "account": "acct_x",
             "data": {"object": {"id": "cs_1", "object": "checkout.session"}}}
    assert deliver(fake_stripe, event, commit).status_code == 200
    assert WebhookEvent.objects.get(event_id="evt_stranger").outcome == "unknown account"


def test_stripe_down_answers_503_and_the_redelivery_is_processed(tenant, paid_class, connected, fake_stripe,
                                                                student, commit):
    event_type, session = paid_class
    booking = book(event_type, session, student, commit)
    url = start_checkout(booking, commit)
    events = fake_stripe.pay(session_id_of(url), account=connected.account_id)
    fake_stripe.fail_next(500, times=3, path="/v1/checkout/sessions")
    assert deliver(fake_stripe, events[0], commit).status_code == 503
    assert reload(booking).status == Booking.Status.PENDING_PAYMENT
    assert deliver(fake_stripe, events[0], commit).status_code == 200
    assert reload(booking).status == Booking.Status.CONFIRMED


def test_deauthorized_account_is_disconnected_only_when_stripe_confirms(tenant, connected, fake_stripe, commit):
    stale = {"id": "evt_stale", "object": "event", "type": "account.application.deauthorized",
             "account": connected.account_id, "data": {"object": {"id": "ca_test_platform", "object": "application"}}}
    deliver(fake_stripe, stale, commit)
    connected.refresh_from_db()
    assert connected.status == StripeAccount.Status.CONNECTED
    for event in fake_stripe.deauthorize(connected.account_id):
        deliver(fake_stripe, event, commit)
    connected.refresh_from_db()
    assert connected.status == StripeAccount.Status.DISCONNECTED and connected.access_token == ""


def test_tenant_a_account_is_never_used_for_tenant_b(tenant, other_tenant, teacher, connected, fake_stripe, student,
                                                    commit):
    from site_platform.models import Membership
    from site_platform.services.tenants import add_member

    set_fee(other_tenant, Decimal("0"))
    account_b = connect_account(other_tenant, fake_stripe)
    add_member(other_tenant, teacher.email, Membership.Role.TEACHER)
    class_a, sessions_a = make_class(tenant, teacher, price=Decimal("10.00"), title="A class")
    class_b, sessions_b = make_class(other_tenant, teacher, price=Decimal("12.00"), title="B class")
    booking_a = book(class_a, sessions_a[0], student, commit)
    booking_b = book(class_b, sessions_b[0], student, commit)
    start_checkout(booking_a, commit)
    url_b = start_checkout(booking_b, commit)
    by_booking = {}
    for request in fake_stripe.requests_to("POST", "/v1/checkout/sessions"):
        by_booking[request.params["metadata"]["booking_uid"]] = request
    assert by_booking[str(booking_a.uid)].account == connected.account_id
    assert by_booking[str(booking_b.uid)].account == account_b.account_id
    assert "application_fee_amount" not in by_booking[str(booking_b.uid)].params["payment_intent_data"]
    # An event from A's account naming B's booking does nothing to B.
    forged = {"id": "evt_forged", "object": "event", "type": "checkout.session.completed",
              "account": connected.account_id,
              "data": {"object": {"id": session_id_of(url_b), "object": "checkout.session"}}}
    deliver(fake_stripe, forged, commit)
    assert reload(booking_b).status == Booking.Status.PENDING_PAYMENT
    for event in fake_stripe.pay(session_id_of(url_b), account=account_b.account_id):
        deliver(fake_stripe, event, commit)
    assert reload(booking_b).status == Booking.Status.CONFIRMED
    assert reload(booking_a).status == Booking.Status.PENDING_PAYMENT
    used = {r.account for r in fake_stripe.received if r.path.startswith("/v1/")}
    assert used == {connected.account_id, account_b.account_id}
    # Every write about B's booking went to B's account (A's account was only asked, and knew nothing of it).
    assert all(r.account == account_b.account_id for r in fake_stripe.received
               if r.method == "POST" and (session_id_of(url_b) in r.path or str(booking_b.uid) in json.dumps(r.params)))
    forged_lookup = [r for r in fake_stripe.received if r.path.endswith(session_id_of(url_b)) and
                     r.account == connected.account_id]
    assert [r.status for r in forged_lookup] == [404]
