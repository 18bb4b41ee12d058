"""The Bookings admin: listing scoped to the tenant, search by email and uid, cancel and
attendance actions, book someone in over the whitelist, whitelist CSV import/export,
session cancellation with its bookings. Another tenant's rows answer 404."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from booking.models import Booking, Session, WhitelistEntry
from booking.services import bookings, whitelist
from site_platform.models import AuditEntry
from tests.booking.booking_helpers import make_class
from tests.booking.helpers import make_teacher
from tests.conftest import host_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tenant, other_tenant, tenant_admin, other_tenant_admin, teacher, student):
    mine_type, (mine_session,) = make_class(tenant, teacher, capacity=5, slug="club", title="Hanoi Club",
                                            whitelist_enabled=True)
    whitelist.add_entry(mine_type, student.email)
    mine = bookings.create_booking(event_type=mine_type, session=mine_session, attendee=student)
    minh = make_teacher(other_tenant, "minh@saigon.test")
    their_type, (their_session,) = make_class(other_tenant, minh, capacity=5, slug="secret", title="Saigon Secret")
    theirs = bookings.create_booking(event_type=their_type, session=their_session,
                                     attendee=make_user("secret.student@example.com"))
    return {"mine": mine, "theirs": theirs, "mine_type": mine_type, "their_type": their_type,
            "mine_session": mine_session, "admin": host_client(user=tenant_admin),
            "other_admin": host_client(user=other_tenant_admin)}


def test_listing_shows_only_the_tenants_bookings(world):
    page = world["admin"].get("/admin/bookings/").content.decode()
    assert "student@example.com" in page and "secret.student@example.com" not in page
    assert "Bookings" in world["admin"].get("/admin/").content.decode()


def test_search_by_email_and_uid_and_filter_by_status(world):
    admin = world["admin"]
    assert "student@example.com" in admin.get("/admin/bookings/?q=student@").content.decode()
    by_uid = admin.get(f"/admin/bookings/?q={world['mine'].uid}").content.decode()
    assert "student@example.com" in by_uid
    assert "student@example.com" not in admin.get(f"/admin/bookings/?q={world['theirs'].uid}").content.decode()
    assert "student@example.com" not in admin.get("/admin/bookings/?status=cancelled").content.decode()


def test_another_tenants_booking_is_404_in_the_admin(world):
    theirs = world["theirs"]
    admin = world["admin"]
    for url in (f"/admin/bookings/inspect/{theirs.pk}/", f"/admin/bookings/edit/{theirs.pk}/",
                f"/admin/bookings/cancel/{theirs.pk}/", f"/admin/bookings/attendance/{theirs.pk}/"):
        assert admin.get(url).status_code == 404, url
    assert admin.post(f"/admin/bookings/cancel/{theirs.pk}/", {"reason": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "confirmed"


def test_admin_cancels_with_a_full_refund(world, tenant_admin):
    mine = world["mine"]
    response = world["admin"].post(f"/admin/bookings/cancel/{mine.pk}/", {"reason": "Teacher ill"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == "cancelled" and mine.cancelled_by == tenant_admin and mine.cancelled_by_role == "admin"
    world["mine_session"].refresh_from_db()
    assert world["mine_session"].seats_taken == 0


def test_mark_attendance(world):
    mine = world["mine"]
    Booking.objects.filter(pk=mine.pk).update(start=timezone.now() - timedelta(hours=2),
                                              end=timezone.now() - timedelta(hours=1))
    world["admin"].post(f"/admin/bookings/attendance/{mine.pk}/", {"attended": "no"})
    mine.refresh_from_db()
    assert mine.status == "no_show"


def test_book_someone_in_over_the_whitelist_is_audited(world, tenant_admin):
    session = world["mine_session"]
    data = {"event_type": world["mine_type"].pk, "session": session.pk, "email": "walk.in@example.com", "seats": 1}
    refused = world["admin"].post("/admin/bookings/book/", data)
    assert refused.status_code == 200 and "open only to enrolled students" in refused.content.decode()
    response = world["admin"].post("/admin/bookings/book/", {**data, "override_whitelist": "on"})
    assert response.status_code == 302
    booking = Booking.objects.get(attendee_email="walk.in@example.com")
    assert booking.source == "admin" and booking.status == "confirmed"
    entry = AuditEntry.objects.get(action="booking.whitelist_override")
    assert entry.actor == tenant_admin and entry.target == f"booking:{booking.uid}"


def test_book_someone_in_offers_only_the_tenants_sessions(world):
    their_session = Session.objects.get(event_type=world["their_type"])
    response = world["admin"].post("/admin/bookings/book/", {
        "event_type": world["their_type"].pk, "session": their_session.pk, "email": "x@example.com", "seats": 1,
        "override_whitelist": "on"})
    assert response.status_code == 200 and not Booking.objects.filter(attendee_email="x@example.com").exists()


def test_whitelist_csv_import_report_and_export(world, tenant_admin):
    event_type = world["mine_type"]
    upload = SimpleUploadedFile("list.csv", b"email\nnew@example.com\nSTUDENT@example.com\nbad-email\n",
                                content_type="text/csv")
    page = world["admin"].post("/admin/whitelist/import/", {"event_type": event_type.pk, "file": upload})
    text = page.content.decode()
    assert "1 email added" in text and "1 already on the list" in text and "1 row refused" in text
    assert "bad-email" in text
    exported = world["admin"].get(f"/admin/whitelist/export/?event_type={event_type.pk}")
    assert exported["Content-Type"].startswith("text/csv")
    assert exported.content.decode().splitlines()[1:] and "new@example.com" in exported.content.decode()
    assert world["admin"].get(f"/admin/whitelist/export/?event_type={world['their_type'].pk}").status_code == 404


def test_whitelist_import_into_another_tenants_event_type_is_refused(world):
    upload = SimpleUploadedFile("list.csv", b"sneaky@example.com\n", content_type="text/csv")
    world["admin"].post("/admin/whitelist/import/", {"event_type": world["their_type"].pk, "file": upload})
    assert not WhitelistEntry.objects.filter(email="sneaky@example.com").exists()


def test_whitelist_listing_add_and_remove(world):
    admin = world["admin"]
    listing = admin.get("/admin/whitelist/").content.decode()
    assert "student@example.com" in listing
    admin.post("/admin/whitelist/new/", {"tenant": world["mine_type"].tenant_id, "event_type": world["mine_type"].pk,
                                         "email": "Added@Example.com", "note": ""})
    entry = WhitelistEntry.objects.get(email="added@example.com")
    assert admin.post(f"/admin/whitelist/delete/{entry.pk}/").status_code == 302
    assert not WhitelistEntry.objects.filter(pk=entry.pk).exists()
    assert AuditEntry.objects.filter(action="booking.whitelist_removed").exists()
    theirs = WhitelistEntry.objects.create(event_type=world["their_type"], email="t@example.com")
    assert admin.post(f"/admin/whitelist/delete/{theirs.pk}/").status_code == 404


def test_cancelling_a_session_in_the_admin_cancels_its_bookings(world):
    session = world["mine_session"]
    world["admin"].post(f"/admin/sessions/cancel/{session.pk}/", {"reason": "Holiday"})
    world["mine"].refresh_from_db()
    assert world["mine"].status == "cancelled" and world["mine"].cancellation_reason == "Holiday"
