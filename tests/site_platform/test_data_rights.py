"""A student's data rights: export everything the school holds, erase on request."""

import json

import pytest

from booking.models import Booking, WaitlistEntry, WhitelistEntry
from booking.services.bookings import create_booking
from booking.services.whitelist import add_entry
from site_platform.models import AuditEntry
from tests.booking.booking_helpers import make_class
from tests.conftest import host_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def school(tenant, teacher, student, django_capture_on_commit_callbacks):
    other_student = make_user("binh@example.com", first_name="Binh")
    event_type, sessions = make_class(tenant, teacher, capacity=5, sessions=2, title="IELTS speaking",
                                      questions=[{"label": "Your level", "kind": "text", "required": False}])
    with django_capture_on_commit_callbacks(execute=True):
        mine = create_booking(event_type=event_type, session=sessions[0], attendee=student,
                              answers={"Your level": "B1, nervous about part 2"})
        theirs = create_booking(event_type=event_type, session=sessions[0], attendee=other_student,
                                answers={"Your level": "C1"})
    add_entry(event_type, student.email)
    add_entry(event_type, other_student.email)
    WaitlistEntry.objects.create(tenant=tenant, session=sessions[1], user=student, email=student.email)
    return {"mine": mine, "theirs": theirs, "other_student": other_student, "event_type": event_type}


def export(client, tenant, email, fmt="json"):
    return client.get("/admin/student-data/export/", {"tenant": tenant.pk, "email": email, "format": fmt})


def test_export_has_every_record_of_the_student_and_nothing_of_another(tenant, tenant_admin, student, school):
    response = export(host_client(user=tenant_admin), tenant, student.email)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.json"')
    data = json.loads(response.content)
    assert data["student"]["email"] == student.email
    records = data["records"]
    assert [b["uid"] for b in records["bookings"]] == [str(school["mine"].uid)]
    assert records["bookings"][0]["answers"] == {"Your level": "B1, nervous about part 2"}
    assert [w["email"] for w in records["whitelist"]] == [student.email]
    assert len(records["waitlist"]) == 1
    text = response.content.decode()
    assert "binh@example.com" not in text and "C1" not in text and str(school["theirs"].uid) not in text
    assert AuditEntry.objects.filter(action="student.exported", tenant=tenant).exists()

    csv_export = export(host_client(user=tenant_admin), tenant, student.email, "csv").content.decode()
    assert str(school["mine"].uid) in csv_export and "binh@example.com" not in csv_export


def test_erasure_leaves_no_personal_field_readable_and_keeps_the_money(tenant, tenant_admin, student, school):
    mine = school["mine"]
    amount_before = (mine.amount, mine.seats, mine.start)
    client = host_client(user=tenant_admin)
    confirm = client.get("/admin/student-data/erase/", {"tenant": tenant.pk, "email": student.email})
    assert confirm.status_code == 200
    wrong = client.post("/admin/student-data/erase/", {"tenant": tenant.pk, "email": student.email,
                                                       "confirm_email": "someone@else.test"})
    assert wrong.status_code == 200
    assert Booking.objects.get(pk=mine.pk).attendee_email == student.email  # nothing erased yet

    done = client.post("/admin/student-data/erase/", {"tenant": tenant.pk, "email": student.email,
                                                      "confirm_email": student.email.upper()})
    assert done.status_code == 302
    mine.refresh_from_db()
    assert mine.attendee_email.endswith("@erased.invalid")
    assert mine.answers == {} and mine.cancellation_reason == ""
    assert (mine.amount, mine.seats, mine.start) == amount_before
    assert not WhitelistEntry.objects.filter(email__iexact=student.email).exists()
    assert not WaitlistEntry.objects.filter(user=student).exists()
    # The other student is untouched.
    theirs = Booking.objects.get(pk=school["theirs"].pk)
    assert theirs.attendee_email == "binh@example.com" and theirs.answers == {"Your level": "C1"}
    assert WhitelistEntry.objects.filter(email="binh@example.com").exists()
    entry = AuditEntry.objects.get(action="student.erased", tenant=tenant)
    assert entry.actor == tenant_admin and entry.data["changed"]["bookings"] == 1
    # Nothing readable is left in a fresh export.
    again = export(client, tenant, student.email).content.decode()
    assert "nervous" not in again and '"whitelist": []' in again


def test_another_schools_admin_cannot_export_or_erase(tenant, other_tenant, other_tenant_admin, student, school):
    client = host_client(user=other_tenant_admin)
    response = export(client, tenant, student.email)
    assert response.status_code == 302  # the school is not one of theirs: back to the form
    assert b"nervous" not in response.content
    client.post("/admin/student-data/erase/", {"tenant": tenant.pk, "email": student.email,
                                               "confirm_email": student.email})
    assert Booking.objects.get(pk=school["mine"].pk).attendee_email == student.email


def test_teachers_and_students_have_no_student_data_screen(teacher, student):
    for user in (teacher, student):
        assert host_client(user=user).get("/admin/student-data/").status_code in (302, 403)


def test_unknown_student_is_a_clear_message(tenant, tenant_admin):
    response = host_client(user=tenant_admin).get("/admin/student-data/", {"tenant": tenant.pk,
                                                                           "email": "ghost@example.com"})
    assert response.status_code == 200
    assert b"No account has this email address." in response.content
