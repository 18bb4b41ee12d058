"""Embeds: only the origins a tenant lists may frame its workshop list or booking
widget (CSP frame-ancestors on the embed response); other pages stay unframeable."""

import pytest
from django.core.exceptions import ValidationError

from landing.embeds import parse_origins
from landing.models import BrandingSettings
from tests.booking.booking_helpers import make_class, make_one_on_one
from tests.conftest import host_client
from tests.landing.conftest import make_workshops
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def allow(tenant, origins):
    site = tenant.root_page.sites_rooted_here.get()
    BrandingSettings.objects.update_or_create(site=site, defaults={"embed_allowed_origins": origins})


def frame_ancestors(response):
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    return directives, directives["frame-ancestors"].split()


def test_listed_origins_may_frame_the_workshop_list(tenant):
    make_workshops(tenant, [make_user("t@hanoi.test", first_name="Linh")], 2)
    allow(tenant, "https://lms.immersio.test\nhttps://*.school.example:8443/")

    response = host_client(tenant).get("/embed/workshops/")

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    directives, ancestors = frame_ancestors(response)
    assert ancestors == ["'self'", "https://lms.immersio.test", "https://*.school.example:8443"]
    assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["img-src"] == "'self' data: https:"
    html = response.content.decode()
    assert "Workshop 000" in html and "js/embed-frame.js" in html and '<base target="_blank">' in html
    assert "site-header" not in html


def test_an_origin_not_listed_is_refused(tenant, other_tenant):
    make_one_on_one(tenant, make_user("t@hanoi.test"), slug="trial")
    allow(tenant, "https://lms.immersio.test")
    allow(other_tenant, "https://evil.example")

    response = host_client(tenant).get("/embed/event-types/trial/")

    assert response.status_code == 200
    _directives, ancestors = frame_ancestors(response)
    assert "https://evil.example" not in ancestors and "*" not in ancestors
    assert ancestors == ["'self'", "https://lms.immersio.test"]


def test_no_origins_listed_means_only_the_tenants_own_site(tenant):
    response = host_client(tenant).get("/embed/workshops/")
    assert frame_ancestors(response)[1] == ["'self'"]


def test_landing_pages_keep_x_frame_options(tenant):
    allow(tenant, "https://lms.immersio.test")
    response = host_client(tenant).get("/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] in ("DENY", "SAMEORIGIN")
    # The site-wide policy, if any, never names the embed origins.
    assert "lms.immersio.test" not in response.get("Content-Security-Policy", "")


def test_widget_embed_shows_the_event_type_and_404s_for_others(tenant, other_tenant):
    teacher = make_user("t@hanoi.test", first_name="Linh")
    event_type, sessions = make_class(tenant, teacher, slug="speaking", title="Speaking club")
    make_one_on_one(other_tenant, teacher, slug="theirs")
    make_one_on_one(tenant, teacher, slug="draft", is_published=False)
    client = host_client(tenant)

    html = client.get("/embed/event-types/speaking/").content.decode()
    assert "Speaking club" in html and f"/book/session/{sessions[0].pk}/" in html
    assert client.get("/embed/event-types/theirs/").status_code == 404
    assert client.get("/embed/event-types/draft/").status_code == 404


@pytest.mark.parametrize("text, expected", [
    ("https://a.example\nhttp://localhost:8000", ["https://a.example", "http://localhost:8000"]),
    ("https://A.example/, https://a.example", ["https://a.example"]),
    ("", []),
])
def test_origins_are_parsed(text, expected):
    assert parse_origins(text) == expected


@pytest.mark.parametrize("text", ["*", "https://a.example/path", "javascript:alert(1)", "a.example",
                                  "https://a.example; script-src *", "'unsafe-inline'"])
def test_malformed_origins_are_refused(text):
    with pytest.raises(ValidationError):
        parse_origins(text)


def test_branding_form_refuses_a_bad_origin(tenant):
    branding = BrandingSettings(site=tenant.root_page.sites_rooted_here.get(),
                                embed_allowed_origins="https://ok.example\nhttps://bad.example/x")
    with pytest.raises(ValidationError) as error:
        branding.full_clean()
    assert "embed_allowed_origins" in error.value.message_dict


def test_admin_shows_the_snippets_to_copy(tenant, tenant_admin):
    make_one_on_one(tenant, make_user("t@hanoi.test"), slug="trial", title="Trial lesson")
    site = tenant.root_page.sites_rooted_here.get()
    client = host_client(user=tenant_admin)

    response = client.get(f"/admin/settings/landing/brandingsettings/{site.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "http://hanoi.platform.test/embed/workshops/" in html
    assert "http://hanoi.platform.test/embed/event-types/trial/" in html
    assert "/static/js/embed.js" in html
