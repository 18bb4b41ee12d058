"""The five landing designs in a real browser, on a desktop and a 390-pixel phone.

Screenshots go to tests/e2e/artifacts/<design>-desktop.png and -phone.png."""

import re

import pytest

from landing.models import BrandingSettings
from tests.conftest import make_tenant, make_user
from tests.e2e.conftest import DESKTOP, PHONE, screenshot, serious_accessibility_violations
from tests.landing.conftest import full_body, make_image, make_workshops, set_body

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESIGNS = ["education", "tutor", "small_centre", "kids_playful", "kids_bright"]
PHOTO_COLOURS = [(29, 78, 216), (234, 88, 12), (22, 163, 74), (219, 39, 119), (250, 204, 21)]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEBUG = False


def build_school(key):
    tenant = make_tenant(f"e2e{key.replace('_', '')}", name="Hanoi English Centre", template=key)
    site = tenant.root_page.sites_rooted_here.get()
    BrandingSettings.objects.create(
        site=site, default_cta_text="Book a free trial", default_cta_link="#classes",
        facebook_url="https://facebook.com/hanoienglish", zalo_url="https://zalo.me/hanoienglish",
        youtube_url="https://youtube.com/@hanoienglish",
    )
    teachers = [make_user(f"{name.lower()}@{tenant.subdomain}.test", first_name=name, last_name="Nguyen")
                for name in ("Linh", "Mai")]
    make_workshops(tenant, teachers, 4, sessions_each=2, full_first=True)
    photo = make_image("Classroom", colour=PHOTO_COLOURS[DESIGNS.index(key)])
    body = full_body(photo, teachers=1 if key == "tutor" else 3, gallery=3, testimonials=2)
    set_body(tenant, body, search_description="Small English classes for adults and teenagers in Hanoi.")
    return tenant


@pytest.mark.parametrize("key", DESIGNS)
def test_design_on_desktop_and_phone(key, tenant_host, media, page):
    tenant = build_school(key)
    page.goto(f"http://{tenant.subdomain}.localhost:{tenant_host}/")

    assert page.get_by_role("heading", level=1, name="Speak English with confidence").is_visible()
    assert page.get_by_role("link", name="See classes").is_visible()
    assert page.get_by_role("heading", level=2, name="Upcoming classes").is_visible()
    assert page.get_by_role("link", name=re.compile("Facebook")).first.is_visible() or key == "education"
    assert page.get_by_text("Full – join the waitlist").first.is_visible()
    # The FAQ opens and closes with the keyboard.
    question = page.get_by_text("Can I cancel?")
    question.focus()
    page.keyboard.press("Enter")
    assert not page.get_by_text("Yes, up to 12 hours before.").is_visible()
    page.keyboard.press("Enter")
    assert page.get_by_text("Yes, up to 12 hours before.").is_visible()
    screenshot(page, f"{key}-desktop")
    assert serious_accessibility_violations(page) == []

    page.set_viewport_size(PHONE)
    page.goto(f"http://{tenant.subdomain}.localhost:{tenant_host}/")
    assert page.get_by_role("heading", level=1, name="Speak English with confidence").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= PHONE["width"], f"the page scrolls sideways on a phone ({overflow}px)"
    screenshot(page, f"{key}-phone")
    assert serious_accessibility_violations(page) == []
    page.set_viewport_size(DESKTOP)


def test_teacher_filter_and_local_times_in_the_browser(tenant_host, media, browser):
    tenant = build_school("education")
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    page.goto(f"http://{tenant.subdomain}.localhost:{tenant_host}/")
    # Session times are shown in the visitor's own zone, with the zone named.
    first_time = page.locator("time[data-local-time]").first.inner_text()
    assert "GMT+7" in first_time and "UTC" not in first_time
    workshops = page.get_by_role("list", name=re.compile("Next dates of"))
    assert workshops.count() == 4

    page.get_by_role("combobox", name="Teacher").select_option(label="Mai Nguyen")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"teacher=\d+"))
    teachers_shown = set(page.locator(".session-teacher").all_inner_texts())
    assert teachers_shown == {"Mai Nguyen"}
    screenshot(page, "education-filtered")
    context.close()
