"""Refreshing feeds from a real HTTP server on loopback: success and every failure path."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from integrations.calendars.services import refresh_feed
from integrations.models import CalendarBusyInterval, CalendarFeed
from integrations.tasks import refresh_all_calendar_feeds, refresh_calendar_feed
from tests.integrations.conftest import make_feed
from tests.integrations.ics_samples import calendar, event, ics_utc, next_weekday, weekly_lessons_calendar

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def london(day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON).astimezone(dt.timezone.utc)


def stored(feed):
    return list(CalendarBusyInterval.objects.filter(feed=feed).order_by("start").values_list("start", "end"))


@pytest.fixture
def monday():
    return next_weekday(0)


@pytest.fixture
def good_feed(tenant, teacher, ics_server, monday):
    """A feed whose first refresh has succeeded: the last good copy."""
    ics_server.serve(weekly_lessons_calendar(monday), etag='"v1"')
    feed = make_feed(tenant, teacher, ics_server.url())
    assert refresh_feed(feed.pk).ok
    feed.refresh_from_db()
    assert feed.last_success_at is not None
    return feed


def expected_lessons(monday):
    weeks = [monday + dt.timedelta(weeks=n) for n in range(6)]
    return sorted(
        [(london(day, 10), london(day, 11)) for n, day in enumerate(weeks) if n not in (2, 3)]
        + [(london(weeks[3], 15), london(weeks[3], 16))]
    )


def test_refresh_imports_recurring_busy_times_in_utc(good_feed, monday, teacher, tenant):
    good_feed.refresh_from_db()
    assert stored(good_feed) == expected_lessons(monday)
    assert good_feed.last_success_at is not None and good_feed.last_fetched_at == good_feed.last_success_at
    assert good_feed.last_error == "" and not good_feed.has_error and good_feed.error_message() == ""
    assert good_feed.etag == '"v1"'
    rows = CalendarBusyInterval.objects.filter(feed=good_feed)
    assert set(rows.values_list("tenant_id", "teacher_id")) == {(tenant.pk, teacher.pk)}
    assert set(rows.values_list("summary", flat=True)) == {""}, "private event titles are not stored"


def test_a_changed_feed_replaces_the_busy_times(good_feed, ics_server):
    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, second=0, minute=0) + dt.timedelta(days=3)
    ics_server.serve(calendar(event("only@test", ics_utc(start), ics_utc(start + dt.timedelta(hours=2)))), etag='"v2"')
    assert refresh_feed(good_feed.pk).ok
    assert stored(good_feed) == [(start, start + dt.timedelta(hours=2))]


def assert_last_good_copy_kept(feed, before, *, code, message):
    last_success = feed.last_success_at
    feed.refresh_from_db()
    assert stored(feed) == before
    assert feed.last_error_code == code
    assert feed.error_message() == message
    assert feed.last_error == message
    assert feed.last_success_at == last_success
    assert feed.last_fetched_at > last_success


@pytest.mark.parametrize("status", [500, 503, 404, 403])
def test_an_error_status_keeps_the_last_good_copy(good_feed, ics_server, status):
    before = stored(good_feed)
    ics_server.fail(status)
    result = refresh_feed(good_feed.pk)
    assert not result.ok
    assert_last_good_copy_kept(good_feed, before, code="feed_http_status",
                               message=f"The calendar server answered with an error (HTTP {status}).")


def test_a_server_that_does_not_answer_times_out_and_keeps_the_last_good_copy(good_feed, ics_server):
    before = stored(good_feed)
    ics_server.hold()
    try:
        assert not refresh_feed(good_feed.pk).ok
    finally:
        ics_server.release()
    assert_last_good_copy_kept(good_feed, before, code="feed_timeout",
                               message="The calendar server did not answer in time.")


@pytest.mark.parametrize("body, content_type", [
    (b"<!doctype html><html><body>Sign in</body></html>", "text/html"),
    (b"", "text/calendar"),
    (b"BEGIN:VCALENDAR\r\ngarbage", "text/calendar"),
])
def test_a_body_that_is_not_a_calendar_keeps_the_last_good_copy(good_feed, ics_server, body, content_type):
    before = stored(good_feed)
    ics_server.serve(body, content_type=content_type)
    assert not refresh_feed(good_feed.pk).ok
    assert_last_good_copy_kept(good_feed, before, code="feed_not_ics",
                               message="The address did not return an ICS calendar.")


@pytest.mark.parametrize("send_length", [True, False], ids=["declared", "streamed"])
def test_a_body_over_2_mb_is_cut_off_and_keeps_the_last_good_copy(good_feed, ics_server, send_length):
    before = stored(good_feed)
    padding = "X-FILLER:" + "x" * 60
    huge = calendar(*[padding] * (2 * 1024 * 1024 // 60))
    assert len(huge) > 2 * 1024 * 1024
    ics_server.serve(huge, send_length=send_length)
    assert not refresh_feed(good_feed.pk).ok
    assert_last_good_copy_kept(good_feed, before, code="feed_too_large",
                               message="The calendar is too large: the limit is 2 MB.")


def test_an_unreachable_server_keeps_the_last_good_copy(good_feed, ics_server):
    before = stored(good_feed)
    ics_server.stop()
    assert not refresh_feed(good_feed.pk).ok
    assert_last_good_copy_kept(good_feed, before, code="feed_unreachable",
                               message="The calendar server could not be reached.")


def test_not_modified_keeps_the_busy_times_and_counts_as_success(good_feed, ics_server):
    before = stored(good_feed)
    ics_server.fail(500)
    refresh_feed(good_feed.pk)
    ics_server.serve(weekly_lessons_calendar(next_weekday(0)), etag='"v1"')
    result = refresh_feed(good_feed.pk)
    assert result.ok and not result.changed
    assert ics_server.requests[-1]["headers"].get("If-None-Match") == '"v1"'
    good_feed.refresh_from_db()
    assert stored(good_feed) == before
    assert not good_feed.has_error and good_feed.last_success_at == good_feed.last_fetched_at


def test_a_success_after_a_failure_clears_the_error(good_feed, ics_server, monday):
    ics_server.fail(500)
    refresh_feed(good_feed.pk)
    ics_server.serve(weekly_lessons_calendar(monday), etag='"v3"')
    assert refresh_feed(good_feed.pk).ok
    good_feed.refresh_from_db()
    assert not good_feed.has_error and good_feed.last_error_params == {}


@pytest.mark.parametrize("url, code", [
    ("file:///etc/passwd", "feed_url_scheme"),
    ("ftp://calendar.example.com/cal.ics", "feed_url_scheme"),
    ("gopher://127.0.0.1:25/", "feed_url_scheme"),
    ("https://", "feed_url_invalid"),
])
def test_only_http_addresses_are_accepted(tenant, teacher, url, code):
    feed = CalendarFeed(tenant=tenant, teacher=teacher, name="Bad", url=url)
    with pytest.raises(ValidationError) as caught:
        feed.full_clean()
    assert "url" in caught.value.message_dict
    feed.save()
    assert not refresh_feed(feed.pk).ok
    feed.refresh_from_db()
    assert feed.last_error_code == code and feed.last_success_at is None


def test_webcal_addresses_are_fetched_over_http(tenant, teacher, ics_server, monday):
    ics_server.serve(weekly_lessons_calendar(monday))
    feed = make_feed(tenant, teacher, ics_server.url().replace("http://", "webcal://"))
    feed.full_clean()
    # webcal:// means https://; the fake server speaks plain http, so the TLS handshake fails.
    assert refresh_feed(feed.pk).error.code == "feed_unreachable"


def test_private_addresses_are_refused_unless_allowed(good_feed, ics_server, settings):
    before = stored(good_feed)
    settings.CALENDAR_FEEDS_ALLOW_PRIVATE_ADDRESSES = False
    requests_before = len(ics_server.requests)
    assert not refresh_feed(good_feed.pk).ok
    assert len(ics_server.requests) == requests_before, "nothing was sent to a loopback address"
    assert_last_good_copy_kept(good_feed, before, code="feed_address_refused",
                               message="This calendar address points to a private network and cannot be used.")


def test_the_address_is_encrypted_at_rest(good_feed, ics_server):
    with connection.cursor() as cursor:
        cursor.execute("SELECT url FROM integrations_calendarfeed WHERE id = %s", [good_feed.pk])
        [raw] = cursor.fetchone()
    assert raw.startswith("fernet:") and "127.0.0.1" not in raw
    assert CalendarFeed.objects.get(pk=good_feed.pk).url == ics_server.url()


def test_an_inactive_feed_is_not_fetched(good_feed, ics_server):
    CalendarFeed.objects.filter(pk=good_feed.pk).update(is_active=False)
    requests_before = len(ics_server.requests)
    assert not refresh_feed(good_feed.pk).ok
    assert len(ics_server.requests) == requests_before


def test_refresh_task_run_twice_does_no_harm(good_feed, ics_server, monday):
    ics_server.serve(weekly_lessons_calendar(monday), etag='"v4"')
    refresh_calendar_feed.delay(good_feed.pk)
    first = stored(good_feed)
    refresh_calendar_feed.delay(good_feed.pk)
    assert stored(good_feed) == first == expected_lessons(monday)
    assert CalendarBusyInterval.objects.count() == len(first)


def test_refresh_all_task_refreshes_every_active_feed_and_can_run_twice(tenant, other_tenant, teacher, ics_server,
                                                                        monday):
    from site_platform.models import Membership, Tenant
    from site_platform.services.tenants import add_member, set_tenant_status
    from tests.conftest import make_tenant, make_user

    other_teacher = make_user("minh@saigon.test")
    add_member(other_tenant, other_teacher.email, Membership.Role.TEACHER)
    ics_server.serve(weekly_lessons_calendar(monday))
    feeds = [make_feed(tenant, teacher, ics_server.url("/a.ics")),
             make_feed(other_tenant, other_teacher, ics_server.url("/b.ics"))]
    paused = make_feed(tenant, teacher, ics_server.url("/paused.ics"), is_active=False)
    suspended = make_tenant("danang")
    add_member(suspended, teacher.email, Membership.Role.TEACHER)
    make_feed(suspended, teacher, ics_server.url("/suspended.ics"))
    set_tenant_status(suspended, Tenant.Status.SUSPENDED)
    assert refresh_all_calendar_feeds.delay().get() == 2
    assert refresh_all_calendar_feeds.delay().get() == 2
    for feed in feeds:
        assert stored(feed) == expected_lessons(monday)
    assert stored(paused) == []
    assert {r["path"] for r in ics_server.requests} == {"/a.ics", "/b.ics"}


def test_a_feed_deleted_before_its_task_runs_is_skipped(good_feed):
    feed_id = good_feed.pk
    good_feed.delete()
    refresh_calendar_feed.delay(feed_id)
    assert not CalendarBusyInterval.objects.filter(feed_id=feed_id).exists()


def test_the_refresh_runs_on_celery_beat_every_15_minutes_by_default():
    from django.conf import settings

    from site_platform.celery import app

    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values()
               if e["task"] == "integrations.tasks.refresh_all_calendar_feeds"]
    assert entry["schedule"] == 15 * 60
    app.loader.import_default_modules()
    assert "integrations.tasks.refresh_all_calendar_feeds" in app.tasks


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_leave_one_copy(tenant, teacher, ics_server, monday):
    import threading

    from django.db import connections

    ics_server.serve(weekly_lessons_calendar(monday))
    feed = make_feed(tenant, teacher, ics_server.url())
    barrier = threading.Barrier(4)
    results = []

    def refresh():
        try:
            barrier.wait(timeout=10)
            results.append(refresh_feed(feed.pk).ok)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [True] * 4
    assert stored(feed) == expected_lessons(monday)
