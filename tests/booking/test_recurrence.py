"""Sessions from a recurrence rule, series edits and cancellation."""

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from booking.errors import BookingError
from booking.models import Blackout, EventType, Session, SessionSeries
from booking.services.sessions import (
    cancel_session, create_series, create_session, occurrence_dates, update_series,
)
from site_platform.models import AuditEntry
from tests.booking.helpers import at, make_event_type, make_schedule, make_teacher
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

LONDON = "Europe/London"
MON, WED = 0, 2


@pytest.fixture
def james(tenant):
    return make_teacher(tenant, "james@hanoi.test", zone=LONDON)


@pytest.fixture
def course(tenant):
    return make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, slug="conversation", seats_per_session=12)


def local_starts(sessions, zone=LONDON):
    return [s.start.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M") for s in sessions]


def utc_starts(sessions):
    return [s.start.strftime("%Y-%m-%d %H:%M") for s in sessions]


def test_weekly_rule_keeps_local_time_across_the_spring_change(course, james):
    series, sessions, skipped = create_series(event_type=course, teacher=james, weekdays=[MON], start_time=time(9),
                                              starts_on=date(2030, 3, 18), count=4)
    assert skipped == []
    assert series.timezone == LONDON  # the teacher's zone
    stored = list(Session.objects.filter(series=series).order_by("start"))
    assert local_starts(stored) == ["Mon 2030-03-18 09:00", "Mon 2030-03-25 09:00", "Mon 2030-04-01 09:00",
                                    "Mon 2030-04-08 09:00"]
    assert utc_starts(stored) == ["2030-03-18 09:00", "2030-03-25 09:00", "2030-04-01 08:00", "2030-04-08 08:00"]
    assert all(s.end - s.start == timedelta(minutes=60) and s.capacity == 12 for s in stored)


def test_every_two_weeks_on_two_days_across_the_autumn_change(course, james):
    series, sessions, _ = create_series(
        event_type=course, teacher=james, weekdays=[MON, WED], interval_weeks=2, start_time=time(18, 30),
        duration_minutes=90, starts_on=date(2030, 10, 14), until=date(2030, 11, 13))
    stored = list(series.sessions.order_by("start"))
    assert local_starts(stored) == ["Mon 2030-10-14 18:30", "Wed 2030-10-16 18:30", "Mon 2030-10-28 18:30",
                                    "Wed 2030-10-30 18:30", "Mon 2030-11-11 18:30", "Wed 2030-11-13 18:30"]
    assert utc_starts(stored) == ["2030-10-14 17:30", "2030-10-16 17:30", "2030-10-28 18:30", "2030-10-30 18:30",
                                  "2030-11-11 18:30", "2030-11-13 18:30"]
    assert all(s.end - s.start == timedelta(minutes=90) for s in stored)


def test_every_two_weeks_counts_weeks_from_the_start_week():
    # Starting on a Wednesday, "every 2 weeks on Monday": that week's Monday is past,
    # so the first session is two weeks later.
    assert occurrence_dates(starts_on=date(2030, 3, 20), weekdays=[MON], interval_weeks=2, count=3) == [
        date(2030, 4, 1), date(2030, 4, 15), date(2030, 4, 29)]


def test_a_rule_in_another_zone_than_the_teachers(course, james):
    series, sessions, _ = create_series(event_type=course, teacher=james, weekdays=[MON], start_time=time(19),
                                        starts_on=date(2030, 3, 25), count=2, timezone="Asia/Ho_Chi_Minh")
    assert utc_starts(series.sessions.order_by("start")) == ["2030-03-25 12:00", "2030-04-01 12:00"]


def counts():
    return (Session.objects.count(), SessionSeries.objects.count(),
            AuditEntry.objects.filter(action__startswith="booking.").count())


def test_conflicts_are_refused_with_their_dates_and_nothing_is_created(tenant, course, james):
    other_course = make_event_type(tenant, kind=EventType.Kind.WORKSHOP, slug="grammar")
    create_session(event_type=other_course, teacher=james, start=at("2030-03-25 09:30", LONDON),
                   end=at("2030-03-25 10:30", LONDON))
    schedule = make_schedule(tenant, james, LONDON)
    Blackout.objects.create(schedule=schedule, start=at("2030-04-08 00:00", LONDON), end=at("2030-04-09 00:00", LONDON))
    before = counts()
    with pytest.raises(BookingError) as refused:
        create_series(event_type=course, teacher=james, weekdays=[MON], start_time=time(9),
                      starts_on=date(2030, 3, 18), count=4)
    assert refused.value.code == "recurrence_conflicts"
    assert "busy on 2 of these dates: Mon 25 Mar 2030, Mon 8 Apr 2030" in refused.value.message
    assert [(c.day, c.reasons) for c in refused.value.params["conflicts"]] == [
        (date(2030, 3, 25), ("session",)), (date(2030, 4, 8), ("blackout",))]
    assert counts() == before

    series, sessions, skipped = create_series(event_type=course, teacher=james, weekdays=[MON], start_time=time(9),
                                              starts_on=date(2030, 3, 18), count=4, skip_conflicts=True)
    assert [c.day for c in skipped] == [date(2030, 3, 25), date(2030, 4, 8)]
    assert local_starts(series.sessions.order_by("start")) == ["Mon 2030-03-18 09:00", "Mon 2030-04-01 09:00"]


def test_buffers_count_as_conflicts(tenant, james):
    buffered = make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, slug="buffered", buffer_before_minutes=15)
    other = make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, slug="other")
    create_session(event_type=other, teacher=james, start=at("2030-03-18 08:00", LONDON),
                   end=at("2030-03-18 08:50", LONDON))
    with pytest.raises(BookingError, match="Mon 18 Mar 2030"):
        create_series(event_type=buffered, teacher=james, weekdays=[MON], start_time=time(9),
                      starts_on=date(2030, 3, 18), count=2)


def test_cancelled_sessions_are_not_conflicts(tenant, course, james):
    session = create_session(event_type=course, teacher=james, start=at("2030-03-18 09:00", LONDON),
                             end=at("2030-03-18 10:00", LONDON))
    assert cancel_session(session)
    series, sessions, skipped = create_series(event_type=course, teacher=james, weekdays=[MON], start_time=time(9),
                                              starts_on=date(2030, 3, 18), count=1)
    assert len(sessions) == 1 and skipped == []


def test_only_teachers_of_the_tenant_can_be_assigned(tenant, other_tenant, course):
    outsider = make_user("outsider@example.com")
    with pytest.raises(BookingError, match="is not an active teacher of Hanoi English Centre"):
        create_series(event_type=course, teacher=outsider, weekdays=[MON], start_time=time(9),
                      starts_on=date(2030, 3, 18), count=2)
    saigon_teacher = make_teacher(other_tenant, "teacher@saigon.test")
    with pytest.raises(BookingError, match="not an active teacher"):
        create_session(event_type=course, teacher=saigon_teacher, start=at("2030-03-18 09:00"),
                       end=at("2030-03-18 10:00"))
    assert Session.objects.count() == 0


def test_one_on_one_event_types_have_no_sessions(tenant, james):
    tutoring = make_event_type(tenant, slug="private")
    with pytest.raises(BookingError, match="needs a live class or workshop"):
        create_series(event_type=tutoring, teacher=james, weekdays=[MON], start_time=time(9),
                      starts_on=date(2030, 3, 18), count=2)


@pytest.mark.parametrize("kwargs, code", [
    ({"weekdays": [], "count": 3}, "recurrence_no_weekdays"),
    ({"weekdays": [MON]}, "recurrence_no_end"),
    ({"weekdays": [MON], "until": date(2030, 3, 1)}, "recurrence_until_before_start"),
    ({"weekdays": [MON], "count": 1000}, "recurrence_too_many"),
    ({"weekdays": [MON], "until": date(2040, 1, 1)}, "recurrence_too_many"),
    ({"weekdays": [MON], "until": date(2030, 3, 20)}, "recurrence_empty"),
])
def test_bad_rules_are_refused(kwargs, code):
    with pytest.raises(BookingError) as refused:
        occurrence_dates(starts_on=date(2030, 3, 19), **kwargs)
    assert refused.value.code == code


def test_editing_a_series_changes_future_sessions_only(tenant, course, james):
    series, sessions, _ = create_series(event_type=course, teacher=james, weekdays=[MON], start_time=time(9),
                                        starts_on=date(2030, 3, 18), count=4)
    now = at("2030-03-28 12:00")
    changed = update_series(series, start_time=time(10), capacity=8, now=now)
    assert changed == 2
    stored = list(series.sessions.order_by("start"))
    assert local_starts(stored) == ["Mon 2030-03-18 09:00", "Mon 2030-03-25 09:00", "Mon 2030-04-01 10:00",
                                    "Mon 2030-04-08 10:00"]
    assert [s.capacity for s in stored] == [12, 12, 8, 8]
    series.refresh_from_db()
    assert series.start_time == time(10) and series.capacity == 8


def test_editing_a_series_refuses_a_busy_time_and_too_few_seats(tenant, course, james):
    series, sessions, _ = create_series(event_type=course, teacher=james, weekdays=[MON], start_time=time(9),
                                        starts_on=date(2030, 3, 18), count=3)
    other = make_event_type(tenant, kind=EventType.Kind.WORKSHOP, slug="w")
    create_session(event_type=other, teacher=james, start=at("2030-03-25 11:00", LONDON),
                   end=at("2030-03-25 12:00", LONDON))
    with pytest.raises(BookingError, match="busy at the new time on: Mon 25 Mar 2030"):
        update_series(series, start_time=time(11), now=at("2030-03-01 00:00"))
    Session.objects.filter(pk=sessions[2].pk).update(seats_taken=9)
    with pytest.raises(BookingError, match="9 seats taken"):
        update_series(series, capacity=5, now=at("2030-03-01 00:00"))
    assert local_starts(series.sessions.order_by("start"))[1] == "Mon 2030-03-25 09:00"
    assert set(series.sessions.values_list("capacity", flat=True)) == {12}


def test_moving_a_series_past_its_own_old_times_is_not_a_conflict(course, james):
    series, _sessions, _ = create_series(event_type=course, teacher=james, weekdays=[MON], start_time=time(9),
                                         starts_on=date(2030, 3, 18), count=3)
    assert update_series(series, start_time=time(9, 30), now=at("2030-03-01 00:00")) == 3


def test_cancelling_one_session_leaves_the_rest(course, james):
    series, sessions, _ = create_series(event_type=course, teacher=james, weekdays=[MON], start_time=time(9),
                                        starts_on=date(2030, 3, 18), count=3)
    target = series.sessions.order_by("start")[1]
    assert cancel_session(target, reason="Teacher ill") is True
    assert cancel_session(target) is False
    assert list(series.sessions.order_by("start").values_list("status", flat=True)) == [
        "scheduled", "cancelled", "scheduled"]
    assert AuditEntry.objects.filter(action="booking.session_cancelled").count() == 1


def test_the_database_refuses_seats_beyond_capacity(course, james):
    session = create_session(event_type=course, teacher=james, start=at("2030-03-18 09:00"),
                             end=at("2030-03-18 10:00"), capacity=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(seats_taken=3)
    Session.objects.filter(pk=session.pk).update(seats_taken=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(seats_taken=-1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_seat_taking_never_passes_capacity(tenant, course, james):
    """Threads race to take seats with plain increments; the CHECK constraint lets exactly capacity through."""
    from django.db import connection
    from django.db.models import F

    from tests.concurrency import at_once

    session = create_session(event_type=course, teacher=james, start=at("2030-03-18 09:00"),
                             end=at("2030-03-18 10:00"), capacity=5)

    def take():
        try:
            with transaction.atomic():
                Session.objects.filter(pk=session.pk).update(seats_taken=F("seats_taken") + 1)
            return "ok"
        except IntegrityError:
            return "full"

    results = at_once([take] * 12)
    assert connection.vendor == "postgresql"
    assert results.count("ok") == 5 and results.count("full") == 7
    session.refresh_from_db()
    assert session.seats_taken == 5
