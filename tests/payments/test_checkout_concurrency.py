"""The website's Pay button pressed twice at once (a double click, two tabs), with real
threads against PostgreSQL and the fake Stripe on loopback: one Checkout page, and both
requests are sent to it."""

import threading

import pytest
from django.db import connection

from booking.services import bookings as booking_service
from tests.conftest import host_client
from tests.payments.conftest import connected, fake_stripe, paid_class  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_pay_presses_at_once_open_one_checkout_page(tenant, paid_class, connected, fake_stripe, student):
    event_type, session = paid_class
    booking = booking_service.create_booking(event_type=event_type, session=session, attendee=student, actor=student)
    assert host_client(tenant, user=student).get(f"/pay/{booking.uid}/").status_code == 200
    clients = [host_client(tenant, user=student) for _ in range(3)]
    barrier = threading.Barrier(len(clients))
    answers = [None] * len(clients)

    def press(index):
        try:
            barrier.wait()
            answers[index] = clients[index].post(f"/pay/{booking.uid}/checkout/")
        except Exception as error:  # noqa: BLE001 - a crash fails the assertions below
            answers[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [getattr(a, "status_code", a) for a in answers] == [302, 302, 302]
    assert len({a["Location"] for a in answers}) == 1
    assert len(fake_stripe.requests_to("POST", "/v1/checkout/sessions")) == 1
