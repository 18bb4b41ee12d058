"""How long the pure slot computation takes for one teacher.

    .venv/bin/python bench/slots.py

Prints the time to compute 30 and 90 days of one-to-one slots (50-minute
lessons every 30 minutes, 10-minute buffers, weekly hours 08:00-20:00 Monday to
Saturday in Europe/London, a few overrides and blackouts) with 0, 500 and 5,000
busy intervals shaped like bookings, and the ratios between them. No database:
this measures `booking.services.availability.compute_slots` alone.
"""

import os
import random
import sys
import timeit
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_platform.settings.test")

from booking.services.availability import (  # noqa: E402
    HostData, ScheduleData, SlotRules, WeeklyHours, compute_slots,
)

UTC = timezone.utc
START = datetime(2030, 3, 1, tzinfo=UTC)
NOW = START - timedelta(days=1)
RULES = SlotRules(duration=timedelta(minutes=50), interval=timedelta(minutes=30),
                  buffer_before=timedelta(minutes=10), buffer_after=timedelta(minutes=10),
                  minimum_notice=timedelta(hours=2), horizon=timedelta(days=365), daily_limit=None)


def schedule(days):
    weekly = tuple(WeeklyHours(day, time(8), time(20)) for day in range(6))
    overrides = {date(2030, 3, 1) + timedelta(days=7 * k + 2): [(time(10), time(14))] for k in range(days // 7)}
    blackouts = tuple((START + timedelta(days=9 * k, hours=12), START + timedelta(days=9 * k, hours=15))
                      for k in range(days // 9))
    return ScheduleData(timezone="Europe/London", weekly=weekly, overrides=overrides, blackouts=blackouts)


def bookings(count, days, seed=7):
    rng = random.Random(seed)
    span = days * 24 * 4
    result = []
    for _ in range(count):
        start = START + timedelta(minutes=15 * rng.randrange(span))
        result.append((start - timedelta(minutes=10), start + timedelta(minutes=60)))
    return tuple(result)


def measure(days, busy_count, repeat=7):
    host = HostData(1, schedule(days), busy=bookings(busy_count, days))
    end = START + timedelta(days=days)

    def run():
        return compute_slots(rules=RULES, hosts=[host], window_start=START, window_end=end, now=NOW)

    slots = len(run())
    number = 5
    best = min(timeit.repeat(run, number=number, repeat=repeat)) / number
    return best * 1000, slots


def main():
    counts = (0, 500, 5000)
    print(f"{'days':>4} {'busy':>6} {'slots':>6} {'ms':>8} {'x vs 0':>7}")
    results = {}
    for days in (30, 90):
        for count in counts:
            ms, slots = measure(days, count)
            results[days, count] = ms
            print(f"{days:>4} {count:>6} {slots:>6} {ms:>8.2f} {ms / results[days, 0]:>7.2f}")
    print()
    for days in (30, 90):
        growth = results[days, 5000] / results[days, 500]
        print(f"{days} days: 5,000 vs 500 busy intervals (10x) took {growth:.2f}x the time")
    print(f"90 vs 30 days with 5,000 busy intervals: {results[90, 5000] / results[30, 5000]:.2f}x")
    verdict = "meets" if results[30, 5000] < 50 else "MISSES"
    print(f"30 days with 5,000 busy intervals: {results[30, 5000]:.2f} ms ({verdict} the 50 ms aim)")


if __name__ == "__main__":
    main()
