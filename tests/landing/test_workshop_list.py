"""The workshop list block: a tenant's published classes with next dates, price,
seats left, full sessions and a teacher filter; never another tenant's."""

import pytest

from booking.models import EventType, Session
from tests.conftest import host_client, make_user
from tests.landing.conftest import make_workshops, set_body

pytestmark = pytest.mark.django_db

BLOCK = {"type": "workshop_list", "value": {"heading": "Upcoming classes", "intro": "", "kinds": [],
                                            "show_filters": True, "limit": 12}}


@pytest.fixture
def teachers(tenant):
    return [make_user("linh@hanoi.test", first_name="Linh", last_name="Nguyen"),
            make_user("mai@hanoi.test", first_name="Mai", last_name="Pham")]


def test_lists_published_upcoming_sessions_with_price_and_seats(tenant, teachers):
    make_workshops(tenant, teachers, 3, sessions_each=2, full_first=True)
    EventType.objects.create(tenant=tenant, kind="workshop", title="Hidden draft", slug="draft", is_published=False)
    EventType.objects.create(tenant=tenant, kind="one_on_one", title="Private tutoring", slug="tutoring",
                             is_published=True)
    set_body(tenant, [BLOCK])

    html = host_client(tenant).get("/").content.decode()

    assert html.count('class="workshop card"') == 3
    assert "Workshop 000" in html and "Workshop 002" in html
    assert "Hidden draft" not in html and "Private tutoring" not in html
    assert "Free" in html and "250,000 VND" in html or "250000 VND" in html
    assert "8 seats left" in html
    assert "Full – join the waitlist" in html
    assert "Linh Nguyen" in html and "Mai Pham" in html
    assert 'data-local-time' in html and " UTC</time>" in html


def test_filter_by_teacher(tenant, teachers):
    make_workshops(tenant, teachers[:1], 1, sessions_each=1)
    EventType.objects.filter(title="Workshop 000").update(title="Linh's workshop")
    others = make_workshops(tenant, teachers[1:], 2, sessions_each=1, start_at=1)
    EventType.objects.filter(pk__in=[e.pk for e in others]).update(title="Mai's workshop")
    set_body(tenant, [BLOCK])
    client = host_client(tenant)

    html = client.get("/").content.decode()
    assert '<select id="workshop-teacher" name="teacher">' in html
    filtered = client.get("/", {"teacher": teachers[1].pk}).content.decode()
    assert "Mai&#x27;s workshop" in filtered and "Linh&#x27;s workshop" not in filtered
    assert f'<option value="{teachers[1].pk}" selected>' in filtered
    # A teacher of no listed session (or garbage) shows everything.
    assert "Linh&#x27;s workshop" in client.get("/", {"teacher": "999999"}).content.decode()
    assert "Linh&#x27;s workshop" in client.get("/", {"teacher": "x"}).content.decode()


def test_past_and_cancelled_sessions_are_not_listed(tenant, teachers):
    make_workshops(tenant, teachers, 2, sessions_each=1)
    from django.utils import timezone

    Session.objects.filter(event_type__title="Workshop 000").update(status=Session.Status.CANCELLED)
    Session.objects.filter(event_type__title="Workshop 001").update(
        start=timezone.now().replace(year=2020), end=timezone.now().replace(year=2020, hour=23))
    set_body(tenant, [BLOCK])
    html = host_client(tenant).get("/").content.decode()
    assert "Workshop 00" not in html
    assert "No classes are scheduled right now" in html


def test_never_shows_another_tenants_workshops(tenant, other_tenant, teachers):
    make_workshops(other_tenant, teachers, 2)
    set_body(tenant, [BLOCK])
    html = host_client(tenant).get("/").content.decode()
    assert "Workshop 00" not in html
