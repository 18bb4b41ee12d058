"""SEO per tenant host: canonical URLs, Open Graph and Twitter tags, sitemap,
robots.txt; unpublished pages stay private, drafts preview for editors."""

import re

import pytest
from django.urls import reverse

from landing.models import ContentPage
from tests.conftest import host_client, make_tenant
from tests.landing.conftest import make_image, set_body

pytestmark = pytest.mark.django_db


def add_content_page(tenant, title, slug, *, publish=True):
    page = ContentPage(title=title, slug=slug, body=[{"type": "text", "value": f"<p>{title} text</p>"}])
    tenant.root_page.add_child(instance=page)
    revision = page.save_revision()
    if publish:
        revision.publish()
    else:
        page.unpublish()
    return page


def test_canonical_and_social_tags_use_the_tenants_own_host(tenant, other_tenant):
    image = make_image("Share card")
    set_body(tenant, tenant.root_page.specific.body.raw_data, seo_title="English classes in Hanoi",
             search_description="Small groups, native teachers.", og_image=image)
    add_content_page(tenant, "About us", "about")

    html = host_client(tenant).get("/").content.decode()
    assert '<link rel="canonical" href="http://hanoi.platform.test/">' in html
    assert '<meta property="og:url" content="http://hanoi.platform.test/">' in html
    assert '<meta property="og:title" content="English classes in Hanoi">' in html
    assert '<meta property="og:description" content="Small groups, native teachers.">' in html
    assert '<meta property="og:site_name" content="Hanoi English Centre">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    og_image = re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)
    assert og_image.startswith("http://hanoi.platform.test/media/") and "fill-1200x630" in og_image
    assert "<title>English classes in Hanoi</title>" in html

    about = host_client(tenant).get("/about/").content.decode()
    assert '<link rel="canonical" href="http://hanoi.platform.test/about/">' in about
    assert '<meta name="twitter:card" content="summary">' in about

    other = host_client(other_tenant).get("/").content.decode()
    assert '<link rel="canonical" href="http://saigon.platform.test/">' in other
    assert "hanoi" not in other


def test_canonical_prefers_the_custom_domain(db):
    tenant = make_tenant("danang", custom_domain="englishdanang.test")
    html = host_client(tenant).get("/").content.decode()
    assert '<link rel="canonical" href="https://englishdanang.test/">' in html


def test_sitemap_lists_only_the_hosts_own_live_pages(tenant, other_tenant):
    add_content_page(tenant, "About us", "about")
    add_content_page(tenant, "Draft page", "draft", publish=False)
    add_content_page(other_tenant, "Saigon courses", "courses")

    response = host_client(tenant).get("/sitemap.xml")
    assert response.status_code == 200
    xml = response.content.decode()
    locations = set(re.findall(r"<loc>([^<]+)</loc>", xml))
    assert locations == {"http://hanoi.platform.test/", "http://hanoi.platform.test/about/"}

    other = set(re.findall(r"<loc>([^<]+)</loc>", host_client(other_tenant).get("/sitemap.xml").content.decode()))
    assert other == {"http://saigon.platform.test/", "http://saigon.platform.test/courses/"}


def test_robots_txt_per_tenant_host(tenant, other_tenant):
    response = host_client(tenant).get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    body = response.content.decode()
    assert "User-agent: *" in body and "Disallow: /admin/" in body
    assert "Sitemap: http://hanoi.platform.test/sitemap.xml" in body
    assert "Sitemap: http://saigon.platform.test/sitemap.xml" in host_client(other_tenant).get("/robots.txt").content.decode()


def test_robots_txt_is_not_served_on_the_platform_host(db):
    assert host_client().get("/robots.txt").status_code == 404


def test_unpublished_landing_page_is_not_public(tenant):
    tenant.root_page.specific.unpublish()
    assert host_client(tenant).get("/").status_code == 404


def test_unpublished_content_page_is_not_public(tenant):
    add_content_page(tenant, "Secret", "secret", publish=False)
    assert host_client(tenant).get("/secret/").status_code == 404


def test_draft_preview_works_for_editors_only(tenant, tenant_admin, other_tenant_admin):
    page = tenant.root_page.specific
    page.title = "Draft title"
    page.body = [{"type": "text", "value": "<p>Draft words</p>"}]
    page.save_revision()

    public = host_client(tenant).get("/").content.decode()
    assert "Draft words" not in public

    url = reverse("wagtailadmin_pages:view_draft", args=[page.pk])
    draft = host_client(user=tenant_admin).get(url)
    assert draft.status_code == 200
    assert "Draft words" in draft.content.decode()
    assert "design-education" in draft.content.decode()

    refused = host_client(user=other_tenant_admin).get(url)
    assert refused.status_code in (302, 403)
    assert "Draft words" not in refused.content.decode()


def test_publishing_and_unpublishing_take_effect_on_the_next_request(tenant):
    client = host_client(tenant)
    assert "Speak up" not in client.get("/").content.decode()  # the host map now holds the root page

    set_body(tenant, [{"type": "text", "value": "<p>Speak up</p>"}])
    assert "Speak up" in client.get("/").content.decode()

    tenant.root_page.specific.unpublish()
    assert client.get("/").status_code == 404
