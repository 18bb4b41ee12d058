"""A tenant admin deactivates a teacher: the confirmation screen lists their future
sessions and one-to-one bookings; each is reassigned (the new teacher's conflicts
refused) or cancelled with a full refund; nothing is left orphaned and access ends
at once. Another tenant's admin, and teachers, get 404."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from booking.models import Booking, Session
from booking.services import bookings
from booking.services import teachers as teacher_service
from booking.services.teachers import CANCEL, TeacherError
from site_platform.models import AuditEntry, Membership
from site_platform.services.tenants import add_member
from tests.booking.booking_helpers import future, make_class, make_one_on_one
from tests.booking.helpers import make_teacher
from tests.conftest import host_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def leaving(tenant, teacher, student):
    colleague = make_teacher(tenant, "james@hanoi.test", first_name="James")
    event_type, (session,) = make_class(tenant, teacher, capacity=5, price=Decimal("20"), slug="club",
                                        title="Speaking Club")
    paid = bookings.create_booking(event_type=event_type, session=session, attendee=student)
    bookings.confirm_booking(paid, payment_reference="pi_club")
    tutoring = make_one_on_one(tenant, teacher, slug="tutoring", title="Private lesson", price=Decimal("30"))
    lesson = bookings.create_booking(event_type=tutoring, start=future(2, 10),
                                     attendee=make_user("hoa@example.com", first_name="Hoa"))
    bookings.confirm_booking(lesson, payment_reference="pi_lesson")
    mail.outbox.clear()
    return {"colleague": colleague, "session": session, "paid": paid, "lesson": lesson,
            "membership": Membership.objects.get(tenant=tenant, user=teacher)}


def url(membership):
    return f"/admin/teachers/{membership.pk}/deactivate/"


def test_the_confirmation_screen_lists_future_sessions_and_bookings(tenant_admin, leaving):
    page = host_client(user=tenant_admin).get(url(leaving["membership"]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Speaking Club" in text and "1 of 5 seats" in text
    assert "Private lesson" in text and "Hoa" in text
    assert "Reassign to James" in text and "Cancel (full refund)" in text
    listing = host_client(user=tenant_admin).get("/admin/teachers/").content.decode()
    assert "linh@hanoi.test" in listing and url(leaving["membership"]) in listing


def test_deactivation_is_refused_while_work_is_left_unresolved(tenant_admin, teacher, leaving):
    response = host_client(user=tenant_admin).post(url(leaving["membership"]), {
        f"session_{leaving['session'].pk}": CANCEL})
    assert response.status_code == 400
    assert "Choose what happens to" in response.content.decode()
    leaving["membership"].refresh_from_db()
    assert leaving["membership"].is_active
    assert Session.objects.get(pk=leaving["session"].pk).status == Session.Status.SCHEDULED  # rolled back
    assert Booking.objects.get(pk=leaving["paid"].pk).status == Booking.Status.CONFIRMED
    with pytest.raises(TeacherError) as refusal:
        teacher_service.deactivate_teacher(leaving["membership"], actor=tenant_admin)
    assert refusal.value.code == "choice_missing"


def test_reassigning_to_a_busy_teacher_is_refused_and_changes_nothing(tenant, tenant_admin, teacher, leaving):
    colleague = leaving["colleague"]
    start = leaving["session"].start
    busy_type, _ = make_class(tenant, colleague, sessions=0, slug="busy", title="James Grammar")
    Session.objects.create(tenant=tenant, event_type=busy_type, teacher=colleague, start=start + timedelta(minutes=30),
                           end=start + timedelta(minutes=90), capacity=3)
    response = host_client(user=tenant_admin).post(url(leaving["membership"]), {
        f"session_{leaving['session'].pk}": str(colleague.pk), f"booking_{leaving['lesson'].pk}": CANCEL})
    assert response.status_code == 400
    assert "is busy at that time" in response.content.decode()
    leaving["membership"].refresh_from_db()
    assert leaving["membership"].is_active
    assert Session.objects.get(pk=leaving["session"].pk).teacher == teacher
    assert Booking.objects.get(pk=leaving["lesson"].pk).status == Booking.Status.CONFIRMED  # rolled back too


def test_a_one_to_one_booking_is_not_given_to_a_teacher_with_a_lesson_then(tenant, tenant_admin, leaving):
    colleague = leaving["colleague"]
    their_type = make_one_on_one(tenant, colleague, slug="their-tutoring")
    bookings.create_booking(event_type=their_type, start=leaving["lesson"].start, attendee=make_user("x@example.com"))
    with pytest.raises(TeacherError) as refusal:
        teacher_service.reassign_booking(leaving["lesson"], colleague, actor=tenant_admin)
    assert "James" in refusal.value.message and "busy" in refusal.value.message
    assert Booking.objects.get(pk=leaving["lesson"].pk).teacher_id != colleague.pk


def test_reassign_everything_then_the_teacher_loses_access_at_once(tenant, tenant_admin, teacher, leaving,
                                                                   django_capture_on_commit_callbacks):
    colleague = leaving["colleague"]
    teacher_client = host_client(user=teacher)
    assert teacher_client.get(f"/admin/teacher/sessions/{leaving['session'].pk}/attendees/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = host_client(user=tenant_admin).post(url(leaving["membership"]), {
            "apply_to_all": str(colleague.pk), "reason": ""})
    assert response.status_code == 302
    leaving["membership"].refresh_from_db()
    assert not leaving["membership"].is_active and leaving["membership"].deactivated_at
    session = Session.objects.get(pk=leaving["session"].pk)
    assert session.teacher == colleague and session.status == Session.Status.SCHEDULED
    assert Booking.objects.get(pk=leaving["paid"].pk).teacher == colleague
    lesson = Booking.objects.get(pk=leaving["lesson"].pk)
    assert lesson.teacher == colleague and lesson.status == Booking.Status.CONFIRMED
    assert any("hoa@example.com" in m.to[0] for m in mail.outbox)  # the student is told of the change
    assert AuditEntry.objects.filter(action="membership.deactivated", tenant=tenant).exists()
    assert AuditEntry.objects.filter(action="booking.session_reassigned").count() == 1
    assert AuditEntry.objects.filter(action="booking.teacher_reassigned").count() == 1
    # Access is gone on the very next request: with no other school, no admin at all.
    attendees = teacher_client.get(f"/admin/teacher/sessions/{leaving['session'].pk}/attendees/")
    assert attendees.status_code == 302 and attendees["Location"].startswith("/admin/login/")
    assert teacher_client.get("/admin/")["Location"].startswith("/admin/login/")
    assert not teacher.groups.filter(pk=tenant.teacher_group_id).exists()
    assert teacher_service.future_work(tenant, teacher).sessions == []


def test_cancel_everything_with_full_refunds(tenant, tenant_admin, teacher, leaving):
    response = host_client(user=tenant_admin).post(url(leaving["membership"]), {
        "apply_to_all": CANCEL, "reason": "Teacher left the school"})
    assert response.status_code == 302
    session = Session.objects.get(pk=leaving["session"].pk)
    assert session.status == Session.Status.CANCELLED
    for key, amount in (("paid", Decimal("20")), ("lesson", Decimal("30"))):
        booking = Booking.objects.get(pk=leaving[key].pk)
        assert booking.status == Booking.Status.CANCELLED
        assert booking.cancelled_by_role == Booking.Role.ADMIN
        assert booking.refund_due == amount  # in full, whatever the refund window
        assert booking.cancellation_reason == "Teacher left the school"
    assert not Membership.objects.get(pk=leaving["membership"].pk).is_active


def test_mixed_choices_per_item(tenant, tenant_admin, teacher, leaving):
    teacher_service.deactivate_teacher(
        leaving["membership"], actor=tenant_admin,
        sessions={leaving["session"].pk: leaving["colleague"]}, bookings={leaving["lesson"].pk: CANCEL})
    assert Session.objects.get(pk=leaving["session"].pk).teacher == leaving["colleague"]
    assert Booking.objects.get(pk=leaving["lesson"].pk).status == Booking.Status.CANCELLED


def test_a_teacher_with_no_future_work_is_deactivated_directly(tenant, tenant_admin):
    idle = make_teacher(tenant, "idle@hanoi.test")
    membership = Membership.objects.get(tenant=tenant, user=idle)
    response = host_client(user=tenant_admin).post(url(membership), {})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active


def test_only_the_schools_admin_may_deactivate(tenant, other_tenant_admin, tenant_admin, teacher, leaving):
    colleague = leaving["colleague"]
    for user in (other_tenant_admin, colleague, teacher):
        client = host_client(user=user)
        assert client.get(url(leaving["membership"])).status_code == 404
        assert client.post(url(leaving["membership"]), {"apply_to_all": CANCEL}).status_code == 404
    assert Membership.objects.get(pk=leaving["membership"].pk).is_active
    own = Membership.objects.get(tenant=tenant, user=tenant_admin)
    with pytest.raises(TeacherError) as refusal:
        teacher_service.deactivate_teacher(own, actor=tenant_admin)
    assert refusal.value.code == "deactivate_self"


def test_the_team_screen_cannot_untick_a_teacher_with_future_work(tenant, tenant_admin, leaving):
    membership = leaving["membership"]
    client = host_client(user=tenant_admin)
    edit = f"/admin/team/edit/{membership.pk}/"
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"tenant": tenant.pk, "role": "teacher", "timezone": "Asia/Ho_Chi_Minh"})
    assert "Use Teachers → Deactivate" in response.content.decode()
    membership.refresh_from_db()
    assert membership.is_active
    idle = make_teacher(tenant, "idle@hanoi.test")
    idle_membership = Membership.objects.get(tenant=tenant, user=idle)
    response = client.post(f"/admin/team/edit/{idle_membership.pk}/", {"tenant": tenant.pk, "role": "teacher",
                                                                      "timezone": "UTC"})
    assert response.status_code == 302
    idle_membership.refresh_from_db()
    assert not idle_membership.is_active


def test_a_teacher_of_two_schools_keeps_the_other_one(tenant, other_tenant, tenant_admin, teacher, leaving):
    _far_type, (far,) = make_class(other_tenant, make_teacher(other_tenant, "x@saigon.test"), slug="far",
                                   title="Far")
    add_member(other_tenant, teacher.email, Membership.Role.TEACHER)
    Session.objects.filter(pk=far.pk).update(teacher=teacher)
    teacher_service.deactivate_teacher(leaving["membership"], actor=tenant_admin,
                                       sessions={leaving["session"].pk: CANCEL},
                                       bookings={leaving["lesson"].pk: CANCEL})
    client = host_client(user=teacher)
    home = client.get("/admin/")
    assert home.status_code == 200
    text = home.content.decode()
    assert "Saigon Language School" in text and "Hanoi English Centre" not in text
    assert client.get(f"/admin/teacher/sessions/{far.pk}/attendees/").status_code == 200
    assert client.get(f"/admin/teacher/sessions/{leaving['session'].pk}/attendees/").status_code == 404
    assert teacher.groups.filter(pk=other_tenant.teacher_group_id).exists()
