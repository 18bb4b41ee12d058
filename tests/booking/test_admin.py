"""The Scheduling admin: each tenant admin sees and changes only their own rows."""

import csv
import io
from datetime import date, time

import pytest
from icalendar import Calendar

from booking.models import EventHost, EventType, Schedule, Session, SessionSeries
from booking.services.sessions import create_series, create_session
from tests.booking.helpers import at, make_event_type, make_schedule, make_teacher
from tests.conftest import host_client

pytestmark = pytest.mark.django_db

LONDON = "Europe/London"


@pytest.fixture
def world(tenant, other_tenant, tenant_admin, other_tenant_admin):
    james = make_teacher(tenant, "james@hanoi.test", zone=LONDON, first_name="James", last_name="Carter")
    minh = make_teacher(other_tenant, "minh@saigon.test", zone="Asia/Ho_Chi_Minh", first_name="Minh")
    mine = make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, title="Hanoi Conversation Club", slug="club",
                           seats_per_session=10)
    theirs = make_event_type(other_tenant, kind=EventType.Kind.LIVE_CLASS, title="Saigon Secret Course",
                             slug="secret", seats_per_session=10)
    my_session = create_session(event_type=mine, teacher=james, start=at("2030-03-18 09:00"),
                                end=at("2030-03-18 10:00"))
    their_session = create_session(event_type=theirs, teacher=minh, start=at("2030-03-18 09:00"),
                                   end=at("2030-03-18 10:00"))
    return {
        "james": james, "minh": minh, "mine": mine, "theirs": theirs, "my_session": my_session,
        "their_session": their_session, "my_schedule": make_schedule(tenant, james, LONDON, [(0, "09:00", "12:00")]),
        "their_schedule": make_schedule(other_tenant, minh, "Asia/Ho_Chi_Minh"),
        "admin": host_client(user=tenant_admin), "other_admin": host_client(user=other_tenant_admin),
    }


def test_scheduling_menu_is_there(world):
    response = world["admin"].get("/admin/")
    assert response.status_code == 200
    assert b"Scheduling" in response.content


@pytest.mark.parametrize("url", ["/admin/event-types/", "/admin/sessions/", "/admin/schedules/",
                                 "/admin/session-series/"])
def test_listings_show_only_the_admins_tenant(world, url):
    mine = world["admin"].get(url)
    assert mine.status_code == 200
    assert b"Saigon Secret Course" not in mine.content and b"minh@saigon.test" not in mine.content
    theirs = world["other_admin"].get(url)
    assert b"Hanoi Conversation Club" not in theirs.content and b"James Carter" not in theirs.content


def test_event_type_listing_shows_own_rows(world):
    assert b"Hanoi Conversation Club" in world["admin"].get("/admin/event-types/").content
    assert b"Saigon Secret Course" in world["other_admin"].get("/admin/event-types/").content


def test_other_tenants_ids_are_404(world):
    admin = world["admin"]
    assert admin.get(f"/admin/event-types/edit/{world['mine'].pk}/").status_code == 200
    assert admin.get(f"/admin/event-types/edit/{world['theirs'].pk}/").status_code == 404
    assert admin.get(f"/admin/sessions/edit/{world['my_session'].pk}/").status_code == 200
    assert admin.get(f"/admin/sessions/edit/{world['their_session'].pk}/").status_code == 404
    assert admin.get(f"/admin/schedules/edit/{world['my_schedule'].pk}/").status_code == 200
    assert admin.get(f"/admin/schedules/edit/{world['their_schedule'].pk}/").status_code == 404
    assert admin.get(f"/admin/sessions/cancel/{world['their_session'].pk}/").status_code == 404
    assert admin.post(f"/admin/sessions/cancel/{world['their_session'].pk}/").status_code == 404
    assert admin.post(f"/admin/event-types/delete/{world['theirs'].pk}/").status_code == 404
    world["their_session"].refresh_from_db()
    assert world["their_session"].status == Session.Status.SCHEDULED
    assert EventType.objects.filter(pk=world["theirs"].pk).exists()


def event_type_post(tenant, **overrides):
    data = {
        "tenant": tenant.pk, "kind": "one_on_one", "title": "Private IELTS coaching", "slug": "ielts-coaching",
        "description": "One to one.", "is_published": "on", "price": "25.00", "currency": "usd",
        "refund_window_hours": "12", "late_cancel_refund_percent": "0", "hold_minutes": "15",
        "duration_minutes": "50", "buffer_before_minutes": "0", "buffer_after_minutes": "10",
        "minimum_notice_minutes": "120", "booking_horizon_days": "30", "seats_per_session": "1",
        "max_seats_per_booking": "1", "booked_as": "per_session", "location_kind": "online",
        "meeting_url": "https://meet.example.com/abc", "questions": '[{"label": "Your level", "kind": "choice", '
                                                                   '"choices": ["B1", "B2"], "required": true}]',
        "immersio_course_id": "",
        "hosts-TOTAL_FORMS": "1", "hosts-INITIAL_FORMS": "0", "hosts-MIN_NUM_FORMS": "0",
        "hosts-MAX_NUM_FORMS": "1000", "hosts-0-teacher": "", "hosts-0-id": "", "hosts-0-DELETE": "",
    }
    data.update(overrides)
    return data


def test_admin_creates_an_event_type_with_a_host(world, tenant):
    from integrations.payments.models import StripeAccount

    # A paid event type is published only once the school's Stripe account is connected.
    StripeAccount.objects.create(tenant=tenant, account_id="acct_hanoi", mode=StripeAccount.Mode.OAUTH)
    response = world["admin"].post("/admin/event-types/new/",
                                   event_type_post(tenant, **{"hosts-0-teacher": world["james"].pk}))
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    created = EventType.objects.get(slug="ielts-coaching")
    assert created.tenant == tenant and created.currency == "USD" and created.duration_minutes == 50
    assert created.questions[0]["label"] == "Your level"
    assert list(EventHost.objects.filter(event_type=created).values_list("teacher_id", "tenant_id")) == [
        (world["james"].pk, tenant.pk)]


def test_admin_cannot_make_another_schools_teacher_a_host(world, tenant):
    response = world["admin"].post("/admin/event-types/new/",
                                   event_type_post(tenant, **{"hosts-0-teacher": world["minh"].pk}))
    assert response.status_code == 200
    assert not EventType.objects.filter(slug="ielts-coaching").exists()


def test_admin_cannot_create_rows_in_another_tenant(world, other_tenant):
    response = world["admin"].post("/admin/event-types/new/", event_type_post(other_tenant))
    assert response.status_code == 200
    assert not EventType.objects.filter(slug="ielts-coaching").exists()


def test_duplicate_slug_in_a_tenant_is_refused(world, tenant):
    response = world["admin"].post("/admin/event-types/new/", event_type_post(tenant, slug="club"))
    assert response.status_code == 200
    assert EventType.objects.filter(slug="club").count() == 1


def test_admin_edits_a_schedule_with_hours_overrides_and_blackouts(world, tenant):
    schedule = world["my_schedule"]
    range_id = schedule.ranges.get().pk
    data = {
        "tenant": tenant.pk, "teacher": world["james"].pk, "timezone": LONDON,
        "ranges-TOTAL_FORMS": "2", "ranges-INITIAL_FORMS": "1", "ranges-MIN_NUM_FORMS": "0",
        "ranges-MAX_NUM_FORMS": "1000",
        "ranges-0-id": range_id, "ranges-0-weekday": "0", "ranges-0-start_time": "09:00",
        "ranges-0-end_time": "12:00", "ranges-0-DELETE": "",
        "ranges-1-id": "", "ranges-1-weekday": "2", "ranges-1-start_time": "14:00", "ranges-1-end_time": "18:00",
        "ranges-1-DELETE": "",
        "overrides-TOTAL_FORMS": "1", "overrides-INITIAL_FORMS": "0", "overrides-MIN_NUM_FORMS": "0",
        "overrides-MAX_NUM_FORMS": "1000", "overrides-0-id": "", "overrides-0-date": "2030-03-25",
        "overrides-0-start_time": "", "overrides-0-end_time": "", "overrides-0-unavailable": "on",
        "overrides-0-DELETE": "",
        "blackouts-TOTAL_FORMS": "1", "blackouts-INITIAL_FORMS": "0", "blackouts-MIN_NUM_FORMS": "0",
        "blackouts-MAX_NUM_FORMS": "1000", "blackouts-0-id": "", "blackouts-0-start": "2030-04-01 00:00",
        "blackouts-0-end": "2030-04-03 00:00", "blackouts-0-reason": "Holiday", "blackouts-0-DELETE": "",
    }
    response = world["admin"].post(f"/admin/schedules/edit/{schedule.pk}/", data)
    assert response.status_code == 302, response.context["form"].errors
    schedule = Schedule.objects.get(pk=schedule.pk)
    assert sorted(schedule.ranges.values_list("weekday", flat=True)) == [0, 2]
    assert schedule.overrides.get().unavailable is True
    assert schedule.blackouts.get().reason == "Holiday"
    assert {row.tenant_id for row in [*schedule.ranges.all(), *schedule.overrides.all(), *schedule.blackouts.all()]} \
        == {tenant.pk}


def test_schedule_with_an_end_before_its_start_is_refused(world, tenant):
    schedule = world["my_schedule"]
    data = {
        "tenant": tenant.pk, "teacher": world["james"].pk, "timezone": LONDON,
        "ranges-TOTAL_FORMS": "1", "ranges-INITIAL_FORMS": "0", "ranges-MIN_NUM_FORMS": "0",
        "ranges-MAX_NUM_FORMS": "1000", "ranges-0-id": "", "ranges-0-weekday": "1",
        "ranges-0-start_time": "15:00", "ranges-0-end_time": "11:00", "ranges-0-DELETE": "",
        "overrides-TOTAL_FORMS": "0", "overrides-INITIAL_FORMS": "0", "overrides-MIN_NUM_FORMS": "0",
        "overrides-MAX_NUM_FORMS": "1000",
        "blackouts-TOTAL_FORMS": "0", "blackouts-INITIAL_FORMS": "0", "blackouts-MIN_NUM_FORMS": "0",
        "blackouts-MAX_NUM_FORMS": "1000",
    }
    response = world["admin"].post(f"/admin/schedules/edit/{schedule.pk}/", data)
    assert response.status_code == 200
    assert b"must be after the start time" in response.content


def recurrence_post(world, **overrides):
    data = {"event_type": world["mine"].pk, "teacher": world["james"].pk, "weekdays": ["0"], "interval_weeks": "1",
            "start_time": "09:00", "duration_minutes": "", "timezone": "", "starts_on": "2030-03-11",
            "until": "", "count": "4", "capacity": ""}
    data.update(overrides)
    return data


def test_recurrence_form_reports_conflicts_and_creates_nothing(world):
    before = Session.objects.count()
    response = world["admin"].post("/admin/session-series/new/", recurrence_post(world))
    assert response.status_code == 200
    assert b"Mon 18 Mar 2030" in response.content
    assert b"Nothing was created" in response.content
    assert Session.objects.count() == before and not SessionSeries.objects.exists()

    response = world["admin"].post("/admin/session-series/new/", recurrence_post(world, skip_conflicts="on"))
    assert response.status_code == 302
    series = SessionSeries.objects.get()
    assert [s.start.date() for s in series.sessions.order_by("start")] == [
        date(2030, 3, 11), date(2030, 3, 25), date(2030, 4, 1)]


def test_recurrence_form_offers_only_own_event_types_and_teachers(world):
    response = world["admin"].get("/admin/session-series/new/")
    assert response.status_code == 200
    assert b"Hanoi Conversation Club" in response.content
    assert b"Saigon Secret Course" not in response.content and b"minh@saigon.test" not in response.content
    response = world["admin"].post("/admin/session-series/new/",
                                   recurrence_post(world, event_type=world["theirs"].pk, teacher=world["minh"].pk))
    assert response.status_code == 200
    assert not SessionSeries.objects.exists()


def test_series_edit_changes_future_sessions_and_is_scoped(world, other_tenant):
    series, _sessions, _ = create_series(event_type=world["mine"], teacher=world["james"], weekdays=[1],
                                         start_time=time(9), starts_on=date(2030, 3, 18), count=2)
    their_series, _s, _ = create_series(event_type=world["theirs"], teacher=world["minh"], weekdays=[1],
                                        start_time=time(9), starts_on=date(2030, 3, 18), count=2)
    assert world["admin"].get(f"/admin/session-series/edit/{their_series.pk}/").status_code == 404
    response = world["admin"].post(f"/admin/session-series/edit/{series.pk}/", {
        "teacher": world["james"].pk, "start_time": "10:00", "duration_minutes": "60", "capacity": "6"})
    assert response.status_code == 302
    assert set(series.sessions.values_list("capacity", flat=True)) == {6}


def test_admin_adds_a_session_through_the_conflict_check(world, tenant):
    data = {"tenant": tenant.pk, "event_type": world["mine"].pk, "teacher": world["james"].pk,
            "start": "2030-03-18 09:30", "end": "2030-03-18 10:30", "capacity": "10"}
    response = world["admin"].post("/admin/sessions/new/", data)
    assert response.status_code == 200
    assert b"The teacher is busy at that time" in response.content
    data.update(start="2030-03-19 09:30", end="2030-03-19 10:30")
    assert world["admin"].post("/admin/sessions/new/", data).status_code == 302
    assert Session.objects.filter(tenant=tenant).count() == 2


def test_admin_cancels_one_session(world):
    session = world["my_session"]
    assert world["admin"].get(f"/admin/sessions/cancel/{session.pk}/").status_code == 200
    response = world["admin"].post(f"/admin/sessions/cancel/{session.pk}/", {"reason": "Teacher ill"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED


def test_csv_export_of_the_tenant_and_of_one_teacher(world, tenant):
    extra = make_teacher(tenant, "mai@hanoi.test")
    create_session(event_type=world["mine"], teacher=extra, start=at("2030-03-20 09:00"), end=at("2030-03-20 10:00"))
    response = world["admin"].get("/admin/sessions/export/?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["teacher_email"] for row in rows} == {"james@hanoi.test", "mai@hanoi.test"}
    assert rows[0]["start_utc"] == "2030-03-18T09:00:00+00:00" and rows[0]["seats_left"] == "10"

    response = world["admin"].get(f"/admin/sessions/export/?format=csv&teacher={world['james'].pk}")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["teacher_email"] for row in rows] == ["james@hanoi.test"]
    response = world["admin"].get(f"/admin/sessions/export/?format=csv&teacher={world['minh'].pk}")
    assert list(csv.DictReader(io.StringIO(response.content.decode()))) == []


def test_ics_export(world):
    response = world["admin"].get(f"/admin/sessions/export/?format=ics&teacher={world['james'].pk}")
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar"
    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Hanoi Conversation Club"]
    assert events[0].decoded("dtstart") == at("2030-03-18 09:00")
    assert b"Saigon" not in response.content


def test_teachers_without_admin_rights_get_no_scheduling_screens(world, tenant):
    teacher_client = host_client(user=world["james"])
    assert teacher_client.get("/admin/event-types/").status_code in (302, 403)
    assert teacher_client.get("/admin/sessions/export/?format=csv").status_code in (302, 403)


def test_superadmin_sees_every_tenant(world, superadmin):
    response = host_client(user=superadmin).get("/admin/event-types/")
    assert b"Hanoi Conversation Club" in response.content and b"Saigon Secret Course" in response.content


@pytest.mark.parametrize("url", ["/admin/event-types/new/", "/admin/schedules/new/", "/admin/sessions/new/"])
def test_forms_offer_only_the_admins_teachers_and_event_types(world, url):
    response = world["admin"].get(url)
    assert response.status_code == 200
    assert b">Minh<" not in response.content and b"minh@saigon.test" not in response.content
    assert b"Saigon Secret Course" not in response.content
