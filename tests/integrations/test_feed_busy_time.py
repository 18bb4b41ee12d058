"""Feed busy time reaches availability: the provider on its own, and the slots API end to end."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from booking.busy import external_busy
from integrations.calendars.services import refresh_feed
from integrations.models import CalendarBusyInterval
from site_platform.models import Membership
from site_platform.services.tenants import add_member
from tests.booking.helpers import make_event_type, make_schedule, make_teacher
from tests.conftest import host_client
from tests.integrations.conftest import make_feed
from tests.integrations.ics_samples import calendar, event, ics_local, next_weekday, utc

pytestmark = pytest.mark.django_db

LONDON = "Europe/London"


def add_busy(feed, start, end):
    return CalendarBusyInterval.objects.create(tenant=feed.tenant, feed=feed, teacher=feed.teacher, start=start,
                                               end=end)


def test_provider_answers_per_teacher_for_the_range_in_one_query(tenant, teacher, django_assert_num_queries):
    colleague = make_teacher(tenant, "thu@hanoi.test")
    feed = make_feed(tenant, teacher, "https://calendar.example.com/a.ics")
    second = make_feed(tenant, teacher, "https://calendar.example.com/b.ics")
    colleague_feed = make_feed(tenant, colleague, "https://calendar.example.com/c.ics")
    add_busy(feed, utc(2026, 12, 7, 9), utc(2026, 12, 7, 10))
    add_busy(second, utc(2026, 12, 7, 9, 30), utc(2026, 12, 7, 11))
    add_busy(feed, utc(2026, 12, 20, 9), utc(2026, 12, 20, 10))  # outside the range
    add_busy(colleague_feed, utc(2026, 12, 8, 9), utc(2026, 12, 8, 10))
    with django_assert_num_queries(1):
        busy = external_busy(tenant, [teacher.pk, colleague.pk], utc(2026, 12, 7), utc(2026, 12, 14))
    assert sorted(busy[teacher.pk]) == [(utc(2026, 12, 7, 9), utc(2026, 12, 7, 10)),
                                        (utc(2026, 12, 7, 9, 30), utc(2026, 12, 7, 11))]
    assert busy[colleague.pk] == [(utc(2026, 12, 8, 9), utc(2026, 12, 8, 10))]


def test_provider_ignores_inactive_feeds_and_other_tenants(tenant, other_tenant, teacher):
    add_member(other_tenant, teacher.email, Membership.Role.TEACHER)  # one person teaching at both schools
    paused = make_feed(tenant, teacher, "https://calendar.example.com/a.ics", is_active=False)
    elsewhere = make_feed(other_tenant, teacher, "https://calendar.example.com/b.ics")
    add_busy(paused, utc(2026, 12, 7, 9), utc(2026, 12, 7, 10))
    add_busy(elsewhere, utc(2026, 12, 7, 11), utc(2026, 12, 7, 12))
    assert external_busy(tenant, [teacher.pk], utc(2026, 12, 7), utc(2026, 12, 8)) == {teacher.pk: []}
    assert external_busy(other_tenant, [teacher.pk], utc(2026, 12, 7), utc(2026, 12, 8)) == {
        teacher.pk: [(utc(2026, 12, 7, 11), utc(2026, 12, 7, 12))]}


def test_all_day_events_block_the_teachers_local_day(tenant, ics_server):
    """An all-day "day off" in the feed is read in the zone of the teacher's schedule."""
    teacher = make_teacher(tenant, "an@hanoi.test", zone="UTC")
    make_schedule(tenant, teacher, "Asia/Ho_Chi_Minh", weekly=[(day, "08:00", "10:00") for day in range(7)])
    event_type = make_event_type(tenant, hosts=[teacher], duration_minutes=60)
    day_off = next_weekday(2)
    ics_server.serve(calendar(event("off@test", f";VALUE=DATE:{day_off:%Y%m%d}")))
    assert refresh_feed(make_feed(tenant, teacher, ics_server.url()).pk).ok
    days = [day_off - dt.timedelta(days=1), day_off, day_off + dt.timedelta(days=1)]
    starts = slot_starts(tenant, event_type, days[0], days[-1], zone="Asia/Ho_Chi_Minh")
    assert starts == [f"{day} {hour}" for day in (days[0], days[2]) for hour in ("08:00", "09:00")]


def slot_starts(tenant, event_type, first, last, zone=LONDON):
    response = host_client(tenant).get(
        f"/api/v1/event-types/{event_type.pk}/slots", {"start": first.isoformat(), "end": last.isoformat(), "tz": zone})
    assert response.status_code == 200, response.content
    return [item["start"][:16].replace("T", " ") for item in response.json()["slots"]]


def test_recurring_busy_events_in_a_feed_block_the_right_slots(tenant, ics_server):
    """A London teacher free Mondays 09:00-12:00; their calendar has a weekly lesson at
    10:00 with one week excluded (EXDATE) and one moved to 11:00 (RECURRENCE-ID)."""
    teacher = make_teacher(tenant, "james@hanoi.test", zone=LONDON)
    make_schedule(tenant, teacher, LONDON, weekly=[(0, "09:00", "12:00")])
    event_type = make_event_type(tenant, hosts=[teacher], duration_minutes=60)
    mondays = [next_weekday(0) + dt.timedelta(weeks=n) for n in range(4)]

    def at(day, hour):
        return ics_local(dt.datetime.combine(day, dt.time(hour)), LONDON)

    ics_server.serve(calendar(
        event("lesson@test", at(mondays[0], 10), at(mondays[0], 11), rrule="FREQ=WEEKLY;COUNT=4",
              exdate=at(mondays[1], 10)),
        event("lesson@test", at(mondays[2], 11), at(mondays[2], 12), recurrence_id=at(mondays[2], 10)),
    ))
    first, last = mondays[0], mondays[3] + dt.timedelta(days=1)
    everything = slot_starts(tenant, event_type, first, last)
    assert everything == [f"{day} {hour:02d}:00" for day in mondays for hour in (9, 10, 11)]

    feed = make_feed(tenant, teacher, ics_server.url())
    assert refresh_feed(feed.pk).ok
    assert slot_starts(tenant, event_type, first, last) == [
        f"{mondays[0]} 09:00", f"{mondays[0]} 11:00",
        f"{mondays[1]} 09:00", f"{mondays[1]} 10:00", f"{mondays[1]} 11:00",
        f"{mondays[2]} 09:00", f"{mondays[2]} 10:00",
        f"{mondays[3]} 09:00", f"{mondays[3]} 11:00",
    ]
    # A student in Ho Chi Minh City sees the same free hours in their own time.
    saigon = slot_starts(tenant, event_type, first, last + dt.timedelta(days=1), zone="Asia/Ho_Chi_Minh")
    london_first = dt.datetime.combine(mondays[0], dt.time(9), tzinfo=ZoneInfo(LONDON))
    assert saigon[0] == london_first.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m-%d %H:%M")
    assert len(saigon) == 9

    # The feed breaks: its last good copy still blocks the same slots.
    ics_server.fail(500)
    assert not refresh_feed(feed.pk).ok
    assert slot_starts(tenant, event_type, first, last)[:2] == [f"{mondays[0]} 09:00", f"{mondays[0]} 11:00"]

    # Switched off: its busy time no longer counts.
    feed.is_active = False
    feed.save(update_fields=["is_active"])
    assert slot_starts(tenant, event_type, first, last) == everything
