"""Every student page in a real browser at 1280 and 390 pixels: the event type pages,
the booking form (in reading order on a phone), the confirmation with its calendar
file and add-to-calendar links, My bookings, cancel, reschedule, the waitlist and the
sign-in pages; the zone detected by the booking pages themselves.

Screenshots: tests/e2e/artifacts/pages-<viewport>-<page>.png."""

import re

import pytest
from django.conf import settings
from django.test import Client
from icalendar import Calendar
from playwright.sync_api import expect

from booking.models import Booking, WaitlistEntry
from booking.services import bookings, waitlist
from tests.booking.booking_helpers import make_class, make_one_on_one
from tests.conftest import add_member, make_tenant, make_user
from tests.e2e.conftest import DESKTOP, PHONE, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

QUESTIONS = [{"label": "Your level", "kind": "choice", "choices": ["A1", "B1"], "required": True},
             {"label": "First class with us?", "kind": "yes_no"},
             {"label": "Anything the teacher should know?", "kind": "text"}]


def build_school(subdomain):
    tenant = make_tenant(subdomain, name="Hanoi English Centre")
    teacher = make_user(f"linh@{subdomain}.test", first_name="Linh", last_name="Nguyen")
    from site_platform.models import Membership
    add_member(tenant, teacher.email, Membership.Role.TEACHER, timezone="Asia/Ho_Chi_Minh")
    club, sessions = make_class(tenant, teacher, capacity=4, sessions=3, slug="speaking-club",
                                title="Speaking Club", location_kind="in_person", address="12 Trang Tien, Hanoi",
                                description="Ninety minutes of conversation in small groups.", questions=QUESTIONS)
    full, (full_session,) = make_class(tenant, teacher, capacity=1, sessions=1, days=5, slug="ielts-workshop",
                                       title="IELTS Writing Workshop", max_seats_per_booking=1)
    private = make_one_on_one(tenant, teacher, slug="private-lesson", title="Private lesson")
    return tenant, teacher, club, sessions, full_session, private


def signed_in_context(browser, tenant, user, viewport, *, timezone_id="Europe/Paris"):
    """A browser context signed in as `user` on the tenant's host (session cookie from Django's client)."""
    client = Client(HTTP_HOST=tenant.hostname)
    client.force_login(user)
    context = browser.new_context(viewport=viewport, locale="en-GB", timezone_id=timezone_id)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": f"http://{tenant.hostname}"}])
    return context


def top(locator):
    return locator.bounding_box()["y"]


@pytest.mark.parametrize("viewport_name, viewport", [("desktop", DESKTOP), ("phone", PHONE)])
def test_every_student_page(viewport_name, viewport, tenant_host, browser):
    tenant, teacher, club, sessions, full_session, private = build_school(f"pages{viewport_name}")
    student = make_user(f"an.{viewport_name}@example.com", first_name="An", last_name="Le")
    other = make_user(f"binh.{viewport_name}@example.com", first_name="Binh", last_name="Tran")
    holder = bookings.create_booking(event_type=full_session.event_type, session=full_session, attendee=other)
    base = f"http://{tenant.subdomain}.localhost:{tenant_host}"
    context = signed_in_context(browser, tenant, student, viewport)
    page = context.new_page()
    page.set_default_timeout(20_000)
    shot = lambda name: screenshot(page, f"pages-{viewport_name}-{name}")  # noqa: E731

    def no_sideways_scroll(where):
        if viewport == PHONE:
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{where} scrolls sideways on a phone ({width}px)"

    # The event type pages: sessions with seats, a full one, a week of one-to-one slots.
    page.goto(base + "/book/speaking-club/")
    # No tz cookie yet: the booking page detects the browser's zone and shows it (one reload).
    expect(page.locator(".zone-name").first).to_have_text("Europe/Paris")
    shot("01-event-type")
    no_sideways_scroll("event type page")
    page.goto(base + "/book/ielts-workshop/")
    expect(page.get_by_role("link", name="Join the waitlist")).to_be_visible()
    shot("02-event-type-full")
    page.goto(base + "/book/private-lesson/")
    shot("03-one-on-one")
    no_sideways_scroll("one-to-one page")

    # The booking form: what, when, where, price and seats, questions, then the button.
    page.goto(base + f"/book/session/{sessions[0].pk}/")
    summary = page.get_by_role("region", name="Your booking")
    expect(summary.get_by_text("Speaking Club", exact=True)).to_be_visible()
    when = summary.get_by_role("definition").filter(has_text="Europe/Paris")
    level = page.get_by_role("combobox", name="Your level")
    confirm = page.get_by_role("button", name="Confirm booking")
    assert top(summary.get_by_text("Linh Nguyen")) < top(when) < top(summary.get_by_text("12 Trang Tien, Hanoi"))
    assert top(summary.get_by_text("4 seats left")) < top(level) < top(confirm)
    shot("04-booking-form")
    no_sideways_scroll("booking form")
    # The browser itself asks for the required answer; without its check the server says so too.
    page.locator("form.booking-form").evaluate("form => { form.noValidate = true; }")
    confirm.click()
    expect(page.get_by_role("alert").first).to_be_visible()
    shot("05-booking-form-error")
    page.get_by_role("combobox", name="Your level").select_option("B1")
    page.get_by_role("button", name="Confirm booking").click()

    # The confirmation, with its calendar file and links.
    page.wait_for_url(re.compile(r"/bookings/[0-9a-f-]{36}/$"))
    expect(page.get_by_text("You're booked.")).to_be_visible()
    expect(page.get_by_role("link", name="Add to Google Calendar")).to_be_visible()
    expect(page.get_by_role("link", name="Add to Outlook")).to_be_visible()
    shot("06-confirmation")
    no_sideways_scroll("confirmation")
    booking = Booking.objects.get(attendee=student)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download calendar file (.ics)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".ics")
    event = next(iter(Calendar.from_ical(open(download.path(), "rb").read()).walk("VEVENT")))
    assert str(event["UID"]).startswith(f"booking-{booking.uid}")

    # Reschedule, then My bookings (with the calendar links), then cancel.
    page.get_by_role("link", name="Reschedule").click()
    shot("07-reschedule")
    no_sideways_scroll("reschedule")
    page.get_by_role("button", name="Move here").first.click()
    expect(page.get_by_text("Your booking has moved.")).to_be_visible()
    page.goto(base + "/bookings/")
    expect(page.get_by_role("link", name="Download calendar file (.ics) for Speaking Club")).to_be_visible()
    shot("08-my-bookings")
    no_sideways_scroll("my bookings")
    page.goto(base + f"/bookings/{booking.uid}/")
    page.get_by_role("textbox", name=re.compile("Why are you cancelling")).fill("Travelling that week")
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_text("Your booking is cancelled.").first).to_be_visible()
    shot("09-cancelled")

    # The waitlist: join a full session; a freed seat is offered and claimed.
    page.goto(base + f"/waitlist/session/{full_session.pk}/join/")
    shot("10-waitlist-join")
    page.get_by_role("button", name="Join the waitlist").click()
    expect(page.get_by_text(re.compile("You are on the waitlist"))).to_be_visible()
    shot("11-waitlist-joined")
    bookings.cancel_booking(holder, reason="", actor=other, by_role=Booking.Role.STUDENT)
    entry = WaitlistEntry.objects.get(user=student)
    assert entry.status == WaitlistEntry.Status.OFFERED
    page.goto(base + entry.claim_path())
    shot("12-waitlist-claim")
    page.goto(base + f"/waitlist/{entry.pk}/claim/?token=wrong")
    shot("13-link-refused")

    # The manage link without signing in, and the sign-in pages.
    anonymous = browser.new_context(viewport=viewport, locale="en-GB", timezone_id="Europe/Paris")
    page = anonymous.new_page()
    claimed = waitlist.claim_offer(entry, token=entry.offer_token, user=student)
    page.goto(base + claimed.manage_path())
    expect(page.get_by_role("link", name="Download calendar file (.ics)")).to_be_visible()
    shot("14-manage-link")
    page.goto(base + "/bookings/")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    shot("15-sign-in")
    no_sideways_scroll("sign-in")
    page.get_by_role("link", name=re.compile("sign-in code", re.I)).click()
    shot("16-sign-in-code")
    empty = make_user(f"new.{viewport_name}@example.com")
    context.close()
    anonymous.close()

    context = signed_in_context(browser, tenant, empty, viewport)
    page = context.new_page()
    page.goto(base + "/bookings/")
    expect(page.get_by_text("You have no bookings yet.")).to_be_visible()
    shot("17-my-bookings-empty")
    context.close()


def test_on_a_phone_the_booking_form_reads_in_order_and_the_calendar_file_downloads(tenant_host, browser):
    tenant, teacher, club, sessions, _full, _private = build_school("pagesorder")
    student = make_user("order@example.com", first_name="An", last_name="Le")
    context = signed_in_context(browser, tenant, student, PHONE, timezone_id="America/New_York")
    page = context.new_page()
    page.goto(f"http://{tenant.subdomain}.localhost:{tenant_host}/book/session/{sessions[0].pk}/")
    summary = page.get_by_role("region", name="Your booking")
    expect(summary.get_by_role("definition").filter(has_text="America/New_York")).to_be_visible()
    facts = summary.get_by_role("definition")
    parts = [facts.filter(has_text="Speaking Club").filter(has_text="with Linh Nguyen"),
             facts.filter(has_text="America/New_York"), facts.filter(has_text="12 Trang Tien, Hanoi"),
             facts.filter(has_text=re.compile(r"^\s*Free\s*$")), facts.filter(has_text="4 seats left"),
             page.get_by_role("combobox", name="Your level"), page.get_by_role("button", name="Confirm booking")]
    tops = [top(part) for part in parts]
    assert tops == sorted(tops), tops
    page.get_by_role("combobox", name="Your level").select_option("A1")
    page.get_by_role("button", name="Confirm booking").click()
    page.wait_for_url(re.compile(r"/bookings/[0-9a-f-]{36}/$"))
    link = page.get_by_role("link", name="Download calendar file (.ics)")
    with page.expect_download() as download_info:
        link.click()
    body = open(download_info.value.path(), "rb").read()
    event = next(iter(Calendar.from_ical(body).walk("VEVENT")))
    booking = Booking.objects.get(attendee=student)
    assert event.decoded("DTSTART") == booking.start
    context.close()
