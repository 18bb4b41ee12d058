"""The booking widget block: one event type's open times for the next days,
server-rendered in the visitor's zone, each linking to its booking page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from booking.models import Session
from tests.booking.booking_helpers import make_class, make_one_on_one
from tests.conftest import host_client
from tests.landing.conftest import set_body

pytestmark = pytest.mark.django_db


def widget(slug, days=7):
    return {"type": "booking_widget", "value": {"heading": "Book a lesson", "intro": "", "event_type": slug,
                                                "days": days}}


def test_one_to_one_slots_link_to_the_booking_page_with_the_start(tenant, teacher):
    event_type = make_one_on_one(tenant, teacher, slug="trial", title="Trial lesson")
    set_body(tenant, [widget("trial")])

    html = host_client(tenant).get("/", {"tz": "Asia/Ho_Chi_Minh"}).content.decode()

    assert "Trial lesson" in html
    assert html.count('<li class="widget-day') == 7
    links = re.findall(r'class="widget-time" href="([^"]+)">(\d\d:\d\d)', html)
    assert links, "no slot links"
    url, label = links[0]
    assert url.startswith("/book/trial/slot/?start=") and url.endswith("Z")
    # The teacher is free 08:00-20:00 UTC: 15:00-02:00 in Ho Chi Minh City (UTC+7).
    assert all(label >= "15:00" or label < "03:00" for _url, label in links)
    assert "Times are shown in <strong data-zone-name>Asia/Ho_Chi_Minh</strong>" in html
    # The zone is a text field with a short list of suggestions, not a <select> of every zone.
    assert re.search(r'<input id="booking-widget-1-tz" name="tz" type="text" value="Asia/Ho_Chi_Minh" '
                     r'list="booking-widget-1-zones"', html)
    datalist = re.search(r'<datalist id="booking-widget-1-zones"[^>]*>(.*?)</datalist>', html, re.S).group(1)
    assert '<option value="Asia/Ho_Chi_Minh">' in datalist and '<option value="Europe/London">' in datalist
    assert datalist.count("<option") < 40 and "<select" not in html.split("booking-widget-1")[1].split("</form>")[0]
    assert f'data-api="/api/v1/event-types/{event_type.pk}/slots"' in html
    assert "data-zone-chosen" in html


def test_the_zone_cookie_is_used_and_utc_without_one(tenant, teacher):
    make_one_on_one(tenant, teacher, slug="trial")
    set_body(tenant, [widget("trial")])
    client = host_client(tenant)

    assert "<strong data-zone-name>UTC</strong>" in client.get("/").content.decode()
    assert "data-zone-chosen" not in client.get("/").content.decode()
    client.cookies["tz"] = "Europe/Paris"
    assert "<strong data-zone-name>Europe/Paris</strong>" in client.get("/").content.decode()
    client.cookies["tz"] = "Not/AZone"
    assert "<strong data-zone-name>UTC</strong>" in client.get("/").content.decode()


def test_any_zone_can_be_typed_and_an_unknown_one_is_refused(tenant, teacher):
    make_one_on_one(tenant, teacher, slug="trial")
    set_body(tenant, [widget("trial")])
    client = host_client(tenant)

    # A zone that is not among the suggestions works, and is suggested back.
    html = client.get("/", {"tz": "America/Argentina/Buenos_Aires"}).content.decode()
    assert "<strong data-zone-name>America/Argentina/Buenos_Aires</strong>" in html
    assert '<option value="America/Argentina/Buenos_Aires">' in html
    assert re.search(r'data-zone-error data-message="[^"]+" hidden></p>', html)

    html = client.get("/", {"tz": "Mars/Olympus_Mons"}).content.decode()
    assert "<strong data-zone-name>UTC</strong>" in html
    assert re.search(r'role="alert" data-zone-error data-message="[^"]+">That time zone is not known', html)
    # ...and the page without ?tz= is not left with the error (fragment and page caches).
    assert re.search(r'data-zone-error data-message="[^"]+" hidden></p>', client.get("/").content.decode())


def test_sessions_link_to_their_booking_page_and_full_ones_are_left_out(tenant, teacher):
    event_type, sessions = make_class(tenant, teacher, sessions=1, days=2, slug="speaking", title="Speaking club",
                                      capacity=4)
    full = Session.objects.create(tenant=tenant, event_type=event_type, teacher=teacher,
                                  start=sessions[0].start + timedelta(hours=3),
                                  end=sessions[0].start + timedelta(hours=4), capacity=4, seats_taken=4)
    set_body(tenant, [widget("speaking", days=14)])

    html = host_client(tenant).get("/").content.decode()

    assert html.count('<li class="widget-day') == 14
    assert f'href="/book/session/{sessions[0].pk}/"' in html
    assert f"/book/session/{full.pk}/" not in html
    assert "4 seats left" in html
    assert 'data-session-url="/book/session/0/"' in html


def test_unknown_unpublished_or_other_tenants_event_type_shows_a_note(tenant, other_tenant, teacher):
    make_one_on_one(other_tenant, teacher, slug="theirs", title="Their lesson")
    make_one_on_one(tenant, teacher, slug="draft", title="Draft lesson", is_published=False)
    set_body(tenant, [widget("theirs"), widget("draft"), widget("missing")])

    html = host_client(tenant).get("/").content.decode()

    assert "Their lesson" not in html and "Draft lesson" not in html
    assert html.count("Online booking is not available here yet.") == 3


def test_a_slot_leads_to_the_booking_form(tenant, teacher, student):
    make_one_on_one(tenant, teacher, slug="trial")
    set_body(tenant, [widget("trial")])
    html = host_client(tenant).get("/").content.decode()
    url = re.findall(r'class="widget-time" href="([^"]+)"', html)[0].replace("&amp;", "&")

    response = host_client(tenant, user=student).get(url)

    assert response.status_code == 200
    assert "Confirm booking" in response.content.decode()


def test_past_times_are_not_offered(tenant, teacher):
    event_type, sessions = make_class(tenant, teacher, sessions=1, days=1, slug="soon")
    Session.objects.filter(pk=sessions[0].pk).update(start=timezone.now() - timedelta(hours=1),
                                                     end=timezone.now() + timedelta(hours=1))
    set_body(tenant, [widget("soon")])
    html = host_client(tenant).get("/").content.decode()
    assert "/book/session/" not in html.replace('data-session-url="/book/session/0/"', "")
    assert html.count("No times") >= 7
