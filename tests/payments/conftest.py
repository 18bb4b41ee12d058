"""Payments fixtures: a fake Stripe on loopback that the real `stripe` library talks
to (through settings only), connected tenants, paid classes, webhook delivery."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from booking.models import Booking
from booking.services import bookings as booking_service
from integrations.payments.models import StripeAccount
from site_platform.models import Plan
from tests.booking.booking_helpers import make_class
from tests.conftest import host_client, make_user
from tests.fakes.stripe_server import FakeStripe

WEBHOOK_SECRET = "whsec_test_platform"
PLATFORM_KEY = "sk_test_platform"
CLIENT_ID = "ca_test_platform"


@pytest.fixture
def fake_stripe(settings):
    fake = FakeStripe(platform_key=PLATFORM_KEY, client_id=CLIENT_ID).start()
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_CONNECT_BASE = fake.url
    settings.STRIPE_SECRET_KEY = PLATFORM_KEY
    settings.STRIPE_CLIENT_ID = CLIENT_ID
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_TIMEOUT_SECONDS = 1
    settings.STRIPE_MAX_RETRIES = 2
    settings.STRIPE_RETRY_BASE_DELAY = 0.001
    yield fake
    fake.stop()


def connect_account(tenant, fake, *, name=None):
    account_id = fake.add_account(name=name or tenant.name)
    return StripeAccount.objects.create(tenant=tenant, account_id=account_id, mode=StripeAccount.Mode.OAUTH,
                                        access_token="sk_test_oauth_x", connected_at=timezone.now())


def set_fee(tenant, percent):
    plan, _created = Plan.objects.get_or_create(code=f"fee-{percent}", defaults={"name": f"Fee {percent}",
                                                                                 "platform_fee_percent": percent})
    tenant.plan = plan
    tenant.save(update_fields=["plan"])
    return plan


@pytest.fixture
def connected(tenant, fake_stripe):
    set_fee(tenant, Decimal("5"))
    return connect_account(tenant, fake_stripe)


@pytest.fixture
def paid_class(tenant, teacher, connected):
    event_type, sessions = make_class(tenant, teacher, capacity=10, price=Decimal("25.00"), title="English B1")
    return event_type, sessions[0]


def book(event_type, session, attendee, commit, *, seats=1, now=None):
    with commit(execute=True):
        return booking_service.create_booking(event_type=event_type, session=session, attendee=attendee,
                                              seats=seats, actor=attendee, now=now)


def deliver(fake, event, commit, *, tenant=None, secret=WEBHOOK_SECRET, path="/integrations/stripe/webhook/"):
    """POST one event to the webhook as Stripe would (signed)."""
    body, signature = fake.signed(event, secret)
    with commit(execute=True):
        return host_client(tenant).post(path, data=body, content_type="application/json",
                                        HTTP_STRIPE_SIGNATURE=signature)


def start_checkout(booking, commit, user=None):
    """The student presses Pay: the page sends them to Stripe Checkout."""
    client = host_client(booking.tenant, user=user or booking.attendee)
    with commit(execute=True):
        response = client.post(f"/pay/{booking.uid}/checkout/")
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def session_id_of(url):
    return url.rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def student2(db):
    return make_user("second@example.com", first_name="Binh")


def reload(booking):
    return Booking.objects.get(pk=booking.pk)


def later(minutes):
    return timezone.now() + timedelta(minutes=minutes)
