"""The calendar feeds screens in the Wagtail admin: two tenants, each sees only its own."""

import pytest

from integrations.models import CalendarBusyInterval, CalendarFeed
from site_platform.models import AuditEntry, Membership
from site_platform.services.tenants import add_member
from tests.conftest import host_client, make_user
from tests.integrations.conftest import make_feed
from tests.integrations.ics_samples import next_weekday, weekly_lessons_calendar

pytestmark = pytest.mark.django_db

INDEX = "/admin/calendar_feeds/"


@pytest.fixture
def other_teacher(other_tenant):
    user = make_user("minh@saigon.test", first_name="Minh", last_name="Tran")
    add_member(other_tenant, user.email, Membership.Role.TEACHER)
    return user


@pytest.fixture
def feeds(tenant, other_tenant, teacher, other_teacher, ics_server):
    ours = make_feed(tenant, teacher, ics_server.url("/linh.ics"), name="Linh's Google Calendar")
    theirs = make_feed(other_tenant, other_teacher, ics_server.url("/minh.ics"), name="Minh's Outlook")
    return ours, theirs


def test_admin_lists_only_own_tenants_feeds_and_never_the_secret_address(feeds, tenant_admin, ics_server):
    response = host_client(user=tenant_admin).get(INDEX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Linh&#x27;s Google Calendar" in html or "Linh's Google Calendar" in html
    assert "Minh" not in html
    assert "/linh.ics" not in html and str(ics_server.port) not in html


def test_other_tenants_feed_answers_404_everywhere(feeds, tenant_admin, other_tenant_admin):
    ours, theirs = feeds
    client = host_client(user=tenant_admin)
    for url in (f"{INDEX}edit/{theirs.pk}/", f"{INDEX}delete/{theirs.pk}/", f"{INDEX}refresh/{theirs.pk}/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{INDEX}refresh/{theirs.pk}/").status_code == 404
    assert client.post(f"{INDEX}delete/{theirs.pk}/").status_code == 404
    assert CalendarFeed.objects.filter(pk=theirs.pk).exists()
    assert host_client(user=other_tenant_admin).get(f"{INDEX}edit/{ours.pk}/").status_code == 404
    assert host_client(user=other_tenant_admin).get(f"{INDEX}edit/{theirs.pk}/").status_code == 200


def test_a_failed_refresh_shows_its_error_in_the_listing(feeds, tenant_admin, ics_server):
    ours, _ = feeds
    ics_server.fail(503)
    client = host_client(user=tenant_admin)
    response = client.post(f"{INDEX}refresh/{ours.pk}/", follow=True)
    html = response.content.decode()
    assert "could not be refreshed" in html
    assert html.count("The calendar server answered with an error (HTTP 503).") >= 2  # message and listing


def test_refresh_now_imports_busy_times(feeds, tenant_admin, ics_server):
    ours, _ = feeds
    ics_server.serve(weekly_lessons_calendar(next_weekday(0)))
    client = host_client(user=tenant_admin)
    listing = client.get(INDEX).content.decode()
    assert f"{INDEX}refresh/{ours.pk}/" in listing
    confirm = client.get(f"{INDEX}refresh/{ours.pk}/")
    assert confirm.status_code == 200 and b"Refresh now" in confirm.content
    response = client.post(f"{INDEX}refresh/{ours.pk}/", follow=True)
    assert response.status_code == 200
    assert "refreshed: 5 busy times imported" in response.content.decode()
    assert CalendarBusyInterval.objects.filter(feed=ours).count() == 5


def test_adding_a_feed_fetches_it_and_offers_only_own_teachers(tenant, teacher, other_teacher, tenant_admin,
                                                             ics_server, django_capture_on_commit_callbacks):
    ics_server.serve(weekly_lessons_calendar(next_weekday(0)))
    client = host_client(user=tenant_admin)
    form = client.get(f"{INDEX}new/").content.decode()
    assert "linh@hanoi.test" in form or "Linh Nguyen" in form
    assert "Minh" not in form

    refused = client.post(f"{INDEX}new/", {"tenant": tenant.pk, "teacher": other_teacher.pk, "name": "Theirs",
                                           "url": ics_server.url(), "is_active": "on"})
    assert refused.status_code == 200 and not CalendarFeed.objects.filter(name="Theirs").exists()

    bad_scheme = client.post(f"{INDEX}new/", {"tenant": tenant.pk, "teacher": teacher.pk, "name": "Local file",
                                              "url": "file:///etc/passwd", "is_active": "on"})
    assert "Only http://, https:// and webcal:// calendar addresses can be used." in bad_scheme.content.decode()
    assert not CalendarFeed.objects.filter(name="Local file").exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{INDEX}new/", {"tenant": tenant.pk, "teacher": teacher.pk, "name": "Google",
                                                "url": ics_server.url(), "is_active": "on"})
    assert response.status_code == 302
    feed = CalendarFeed.objects.get(name="Google")
    assert feed.tenant == tenant and feed.teacher == teacher
    assert feed.last_success_at is not None and feed.busy_intervals.count() == 5
    assert AuditEntry.objects.filter(tenant=tenant, action="calendar_feed.added").exists()


def test_changing_the_address_forgets_the_old_etag_and_refetches(feeds, tenant, teacher, tenant_admin, ics_server,
                                                                 django_capture_on_commit_callbacks):
    ours, _ = feeds
    CalendarFeed.objects.filter(pk=ours.pk).update(etag='"old"')
    ics_server.serve(weekly_lessons_calendar(next_weekday(0)), etag='"new"')
    with django_capture_on_commit_callbacks(execute=True):
        response = host_client(user=tenant_admin).post(f"{INDEX}edit/{ours.pk}/", {
            "tenant": tenant.pk, "teacher": teacher.pk, "name": ours.name, "url": ics_server.url("/moved.ics"),
            "is_active": "on"})
    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.url == ics_server.url("/moved.ics") and ours.etag == '"new"'
    assert ics_server.requests[-1]["path"] == "/moved.ics"
    assert "If-None-Match" not in ics_server.requests[-1]["headers"]


def test_switching_a_feed_back_on_fetches_it(feeds, tenant, teacher, tenant_admin, ics_server,
                                             django_capture_on_commit_callbacks):
    ours, _ = feeds
    CalendarFeed.objects.filter(pk=ours.pk).update(is_active=False)
    ics_server.serve(weekly_lessons_calendar(next_weekday(0)))
    with django_capture_on_commit_callbacks(execute=True):
        response = host_client(user=tenant_admin).post(f"{INDEX}edit/{ours.pk}/", {
            "tenant": tenant.pk, "teacher": teacher.pk, "name": ours.name, "url": ours.url, "is_active": "on"})
    assert response.status_code == 302
    assert CalendarBusyInterval.objects.filter(feed=ours).count() == 5
    assert AuditEntry.objects.filter(action="calendar_feed.changed", data__changed=["is_active"]).exists()


def test_a_teacher_manages_only_their_own_feeds(feeds, teacher):
    ours, theirs = feeds
    assert ours.teacher == teacher
    client = host_client(user=teacher)
    listing = client.get(INDEX)
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Linh" in html and "Minh" not in html
    assert client.post(f"{INDEX}refresh/{theirs.pk}/").status_code == 404


def test_super_admin_sees_every_tenants_feeds(feeds, superadmin):
    html = host_client(user=superadmin).get(INDEX).content.decode()
    assert "Google Calendar" in html and "Minh" in html


def test_existing_tenants_admins_get_the_feed_permissions(tenant, tenant_admin):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("integrations.migrations.0002_calendar_feed_permissions_for_existing_tenants")
    group = tenant.admin_group
    group.permissions.remove(*group.permissions.filter(content_type__app_label="integrations"))
    migration.grant(apps, None)
    assert set(group.permissions.filter(content_type__app_label="integrations").values_list("codename", flat=True)) == {
        "view_calendarfeed", "add_calendarfeed", "change_calendarfeed", "delete_calendarfeed"}
    assert host_client(user=tenant_admin).get(INDEX).status_code == 200
