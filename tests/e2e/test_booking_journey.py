"""A new student books a free workshop from a school's landing page in a real
browser: landing page → Book → sign in with an emailed code → booking form →
confirmation → My bookings → cancel. On a desktop and on a 390-pixel phone, with
axe-core on the landing, booking and confirmation pages.

Screenshots: tests/e2e/artifacts/journey-<viewport>-<step>.png."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from booking.models import Booking
from landing.models import BrandingSettings
from tests.conftest import make_tenant, make_user
from tests.e2e.conftest import DESKTOP, PHONE, screenshot, serious_accessibility_violations
from tests.landing.conftest import full_body, make_image, make_workshops, set_body

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEBUG = False


def build_school(subdomain):
    tenant = make_tenant(subdomain, name="Hanoi English Centre", template="education")
    BrandingSettings.objects.create(site=tenant.root_page.sites_rooted_here.get(),
                                    default_cta_text="Book a free trial", default_cta_link="#classes")
    teachers = [make_user(f"{name.lower()}@{subdomain}.test", first_name=name, last_name="Nguyen")
                for name in ("Linh", "Mai")]
    event_types = make_workshops(tenant, teachers, 3, sessions_each=2, capacity=6, full_first=True)
    set_body(tenant, full_body(make_image("Classroom"), teachers=2, widget_event_type=event_types[1].slug),
             search_description="Small English classes for adults in Hanoi.")
    return tenant, event_types


def assert_accessible(page, where):
    violations = serious_accessibility_violations(page)
    assert violations == [], f"{where}: {violations}"


def sign_in_with_emailed_code(page, email):
    """allauth's sign-in page → 'send me a code' → the code from the outbox."""
    page.get_by_role("link", name=re.compile("sign-in code", re.I)).click()
    page.get_by_role("textbox", name=re.compile("email", re.I)).fill(email)
    outbox_before = len(mail.outbox)
    page.get_by_role("button", name=re.compile("code", re.I)).click()
    page.wait_for_url(re.compile(r"/accounts/login/code/confirm/"))
    message = mail.outbox[outbox_before]
    assert message.to == [email]
    code = re.search(r"listed below[^\n]*\n\s*\n\s*(\S+)\s*\n", message.body).group(1)
    page.get_by_role("textbox", name=re.compile("code", re.I)).fill(code)
    page.get_by_role("button", name=re.compile("sign in|confirm", re.I)).click()


@pytest.mark.parametrize("viewport_name, viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_new_student_books_a_free_workshop_and_cancels_it(viewport_name, viewport, tenant_host, media, browser):
    tenant, event_types = build_school(f"journey{viewport_name}")
    free = event_types[0]  # "Workshop 000": free, its first session full, the second open
    open_session = free.sessions.order_by("start")[1]
    email = f"new.student.{viewport_name}@example.com"
    make_user(email, first_name="An", last_name="Le")
    context = browser.new_context(viewport=viewport, locale="en-GB", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    page.set_default_timeout(20_000)
    shot = lambda step: screenshot(page, f"journey-{viewport_name}-{step}")  # noqa: E731
    base = f"http://{tenant.subdomain}.localhost:{tenant_host}"

    # 1. The landing page: workshops with seats left, a full one offering the waitlist, the widget.
    page.goto(base + "/")
    workshop = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Workshop 000"))
    assert workshop.get_by_role("link", name="Full – join the waitlist").is_visible()
    assert page.get_by_role("heading", name="Book a first lesson").is_visible()
    expect(page.locator("[data-zone-name]")).to_have_text(re.compile("Asia/(Ho_Chi_Minh|Saigon)"))
    shot("1-landing")
    assert_accessible(page, "landing page")

    # 2. Book the open session: not signed in yet, so the sign-in page, by emailed code.
    workshop.get_by_role("link", name=re.compile(r"^Book Workshop 000")).click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    shot("2-sign-in")
    sign_in_with_emailed_code(page, email)

    # 3. The booking form of that session.
    page.wait_for_url(re.compile(rf"/book/session/{open_session.pk}/"))
    assert page.get_by_role("heading", level=1, name=re.compile("Workshop 000")).is_visible()
    # The zone the landing page detected (kept in the tz cookie) carries over to the booking pages.
    expect(page.locator(".zone-name")).to_have_text(re.compile("Asia/(Ho_Chi_Minh|Saigon)"))
    shot("3-booking-form")
    assert_accessible(page, "booking page")
    page.get_by_role("button", name="Confirm booking").click()

    # 4. The confirmation.
    page.wait_for_url(re.compile(r"/bookings/[0-9a-f-]{36}/$"))
    assert page.get_by_text("You're booked.").is_visible()
    booking = Booking.objects.get(attendee__email=email)
    assert booking.status == Booking.Status.CONFIRMED and booking.session_id == open_session.pk
    shot("4-confirmation")
    assert_accessible(page, "confirmation page")

    # 5. My bookings lists it.
    page.get_by_role("link", name="All my bookings").click()
    page.wait_for_url(re.compile(r"/bookings/$"))
    assert page.get_by_role("link", name=re.compile("Workshop 000")).first.is_visible()
    shot("5-my-bookings")

    # 6. Cancel it from its page.
    page.get_by_role("link", name=re.compile("Workshop 000")).first.click()
    page.get_by_role("button", name="Cancel booking").click()
    assert page.get_by_text("Your booking is cancelled.").first.is_visible()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    shot("6-cancelled")

    # 7. Back on the landing page the seat is free again (the page cache was purged).
    page.goto(base + "/")
    row = page.locator(f"a[href='/book/session/{open_session.pk}/']")
    assert row.count() == 1
    if viewport == PHONE:
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= PHONE["width"], f"the page scrolls sideways on a phone ({overflow}px)"
    context.close()


def test_widget_slot_leads_to_the_booking_form_and_embed_resizes(tenant_host, media, browser):
    tenant, event_types = build_school("journeywidget")
    site = tenant.root_page.sites_rooted_here.get()
    BrandingSettings.objects.filter(site=site).update(embed_allowed_origins=f"http://localhost:{tenant_host}")
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="Europe/Paris")
    page = context.new_page()
    base = f"http://{tenant.subdomain}.localhost:{tenant_host}"
    page.goto(base + "/")
    # The widget redraws in the browser's zone, and the zone can be changed with the keyboard.
    expect(page.locator("[data-zone-name]")).to_have_text("Europe/Paris")
    zone = page.get_by_role("combobox", name="Time zone")
    zone.fill("Mars/Olympus_Mons")
    zone.press("Enter")
    expect(page.locator("[data-zone-error]")).to_be_visible()
    expect(page.locator("[data-zone-name]")).to_have_text("Europe/Paris")
    zone.fill("Asia/Tokyo")
    page.get_by_role("button", name="Show times").press("Enter")
    expect(page.locator("[data-zone-error]")).to_be_hidden()
    expect(page.locator("[data-zone-name]")).to_have_text("Asia/Tokyo")
    first_time = page.locator(".widget-time").first
    first_time.focus()
    screenshot(page, "widget-tokyo")
    href = first_time.get_attribute("href")
    assert re.match(r"^/book/session/\d+/$", href)
    context.close()
