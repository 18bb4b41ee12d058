"""Whitelist: only a verified email on the list books; CSV import report; export;
an admin override is allowed only to admins and is in the audit log."""

import pytest
from allauth.account.models import EmailAddress

from booking.errors import BookingError
from booking.models import Booking, WhitelistEntry
from booking.services import bookings, whitelist
from site_platform.models import AuditEntry
from tests.booking.booking_helpers import make_class
from tests.conftest import host_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled_class(tenant, teacher):
    event_type, (session,) = make_class(tenant, teacher, capacity=5, whitelist_enabled=True, slug="enrolled")
    return event_type, session


def test_on_the_list_books(enrolled_class, student):
    event_type, session = enrolled_class
    whitelist.add_entry(event_type, "Student@Example.com")
    assert bookings.create_booking(event_type=event_type, session=session, attendee=student).status == "confirmed"


def test_off_the_list_is_refused_with_the_message(enrolled_class, student):
    event_type, session = enrolled_class
    whitelist.add_entry(event_type, "someone.else@example.com")
    with pytest.raises(BookingError) as error:
        bookings.create_booking(event_type=event_type, session=session, attendee=student)
    assert error.value.message == "This class is open only to enrolled students."
    session.refresh_from_db()
    assert not Booking.objects.exists() and session.seats_taken == 0


def test_unverified_email_on_the_list_is_refused(enrolled_class):
    event_type, session = enrolled_class
    unverified = make_user("new@example.com", verified=False)
    whitelist.add_entry(event_type, "new@example.com")
    with pytest.raises(BookingError):
        bookings.create_booking(event_type=event_type, session=session, attendee=unverified)
    assert not Booking.objects.exists()


def test_a_second_verified_address_on_the_list_counts(enrolled_class, student):
    event_type, session = enrolled_class
    EmailAddress.objects.create(user=student, email="an.le@school.edu", verified=True)
    whitelist.add_entry(event_type, "an.le@school.edu")
    assert bookings.create_booking(event_type=event_type, session=session, attendee=student)


def test_the_page_shows_the_refusal(tenant, enrolled_class, student):
    _event_type, session = enrolled_class
    response = host_client(tenant, user=student).post(f"/book/session/{session.pk}/", {"seats": "1"})
    assert response.status_code == 400
    assert "This class is open only to enrolled students." in response.content.decode()


def test_list_is_unique_per_event_type_case_insensitive(enrolled_class, tenant, teacher):
    event_type, _session = enrolled_class
    assert whitelist.add_entry(event_type, "A@Example.com")[1]
    assert not whitelist.add_entry(event_type, "a@example.COM")[1]
    other_type, _ = make_class(tenant, teacher, capacity=2, whitelist_enabled=True, slug="other")
    assert whitelist.add_entry(other_type, "a@example.com")[1]
    with pytest.raises(BookingError, match="not a valid email"):
        whitelist.add_entry(event_type, "not-an-email")


def test_csv_import_reports_accepted_duplicates_and_refused(enrolled_class, tenant_admin):
    event_type, _session = enrolled_class
    whitelist.add_entry(event_type, "old@example.com")
    csv_text = ("name,email\nAn,an@example.com\nBinh,OLD@example.com\nChi,not-an-email\n"
                "Dung,dung@example.com\nAn again,AN@example.com\n,\n")
    report = whitelist.import_csv(event_type, csv_text, actor=tenant_admin)
    assert report.accepted == ["an@example.com", "dung@example.com"]
    assert report.duplicates == ["old@example.com", "an@example.com"]
    assert report.refused == [(4, "not-an-email", "“not-an-email” is not a valid email address.")]
    assert set(WhitelistEntry.objects.filter(event_type=event_type).values_list("email", flat=True)) == {
        "old@example.com", "an@example.com", "dung@example.com"}
    entry = AuditEntry.objects.get(action="booking.whitelist_imported")
    assert entry.data == {"accepted": 2, "duplicates": 2, "refused": 1} and entry.actor == tenant_admin
    exported = whitelist.export_csv(event_type).splitlines()
    assert exported[0] == "email,note,added" and [line.split(",")[0] for line in exported[1:]] == [
        "an@example.com", "dung@example.com", "old@example.com"]


def test_csv_without_a_header_uses_the_first_column(enrolled_class):
    event_type, _session = enrolled_class
    report = whitelist.import_csv(event_type, b"\xef\xbb\xbfa@example.com\nb@example.com;x\n")
    assert report.accepted == ["a@example.com"] and len(report.refused) == 1


def test_admin_override_books_over_the_list_and_is_audited(enrolled_class, tenant_admin, student):
    event_type, session = enrolled_class
    booking = bookings.create_booking(event_type=event_type, session=session, attendee=student, source="admin",
                                      actor=tenant_admin, override_whitelist=True)
    assert booking.status == "confirmed"
    entry = AuditEntry.objects.get(action="booking.whitelist_override")
    assert entry.actor == tenant_admin and entry.target == f"booking:{booking.uid}"
    assert entry.data["attendee"] == "student@example.com"


def test_override_by_a_non_admin_is_refused(enrolled_class, teacher, student, other_tenant_admin):
    event_type, session = enrolled_class
    for actor in (student, teacher, other_tenant_admin):
        with pytest.raises(BookingError) as error:
            bookings.create_booking(event_type=event_type, session=session, attendee=student, actor=actor,
                                    override_whitelist=True)
        assert error.value.code == "override_not_allowed"
    assert not Booking.objects.exists()


def test_whitelist_off_anyone_verified_books(tenant, teacher, student):
    event_type, (session,) = make_class(tenant, teacher, capacity=2)
    assert bookings.create_booking(event_type=event_type, session=session, attendee=student)
    unverified = make_user("u@example.com", verified=False)
    with pytest.raises(BookingError, match="verify your email"):
        bookings.create_booking(event_type=event_type, session=session, attendee=unverified)
