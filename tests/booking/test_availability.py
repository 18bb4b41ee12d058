"""Slot computation against hand-worked cases (pure function, no database)."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from booking.services.availability import (
    HostData, ScheduleData, SlotRules, WeeklyHours, availability_windows, compute_slots, merge_intervals,
)
from tests.booking.helpers import at, hm

MON, TUE, SUN = 0, 1, 6
HOUR = timedelta(hours=1)


def rules(minutes=60, **kwargs):
    kwargs = {key: timedelta(minutes=value) if key != "daily_limit" and value is not None else value
              for key, value in kwargs.items()}
    return SlotRules(duration=timedelta(minutes=minutes), **kwargs)


def weekly(zone, *ranges, overrides=None, blackouts=()):
    return ScheduleData(timezone=zone, weekly=tuple(WeeklyHours(d, hm(s), hm(e)) for d, s, e in ranges),
                        overrides=overrides or {}, blackouts=tuple(blackouts))


def starts(slots, zone="UTC"):
    """Slot starts as local wall-clock times in the zone."""
    return [slot.start.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") for slot in slots]


def run(schedule, *, first, last, zone="UTC", busy=(), appointments=(), now="2026-01-01 00:00", host_id=1,
        **rule_kwargs):
    window_start = at(f"{first} 00:00", zone)
    window_end = at(f"{last} 00:00", zone) + timedelta(days=1)
    host = HostData(host_id, schedule, busy=tuple(busy), appointments=tuple(appointments))
    return compute_slots(rules=rules(**rule_kwargs), hosts=[host], window_start=window_start,
                         window_end=window_end, now=at(now))


def test_weekly_hours_give_hourly_slots():
    slots = run(weekly("UTC", (MON, "09:00", "12:00")), first="2026-03-02", last="2026-03-08")
    assert starts(slots) == ["2026-03-02 09:00", "2026-03-02 10:00", "2026-03-02 11:00"]
    assert all(slot.end - slot.start == HOUR and slot.host_ids == (1,) for slot in slots)


def test_several_ranges_a_day_and_a_shorter_interval():
    schedule = weekly("UTC", (MON, "09:00", "10:00"), (MON, "14:00", "15:30"))
    slots = run(schedule, first="2026-03-02", last="2026-03-02", minutes=45, interval=30)
    assert starts(slots) == ["2026-03-02 09:00", "2026-03-02 14:00", "2026-03-02 14:30"]


def test_buffers_keep_slots_away_from_busy_time():
    schedule = weekly("UTC", (MON, "09:00", "13:00"))
    booking = (at("2026-03-02 10:00"), at("2026-03-02 11:00"))
    no_buffer = run(schedule, first="2026-03-02", last="2026-03-02", busy=[booking])
    assert starts(no_buffer) == ["2026-03-02 09:00", "2026-03-02 11:00", "2026-03-02 12:00"]
    after = run(schedule, first="2026-03-02", last="2026-03-02", busy=[booking], buffer_after=15)
    assert starts(after) == ["2026-03-02 11:00", "2026-03-02 12:00"]
    both = run(schedule, first="2026-03-02", last="2026-03-02", busy=[booking], buffer_before=15,
               buffer_after=15, interval=30)
    assert starts(both) == ["2026-03-02 11:30", "2026-03-02 12:00"]


def test_minimum_notice():
    schedule = weekly("UTC", (MON, "09:00", "13:00"))
    slots = run(schedule, first="2026-03-02", last="2026-03-02", now="2026-03-02 08:30", minimum_notice=120)
    assert starts(slots) == ["2026-03-02 11:00", "2026-03-02 12:00"]


def test_booking_horizon():
    schedule = weekly("UTC", *[(day, "09:00", "10:00") for day in range(7)])
    slots = run(schedule, first="2026-03-01", last="2026-03-20", now="2026-03-02 00:00", horizon=7 * 24 * 60)
    assert starts(slots) == [f"2026-03-{day:02d} 09:00" for day in range(2, 9)]


def test_overrides_replace_the_weekly_hours_of_their_date():
    schedule = weekly(
        "UTC", (MON, "09:00", "12:00"),
        overrides={date(2026, 3, 9): [(hm("14:00"), hm("15:00"))], date(2026, 3, 16): [],
                   date(2026, 3, 17): [(hm("18:00"), hm("20:00"))]},
    )
    slots = run(schedule, first="2026-03-09", last="2026-03-17")
    assert starts(slots) == ["2026-03-09 14:00", "2026-03-17 18:00", "2026-03-17 19:00"]


def test_blackouts_remove_time_but_take_no_buffer():
    schedule = weekly("UTC", (MON, "09:00", "13:00"),
                      blackouts=[(at("2026-03-02 10:30"), at("2026-03-02 11:30"))])
    slots = run(schedule, first="2026-03-02", last="2026-03-02", buffer_before=30, buffer_after=30)
    assert starts(slots) == ["2026-03-02 09:00", "2026-03-02 12:00"]


def test_a_whole_day_blackout():
    schedule = weekly("UTC", (MON, "09:00", "12:00"), (TUE, "09:00", "10:00"),
                      blackouts=[(at("2026-03-02 00:00"), at("2026-03-03 00:00"))])
    assert starts(run(schedule, first="2026-03-02", last="2026-03-03")) == ["2026-03-03 09:00"]


def test_existing_bookings_block_their_time():
    schedule = weekly("UTC", (MON, "09:00", "12:00"))
    bookings = [(at("2026-03-02 09:00"), at("2026-03-02 10:00")), (at("2026-03-02 10:30"), at("2026-03-02 10:45"))]
    assert starts(run(schedule, first="2026-03-02", last="2026-03-02", busy=bookings)) == ["2026-03-02 11:00"]


def test_daily_limit_closes_a_day_in_the_teachers_zone():
    zone = "Asia/Ho_Chi_Minh"  # UTC+7
    schedule = weekly(zone, (MON, "09:00", "11:00"), (TUE, "09:00", "11:00"))
    # 18:00 UTC on Monday is already 01:00 on Tuesday in Ho Chi Minh City.
    appointments = [at("2026-03-02 18:00"), at("2026-03-02 19:00")]
    slots = run(schedule, first="2026-03-02", last="2026-03-03", zone=zone, appointments=appointments,
                daily_limit=2)
    assert starts(slots, zone) == ["2026-03-02 09:00", "2026-03-02 10:00"]
    slots = run(schedule, first="2026-03-02", last="2026-03-03", zone=zone, appointments=appointments[:1],
                daily_limit=2)
    assert len(slots) == 4


def test_two_hosts_a_slot_is_open_if_any_host_is_free():
    first = HostData(1, weekly("UTC", (MON, "09:00", "11:00")),
                     busy=((at("2026-03-02 10:00"), at("2026-03-02 11:00")),))
    second = HostData(2, weekly("UTC", (MON, "10:00", "12:00")))
    slots = compute_slots(rules=rules(), hosts=[first, second], window_start=at("2026-03-02 00:00"),
                          window_end=at("2026-03-03 00:00"), now=at("2026-01-01 00:00"))
    assert [(s.start, s.host_ids) for s in slots] == [
        (at("2026-03-02 09:00"), (1,)), (at("2026-03-02 10:00"), (2,)), (at("2026-03-02 11:00"), (2,))]


def test_two_hosts_free_at_the_same_time_give_one_slot():
    hours = weekly("UTC", (MON, "09:00", "10:00"))
    slots = compute_slots(rules=rules(), hosts=[HostData(7, hours), HostData(3, hours)],
                          window_start=at("2026-03-02 00:00"), window_end=at("2026-03-03 00:00"),
                          now=at("2026-01-01 00:00"))
    assert [(s.start, s.host_ids) for s in slots] == [(at("2026-03-02 09:00"), (3, 7))]


LONDON, SAIGON = "Europe/London", "Asia/Ho_Chi_Minh"


def test_spring_forward_london_teacher_keeps_nine_oclock():
    # The UK clocks go forward on Sunday 29 March 2026.
    schedule = weekly(LONDON, (MON, "09:00", "12:00"))
    slots = run(schedule, first="2026-03-23", last="2026-03-30", zone=LONDON)
    assert starts(slots, LONDON) == ["2026-03-23 09:00", "2026-03-23 10:00", "2026-03-23 11:00",
                                     "2026-03-30 09:00", "2026-03-30 10:00", "2026-03-30 11:00"]
    assert starts(slots) == ["2026-03-23 09:00", "2026-03-23 10:00", "2026-03-23 11:00",
                             "2026-03-30 08:00", "2026-03-30 09:00", "2026-03-30 10:00"]
    # A student in Ho Chi Minh City (no daylight saving) sees the hour move.
    assert starts(slots, SAIGON) == ["2026-03-23 16:00", "2026-03-23 17:00", "2026-03-23 18:00",
                                     "2026-03-30 15:00", "2026-03-30 16:00", "2026-03-30 17:00"]


def test_fall_back_london_teacher_keeps_nine_oclock():
    # The UK clocks go back on Sunday 25 October 2026.
    schedule = weekly(LONDON, (MON, "09:00", "10:00"))
    slots = run(schedule, first="2026-10-19", last="2026-10-26", zone=SAIGON)
    assert starts(slots, LONDON) == ["2026-10-19 09:00", "2026-10-26 09:00"]
    assert starts(slots) == ["2026-10-19 08:00", "2026-10-26 09:00"]
    assert starts(slots, SAIGON) == ["2026-10-19 15:00", "2026-10-26 16:00"]


def test_hours_on_the_night_of_the_change_follow_the_clock():
    spring = weekly(LONDON, (SUN, "00:00", "04:00"))
    slots = run(spring, first="2026-03-29", last="2026-03-29", zone=LONDON)
    # 01:00-02:00 does not exist that night: three hours of teaching, not four,
    # starting at 00:00 GMT, then 02:00 and 03:00 BST (01:00 and 02:00 UTC).
    assert starts(slots, LONDON) == ["2026-03-29 00:00", "2026-03-29 02:00", "2026-03-29 03:00"]
    assert starts(slots) == ["2026-03-29 00:00", "2026-03-29 01:00", "2026-03-29 02:00"]
    autumn = weekly(LONDON, (SUN, "00:00", "04:00"))
    slots = run(autumn, first="2026-10-25", last="2026-10-25", zone=LONDON)
    # 01:00-02:00 happens twice: five hours of teaching.
    assert starts(slots) == ["2026-10-24 23:00", "2026-10-25 00:00", "2026-10-25 01:00", "2026-10-25 02:00",
                             "2026-10-25 03:00"]


def test_saigon_student_window_covers_the_right_london_hours():
    # Asking for Tuesday 24 March in Ho Chi Minh City covers Monday 17:00 to Tuesday 17:00 in London.
    schedule = weekly(LONDON, (MON, "16:00", "20:00"), (TUE, "09:00", "10:00"))
    slots = run(schedule, first="2026-03-24", last="2026-03-24", zone=SAIGON)
    assert starts(slots, SAIGON) == ["2026-03-24 00:00", "2026-03-24 01:00", "2026-03-24 02:00",
                                     "2026-03-24 16:00"]


def test_a_session_spanning_midnight_blocks_both_days():
    schedule = weekly("UTC", (MON, "22:00", "00:00"), (TUE, "00:00", "02:00"))
    session = (at("2026-03-02 23:00"), at("2026-03-03 01:00"))
    slots = run(schedule, first="2026-03-02", last="2026-03-03", busy=[session])
    assert starts(slots) == ["2026-03-02 22:00", "2026-03-03 01:00"]


def test_midnight_end_means_the_end_of_the_day():
    windows = availability_windows(weekly("UTC", (MON, "23:00", "00:00")), date(2026, 3, 2), date(2026, 3, 2))
    assert windows == [(at("2026-03-02 23:00"), at("2026-03-03 00:00"))]


def test_no_schedule_means_no_slots():
    assert compute_slots(rules=rules(), hosts=[HostData(1, None)], window_start=at("2026-03-02 00:00"),
                         window_end=at("2026-03-09 00:00"), now=at("2026-01-01 00:00")) == []


def test_merge_intervals_joins_overlapping_and_touching():
    a, b, c, d = (at(f"2026-03-02 {h:02d}:00") for h in (9, 10, 11, 12))
    assert merge_intervals([(c, d), (a, b), (b, c)]) == [(a, d)]
