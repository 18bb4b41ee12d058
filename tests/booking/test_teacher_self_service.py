"""Teachers keep their own schedule and calendar feeds in the admin: their rows
only; other teachers' rows answer 404; the school's other screens stay closed."""

import pytest

from booking.models import Schedule
from integrations.models import CalendarFeed
from site_platform.models import Membership
from site_platform.services.tenants import add_member
from tests.booking.helpers import make_schedule
from tests.conftest import host_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(tenant):
    user = make_user("james@hanoi.test", first_name="James")
    add_member(tenant, user.email, Membership.Role.TEACHER)
    return user


@pytest.fixture
def schedules(tenant, teacher, colleague, other_tenant):
    outsider = make_user("far@saigon.test")
    add_member(other_tenant, outsider.email, Membership.Role.TEACHER)
    return {
        "mine": make_schedule(tenant, teacher, "Asia/Ho_Chi_Minh", weekly=[(0, "09:00", "12:00")]),
        "colleague": make_schedule(tenant, colleague, "Europe/London"),
        "other_tenant": make_schedule(other_tenant, outsider, "UTC"),
    }


def test_teacher_sees_and_edits_only_their_own_schedule(teacher, schedules):
    client = host_client(user=teacher)
    listing = client.get("/admin/schedules/")
    assert listing.status_code == 200
    assert b"Asia/Ho_Chi_Minh" in listing.content
    assert b"Europe/London" not in listing.content
    assert client.get(f"/admin/schedules/edit/{schedules['mine'].pk}/").status_code == 200
    for other in ("colleague", "other_tenant"):
        assert client.get(f"/admin/schedules/edit/{schedules[other].pk}/").status_code == 404
        assert client.post(f"/admin/schedules/delete/{schedules[other].pk}/").status_code == 404
    assert Schedule.objects.count() == 3


def test_teacher_creates_their_schedule_for_themself_only(tenant, teacher, colleague):
    client = host_client(user=teacher)
    form = client.get("/admin/schedules/new/")
    assert form.status_code == 200
    assert b"james@hanoi.test" not in form.content  # no one else to choose
    data = {
        "tenant": tenant.pk, "teacher": colleague.pk, "timezone": "Asia/Ho_Chi_Minh",
        "ranges-TOTAL_FORMS": 0, "ranges-INITIAL_FORMS": 0, "ranges-MIN_NUM_FORMS": 0, "ranges-MAX_NUM_FORMS": 1000,
        "overrides-TOTAL_FORMS": 0, "overrides-INITIAL_FORMS": 0, "overrides-MIN_NUM_FORMS": 0,
        "overrides-MAX_NUM_FORMS": 1000,
        "blackouts-TOTAL_FORMS": 0, "blackouts-INITIAL_FORMS": 0, "blackouts-MIN_NUM_FORMS": 0,
        "blackouts-MAX_NUM_FORMS": 1000,
    }
    refused = client.post("/admin/schedules/new/", data)
    assert refused.status_code == 200  # the colleague is not a choice
    assert not Schedule.objects.filter(teacher=colleague).exists()
    response = client.post("/admin/schedules/new/", {**data, "teacher": teacher.pk})
    assert response.status_code == 302
    assert Schedule.objects.get(teacher=teacher).timezone == "Asia/Ho_Chi_Minh"


def test_teacher_cannot_reach_the_schools_other_screens(tenant, teacher):
    client = host_client(user=teacher)
    for url in ("/admin/event-types/", "/admin/sessions/", "/admin/team/", "/admin/audit-log/",
                f"/admin/pages/{tenant.root_page_id}/edit/"):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        if response.status_code == 302:
            assert "login" not in response["Location"]


def test_teacher_adds_and_sees_their_own_calendar_feeds(tenant, teacher, colleague, settings):
    mine = CalendarFeed.objects.create(tenant=tenant, teacher=teacher, name="My Google calendar",
                                       url="https://calendar.example.com/mine.ics", is_active=False)
    theirs = CalendarFeed.objects.create(tenant=tenant, teacher=colleague, name="James private",
                                         url="https://calendar.example.com/james.ics", is_active=False)
    CalendarFeed.objects.filter(pk=mine.pk).update(last_error="The calendar address could not be reached.")
    client = host_client(user=teacher)
    listing = client.get("/admin/calendar_feeds/")
    assert listing.status_code == 200
    assert b"My Google calendar" in listing.content
    assert b"James private" not in listing.content
    assert client.get(f"/admin/calendar_feeds/edit/{theirs.pk}/").status_code == 404
    assert client.get(f"/admin/calendar_feeds/edit/{mine.pk}/").status_code == 200


def test_admin_still_manages_every_teachers_schedule(tenant_admin, schedules):
    client = host_client(user=tenant_admin)
    listing = client.get("/admin/schedules/")
    assert b"Asia/Ho_Chi_Minh" in listing.content and b"Europe/London" in listing.content
    assert client.get(f"/admin/schedules/edit/{schedules['colleague'].pk}/").status_code == 200
    assert client.get(f"/admin/schedules/edit/{schedules['other_tenant'].pk}/").status_code == 404
