"""The website's Pay button pressed twice at once (a double click, two tabs), with real
threads against PostgreSQL and the fake Stripe on loopback: one Checkout page, and both
requests are sent to it."""

import pytest

from booking.services import bookings as booking_service
from tests.concurrency import at_once
from tests.conftest import host_client
from tests.payments.conftest import connected, fake_stripe, paid_class  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_pay_presses_at_once_open_one_checkout_page(tenant, paid_class, connected, fake_stripe, student):
    event_type, session = paid_class
    booking = booking_service.create_booking(event_type=event_type, session=session, attendee=student, actor=student)
    assert host_client(tenant, user=student).get(f"/pay/{booking.uid}/").status_code == 200
    clients = [host_client(tenant, user=student) for _ in range(3)]
    answers = at_once([lambda client=client: client.post(f"/pay/{booking.uid}/checkout/") for client in clients])

    assert [getattr(a, "status_code", a) for a in answers] == [302, 302, 302]
    assert len({a["Location"] for a in answers}) == 1
    assert len(fake_stripe.requests_to("POST", "/v1/checkout/sessions")) == 1
