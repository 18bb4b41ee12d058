"""GET /api/v1/event-types/<id>/slots: what a student's browser receives."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.models import Blackout, DateOverride, EventHost, EventType, Schedule, Session
from site_platform.models import Membership
from tests.booking.helpers import at, make_event_type, make_schedule, make_teacher
from tests.conftest import host_client

pytestmark = pytest.mark.django_db

LONDON, SAIGON = "Europe/London", "Asia/Ho_Chi_Minh"
MON = 0


@pytest.fixture
def james(tenant):
    return make_teacher(tenant, "james@hanoi.test", zone=LONDON, first_name="James")


@pytest.fixture
def tutoring(tenant, james):
    make_schedule(tenant, james, LONDON, weekly=[(MON, "09:00", "12:00")])
    return make_event_type(tenant, title="Private lesson", slug="private", hosts=[james])


def get_slots(tenant, event_type_id, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return host_client(tenant).get(f"/api/v1/event-types/{event_type_id}/slots?{query}")


def starts(response):
    assert response.status_code == 200, response.content
    return [slot["start"] for slot in response.json()["slots"]]


def test_london_teacher_seen_from_saigon_across_the_spring_change(tenant, tutoring, james):
    # UK clocks go forward on Sunday 31 March 2030.
    response = get_slots(tenant, tutoring.pk, start="2030-03-25", end="2030-04-01", tz=SAIGON)
    assert starts(response) == [
        "2030-03-25T16:00:00+07:00", "2030-03-25T17:00:00+07:00", "2030-03-25T18:00:00+07:00",
        "2030-04-01T15:00:00+07:00", "2030-04-01T16:00:00+07:00", "2030-04-01T17:00:00+07:00",
    ]
    body = response.json()
    assert body["timezone"] == SAIGON
    assert body["event_type"] == {"id": tutoring.pk, "kind": "one_on_one", "title": "Private lesson",
                                  "duration_minutes": 60, "booked_as": "per_session"}
    assert all(slot["host_ids"] == [james.pk] for slot in body["slots"])
    assert body["slots"][0]["end"] == "2030-03-25T17:00:00+07:00"


def test_london_teacher_seen_from_london_keeps_nine_oclock(tenant, tutoring):
    response = get_slots(tenant, tutoring.pk, start="2030-03-25", end="2030-04-01", tz=LONDON)
    assert starts(response)[0] == "2030-03-25T09:00:00+00:00"
    assert starts(response)[3] == "2030-04-01T09:00:00+01:00"
    # UK clocks go back on Sunday 27 October 2030.
    response = get_slots(tenant, tutoring.pk, start="2030-10-21", end="2030-10-28", tz=SAIGON)
    assert starts(response) == [
        "2030-10-21T15:00:00+07:00", "2030-10-21T16:00:00+07:00", "2030-10-21T17:00:00+07:00",
        "2030-10-28T16:00:00+07:00", "2030-10-28T17:00:00+07:00", "2030-10-28T18:00:00+07:00",
    ]


def test_sessions_of_the_teacher_with_buffers_block_slots(tenant, tutoring, james):
    workshop = make_event_type(tenant, kind=EventType.Kind.WORKSHOP, slug="writing", buffer_after_minutes=15,
                               seats_per_session=8)
    Session.objects.create(tenant=tenant, event_type=workshop, teacher=james, start=at("2030-03-25 08:00", LONDON),
                           end=at("2030-03-25 09:00", LONDON), capacity=8)
    Session.objects.create(tenant=tenant, event_type=workshop, teacher=james, start=at("2030-03-25 11:00", LONDON),
                           end=at("2030-03-25 11:30", LONDON), capacity=8,
                           status=Session.Status.CANCELLED)
    response = get_slots(tenant, tutoring.pk, start="2030-03-25", end="2030-03-25", tz=LONDON)
    # 09:00 is lost to the workshop's 15-minute buffer; the cancelled session blocks nothing.
    assert starts(response) == ["2030-03-25T10:00:00+00:00", "2030-03-25T11:00:00+00:00"]


def test_a_session_spanning_midnight_blocks_both_days(tenant, james):
    schedule = make_schedule(tenant, james, "UTC", weekly=[(0, "22:00", "00:00"), (1, "00:00", "02:00")])
    assert schedule.ranges.count() == 2
    tutoring = make_event_type(tenant, slug="late", hosts=[james])
    night_class = make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, slug="night")
    Session.objects.create(tenant=tenant, event_type=night_class, teacher=james, start=at("2030-03-25 23:00"),
                           end=at("2030-03-26 01:00"), capacity=5)
    response = get_slots(tenant, tutoring.pk, start="2030-03-26", end="2030-03-26", tz="UTC")
    assert starts(response) == ["2030-03-26T01:00:00+00:00"]
    response = get_slots(tenant, tutoring.pk, start="2030-03-25", end="2030-03-25", tz="UTC")
    assert starts(response) == ["2030-03-25T22:00:00+00:00"]


def test_overrides_and_blackouts_from_the_admin_data(tenant, tutoring, james):
    schedule = Schedule.objects.get(teacher=james)
    DateOverride.objects.create(schedule=schedule, date=date(2030, 3, 25), start_time=at("2030-01-01 14:00").time(),
                                end_time=at("2030-01-01 15:00").time())
    DateOverride.objects.create(schedule=schedule, date=date(2030, 4, 1), unavailable=True)
    Blackout.objects.create(schedule=schedule, start=at("2030-04-08 10:00", LONDON), end=at("2030-04-08 11:00", LONDON))
    response = get_slots(tenant, tutoring.pk, start="2030-03-25", end="2030-04-08", tz=LONDON)
    assert starts(response) == ["2030-03-25T14:00:00+00:00", "2030-04-08T09:00:00+01:00",
                                "2030-04-08T11:00:00+01:00"]


def test_two_hosts_are_offered_together(tenant, tutoring, james):
    linh = make_teacher(tenant, "linh2@hanoi.test", zone=SAIGON)
    make_schedule(tenant, linh, SAIGON, weekly=[(MON, "17:00", "18:00")])  # 10:00 in London in March
    EventHost.objects.create(event_type=tutoring, teacher=linh)
    body = get_slots(tenant, tutoring.pk, start="2030-03-25", end="2030-03-25", tz=LONDON).json()
    assert [(s["start"], s["host_ids"]) for s in body["slots"]] == [
        ("2030-03-25T09:00:00+00:00", [james.pk]),
        ("2030-03-25T10:00:00+00:00", sorted([james.pk, linh.pk])),
        ("2030-03-25T11:00:00+00:00", [james.pk]),
    ]


def test_a_host_who_left_the_school_offers_nothing(tenant, tutoring, james):
    Membership.objects.filter(tenant=tenant, user=james).update(is_active=False)
    assert starts(get_slots(tenant, tutoring.pk, start="2030-03-25", end="2030-03-25", tz=LONDON)) == []


def test_minimum_notice_and_horizon_count_from_now(tenant, james):
    make_schedule(tenant, james, "UTC", weekly=[(day, "00:00", "00:00") for day in range(7)])
    # 24 hours a day; the notice and horizon alone decide what is open.
    tutoring = make_event_type(tenant, slug="soon", hosts=[james], minimum_notice_minutes=48 * 60,
                               booking_horizon_days=4)
    today = date.today()
    slots = starts(get_slots(tenant, tutoring.pk, start=today.isoformat(),
                             end=(today + timedelta(days=10)).isoformat(), tz="UTC"))
    days = sorted({slot[:10] for slot in slots})
    assert days[0] >= (today + timedelta(days=2)).isoformat()
    assert days[-1] <= (today + timedelta(days=4)).isoformat()
    assert 40 <= len(slots) <= 49


def test_sessions_with_seats_left_for_classes(tenant, james):
    course = make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, slug="ielts", seats_per_session=10)
    open_one = Session.objects.create(tenant=tenant, event_type=course, teacher=james,
                                      start=at("2030-03-26 11:00"), end=at("2030-03-26 12:30"), capacity=10,
                                      seats_taken=3)
    Session.objects.create(tenant=tenant, event_type=course, teacher=james, start=at("2030-03-27 11:00"),
                           end=at("2030-03-27 12:30"), capacity=10, seats_taken=10)
    Session.objects.create(tenant=tenant, event_type=course, teacher=james, start=at("2030-03-28 11:00"),
                           end=at("2030-03-28 12:30"), capacity=10, status=Session.Status.CANCELLED)
    body = get_slots(tenant, course.pk, start="2030-03-25", end="2030-03-31", tz=SAIGON).json()
    assert body["slots"] == [{
        "start": "2030-03-26T18:00:00+07:00", "end": "2030-03-26T19:30:00+07:00", "session_id": open_one.pk,
        "series_id": None, "teacher_id": james.pk, "capacity": 10, "seats_left": 7,
    }]


def test_whole_series_shows_the_seats_of_its_fullest_session(tenant, james):
    from booking.services.sessions import create_series

    course = make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, slug="term", seats_per_session=6,
                             booked_as=EventType.BookedAs.WHOLE_SERIES)
    series, sessions, _ = create_series(event_type=course, teacher=james, weekdays=[1], start_time=at(
        "2030-01-01 18:00").time(), starts_on=date(2030, 4, 2), count=3, timezone=LONDON)
    Session.objects.filter(pk=sessions[1].pk).update(seats_taken=4)
    body = get_slots(tenant, course.pk, start="2030-04-01", end="2030-04-30", tz=LONDON).json()
    assert [(s["start"], s["seats_left"], s["series_id"]) for s in body["slots"]] == [
        ("2030-04-02T18:00:00+01:00", 2, series.pk), ("2030-04-09T18:00:00+01:00", 2, series.pk),
        ("2030-04-16T18:00:00+01:00", 2, series.pk),
    ]


def test_another_tenants_event_type_is_404(tenant, other_tenant, tutoring):
    response = get_slots(other_tenant, tutoring.pk, start="2030-03-25", end="2030-03-31", tz=LONDON)
    assert response.status_code == 404
    assert b"Private lesson" not in response.content
    assert get_slots(tenant, tutoring.pk, start="2030-03-25", end="2030-03-31", tz=LONDON).status_code == 200
    assert get_slots(tenant, 999999, start="2030-03-25", end="2030-03-31").status_code == 404


def test_drafts_are_invisible(tenant, tutoring):
    EventType.objects.filter(pk=tutoring.pk).update(is_published=False)
    assert get_slots(tenant, tutoring.pk, start="2030-03-25", end="2030-03-31").status_code == 404


@pytest.mark.parametrize("params, code, text", [
    ({"start": "2030-03-25", "end": "2030-03-31", "tz": "Mars/Olympus_Mons"}, "timezone_unknown",
     "“Mars/Olympus_Mons” is not a known time zone"),
    ({"start": "2030-03-25", "end": "2030-03-31", "tz": "../../etc/passwd"}, "timezone_unknown",
     "is not a known time zone"),
    ({"start": "2030-03-31", "end": "2030-03-25"}, "range_reversed", "The start date (2030-03-31) is after"),
    ({"start": "2030-01-01", "end": "2030-04-04"}, "range_too_long", "at most 93 days at a time (you asked for 94)"),
    ({"start": "2030-02-30", "end": "2030-03-04"}, "date_invalid", "“2030-02-30” is not a valid date"),
    ({"start": "2030-03-25"}, "date_missing", "Give both"),
])
def test_bad_input_is_a_400_with_a_clear_message(tenant, tutoring, params, code, text):
    response = get_slots(tenant, tutoring.pk, **params)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert text in response.json()["detail"]


def test_93_days_is_allowed(tenant, tutoring):
    assert get_slots(tenant, tutoring.pk, start="2030-01-01", end="2030-04-03").status_code == 200


def test_the_schema_describes_the_endpoint(tenant):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator(urlconf="site_platform.urls_tenant").get_schema(request=None, public=True)
    assert "/api/v1/event-types/{event_type_id}/slots" in schema["paths"]


def _fill(tenant, teacher, count):
    busy_class = make_event_type(tenant, kind=EventType.Kind.WORKSHOP, slug=f"busy-{count}")
    schedule = Schedule.objects.get(teacher=teacher)
    base = at("2030-03-01 00:00")
    Session.objects.bulk_create([
        Session(tenant=tenant, event_type=busy_class, teacher=teacher, start=base + timedelta(minutes=83 * i),
                end=base + timedelta(minutes=83 * i + 10), capacity=1)
        for i in range(count)
    ])
    Blackout.objects.bulk_create([
        Blackout(tenant=tenant, schedule=schedule, start=base + timedelta(minutes=97 * i + 5),
                 end=base + timedelta(minutes=97 * i + 8))
        for i in range(count)
    ])
    DateOverride.objects.bulk_create([
        DateOverride(tenant=tenant, schedule=schedule, date=date(2030, 3, 1) + timedelta(days=i % 30),
                     start_time=at("2030-01-01 08:00").time(), end_time=at("2030-01-01 08:30").time())
        for i in range(count)
    ])


def test_query_count_does_not_grow_with_busy_rows(tenant, tutoring, james, django_assert_num_queries):
    url = f"/api/v1/event-types/{tutoring.pk}/slots?start=2030-03-01&end=2030-03-30&tz={SAIGON}"
    client = host_client(tenant)
    client.get(url)  # warm the host map
    _fill(tenant, james, 10)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _fill(tenant, james, 490)
    assert Session.objects.filter(teacher=james).count() == 500
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert len(few.captured_queries) <= 12
