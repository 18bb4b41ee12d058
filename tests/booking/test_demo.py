import pytest

from booking.models import EventType, Schedule, Session, SessionSeries
from site_platform.demo import seed_demo
from site_platform.models import Tenant

pytestmark = pytest.mark.django_db


def booking_counts():
    return (EventType.objects.count(), Schedule.objects.count(), SessionSeries.objects.count(),
            Session.objects.count())


def test_demo_has_all_three_kinds_and_a_series_per_tenant_and_runs_twice():
    seed_demo()
    first = booking_counts()
    for tenant in Tenant.objects.all():
        kinds = set(EventType.objects.for_tenant(tenant).values_list("kind", flat=True))
        assert kinds == {"one_on_one", "live_class", "workshop"}
        assert SessionSeries.objects.for_tenant(tenant).exists()
        assert Schedule.objects.for_tenant(tenant).exists()
        assert EventType.objects.get(tenant=tenant, slug="private-lesson").hosts.exists()
    seed_demo()
    assert booking_counts() == first


def test_demo_kids_school_has_a_parents_booking_of_three_named_children():
    seed_demo()
    seed_demo()
    from booking.models import Booking

    group = Booking.objects.get(tenant__subdomain="littlestars", event_type__slug="family-class")
    assert group.attendee.email == "lan@student.example"
    assert group.seats == 3 and group.status == Booking.Status.CONFIRMED
    assert sorted(group.participants.values_list("name", flat=True)) == ["An", "Bao", "Minh"]
    assert group.session.seats_taken == 3
