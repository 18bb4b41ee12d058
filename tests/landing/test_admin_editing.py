"""A tenant admin edits and publishes pages through the Wagtail admin."""

import pytest
from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from landing.models import ContentPage
from tests.conftest import host_client

pytestmark = pytest.mark.django_db


def page_form(title, slug, body, **extra):
    return nested_form_data({
        "title": title, "slug": slug, "body": streamfield(body), "seo_title": "", "search_description": "",
        "comments": inline_formset([]), "action-publish": "publish", **extra,
    })


def test_tenant_admin_creates_and_publishes_a_content_page(tenant, tenant_admin):
    admin = host_client(user=tenant_admin)
    url = reverse("wagtailadmin_pages:add", args=["landing", "contentpage", tenant.root_page_id])
    assert admin.get(url).status_code == 200

    response = admin.post(url, page_form("About us", "about", [
        ("text", rich_text("<p>Founded in 2009.</p>")),
        ("faq", {"heading": "Questions", "items": streamfield([])}),
    ]))

    assert response.status_code == 302, response.content.decode()[:2000]
    page = ContentPage.objects.get(slug="about")
    assert page.live and page.get_parent().pk == tenant.root_page_id
    public = host_client(tenant).get("/about/")
    assert public.status_code == 200
    assert "Founded in 2009." in public.content.decode()


def test_tenant_admin_edits_and_publishes_the_landing_page(tenant, tenant_admin):
    admin = host_client(user=tenant_admin)
    url = reverse("wagtailadmin_pages:edit", args=[tenant.root_page_id])
    assert admin.get(url).status_code == 200

    response = admin.post(url, page_form("Hanoi English Centre", "hanoi", [
        ("hero", {"eyebrow": "", "title": "Learn English in Hanoi", "subtitle": "Evening classes", "image": "",
                  "cta_text": "", "cta_link": "#classes", "secondary_text": "", "secondary_link": ""}),
        ("call_to_action", {"text": "Try a class", "subtext": "", "button_text": "Book", "button_link": "#"}),
    ], search_description="English classes in Hanoi", og_image=""))

    assert response.status_code == 302, response.content.decode()[:3000]
    html = host_client(tenant).get("/").content.decode()
    assert "Learn English in Hanoi" in html
    assert '<meta name="description" content="English classes in Hanoi">' in html


def test_tenant_admin_cannot_edit_another_tenants_landing_page(tenant, tenant_admin, other_tenant):
    admin = host_client(user=tenant_admin)
    response = admin.get(reverse("wagtailadmin_pages:edit", args=[other_tenant.root_page_id]))
    assert response.status_code in (302, 403, 404)
    assert Page.objects.get(pk=other_tenant.root_page_id).title == "Saigon Language School"
