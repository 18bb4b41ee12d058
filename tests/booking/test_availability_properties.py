"""Property-based tests of the slot computation: whatever the schedule, busy time
and zone, no slot overlaps busy time or a blackout, every slot lies in the
teacher's hours and is as long as the event."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.services.availability import HostData, ScheduleData, SlotRules, WeeklyHours, compute_slots

UTC = timezone.utc
ZONES = ["UTC", "Europe/London", "Asia/Ho_Chi_Minh", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]
# A fortnight around each daylight-saving change of 2026 (London and New York) and an ordinary one.
FIRST_DAYS = [date(2026, 3, 2), date(2026, 3, 22), date(2026, 10, 20), date(2026, 10, 28), date(2026, 4, 1)]
WINDOW_DAYS = 14


def quarter_hours(low, high):
    return st.integers(low, high).map(lambda n: n * 15)


@st.composite
def weekly_hours(draw):
    weekday = draw(st.integers(0, 6))
    start = draw(quarter_hours(0, 95))
    length = draw(quarter_hours(1, 96 - start // 15))
    end_minutes = start + length
    end = time(0) if end_minutes == 24 * 60 else time(end_minutes // 60, end_minutes % 60)
    return WeeklyHours(weekday, time(start // 60, start % 60), end)


@st.composite
def intervals(draw, base, max_count):
    result = []
    for _ in range(draw(st.integers(0, max_count))):
        start = base + timedelta(minutes=draw(quarter_hours(-96, WINDOW_DAYS * 96)))
        result.append((start, start + timedelta(minutes=draw(quarter_hours(1, 8 * 4)))))
    return result


@st.composite
def cases(draw):
    zone = draw(st.sampled_from(ZONES))
    first_day = draw(st.sampled_from(FIRST_DAYS))
    base = datetime.combine(first_day, time(0), tzinfo=UTC)
    schedule = ScheduleData(
        timezone=zone,
        weekly=tuple(draw(st.lists(weekly_hours(), max_size=8))),
        blackouts=tuple(draw(intervals(base, 3))),
    )
    busy = tuple(draw(intervals(base, 40)))
    rules = SlotRules(
        duration=timedelta(minutes=draw(quarter_hours(1, 8))),
        interval=draw(st.none() | quarter_hours(1, 4).map(lambda m: timedelta(minutes=m))),
        buffer_before=timedelta(minutes=draw(quarter_hours(0, 2))),
        buffer_after=timedelta(minutes=draw(quarter_hours(0, 2))),
        minimum_notice=timedelta(minutes=draw(quarter_hours(0, 96))),
        horizon=timedelta(days=draw(st.integers(1, 30))),
    )
    now = base + timedelta(minutes=draw(quarter_hours(-96, 96)))
    student_zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    window_start = datetime.combine(first_day, time(0), tzinfo=student_zone).astimezone(UTC)
    window_end = window_start + timedelta(days=WINDOW_DAYS)
    return schedule, busy, rules, now, window_start, window_end


def overlaps(a_start, a_end, b_start, b_end):
    return a_start < b_end and b_start < a_end


def in_weekly_hours(schedule, start, end):
    """Checked without the code under test: the slot's local date has a weekly range whose
    wall-clock start is at or before the slot and whose end is at or after it."""
    zone = ZoneInfo(schedule.timezone)
    day = start.astimezone(zone).date()
    for hours in schedule.weekly:
        if hours.weekday != day.weekday():
            continue
        open_from = datetime.combine(day, hours.start, tzinfo=zone).astimezone(UTC)
        if hours.end == time(0):
            open_until = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        else:
            open_until = datetime.combine(day, hours.end, tzinfo=zone).astimezone(UTC)
        if open_from <= start and end <= open_until:
            return True
    return False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_slots_respect_hours_busy_time_and_length(case):
    schedule, busy, rules, now, window_start, window_end = case
    slots = compute_slots(rules=rules, hosts=[HostData(1, schedule, busy=busy)], window_start=window_start,
                          window_end=window_end, now=now)
    starts = [slot.start for slot in slots]
    assert starts == sorted(set(starts))
    for slot in slots:
        assert slot.end - slot.start == rules.duration
        assert slot.host_ids == (1,)
        assert in_weekly_hours(schedule, slot.start, slot.end)
        assert window_start <= slot.start < window_end
        assert now + rules.minimum_notice <= slot.start <= now + rules.horizon
        for b_start, b_end in busy:
            assert not overlaps(slot.start - rules.buffer_before, slot.end + rules.buffer_after, b_start, b_end)
        for b_start, b_end in schedule.blackouts:
            assert not overlaps(slot.start, slot.end, b_start, b_end)


@settings(max_examples=150, deadline=None)
@given(cases())
def test_busy_time_only_ever_removes_slots(case):
    schedule, busy, rules, now, window_start, window_end = case
    free = compute_slots(rules=rules, hosts=[HostData(1, schedule)], window_start=window_start,
                         window_end=window_end, now=now)
    busier = compute_slots(rules=rules, hosts=[HostData(1, schedule, busy=busy)], window_start=window_start,
                           window_end=window_end, now=now)
    assert set(busier) <= set(free)
    # A free slot disappears only if busy time touches it (with buffers).
    for slot in set(free) - set(busier):
        assert any(overlaps(slot.start - rules.buffer_before, slot.end + rules.buffer_after, b_start, b_end)
                   for b_start, b_end in busy)


@settings(max_examples=100, deadline=None)
@given(cases(), cases())
def test_two_hosts_give_the_union_of_their_slots(first, second):
    schedule_a, busy_a, rules, now, window_start, window_end = first
    schedule_b, busy_b = second[0], second[1]
    a = HostData(1, schedule_a, busy=busy_a)
    b = HostData(2, schedule_b, busy=busy_b)
    args = dict(rules=rules, window_start=window_start, window_end=window_end, now=now)
    both = compute_slots(hosts=[a, b], **args)
    only_a = {(s.start, s.end) for s in compute_slots(hosts=[a], **args)}
    only_b = {(s.start, s.end) for s in compute_slots(hosts=[b], **args)}
    assert {(s.start, s.end) for s in both} == only_a | only_b
    for slot in both:
        assert (1 in slot.host_ids) == ((slot.start, slot.end) in only_a)
        assert (2 in slot.host_ids) == ((slot.start, slot.end) in only_b)
