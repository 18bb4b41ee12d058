"""The teacher's workspace and the permission matrix: a teacher reaches their own
sessions, attendee lists, one-to-one bookings and calendar feed; not another
teacher's, not another tenant's, and none of the school's editing, payment,
settings, team, invitation or audit screens."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.models import Site

from booking.models import Booking, Session
from booking.notifications.models import TeacherCalendarToken
from booking.services import bookings
from site_platform.models import AuditEntry
from tests.booking.booking_helpers import future, make_class, make_one_on_one
from tests.booking.helpers import make_teacher
from tests.conftest import host_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tenant, other_tenant, tenant_admin, teacher, student):
    colleague = make_teacher(tenant, "james@hanoi.test", first_name="James")
    outsider = make_teacher(other_tenant, "minh@saigon.test")
    mine_type, (mine,) = make_class(tenant, teacher, capacity=6, slug="club", title="Linh Speaking Club")
    their_type, (theirs,) = make_class(tenant, colleague, capacity=4, slug="grammar", title="James Grammar")
    far_type, (far,) = make_class(other_tenant, outsider, capacity=4, slug="far", title="Saigon Secret Class")
    mine_booking = bookings.create_booking(event_type=mine_type, session=mine, attendee=student, seats=2)
    their_booking = bookings.create_booking(event_type=their_type, session=theirs,
                                            attendee=make_user("james.student@example.com"))
    far_booking = bookings.create_booking(event_type=far_type, session=far,
                                          attendee=make_user("far.student@example.com"))
    tutoring = make_one_on_one(tenant, teacher, slug="tutoring", title="Linh Tutoring")
    one_to_one = bookings.create_booking(event_type=tutoring, start=future(2, 10), attendee=student)
    return {"colleague": colleague, "outsider": outsider, "mine": mine, "theirs": theirs, "far": far,
            "mine_booking": mine_booking, "their_booking": their_booking, "far_booking": far_booking,
            "one_to_one": one_to_one, "client": host_client(user=teacher)}


def attendees_url(session):
    return f"/admin/teacher/sessions/{session.pk}/attendees/"


def start_now(session, booking):
    start = timezone.now() - timedelta(minutes=10)
    Session.objects.filter(pk=session.pk).update(start=start, end=start + timedelta(hours=1))
    Booking.objects.filter(pk=booking.pk).update(start=start, end=start + timedelta(hours=1))


def test_home_shows_the_teachers_own_sessions_bookings_and_feed(tenant, teacher, world):
    page = world["client"].get("/admin/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Linh Speaking Club" in text and "2 / 6" in text and attendees_url(world["mine"]) in text
    assert "Linh Tutoring" in text and "student@example.com" in text
    assert TeacherCalendarToken.for_teacher(tenant, teacher).feed_url in text
    assert "James Grammar" not in text and "Saigon Secret Class" not in text
    assert "james.student@example.com" not in text


def test_sessions_beyond_14_days_are_not_on_the_home_page(world):
    Session.objects.filter(pk=world["mine"].pk).update(start=timezone.now() + timedelta(days=20),
                                                       end=timezone.now() + timedelta(days=20, hours=1))
    assert "Linh Speaking Club" not in world["client"].get("/admin/").content.decode()


def test_new_feed_address_replaces_the_old_one(tenant, teacher, world):
    old = TeacherCalendarToken.for_teacher(tenant, teacher)
    response = world["client"].post(f"/admin/teacher/calendar/{tenant.pk}/rotate/")
    assert response.status_code == 302
    new = TeacherCalendarToken.for_teacher(tenant, teacher)
    assert new.token != old.token
    assert new.feed_url in world["client"].get("/admin/").content.decode()
    feed_host = host_client(tenant)
    assert feed_host.get(old.feed_url.split(tenant.hostname, 1)[1].lstrip(":0123456789")).status_code == 404
    assert feed_host.get(new.feed_url.split(tenant.hostname, 1)[1].lstrip(":0123456789")).status_code == 200


def test_a_teacher_cannot_rotate_a_feed_where_they_do_not_teach(other_tenant, teacher, world):
    assert world["client"].post(f"/admin/teacher/calendar/{other_tenant.pk}/rotate/").status_code == 404
    assert not TeacherCalendarToken.objects.filter(tenant=other_tenant, teacher=teacher).exists()


def test_own_attendee_list_and_csv(world):
    page = world["client"].get(attendees_url(world["mine"]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "student@example.com" in text and "Linh Speaking Club" in text
    assert "james.student@example.com" not in text
    export = world["client"].get(attendees_url(world["mine"]) + "?format=csv")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][:3] == ["name", "email", "seats"]
    assert rows[1][1:4] == ["student@example.com", "2", "confirmed"]


def test_another_teachers_or_tenants_attendee_list_is_404(world):
    client = world["client"]
    for session in (world["theirs"], world["far"]):
        assert client.get(attendees_url(session)).status_code == 404
        assert client.get(attendees_url(session) + "?format=csv").status_code == 404


def test_marking_attendance_after_the_start(world, teacher):
    client, session, booking = world["client"], world["mine"], world["mine_booking"]
    before = client.get(attendees_url(session)).content.decode()
    assert 'value="no"' not in before  # no marking before the start
    client.post(f"/admin/teacher/sessions/{session.pk}/attendance/{booking.pk}/", {"attended": "no"})
    booking.refresh_from_db()
    assert booking.status == "confirmed"  # refused: too early

    start_now(session, booking)
    assert 'value="no"' in client.get(attendees_url(session)).content.decode()
    response = client.post(f"/admin/teacher/sessions/{session.pk}/attendance/{booking.pk}/", {"attended": "no"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "no_show" and booking.attended is False
    assert AuditEntry.objects.filter(action="booking.attendance", actor=teacher).exists()
    client.post(f"/admin/teacher/sessions/{session.pk}/attendance/{booking.pk}/", {"attended": "yes"})
    booking.refresh_from_db()
    assert booking.status == "confirmed" and booking.attended is True
    assert "Present" in client.get(attendees_url(session)).content.decode()


def test_a_teacher_cannot_mark_another_teachers_or_tenants_booking(world):
    client = world["client"]
    for session_key, booking_key in (("theirs", "their_booking"), ("far", "far_booking")):
        session, booking = world[session_key], world[booking_key]
        start_now(session, booking)
        url = f"/admin/teacher/sessions/{session.pk}/attendance/{booking.pk}/"
        assert client.post(url, {"attended": "no"}).status_code == 404
        booking.refresh_from_db()
        assert booking.status == "confirmed"
    # Nor through their own session's URL with someone else's booking.
    mine = world["mine"]
    url = f"/admin/teacher/sessions/{mine.pk}/attendance/{world['their_booking'].pk}/"
    assert client.post(url, {"attended": "no"}).status_code == 404


def test_a_tenant_admin_sees_any_of_the_tenants_attendee_lists(tenant_admin, world):
    admin = host_client(user=tenant_admin)
    for session in (world["mine"], world["theirs"]):
        assert admin.get(attendees_url(session)).status_code == 200
    assert admin.get(attendees_url(world["far"])).status_code == 404
    start_now(world["theirs"], world["their_booking"])
    admin.post(f"/admin/teacher/sessions/{world['theirs'].pk}/attendance/{world['their_booking'].pk}/",
               {"attended": "no"})
    world["their_booking"].refresh_from_db()
    assert world["their_booking"].status == "no_show"


def test_a_deactivated_teacher_loses_the_attendee_list(tenant, teacher, world):
    teacher.memberships.filter(tenant=tenant).update(is_active=False)
    assert host_client(user=teacher).get(attendees_url(world["mine"])).status_code == 404


def closed(response):
    if response.status_code == 302:
        return "login" not in response["Location"]
    return response.status_code in (403, 404)


def school_screens(tenant, world):
    root = tenant.root_page_id
    return [
        "/admin/bookings/", f"/admin/bookings/inspect/{world['mine_booking'].pk}/",
        f"/admin/bookings/inspect/{world['their_booking'].pk}/",
        f"/admin/bookings/attendance/{world['their_booking'].pk}/",
        f"/admin/pages/{root}/edit/", f"/admin/pages/add/landing/contentpage/{root}/",
        f"/admin/pages/{root}/delete/",
        "/admin/payments/stripe/", "/admin/payments/transactions/", "/admin/payments/refunds/",
        "/admin/settings/landing/brandingsettings/{}/".format(
            Site.objects.get(hostname=tenant.hostname).pk),
        "/admin/team/", f"/admin/team/edit/{tenant.memberships.first().pk}/",
        "/admin/audit-log/", "/admin/invitations/", "/admin/invitations/new/",
        "/admin/event-types/", "/admin/sessions/", f"/admin/sessions/edit/{world['mine'].pk}/",
        "/admin/teachers/", f"/admin/teachers/{colleague_membership(tenant, world).pk}/profile/",
        f"/admin/teachers/{colleague_membership(tenant, world).pk}/deactivate/",
    ]


def colleague_membership(tenant, world):
    return tenant.memberships.get(user=world["colleague"])


def test_the_school_screens_are_real_and_open_to_the_tenant_admin(tenant, tenant_admin, world):
    admin = host_client(user=tenant_admin)
    for url in school_screens(tenant, world):
        assert admin.get(url).status_code == 200, url


def test_permission_matrix_what_a_teacher_cannot_reach(tenant, world):
    client = world["client"]
    for url in school_screens(tenant, world) + ["/admin/tenants/", "/admin/plans/"]:
        assert closed(client.get(url)), url
    assert closed(client.post("/admin/payments/stripe/", {}))
    assert closed(client.post(f"/admin/bookings/cancel/{world['their_booking'].pk}/", {"reason": "x"}))
    world["their_booking"].refresh_from_db()
    assert world["their_booking"].status == "confirmed"
    assert closed(client.post(f"/admin/teachers/{colleague_membership(tenant, world).pk}/deactivate/",
                              {"apply_to_all": "cancel"}))
    assert closed(client.post(f"/admin/teacher/sessions/{world['theirs'].pk}/message/",
                              {"subject": "x", "message": "y"}))
    assert colleague_membership(tenant, world).is_active


def test_permission_matrix_what_a_teacher_can_reach(tenant, teacher, world):
    client = world["client"]
    own = tenant.memberships.get(user=teacher)
    for url in ("/admin/", attendees_url(world["mine"]), attendees_url(world["mine"]) + "?format=csv",
                "/admin/schedules/", f"/admin/teachers/{own.pk}/profile/",
                f"/admin/teacher/schedule/{tenant.pk}/export/"):
        assert client.get(url).status_code == 200, url


def test_a_student_without_membership_reaches_nothing(world, student):
    client = host_client(user=student)
    for url in ("/admin/", attendees_url(world["mine"])):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
