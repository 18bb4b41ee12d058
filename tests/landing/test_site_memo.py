"""The root page, its menu, its privacy and the branding are kept with the host map
(landing/site_memo.py): a warm render past the page cache reads no page, branding or
privacy rows, and every change a visitor would see shows on the very next request."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from landing.models import BrandingSettings, ContentPage
from tests.conftest import host_client, make_user
from tests.landing.conftest import full_body, make_workshops, set_body

pytestmark = pytest.mark.django_db

UNCACHED = {"ref": "newsletter"}  # an unknown parameter: rendered every time, never stored


def site_of(tenant):
    return tenant.root_page.sites_rooted_here.get()


def render(tenant, **params):
    response = host_client(tenant).get("/", params or UNCACHED)
    assert response.status_code == 200
    assert response.get("X-Page-Cache") != "hit"
    return response.content.decode()


@pytest.fixture
def school(tenant):
    teachers = [make_user("linh@hanoi.test", first_name="Linh", last_name="Nguyen")]
    event_types = make_workshops(tenant, teachers, 2, sessions_each=1, capacity=5)
    set_body(tenant, full_body(widget_event_type=event_types[1].slug))
    return event_types


def test_a_warm_render_reads_no_page_branding_or_privacy_rows(tenant, school):
    first = render(tenant)
    with CaptureQueriesContext(connection) as queries:
        second = render(tenant)
    tables = " ".join(query["sql"] for query in queries)
    assert "wagtailcore_page" not in tables
    assert "wagtailcore_pageviewrestriction" not in tables
    assert "landing_brandingsettings" not in tables
    assert second.count('class="workshop card"') == first.count('class="workshop card"') == 2
    assert "Speak English with confidence" in second


def test_a_published_change_shows_on_the_next_render(tenant, school):
    render(tenant)
    set_body(tenant, [{"type": "text", "value": "<p>Summer timetable is out</p>"}], seo_title="Summer at Hanoi")
    html = render(tenant)
    assert "Summer timetable is out" in html and "Speak English with confidence" not in html
    assert "<title>Summer at Hanoi</title>" in html


def test_a_branding_change_shows_on_the_next_render(tenant, school):
    assert "https://zalo.me/hanoi-centre" not in render(tenant)
    branding = BrandingSettings.for_site(site_of(tenant))
    branding.zalo_url = "https://zalo.me/hanoi-centre"
    branding.default_cta_text = "Try a lesson"
    branding.default_cta_link = "#classes"
    branding.save()
    html = render(tenant)
    assert "https://zalo.me/hanoi-centre" in html and "Try a lesson" in html


def test_each_tenant_keeps_its_own_page_and_branding(tenant, other_tenant, school):
    BrandingSettings.objects.create(site=site_of(tenant), zalo_url="https://zalo.me/hanoi-centre")
    BrandingSettings.objects.create(site=site_of(other_tenant), zalo_url="https://zalo.me/saigon-school")
    for _ in range(2):  # the second time from the host map
        hanoi, saigon = render(tenant), render(other_tenant)
        assert "zalo.me/hanoi-centre" in hanoi and "zalo.me/saigon-school" not in hanoi
        assert "zalo.me/saigon-school" in saigon and "zalo.me/hanoi-centre" not in saigon
        assert "Speak English with confidence" in hanoi and "Speak English with confidence" not in saigon


def test_a_page_made_private_is_no_longer_shown_to_visitors(tenant, school):
    client = host_client(tenant)
    assert client.get("/").status_code == 200
    assert client.get("/").get("X-Page-Cache") == "hit"
    assert client.get("/", UNCACHED).status_code == 200

    restriction = PageViewRestriction.objects.create(page=tenant.root_page,
                                                     restriction_type=PageViewRestriction.LOGIN)
    for params in ({}, UNCACHED):
        response = client.get("/", params)
        assert response.status_code == 302 and "login" in response["Location"]

    restriction.delete()
    assert client.get("/", UNCACHED).status_code == 200


def test_the_menu_follows_publishing(tenant, school):
    assert ">Our teachers page<" not in render(tenant)
    page = ContentPage(title="Our teachers page", slug="teachers", show_in_menus=True,
                       body=[{"type": "text", "value": "<p>Meet them</p>"}])
    tenant.root_page.add_child(instance=page)
    page.save_revision().publish()
    html = render(tenant)
    assert ">Our teachers page<" in html and 'href="/teachers/"' in html

    page.unpublish()
    assert ">Our teachers page<" not in render(tenant)


def test_the_kept_header_and_footer_follow_language_page_and_visitor(tenant, school):
    set_body(tenant, full_body(), search_description="Small classes in Hanoi")
    BrandingSettings.objects.create(site=site_of(tenant), zalo_url="https://zalo.me/hanoi-centre")
    english = render(tenant)
    assert _without_csrf(render(tenant)) == _without_csrf(english)  # the second time from the host map
    assert '<option value="en" selected>' in english and "Small classes in Hanoi" in english

    vietnamese = host_client(tenant).get("/", UNCACHED, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert '<html lang="vi">' in vietnamese and '<option value="vi" selected>' in vietnamese

    set_body(tenant, full_body(), search_description="Now also in Da Nang")
    html = render(tenant)
    assert "Now also in Da Nang" in html and "Small classes in Hanoi" not in html

    student = make_user("student@hanoi.test")
    signed_in = host_client(tenant, user=student).get("/", UNCACHED).content.decode()
    assert "Sign out" in signed_in and "Sign out" not in html
    assert 'name="next" type="hidden" value="/?ref=newsletter"' in signed_in


def _without_csrf(html):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
