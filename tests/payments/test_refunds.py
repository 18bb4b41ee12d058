from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from booking.models import Booking
from booking.services import bookings as booking_service
from integrations.payments import tasks
from integrations.payments.models import Payment, Refund
from tests.booking.booking_helpers import make_class
from tests.payments.conftest import book, deliver, reload, session_id_of, start_checkout


def paid_booking(event_type, session, student, fake, connected, commit):
    booking = book(event_type, session, student, commit)
    url = start_checkout(booking, commit)
    for event in fake.pay(session_id_of(url), account=connected.account_id):
        deliver(fake, event, commit)
    booking = reload(booking)
    assert booking.status == Booking.Status.CONFIRMED
    return booking


@pytest.fixture
def late_class(tenant, teacher, connected):
    event_type, sessions = make_class(tenant, teacher, price=Decimal("40.00"), title="Late policy class",
                                      refund_window_hours=12, late_cancel_refund_percent=25)
    return event_type, sessions[0]


@pytest.mark.parametrize(("before_start", "expected"), [
    (timedelta(hours=12, minutes=1), Decimal("40.00")),
    (timedelta(hours=12), Decimal("40.00")),
    (timedelta(hours=11, minutes=59), Decimal("10.00")),
])
def test_refund_at_the_edge_of_the_window(late_class, connected, fake_stripe, student, commit, before_start,
                                          expected):
    event_type, session = late_class
    booking = paid_booking(event_type, session, student, fake_stripe, connected, commit)
    with commit(execute=True):
        booking_service.cancel_booking(booking, actor=student, now=booking.start - before_start)
    refund = Refund.objects.get(payment__booking=booking)
    assert (refund.amount, refund.status, refund.purpose) == (expected, Refund.Status.SUCCEEDED,
                                                              Refund.Purpose.CANCELLATION)
    sent = fake_stripe.requests_to("POST", "/v1/refunds")
    assert len(sent) == 1
    assert sent[0].params["amount"] == str(int(expected * 100))
    assert sent[0].idempotency_key == f"refund:{booking.uid}:cancellation"
    assert sent[0].account == connected.account_id
    payment = Payment.objects.get(booking=booking)
    assert payment.amount_refunded == expected
    assert payment.status == (Payment.Status.REFUNDED if expected == Decimal("40.00")
                              else Payment.Status.PARTIALLY_REFUNDED)
    confirmations = [m for m in mail.outbox if m.subject.startswith("Refund confirmed")]
    assert len(confirmations) == 1 and f"{expected} USD" in confirmations[0].body


def test_late_cancel_with_no_late_percentage_refunds_nothing(tenant, teacher, connected, fake_stripe, student,
                                                             commit):
    event_type, sessions = make_class(tenant, teacher, price=Decimal("40.00"), title="Strict")
    booking = paid_booking(event_type, sessions[0], student, fake_stripe, connected, commit)
    with commit(execute=True):
        booking_service.cancel_booking(booking, actor=student, now=booking.start - timedelta(hours=1))
    assert not Refund.objects.exists()
    assert fake_stripe.requests_to("POST", "/v1/refunds") == []


def test_teacher_cancelling_late_refunds_in_full(late_class, connected, fake_stripe, student, teacher, commit):
    event_type, session = late_class
    booking = paid_booking(event_type, session, student, fake_stripe, connected, commit)
    with commit(execute=True):
        booking_service.cancel_session_with_bookings(session, actor=teacher, now=booking.start - timedelta(hours=1))
    assert Refund.objects.get(payment__booking=booking).amount == Decimal("40.00")


def test_student_sees_the_refund_before_confirming_the_cancel(tenant, late_class, connected, fake_stripe, student,
                                                              commit):
    from tests.conftest import host_client

    event_type, session = late_class
    booking = paid_booking(event_type, session, student, fake_stripe, connected, commit)
    page = host_client(tenant, user=student).get(f"/bookings/{booking.uid}/").content.decode()
    assert "you get 40.00 USD back" in page


def test_failed_refund_is_recorded_shown_and_retried_once(tenant, late_class, connected, fake_stripe, student,
                                                          commit):
    event_type, session = late_class
    booking = paid_booking(event_type, session, student, fake_stripe, connected, commit)
    fake_stripe.fail_next(500, path="/v1/refunds", times=3)  # every try of the first attempt
    with commit(execute=True):
        booking_service.cancel_booking(booking, actor=student, now=booking.start - timedelta(days=1))
    refund = Refund.objects.get(payment__booking=booking)
    assert refund.status == Refund.Status.FAILED and refund.attempts == 1 and refund.next_attempt_at
    assert "Refund confirmed" not in " ".join(m.subject for m in mail.outbox)
    assert tasks.retry_failed_refunds() == 0  # not due yet
    for _run in range(2):
        with commit(execute=True):
            tasks.retry_failed_refunds(now=refund.next_attempt_at + timedelta(seconds=1))
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.attempts == 2
    keys = {r.idempotency_key for r in fake_stripe.requests_to("POST", "/v1/refunds")}
    assert keys == {f"refund:{booking.uid}:cancellation"}  # an unknown outcome keeps its key
    assert len(fake_stripe.objects(connected.account_id, "re")) == 1
    assert len([m for m in mail.outbox if m.subject.startswith("Refund confirmed")]) == 1


def test_refused_refund_is_retried_under_a_new_key(late_class, connected, fake_stripe, student, commit):
    event_type, session = late_class
    booking = paid_booking(event_type, session, student, fake_stripe, connected, commit)
    fake_stripe.fail_next("card_declined", path="/v1/refunds")
    with commit(execute=True):
        booking_service.cancel_booking(booking, actor=student, now=booking.start - timedelta(days=1))
    refund = Refund.objects.get(payment__booking=booking)
    assert refund.status == Refund.Status.FAILED and "declined" in refund.last_error
    with commit(execute=True):
        tasks.retry_failed_refunds(now=refund.next_attempt_at)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    keys = [r.idempotency_key for r in fake_stripe.requests_to("POST", "/v1/refunds")]
    assert keys == [f"refund:{booking.uid}:cancellation", f"refund:{booking.uid}:cancellation:1"]


def test_refund_timeout_then_success_does_not_refund_twice(late_class, connected, fake_stripe, student, commit,
                                                           settings):
    settings.STRIPE_MAX_RETRIES = 0
    settings.STRIPE_TIMEOUT_SECONDS = 0.3
    event_type, session = late_class
    booking = paid_booking(event_type, session, student, fake_stripe, connected, commit)
    fake_stripe.fail_next("timeout", path="/v1/refunds", delay=0.6)
    with commit(execute=True):
        booking_service.cancel_booking(booking, actor=student, now=booking.start - timedelta(days=1))
    refund = Refund.objects.get(payment__booking=booking)
    assert refund.status == Refund.Status.FAILED
    with commit(execute=True):
        tasks.retry_failed_refunds(now=refund.next_attempt_at)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert len(fake_stripe.objects(connected.account_id, "re")) == 1


def test_cancelling_an_unpaid_booking_closes_its_checkout(late_class, connected, fake_stripe, student, commit):
    event_type, session = late_class
    booking = book(event_type, session, student, commit)
    url = start_checkout(booking, commit)
    with commit(execute=True):
        booking_service.cancel_booking(booking, actor=student)
    assert fake_stripe.get(connected.account_id, session_id_of(url))["status"] == "expired"
    assert Payment.objects.get(booking=booking).status == Payment.Status.EXPIRED
    assert not Refund.objects.exists()
