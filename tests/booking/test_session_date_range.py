"""Dates near year 1 (or 9999) are refused with a clear message, not a crash: the
teacher's busy-time lookup widens the window by a day, which overflowed Python's
datetime (OverflowError, a 500 on the admin's session form)."""

from datetime import date, time

import pytest

from booking.errors import BookingError
from booking.models import Session, SessionSeries
from booking.services.sessions import create_series
from tests.booking.test_admin import world  # noqa: F401 - the admin fixture

REFUSAL = b"Choose dates between 1970-01-01 and 2199-12-31."


def _post(world, tenant, start, end):
    return world["admin"].post("/admin/sessions/new/", {
        "tenant": tenant.pk, "event_type": world["mine"].pk, "teacher": world["james"].pk,
        "start": start, "end": end, "capacity": "10"})


@pytest.mark.parametrize("start,end", [("0001-01-01 00:30", "0001-01-01 01:30"),
                                       ("9999-12-31 20:00", "9999-12-31 21:00")])
def test_admin_session_form_refuses_dates_at_the_ends_of_the_calendar(world, tenant, start, end):
    before = Session.objects.count()

    response = _post(world, tenant, start, end)

    assert response.status_code == 200
    assert REFUSAL in response.content
    assert Session.objects.count() == before


def test_admin_session_form_still_adds_a_session_in_range(world, tenant):
    response = _post(world, tenant, "2031-03-18 09:30", "2031-03-18 10:30")

    assert response.status_code == 302
    assert Session.objects.filter(event_type=world["mine"], start__year=2031).count() == 1


def test_admin_session_edit_refuses_a_date_near_year_one(world, tenant):
    _post(world, tenant, "2031-03-18 09:30", "2031-03-18 10:30")
    session = Session.objects.get(start__year=2031)

    response = world["admin"].post(f"/admin/sessions/edit/{session.pk}/", {
        "tenant": tenant.pk, "event_type": world["mine"].pk, "teacher": world["james"].pk,
        "start": "0001-01-01 00:30", "end": "0001-01-01 01:30", "capacity": "10"})

    assert response.status_code == 200
    assert REFUSAL in response.content
    session.refresh_from_db()
    assert session.start.year == 2031


def test_a_series_starting_near_year_one_is_refused_and_nothing_is_made(world):
    before = (SessionSeries.objects.count(), Session.objects.count())

    with pytest.raises(BookingError) as refused:
        create_series(event_type=world["mine"], teacher=world["james"], weekdays=[0], start_time=time(9),
                      starts_on=date(1, 1, 1), count=2)

    assert refused.value.code == "date_out_of_range"
    assert (SessionSeries.objects.count(), Session.objects.count()) == before
