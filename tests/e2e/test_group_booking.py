"""A parent books three children into a free kids' class on a phone (390 px): the form
asks for each child (rows follow the seats chosen), the booking page lists the group,
a child's own link gives up their seat and the parent's page shows two left.

Screenshots: tests/e2e/artifacts/group-<step>.png."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from booking.models import Booking, BookingParticipant, EventType, Session
from tests.booking.booking_helpers import make_class
from tests.conftest import add_member, make_tenant, make_user
from tests.e2e.conftest import PHONE, screenshot
from tests.e2e.test_booking_pages import signed_in_context

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHILDREN = [("Minh Tran", "minh.tran@family.test"), ("Lan Tran", "lan.tran@family.test"),
            ("Bao Tran", "bao.tran@family.test")]


def no_sideways_scroll(page, where):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{where} scrolls sideways on a phone ({width}px)"


def test_parent_books_three_children_on_a_phone(tenant_host, browser):
    from site_platform.models import Membership

    tenant = make_tenant("groupkids", name="Hanoi English Centre")
    teacher = make_user("linh@groupkids.test", first_name="Linh", last_name="Nguyen")
    add_member(tenant, teacher.email, Membership.Role.TEACHER, timezone="Asia/Ho_Chi_Minh")
    _kids, (session,) = make_class(tenant, teacher, capacity=12, slug="kids-english", title="Kids' English Club",
                                   max_seats_per_booking=4, location_kind="in_person",
                                   address="12 Trang Tien, Hanoi",
                                   participant_names=EventType.ParticipantNames.REQUIRED)
    parent = make_user("hoa.tran@family.test", first_name="Hoa", last_name="Tran")
    base = f"http://{tenant.subdomain}.localhost:{tenant_host}"
    context = signed_in_context(browser, tenant, parent, PHONE, timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    page.set_default_timeout(20_000)
    shot = lambda name: screenshot(page, f"group-{name}")  # noqa: E731

    page.goto(base + f"/book/session/{session.pk}/?tz=Asia/Ho_Chi_Minh")
    rows = page.locator("[data-participant-row]")
    expect(rows.nth(0)).to_be_visible()
    expect(rows.nth(1)).to_be_hidden()  # one seat chosen: one row
    page.get_by_label("Seats").select_option("3")
    expect(rows.nth(2)).to_be_visible()
    expect(rows.nth(3)).to_be_hidden()
    for number, (name, email) in enumerate(CHILDREN, start=1):
        page.locator(f"#id_participant_{number}_name").fill(name)
        page.locator(f"#id_participant_{number}_email").fill(email)
    shot("01-form-filled")
    no_sideways_scroll(page, "booking form")
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_role("heading", name="Who is coming")).to_be_visible()
    group = page.locator("#group")
    for name, email in CHILDREN:
        expect(group.get_by_text(name, exact=True)).to_be_visible()
    shot("02-booking-page")
    no_sideways_scroll(page, "booking page")
    booking = Booking.objects.get(attendee=parent)
    session.refresh_from_db()
    assert booking.seats == 3 and session.seats_taken == 3

    # Each child got their own email with their own link.
    links = {}
    for name, email in CHILDREN:
        [message] = [m for m in mail.outbox if email in m.to[0]]
        links[email] = re.search(r"http://\S+/bookings/participants/\S+", message.body).group(0)

    # Lan cannot come: her link, on her own phone, without signing in.
    lan = browser.new_context(viewport=PHONE, locale="en-GB", timezone_id="Asia/Ho_Chi_Minh")
    lan_page = lan.new_page()
    lan_page.goto(links["lan.tran@family.test"])
    expect(lan_page.get_by_text("Hoa Tran has booked you a place")).to_be_visible()
    expect(lan_page.get_by_text("Nothing is refunded")).to_be_visible()
    screenshot(lan_page, "group-03-participant-page")
    no_sideways_scroll(lan_page, "participant page")
    lan_page.get_by_role("button", name="Give up my seat").click()
    expect(lan_page.get_by_role("heading", name="Your seat is given up")).to_be_visible()
    screenshot(lan_page, "group-04-seat-given-up")
    lan_page.goto(links["lan.tran@family.test"])
    expect(lan_page.get_by_role("heading", name="Link not valid")).to_be_visible()
    lan.close()

    session.refresh_from_db()
    assert session.seats_taken == 2
    assert BookingParticipant.objects.get(email="lan.tran@family.test").status == "released"
    assert [m for m in mail.outbox if "hoa.tran@family.test" in m.to[0] and "Lan Tran gave up" in m.subject]

    page.reload()
    expect(group.get_by_text("Lan Tran", exact=True)).to_have_count(0)
    expect(group.get_by_text("Minh Tran", exact=True)).to_be_visible()

    # The parent adds a friend in the free seat's place.
    group.get_by_label("Name").last.fill("Vy Pham")
    group.get_by_label("Email").last.fill("vy.pham@family.test")
    group.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("Vy Pham is added to your booking.")).to_be_visible()
    shot("05-friend-added")
    no_sideways_scroll(page, "booking page after adding")
    assert Session.objects.get(pk=session.pk).seats_taken == 3
    context.close()
