"""parse_busy_intervals on its own: no database, no network."""

import datetime as dt

import pytest

from integrations.calendars.ics import parse_busy_intervals
from integrations.errors import IntegrationError
from tests.integrations.ics_samples import calendar, event, utc

WINDOW = (utc(2025, 1, 1), utc(2026, 1, 1))


def busy(ics, window=WINDOW, **kwargs):
    return parse_busy_intervals(ics, *window, **kwargs)


def test_weekly_london_event_keeps_local_time_across_both_clock_changes():
    ics = calendar(event(
        "weekly@test", ";TZID=Europe/London:20250317T100000", ";TZID=Europe/London:20250317T110000",
        rrule="FREQ=WEEKLY;UNTIL=20250408T000000Z",
    ), event(
        "autumn@test", ";TZID=Europe/London:20251020T100000", ";TZID=Europe/London:20251020T110000",
        rrule="FREQ=WEEKLY;COUNT=2",
    ))
    assert busy(ics) == [
        (utc(2025, 3, 17, 10), utc(2025, 3, 17, 11)),  # GMT
        (utc(2025, 3, 24, 10), utc(2025, 3, 24, 11)),
        (utc(2025, 3, 31, 9), utc(2025, 3, 31, 10)),  # BST from 30 March
        (utc(2025, 4, 7, 9), utc(2025, 4, 7, 10)),
        (utc(2025, 10, 20, 9), utc(2025, 10, 20, 10)),  # BST
        (utc(2025, 10, 27, 10), utc(2025, 10, 27, 11)),  # GMT from 26 October
    ]


def test_exdate_and_recurrence_id_overrides_across_dst():
    ics = calendar(
        event("lesson@test", ";TZID=Europe/London:20250317T100000", ";TZID=Europe/London:20250317T110000",
              rrule="FREQ=WEEKLY;COUNT=5", exdate=";TZID=Europe/London:20250324T100000"),
        # 31 March moved to 14:00-15:30 London (BST).
        event("lesson@test", ";TZID=Europe/London:20250331T140000", ";TZID=Europe/London:20250331T153000",
              recurrence_id=";TZID=Europe/London:20250331T100000"),
        # 7 April cancelled on its own.
        event("lesson@test", ";TZID=Europe/London:20250407T100000", ";TZID=Europe/London:20250407T110000",
              recurrence_id=";TZID=Europe/London:20250407T100000", status="CANCELLED"),
    )
    assert busy(ics) == [
        (utc(2025, 3, 17, 10), utc(2025, 3, 17, 11)),
        (utc(2025, 3, 31, 13), utc(2025, 3, 31, 14, 30)),
        (utc(2025, 4, 14, 9), utc(2025, 4, 14, 10)),
    ]


def test_recurrence_id_given_in_utc_matches_a_local_occurrence():
    ics = calendar(
        event("lesson@test", ";TZID=Europe/London:20250407T100000", ";TZID=Europe/London:20250407T110000",
              rrule="FREQ=DAILY;COUNT=2"),
        event("lesson@test", ":20250408T120000Z", ":20250408T130000Z", recurrence_id=":20250408T090000Z"),
    )
    assert busy(ics) == [(utc(2025, 4, 7, 9), utc(2025, 4, 7, 10)), (utc(2025, 4, 8, 12), utc(2025, 4, 8, 13))]


def test_free_and_cancelled_events_are_not_busy_but_an_opaque_override_of_a_free_series_is():
    ics = calendar(
        event("free@test", ":20250505T080000Z", ":20250505T090000Z", transp="TRANSPARENT", rrule="FREQ=DAILY;COUNT=3"),
        event("free@test", ":20250506T080000Z", ":20250506T093000Z", recurrence_id=":20250506T080000Z",
              transp="OPAQUE"),
        event("cancelled@test", ":20250505T120000Z", ":20250505T130000Z", status="CANCELLED"),
        event("busy@test", ":20250505T140000Z", ":20250505T150000Z", status="CONFIRMED"),
    )
    assert busy(ics) == [(utc(2025, 5, 5, 14), utc(2025, 5, 5, 15)), (utc(2025, 5, 6, 8), utc(2025, 5, 6, 9, 30))]


def test_all_day_events_cover_the_teachers_local_day_even_on_a_clock_change():
    ics = calendar(
        event("holiday@test", ";VALUE=DATE:20250330", ";VALUE=DATE:20250331"),
        event("trip@test", ";VALUE=DATE:20250701", rrule="FREQ=DAILY;COUNT=2"),
    )
    assert busy(ics, floating_tz="Europe/London") == [
        (utc(2025, 3, 30, 0), utc(2025, 3, 30, 23)),  # a 23-hour day in London
        (utc(2025, 6, 30, 23), utc(2025, 7, 1, 23)),
        (utc(2025, 7, 1, 23), utc(2025, 7, 2, 23)),
    ]
    assert busy(ics, floating_tz="Asia/Ho_Chi_Minh")[0] == (utc(2025, 3, 29, 17), utc(2025, 3, 30, 17))


def test_all_day_series_with_exdate_and_date_until():
    ics = calendar(event(
        "camp@test", ";VALUE=DATE:20250804", ";VALUE=DATE:20250805",
        rrule="FREQ=DAILY;UNTIL=20250807", exdate=";VALUE=DATE:20250805",
    ))
    assert [start.date() for start, _ in busy(ics)] == [dt.date(2025, 8, 4), dt.date(2025, 8, 6), dt.date(2025, 8, 7)]


def test_rdate_adds_instances_including_periods_and_duration_is_honoured():
    ics = calendar(event(
        "extra@test", ":20250602T080000Z", duration="PT45M",
        rdate=[":20250603T080000Z,20250604T100000Z", ";VALUE=PERIOD:20250610T080000Z/PT2H"],
    ))
    assert busy(ics) == [
        (utc(2025, 6, 2, 8), utc(2025, 6, 2, 8, 45)),
        (utc(2025, 6, 3, 8), utc(2025, 6, 3, 8, 45)),
        (utc(2025, 6, 4, 10), utc(2025, 6, 4, 10, 45)),
        (utc(2025, 6, 10, 8), utc(2025, 6, 10, 10)),
    ]


def test_only_occurrences_overlapping_the_window_are_returned_even_for_an_old_open_ended_series():
    ics = calendar(
        event("standup@test", ":20100104T090000Z", ":20100104T093000Z", rrule="FREQ=DAILY"),
        event("overnight@test", ":20250531T220000Z", ":20250601T020000Z"),
    )
    window = (utc(2025, 6, 1), utc(2025, 6, 4))
    assert busy(ics, window) == [
        (utc(2025, 5, 31, 22), utc(2025, 6, 1, 2)),
        (utc(2025, 6, 1, 9), utc(2025, 6, 1, 9, 30)),
        (utc(2025, 6, 2, 9), utc(2025, 6, 2, 9, 30)),
        (utc(2025, 6, 3, 9), utc(2025, 6, 3, 9, 30)),
    ]


def test_outlook_windows_zone_names_and_custom_vtimezones():
    vtimezone = "\r\n".join([
        "BEGIN:VTIMEZONE", "TZID:Custom Central European", "BEGIN:STANDARD", "DTSTART:16010101T030000",
        "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
        "BEGIN:DAYLIGHT", "DTSTART:16010101T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT", "END:VTIMEZONE",
    ])
    ics = calendar(
        event("outlook@test", ";TZID=GMT Standard Time:20250707T100000", ";TZID=GMT Standard Time:20250707T110000"),
        event("custom@test", ";TZID=Custom Central European:20250707T100000",
              ";TZID=Custom Central European:20250707T110000"),
        extra=vtimezone,
    )
    assert busy(ics) == [(utc(2025, 7, 7, 8), utc(2025, 7, 7, 9)), (utc(2025, 7, 7, 9), utc(2025, 7, 7, 10))]


def test_floating_times_are_read_in_the_teachers_zone():
    ics = calendar(event("floating@test", ":20250707T100000", ":20250707T110000"))
    assert busy(ics, floating_tz="Asia/Ho_Chi_Minh") == [(utc(2025, 7, 7, 3), utc(2025, 7, 7, 4))]


def test_a_moved_instance_whose_series_is_missing_still_counts():
    ics = calendar(event("orphan@test", ":20250707T100000Z", ":20250707T110000Z",
                         recurrence_id=":20250706T100000Z"))
    assert busy(ics) == [(utc(2025, 7, 7, 10), utc(2025, 7, 7, 11))]


def test_results_are_utc_and_events_without_length_are_ignored():
    ics = calendar(
        event("reminder@test", ":20250707T100000Z"),
        event("zone@test", ";TZID=Asia/Ho_Chi_Minh:20250707T100000", ";TZID=Asia/Ho_Chi_Minh:20250707T120000"),
    )
    [(start, end)] = busy(ics)
    assert start.utcoffset() == dt.timedelta(0) and (start, end) == (utc(2025, 7, 7, 3), utc(2025, 7, 7, 5))


@pytest.mark.parametrize("body", [
    b"", b"<!doctype html><html><body>Sign in to Google</body></html>", b'{"events": []}',
    b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Linh\r\nEND:VCARD\r\n",
    b"BEGIN:VCALENDAR\r\nthis is not ics at all\r\n",
])
def test_anything_but_a_calendar_is_refused(body):
    with pytest.raises(IntegrationError) as caught:
        busy(body)
    assert caught.value.code == "feed_not_ics"
    assert caught.value.message == "The address did not return an ICS calendar."


def test_a_calendar_with_too_many_busy_times_is_refused():
    ics = calendar(event("hourly@test", ":20250101T000000Z", ":20250101T003000Z", rrule="FREQ=HOURLY"))
    with pytest.raises(IntegrationError) as caught:
        busy(ics, (utc(2025, 1, 1), utc(2028, 1, 1)))
    assert caught.value.code == "feed_too_many_events"
    assert caught.value.message == "The calendar has too many events to import (limit: 20000)."


def test_rules_finer_than_hourly_count_only_their_first_instance():
    ics = calendar(event("spam@test", ":20250101T000000Z", ":20250101T000030Z", rrule="FREQ=SECONDLY"))
    assert busy(ics) == [(utc(2025, 1, 1), utc(2025, 1, 1, 0, 0, 30))]


def test_one_broken_event_does_not_hide_the_others():
    ics = calendar(
        event("broken@test", ":not-a-date", ":20250707T110000Z"),
        event("bad-rule@test", ":20250707T100000Z", ":20250707T110000Z", rrule="FREQ=SOMETIMES"),
        event("fine@test", ":20250708T100000Z", ":20250708T110000Z"),
    )
    assert busy(ics)[-1] == (utc(2025, 7, 8, 10), utc(2025, 7, 8, 11))
