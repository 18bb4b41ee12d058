"""Two workers at once (real threads on PostgreSQL): a payment push is claimed by one
of them and posted once; a change announced twice at once writes one outbox row."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from booking.models import EventType
from booking.services.bookings import create_booking
from booking.services.sessions import create_session
from integrations.immersio import push
from integrations.models import ImmersioLink, PushOutbox
from integrations.payments.models import Payment
from tests.concurrency import race

from .conftest import ORG, connect

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def together(count, work):
    """work(i) in `count` threads released together (tests.concurrency.race); a call that
    raised shows as "crashed: <repr>"."""
    return [f"crashed: {outcome!r}" if isinstance(outcome, Exception) else outcome
            for outcome in race(count, work)]


@pytest.fixture
def enrolled_booking(fake, tenant, teacher, student):
    connect(tenant, fake)
    fake.add_course(ORG, "c1", title="IELTS")
    event_type = EventType.objects.create(tenant=tenant, kind="live_class", title="IELTS", slug="ielts",
                                          immersio_course_id="c1", is_published=True, seats_per_session=8,
                                          minimum_notice_minutes=0)
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    session = create_session(event_type=event_type, teacher=teacher, start=start, end=start + timedelta(hours=1))
    booking = create_booking(event_type=event_type, session=session, attendee=student)  # autocommit: pushed now
    assert ImmersioLink.objects.filter(kind="enrollment", local_id=booking.pk).exists()
    return booking


def test_eight_workers_deliver_one_payment_push_once(fake, enrolled_booking):
    booking = enrolled_booking
    payment = Payment.objects.create(tenant=booking.tenant, booking=booking, event_type=booking.event_type,
                                     currency="USD", subtotal=Decimal("25.00"), amount=Decimal("25.00"),
                                     status="paid", payment_intent_id="pi_race", paid_at=timezone.now())
    row = PushOutbox.objects.create(tenant=booking.tenant, kind="payment", object_key=f"payment:{payment.pk}",
                                    payload={"booking_id": booking.pk, "payment_id": payment.pk},
                                    idempotency_key=f"payment:{payment.pk}", next_attempt_at=timezone.now())

    outcomes = together(8, lambda i: push.deliver(row.pk).status)

    assert sorted(outcomes) == ["not_due"] * 7 + ["sent"], outcomes
    assert len(fake.requests_to("POST", "/v1/payments")) == 1
    assert len(fake.orgs[ORG].payments) == 1
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 1


def test_a_change_announced_twice_at_once_writes_one_row(fake, enrolled_booking):
    booking = enrolled_booking
    before = PushOutbox.objects.count()

    def announce(index):
        return push.enqueue(booking.tenant_id, PushOutbox.Kind.ENROLLMENT_UPDATE, f"booking:{booking.uid}",
                            {"booking_id": booking.pk, "change": "withdrawn"},
                            once_key=f"withdrawal:{booking.uid}:race").pk

    outcomes = together(6, announce)

    assert len(set(outcomes)) == 1, outcomes
    assert PushOutbox.objects.count() == before + 1
    assert len(fake.requests_to("PATCH", "/v1/enrollments/")) == 1
