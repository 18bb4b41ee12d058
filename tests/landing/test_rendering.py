"""Each of the five designs renders every block of the shared set."""

import pytest

from landing.blocks import LandingStreamBlock
from landing.models import LANDING_TEMPLATES, BrandingSettings
from tests.conftest import host_client, make_tenant
from tests.landing.conftest import ALL_BLOCK_TYPES, full_body, make_image, set_body

pytestmark = pytest.mark.django_db

DESIGN_TEMPLATES = {
    "education": "landing/education_centre_page.html",
    "tutor": "landing/personal_tutor_page.html",
    "small_centre": "landing/small_centre_page.html",
    "kids_playful": "landing/kids_playful_page.html",
    "kids_bright": "landing/kids_bright_page.html",
}


def test_every_template_renders_every_block(template_key):
    tenant = make_tenant("demo", name="Demo Language School", template=template_key)
    image = make_image()
    set_body(tenant, full_body(image))

    response = host_client(tenant).get("/")

    assert response.status_code == 200
    used = {template.name for template in response.templates}
    assert DESIGN_TEMPLATES[template_key] in used
    assert "landing/landing_base.html" in used
    for block_type in ALL_BLOCK_TYPES:
        template = {"text": "rich_text", "social_links": "social_links"}.get(block_type, block_type)
        assert f"blocks/{template}_block.html" in used, block_type
    html = response.content.decode()
    assert f'class="landing design-{template_key}"' in html
    for text in ["Speak English with confidence", "About the school", "Teacher 1", "₫1,200,000", "Most popular",
                 "Great school number 1.", "Can I cancel?", "Room 2", "12 Trang Tien", "hello@school.test",
                 "https://zalo.me/school", "Your first lesson is free.", "Upcoming classes"]:
        assert text in html, text
    assert html.count("<h1") == 1


def test_the_designs_are_different_pages_not_just_class_names():
    """Layout differs: each design has structure the others do not."""
    image = make_image()
    markers = {
        "education": 'class="topbar"',
        "tutor": 'class="ornament"',
        "small_centre": 'class="sc-aside"',
        "kids_playful": 'class="wave"',
        "kids_bright": "tone-pink",
    }
    for key in LANDING_TEMPLATES:
        tenant = make_tenant(key.replace("_", ""), template=key)
        BrandingSettings.objects.update_or_create(
            site=tenant.root_page.sites_rooted_here.get(), defaults={"facebook_url": "https://facebook.com/x"})
        set_body(tenant, full_body(image))
        html = host_client(tenant).get("/").content.decode()
        for other, marker in markers.items():
            assert (marker in html) == (other == key), (key, other)


def test_a_page_without_a_hero_still_has_one_heading_level_one(tenant):
    set_body(tenant, [{"type": "text", "value": "<p>Only text</p>"}])
    html = host_client(tenant).get("/").content.decode()
    assert html.count("<h1") == 1
    assert "Hanoi English Centre</h1>" in html


def test_empty_cta_text_falls_back_to_the_branding_default(tenant):
    site = tenant.root_page.sites_rooted_here.get()
    BrandingSettings.objects.create(site=site, default_cta_text="Book a free trial", default_cta_link="#trial")
    set_body(tenant, [{"type": "call_to_action", "value": {"text": "Join us", "button_text": "", "button_link": "#x"}}])
    html = host_client(tenant).get("/").content.decode()
    assert html.count("Book a free trial") == 2  # the header button and the band
    assert 'href="#trial"' in html


def test_content_page_takes_the_design_of_its_tenant(tenant):
    from landing.models import ContentPage

    about = ContentPage(title="About us", slug="about", body=[{"type": "text", "value": "<p>Our story</p>"}])
    tenant.root_page.add_child(instance=about)
    about.save_revision().publish()
    response = host_client(tenant).get("/about/")
    assert response.status_code == 200
    assert "design-education" in response.content.decode()
    assert "Our story" in response.content.decode()


PREVIEW_TEXT = {
    "hero": "Speak English with confidence", "text": "About us", "workshop_list": "Upcoming classes", "teacher_profiles": "Linh Nguyen",
    "pricing_table": "Simple pricing", "testimonials": "Minh Tran", "faq": "Can I cancel?",
    "gallery": "Life at our school", "contact": "Visit us", "social_links": "Follow us",
    "call_to_action": "Your first lesson is on us.",
    "booking_widget": "Book a lesson",
}


@pytest.mark.parametrize("name", list(LandingStreamBlock().child_blocks))
def test_every_block_has_a_template_an_icon_a_label_and_an_admin_preview(name, superadmin):
    from django.urls import reverse

    from landing.models import EducationCentrePage

    block = EducationCentrePage._meta.get_field("body").stream_block.child_blocks[name]
    assert block.meta.template == f"blocks/{'rich_text' if name == 'text' else name}_block.html"
    assert block.meta.icon and block.meta.icon != "placeholder"
    assert str(block.label) and str(block.meta.description)
    assert block.is_previewable

    client = host_client(user=superadmin)
    response = client.get(reverse("wagtailadmin_block_preview"), {"id": block.definition_prefix})
    assert response.status_code == 200
    html = response.content.decode()
    assert "css/site.css" in html and "design-education" in html
    assert PREVIEW_TEXT[name] in html
