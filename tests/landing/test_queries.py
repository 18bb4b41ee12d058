"""A landing page with every block (the workshop list and the booking widget
included) renders with a fixed number of queries, whatever the number of
workshops, teachers, pictures and testimonials on it. Measured with the page
cache cold: a cached page costs no query at all (test_page_cache.py)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from landing.models import BrandingSettings
from site_platform import hosts
from tests.conftest import host_client
from tests.conftest import make_user
from tests.landing.conftest import full_body, make_image, make_workshops, set_body

pytestmark = pytest.mark.django_db


def queries_for_home(tenant):
    client = host_client(tenant)
    assert client.get("/").status_code == 200  # renditions are made on the first view
    hosts.reset()  # the host map keeps the root page, body and all: measure a cold page
    cache.clear()  # and the page cache would answer without rendering
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    assert response.status_code == 200
    return len(captured), response


def test_query_count_does_not_grow_with_content(tenant):
    teachers = [make_user(f"teacher{n}@hanoi.test", first_name=f"Teacher{n}") for n in range(3)]
    make_workshops(tenant, teachers, 5)
    images = [make_image(f"Photo {n}") for n in range(3)]
    BrandingSettings.objects.create(site=tenant.root_page.sites_rooted_here.get(), logo=images[0],
                                    favicon=images[1], facebook_url="https://facebook.com/x")
    set_body(tenant, full_body(images[2], teachers=2, gallery=2, testimonials=2), og_image=images[1])
    small, _response = queries_for_home(tenant)

    many_images = [make_image(f"Gallery {n}") for n in range(12)]
    body = full_body(images[2], teachers=12, gallery=12, testimonials=12)
    for block in body:
        if block["type"] == "gallery":
            block["value"]["images"] = [{"image": image.pk, "caption": f"Picture {n}"}
                                        for n, image in enumerate(many_images)]
    make_workshops(tenant, teachers, 95, start_at=5)
    set_body(tenant, body, og_image=images[1])
    large, response = queries_for_home(tenant)

    html = response.content.decode()
    assert "Picture 11" in html and "Teacher 11" in html
    assert html.count('class="workshop card"') == 100
    assert 'class="widget-time"' in html
    assert response.get("X-Page-Cache") == "miss"
    assert large == small
    # host map (2), page, route, Wagtail's view restrictions, site and menu (about 8), branding (1), images and
    # renditions per image-holding block type (2 × 5), workshops: teachers, event types, next sessions (3),
    # booking widget: event type, sessions with seats (2), page cache: is the page private? (1)
    assert small <= 27
