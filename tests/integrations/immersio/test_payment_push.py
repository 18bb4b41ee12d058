"""Payments and refunds of bookings of mapped courses are posted to the fake Immersio
through the outbox: once each, however often the task runs, and late when Immersio was down."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from booking.services import bookings as booking_service
from integrations.immersio.tasks import deliver_push, sweep_push_outbox
from integrations.models import ImmersioLink, PushOutbox
from integrations.payments.models import Payment, Refund
from tests.booking.booking_helpers import make_class
from tests.payments.conftest import (  # noqa: F401  (fixtures)
    commit, connected, deliver, fake_stripe, reload, session_id_of, start_checkout, student2,
)

from .conftest import ORG

pytestmark = pytest.mark.django_db


@pytest.fixture
def mapped_class(tenant, teacher, connected, fake, connection):  # noqa: F811
    fake.add_course(ORG, "c1", title="IELTS")
    event_type, sessions = make_class(tenant, teacher, price=Decimal("25.00"), title="IELTS",
                                      immersio_course_id="c1", refund_window_hours=12,
                                      late_cancel_refund_percent=40)
    return event_type, sessions[0]


def pay(event_type, session, student, fake_stripe, connected, commit):  # noqa: F811
    with commit(execute=True):
        booking = booking_service.create_booking(event_type=event_type, session=session, attendee=student,
                                                 actor=student)
    url = start_checkout(booking, commit)
    for event in fake_stripe.pay(session_id_of(url), account=connected.account_id):
        deliver(fake_stripe, event, commit)
    return reload(booking)


def time_passes():
    PushOutbox.objects.filter(status="pending").update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_payment_then_refund_are_posted_once_each(mapped_class, fake, fake_stripe, connected, student,  # noqa: F811
                                                  commit):  # noqa: F811
    event_type, session = mapped_class
    booking = pay(event_type, session, student, fake_stripe, connected, commit)
    assert booking.status == "confirmed"
    payment = Payment.objects.get(booking=booking)
    enrollment_id = ImmersioLink.objects.get(kind="enrollment", local_id=booking.pk).immersio_id

    posts = fake.requests_to("POST", "/v1/payments")
    assert [p.body for p in posts] == [{
        "external_id": f"payment-{payment.pk}", "enrollment_id": enrollment_id, "amount": "25.00",
        "currency": "USD", "status": "succeeded", "refunded_amount": "0.00", "provider": "stripe",
        "provider_reference": payment.payment_intent_id,
    }]
    row = PushOutbox.objects.get(kind="payment")
    assert row.status == "sent" and posts[0].header("Idempotency-Key") == row.idempotency_key

    # Late cancel: 40 % back.
    with commit(execute=True):
        booking_service.cancel_booking(booking, actor=student, now=booking.start - timedelta(hours=2))
    refund = Refund.objects.get(payment=payment)
    assert refund.amount == Decimal("10.00") and refund.status == "succeeded"
    posts = fake.requests_to("POST", "/v1/payments")
    assert len(posts) == 2
    assert posts[1].body == {
        "external_id": f"payment-{payment.pk}-refund-{refund.pk}", "enrollment_id": enrollment_id,
        "amount": "25.00", "currency": "USD", "status": "partially_refunded", "refunded_amount": "10.00",
        "provider": "stripe", "provider_reference": refund.stripe_refund_id,
    }

    for row in PushOutbox.objects.all():  # every task runs again: nothing more reaches Immersio
        deliver_push.delay(row.pk)
        deliver_push.delay(row.pk)
    sweep_push_outbox.delay()
    assert len(fake.requests_to("POST", "/v1/payments")) == 2
    assert len(fake.requests_to("POST", "/v1/enrollments")) == 1
    assert sorted(p["status"] for p in fake.orgs[ORG].payments.values()) == ["partially_refunded", "succeeded"]
    assert PushOutbox.objects.filter(kind="payment").count() == 2
    assert set(PushOutbox.objects.values_list("status", flat=True)) == {"sent"}


def test_stripe_repeating_its_events_posts_the_payment_once(mapped_class, fake, fake_stripe, connected,  # noqa: F811
                                                            student, commit):  # noqa: F811
    event_type, session = mapped_class
    with commit(execute=True):
        booking = booking_service.create_booking(event_type=event_type, session=session, attendee=student,
                                                 actor=student)
    url = start_checkout(booking, commit)
    events = fake_stripe.pay(session_id_of(url), account=connected.account_id)
    for event in events + events:
        deliver(fake_stripe, event, commit)
    assert len(fake.requests_to("POST", "/v1/payments")) == 1
    assert len(fake.orgs[ORG].payments) == 1


def test_with_immersio_down_payment_and_refund_arrive_later(mapped_class, fake, fake_stripe, connected,  # noqa: F811
                                                            student, commit):  # noqa: F811
    event_type, session = mapped_class
    fake.stop()
    booking = pay(event_type, session, student, fake_stripe, connected, commit)
    with commit(execute=True):
        booking_service.cancel_booking(booking, actor=student, now=booking.start - timedelta(days=1))
    payment = Payment.objects.get(booking=booking)
    assert payment.status == "refunded"
    rows = PushOutbox.objects.filter(kind="payment")
    assert rows.count() == 2 and all(r.status == "pending" and r.last_error for r in rows)
    assert all(r.next_attempt_at > timezone.now() for r in rows)

    fake.start()
    for _ in range(3):  # the sweeper, minute after minute
        time_passes()
        sweep_push_outbox.delay()
    assert set(PushOutbox.objects.values_list("status", flat=True)) == {"sent"}
    enrollments = list(fake.orgs[ORG].enrollments.values())
    assert len(enrollments) == 1 and enrollments[0]["status"] == "cancelled"
    by_status = {p["status"]: p for p in fake.orgs[ORG].payments.values()}
    assert set(by_status) == {"succeeded", "refunded"}
    assert by_status["refunded"]["refunded_amount"] == "25.00"
    assert by_status["refunded"]["enrollment_id"] == enrollments[0]["id"]


def test_payments_of_unmapped_event_types_are_not_posted(tenant, teacher, fake, connection, fake_stripe,  # noqa: F811
                                                         connected, student, commit):  # noqa: F811
    event_type, sessions = make_class(tenant, teacher, price=Decimal("25.00"), title="Local only")
    booking = pay(event_type, sessions[0], student, fake_stripe, connected, commit)
    assert booking.status == "confirmed"
    assert not PushOutbox.objects.filter(kind="payment").exists()
    assert fake.requests_to("POST", "/v1/payments") == []


def test_a_late_payment_for_a_seat_given_to_someone_else_is_not_posted(tenant, teacher, fake, connection,
                                                                       fake_stripe, connected, student,  # noqa: F811
                                                                       student2, commit):  # noqa: F811
    fake.add_course(ORG, "c1", title="Tiny")
    event_type, sessions = make_class(tenant, teacher, capacity=1, price=Decimal("20.00"), title="Tiny",
                                      immersio_course_id="c1")
    with commit(execute=True):
        booking = booking_service.create_booking(event_type=event_type, session=sessions[0], attendee=student,
                                                 actor=student)
    url = start_checkout(booking, commit)
    with commit(execute=True):
        booking_service.expire_holds(now=reload(booking).hold_expires_at + timedelta(seconds=1))
    with commit(execute=True):
        booking_service.create_booking(event_type=event_type, session=sessions[0], attendee=student2, actor=student2)
    for event in fake_stripe.pay(session_id_of(url), account=connected.account_id):
        deliver(fake_stripe, event, commit)
    assert reload(booking).status == "expired"
    assert Refund.objects.get(payment__booking=booking).status == "succeeded"  # the student got the money back
    rows = PushOutbox.objects.filter(kind="payment")  # the payment and its refund
    assert rows.count() == 2 and all(r.status == "skipped" and "never confirmed" in r.last_error for r in rows)
    assert fake.requests_to("POST", "/v1/payments") == []
    assert fake.requests_to("POST", "/v1/enrollments") == []
