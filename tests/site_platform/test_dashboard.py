"""The tenant admin's dashboard panels and the stats service behind them (and behind
GET /api/v1/tenant/stats)."""

from datetime import datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

import pytest

from booking.models import Booking, EventType, Session, WaitlistEntry
from booking.services import bookings
from django.utils import timezone
from integrations.payments.models import Payment
from site_platform.stats import UnknownPeriod, period_bounds, tenant_stats
from tests.booking.booking_helpers import future, make_class
from tests.booking.helpers import make_teacher
from tests.conftest import host_client, make_user

pytestmark = pytest.mark.django_db


def record_payment(booking, amount, *, currency="USD", refunded="0", status=Payment.Status.PAID, paid_at=None):
    """A payment row as the payments app leaves it once Stripe has answered (the row the payments
    app made for the booking after commit, if it did, is brought to that state)."""
    settled = status in Payment.SETTLED
    payment, _created = Payment.objects.update_or_create(booking=booking, defaults=dict(
        tenant_id=booking.tenant_id, event_type=booking.event_type, status=status,
        currency=currency, subtotal=Decimal(amount), amount=Decimal(amount), amount_refunded=Decimal(refunded),
        lines=[{"label": "Seat", "amount": str(amount)}], paid_at=(paid_at or timezone.now()) if settled else None))
    return payment


def test_period_bounds():
    now = datetime(2026, 11, 19, 15, 30, tzinfo=dt_timezone.utc)  # a Thursday
    assert period_bounds("week", now=now) == (datetime(2026, 11, 16, tzinfo=dt_timezone.utc),
                                              datetime(2026, 11, 23, tzinfo=dt_timezone.utc))
    assert period_bounds("month", now=now)[1] == datetime(2026, 12, 1, tzinfo=dt_timezone.utc)
    assert period_bounds("year", now=datetime(2026, 12, 31, 23, tzinfo=dt_timezone.utc)) == (
        datetime(2026, 1, 1, tzinfo=dt_timezone.utc), datetime(2027, 1, 1, tzinfo=dt_timezone.utc))
    with pytest.raises(UnknownPeriod):
        period_bounds("decade")


def test_stats_count_bookings_revenue_teachers_and_workshops(tenant, other_tenant, teacher, student):
    event_type, (session,) = make_class(tenant, teacher, capacity=10, price=Decimal("20.00"))
    paid = bookings.create_booking(event_type=event_type, session=session, attendee=student, seats=2)
    bookings.confirm_booking(paid, payment_reference="pi_1")
    cancelled = bookings.create_booking(event_type=event_type, session=session, attendee=make_user("b@example.com"))
    bookings.cancel_booking(cancelled, reason="", by_role=Booking.Role.STUDENT)
    ws = EventType.objects.create(tenant=tenant, kind=EventType.Kind.WORKSHOP, title="Workshop", slug="ws",
                                  is_published=True, seats_per_session=5)
    start = future(days=1)
    Session.objects.create(tenant=tenant, event_type=ws, teacher=teacher, start=start,
                           end=start + timedelta(hours=2), capacity=5)
    make_teacher(other_tenant, "t@saigon.test")

    figures = tenant_stats(tenant, period="year")
    assert figures["bookings"] == 1 and figures["cancelled"] == 1
    assert figures["revenue"] == []  # a confirmed booking's price is not money taken
    assert figures["teachers"] == 1
    assert figures["workshops"] == (1 if start.year == figures["start"].year else 0)
    assert tenant_stats(other_tenant, period="month")["bookings"] == 0


def test_revenue_is_payments_taken_less_refunds_per_currency(tenant, other_tenant, teacher):
    event_type, (session,) = make_class(tenant, teacher, capacity=20, price=Decimal("20.00"))
    their_type, (their_session,) = make_class(other_tenant, make_teacher(other_tenant, "t@saigon.test"),
                                              capacity=20, price=Decimal("20.00"))

    def booking(email, event_type=event_type, session=session):
        return bookings.create_booking(event_type=event_type, session=session, attendee=make_user(email), seats=2)

    now = timezone.now()
    start, _end = period_bounds("month", now=now)
    record_payment(booking("a@example.com"), "36.00")  # a coupon: the booking's price was 40
    record_payment(booking("b@example.com"), "40.00", refunded="10.00", status=Payment.Status.PARTIALLY_REFUNDED)
    record_payment(booking("c@example.com"), "40.00", refunded="40.00", status=Payment.Status.REFUNDED)
    record_payment(booking("d@example.com"), "500000", currency="VND")
    record_payment(booking("e@example.com"), "40.00", status=Payment.Status.FAILED)
    record_payment(booking("f@example.com"), "40.00", status=Payment.Status.AWAITING)
    record_payment(booking("g@example.com"), "40.00", paid_at=start - timedelta(seconds=1))  # last month
    record_payment(booking("h@example.com", their_type, their_session), "99.00")

    assert tenant_stats(tenant, period="month", now=now)["revenue"] == [
        {"currency": "USD", "amount": Decimal("66.00")}, {"currency": "VND", "amount": Decimal("500000.00")}]
    assert tenant_stats(other_tenant, period="month", now=now)["revenue"] == [
        {"currency": "USD", "amount": Decimal("99.00")}]


def test_tenant_admin_home_shows_the_dashboard(tenant, tenant_admin, teacher, student, other_tenant_admin):
    event_type, (session,) = make_class(tenant, teacher, capacity=3, price=Decimal("15.00"), title="Evening B1")
    booking = bookings.create_booking(event_type=event_type, session=session, attendee=student, seats=3)
    bookings.confirm_booking(booking, payment_reference="pi_1")
    record_payment(booking, "45.00")
    WaitlistEntry.objects.create(tenant=tenant, session=session, user=make_user("w@example.com"),
                                 email="w@example.com")
    Booking.objects.filter(pk=booking.pk).update(needs_refund=True)

    page = host_client(None, user=tenant_admin).get("/admin/").content.decode()
    assert "Hanoi English Centre" in page
    assert "Evening B1" in page and "3 / 3" in page  # seats taken
    assert "Waitlists" in page and "1 waiting" in page
    assert "45.00 USD" in page  # revenue this week and month
    assert "Bookings waiting for a refund: <strong>1</strong>" in page
    assert "Last Immersio sync" in page and "never" in page

    other = host_client(None, user=other_tenant_admin).get("/admin/").content.decode()
    assert "Evening B1" not in other and "Saigon Language School" in other


def test_super_admin_home_shows_the_platform(superadmin, tenant):
    page = host_client(None, user=superadmin).get("/admin/").content.decode()
    assert "Platform" in page and "All tenants" in page
