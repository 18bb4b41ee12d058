"""How throughput grows with web and Celery workers (issue #10).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_scale .venv/bin/python bench/scale.py

Web: for 1, 2 and 4 gunicorn workers (SCALE_WEB_WORKERS, each with BENCH_THREADS
gthread threads) it runs bench/landing.py's page load (the full landing page uncached
and from the page cache, BENCH_CLIENTS keep-alive clients for BENCH_SECONDS each) and
bench/booking_race.py's race (SCALE_RACE_CLIENTS signed-in students POST a booking at
once for a session with half as many seats), and prints requests/s, p95 and the growth
against one worker.

Tasks: booking POSTs queue their emails to Redis (SCALE_BROKER_URL, as a production web
process does: not eager). For 1 and 2 `celery worker` processes (SCALE_CELERY_WORKERS,
each `-P solo`: one task at a time) it books SCALE_TASK_BOOKINGS seats over HTTP, starts
the workers on an idle queue, waits until every one answers a ping, then has them all
consume the real queues at once and times them until the broker's queues are empty,
no message is unacknowledged and the notification log holds the two emails (student,
teacher) of every booking. It prints tasks/s, emails/s and the growth against one worker.

Every subprocess runs in a session of its own with a timeout and is stopped in a
`finally`; the broker database is emptied before and after. Defaults finish in about
three minutes on the 2-core development machine; bigger runs: BENCH_SECONDS=10
SCALE_RACE_CLIENTS=200 SCALE_TASK_BOOKINGS=500.

The database (created if missing) holds the two benchmark tenants, "benchlanding" and
"benchrace", made once and reused. REDIS_URL (the cache) defaults to Redis database 10,
SCALE_BROKER_URL to database 9.
"""

import os
import sys
import time

from common import (closed_loop, ensure_database, gunicorn, interleaved, load_average, load_bench_module,
                    start, stop, subprocess_env, use_settings, venv_command)

WEB_WORKERS = [int(n) for n in os.environ.get("SCALE_WEB_WORKERS", "1,2,4").split(",")]
CELERY_WORKERS = [int(n) for n in os.environ.get("SCALE_CELERY_WORKERS", "1,2").split(",") if n]
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
RACE_CLIENTS = int(os.environ.get("SCALE_RACE_CLIENTS", "100"))
TASK_BOOKINGS = int(os.environ.get("SCALE_TASK_BOOKINGS", "150"))
DRAIN_TIMEOUT = float(os.environ.get("SCALE_DRAIN_TIMEOUT", "180"))
QUEUES = ["celery", "checkout", "emails", "integrations"]
IDLE_QUEUE = "scale_idle"

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_scale")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/10")
os.environ.setdefault("SCALE_BROKER_URL", "redis://127.0.0.1:6379/9")
use_settings("scale_settings")


def broker():
    import redis

    return redis.Redis.from_url(os.environ["SCALE_BROKER_URL"])


def queued_messages(client):
    """Messages waiting in the broker's queues (kombu keeps one Redis list per queue and
    priority) and messages taken but not yet acknowledged (acks_late)."""
    waiting = {}
    for key in client.scan_iter(count=1000):
        if client.type(key) == b"list":
            name = key.decode().split("\x06\x16")[0]
            waiting[name] = waiting.get(name, 0) + client.llen(key)
    return waiting, client.hlen("unacked")


def task_names(client):
    """How many messages of each task wait in the broker's queues."""
    import json
    from collections import Counter

    names = Counter()
    for key in client.scan_iter(count=1000):
        if client.type(key) == b"list":
            for raw in client.lrange(key, 0, -1):
                names[json.loads(raw).get("headers", {}).get("task", "?")] += 1
    return dict(names)


def web_rows(landing_host, race_setup, unsent):
    """One row per web worker count; the bookings made (their emails queued and never
    sent: the broker is emptied before the Celery runs) are added to `unsent`."""
    from booking.models import Booking
    from booking_race import consistent, race

    tenant, teacher, event_type, cookies = race_setup
    rows = []
    for index, workers in enumerate(WEB_WORKERS):
        with gunicorn(settings_module="scale_settings", workers=workers, threads=THREADS) as port:
            for path in ("/", "/?bench=1"):  # warm every worker and thread
                closed_loop(port, landing_host, path, 1.5, CLIENTS)
            landing = interleaved(port, landing_host, [("cached", "/"), ("uncached", "/?bench=1")], SECONDS, CLIENTS)
            cached, uncached = landing["cached"], landing["uncached"]
            booking = race(port, tenant, teacher, event_type, cookies[:RACE_CLIENTS],
                           capacity=max(RACE_CLIENTS // 2, 1), offset_days=index,
                           warm_connections=workers * THREADS)
        if not consistent(booking):
            raise SystemExit(f"booking race with {workers} workers oversold or mismatched: {booking}")
        rows.append(dict(workers=workers, cached=cached, uncached=uncached, booking=booking, load=load_average()))
        unsent.extend(Booking.objects.filter(session_id=booking["session_id"], status="confirmed")
                      .values_list("pk", flat=True))
        print(f"  {workers} web workers done (load average {rows[-1]['load']})", flush=True)
    return rows


def start_celery_workers(count):
    """`count` solo workers, each consuming only a warm-up queue of its own and answering
    pings: (processes, names, warm-up queues)."""
    from site_platform.celery import app

    processes, names = [], [f"scale{i}@bench" for i in range(count)]
    warm_queues = [f"{IDLE_QUEUE}{i}" for i in range(count)]
    try:
        for name, queue in zip(names, warm_queues):
            processes.append(start(
                [venv_command("celery"), "-A", "site_platform", "worker", "-P", "solo", "-Q", queue,
                 "-n", name, "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
                env=subprocess_env("scale_settings")))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ended = [process for process in processes if process.poll() is not None]
            if ended:
                raise SystemExit("a Celery worker exited: " + ended[0].stderr.read().decode()[-2000:])
            answered = {name for reply in app.control.ping(destination=names, timeout=1.0) for name in reply}
            if answered == set(names):
                return processes, names, warm_queues
        raise SystemExit(f"Celery workers did not answer within 60 s ({names})")
    except BaseException:
        for process in processes:
            stop(process)
        raise


def wait_until(done, what, processes, timeout):
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: not done within {timeout:.0f} s")
        if any(process.poll() is not None for process in processes):
            raise SystemExit(f"{what}: a Celery worker exited")
        time.sleep(0.05)


def drain(count, race_setup, offset_days, warm_booking_ids):
    """Book TASK_BOOKINGS seats over HTTP (their tasks queued), then time `count` workers
    taking every task: a dict of tasks, emails, seconds. Each worker first sends the
    confirmation of one booking of `warm_booking_ids` (whose tasks the web runs queued and
    nobody took), so that imports, templates and connections are warm before the clock starts."""
    from booking.models import Booking
    from booking.notifications.models import NotificationLog
    from booking.notifications.tasks import send_booking_confirmed
    from booking_race import race
    from site_platform.celery import app

    tenant, teacher, event_type, cookies = race_setup
    client = broker()
    client.flushdb()
    with gunicorn(settings_module="scale_settings", workers=2, threads=THREADS) as port:
        booking = race(port, tenant, teacher, event_type, cookies[:TASK_BOOKINGS], capacity=TASK_BOOKINGS,
                       offset_days=offset_days, warm_connections=2 * THREADS)
    booking_ids = list(Booking.objects.filter(session_id=booking["session_id"], status="confirmed")
                       .values_list("pk", flat=True))
    queued, _unacked = queued_messages(client)
    tasks = sum(queued.get(queue, 0) for queue in QUEUES)
    by_task = task_names(client)
    expected_emails = 2 * len(booking_ids)
    emails = NotificationLog.objects.filter(booking_id__in=booking_ids)

    def nothing_left(queues):
        waiting, unacked = queued_messages(client)
        return sum(waiting.get(queue, 0) for queue in queues) + unacked == 0

    processes, names, warm_queues = start_celery_workers(count)
    try:
        warm_ids = [warm_booking_ids.pop() for _queue in warm_queues]
        for booking_id, queue in zip(warm_ids, warm_queues):
            send_booking_confirmed.apply_async(args=[booking_id], queue=queue)
        wait_until(lambda: nothing_left(warm_queues)
                   and NotificationLog.objects.filter(booking_id__in=warm_ids).count() == 2 * len(warm_ids),
                   "warm-up", processes, 60)
        began = time.perf_counter()
        for queue in QUEUES:
            app.control.add_consumer(queue, destination=names, reply=True, timeout=5.0)
        wait_until(lambda: nothing_left(QUEUES) and emails.count() >= expected_emails,
                   f"{count} Celery workers draining {tasks} tasks", processes, DRAIN_TIMEOUT)
        elapsed = time.perf_counter() - began
    finally:
        for process in processes:
            stop(process, timeout=30)
        client.flushdb()
    return dict(workers=count, bookings=len(booking_ids), tasks=tasks, by_queue=queued, by_task=by_task, emails=emails.count(),
                seconds=elapsed, load=load_average())


def print_tables(web, celery, landing_size):
    print(f"\nCPUs: {os.cpu_count()}; gunicorn gthread × {THREADS} threads per worker; landing: {CLIENTS} "
          f"keep-alive clients, {SECONDS:.0f} s per target, page {landing_size / 1024:.0f} KiB; booking race: "
          f"{RACE_CLIENTS} students at once for {max(RACE_CLIENTS // 2, 1)} seats\n")
    print("| web workers | landing uncached req/s | p95 ms | × | landing cached req/s | p95 ms | × "
          "| booking attempts/s | p95 ms | × | load average |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    base = web[0]
    for row in web:
        cells = []
        for key in ("uncached", "cached"):
            rps, _p50, p95 = row[key]
            cells += [f"{rps:.0f}", f"{p95:.0f}", f"{rps / base[key][0]:.2f}"]
        b = row["booking"]
        cells += [f"{b['attempts_per_s']:.0f}", f"{b['p95']:.0f}",
                  f"{b['attempts_per_s'] / base['booking']['attempts_per_s']:.2f}"]
        print(f"| {row['workers']} | " + " | ".join(cells) + f" | {row['load']} |")
    print(f"\nCelery: {TASK_BOOKINGS} bookings per run, their tasks queued to Redis, `celery worker -P solo` "
          "per process, all queues\n")
    print("| Celery workers | bookings | tasks | emails | s | tasks/s | emails/s | × (emails/s) | load average |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for row in celery:
        rate = row["emails"] / row["seconds"]
        print(f"| {row['workers']} | {row['bookings']} | {row['tasks']} | {row['emails']} | {row['seconds']:.1f} | "
              f"{row['tasks'] / row['seconds']:.0f} | {rate:.0f} | "
              f"{rate / (celery[0]['emails'] / celery[0]['seconds']):.2f} | {row['load']} |")
    for row in celery:
        print(f"\nQueued with {row['workers']} Celery workers: {row['by_queue']}; tasks: {row['by_task']}")
    cores = os.cpu_count() or 1
    print(f"\nThis machine has {cores} CPU cores shared with the load generator and PostgreSQL: growth past "
          f"{cores} workers (web or Celery) is flat here; it says how the harness scales, not a big machine.")


def main():
    import logging

    from booking_race import setup as race_setup_for

    landing_bench = load_bench_module("landing", "landing_bench")
    check_page, landing_setup = landing_bench.check_page, landing_bench.setup

    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database.")
    ensure_database(os.environ["DATABASE_URL"])
    landing_host = landing_setup()
    race_setup = race_setup_for(max(RACE_CLIENTS, TASK_BOOKINGS))
    broker().flushdb()
    print(f"load average at the start: {load_average()}", flush=True)
    with gunicorn(settings_module="scale_settings", workers=1, threads=THREADS) as port:
        landing_size = check_page(port, landing_host)
    unsent = []
    web = web_rows(landing_host, race_setup, unsent)
    if len(unsent) < sum(CELERY_WORKERS):
        raise SystemExit("too few bookings from the web runs to warm the Celery workers")
    celery = []
    for index, count in enumerate(CELERY_WORKERS):
        celery.append(drain(count, race_setup, offset_days=len(WEB_WORKERS) + index, warm_booking_ids=unsent))
        print(f"  {count} Celery workers done (load average {celery[-1]['load']})", flush=True)
    print_tables(web, celery, landing_size)


if __name__ == "__main__":
    main()
