"""API writes at the same moment, with real threads against PostgreSQL: two `pay`
calls open one Checkout page (fake Stripe on loopback) and answer the same URL;
participants added to several groups at once never take more seats than the
session has."""

from decimal import Decimal

import pytest

from booking.models import Booking, BookingParticipant, EventType
from booking.services import bookings as booking_service
from tests.api.conftest import ApiClient
from tests.booking.booking_helpers import make_class
from tests.concurrency import at_once
from tests.conftest import make_user
from tests.payments.conftest import connected, fake_stripe  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def signed_in(tenant, user):
    client = ApiClient(tenant)
    client.force_login(user)
    return client


def test_simultaneous_pay_calls_open_one_checkout_page(tenant, teacher, student, connected, fake_stripe):
    event_type, (session,) = make_class(tenant, teacher, capacity=10, price=Decimal("25.00"), title="English B1")
    made = signed_in(tenant, student).post_json("/api/v1/me/bookings", {"event_type": event_type.pk,
                                                                        "session": session.pk})
    assert made.status_code == 201 and made.json()["status"] == "pending_payment"
    url = f"/api/v1/me/bookings/{made.json()['uid']}/pay"
    clients = [signed_in(tenant, student) for _ in range(2)]

    answers = at_once([lambda c=c: c.post_json(url) for c in clients])

    assert [a.status_code for a in answers] == [200, 200], answers
    urls = {a.json()["checkout_url"] for a in answers}
    assert len(urls) == 1
    assert len(fake_stripe.requests_to("POST", "/v1/checkout/sessions")) == 1
    # Asked again afterwards: still that page.
    assert clients[0].post_json(url).json()["checkout_url"] in urls


def test_participants_added_to_several_groups_at_once_never_pass_capacity(tenant, teacher):
    event_type, (session,) = make_class(tenant, teacher, capacity=6, title="Kids club",
                                        participant_names=EventType.ParticipantNames.REQUIRED)
    bookers = [make_user(f"parent{n}@example.com") for n in range(4)]
    groups = [booking_service.create_booking(event_type=event_type, session=session, attendee=booker, seats=1,
                                             participants=[{"name": f"Child {n}", "email": f"child{n}@example.com"}])
              for n, booker in enumerate(bookers)]
    clients = [signed_in(tenant, booker) for booker in bookers]
    calls = [lambda c=c, g=g, n=n: c.post_json(f"/api/v1/me/bookings/{g.uid}/participants", {
        "participants": [{"name": f"Sibling {n}", "email": f"sibling{n}@example.com"}]})
        for n, (c, g) in enumerate(zip(clients, groups))]

    answers = at_once(calls)

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201, 201, 409, 409], answers
    assert all(a.json()["code"] == "full" for a in answers if a.status_code == 409)
    session.refresh_from_db()
    assert session.seats_taken == 6
    assert BookingParticipant.objects.filter(status="active").count() == 6
    assert sum(Booking.objects.filter(session=session).values_list("seats", flat=True)) == 6
