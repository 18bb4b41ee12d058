"""N students race over HTTP for the seats of one session, against gunicorn on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/life_dev .venv/bin/python bench/booking_race.py

For N = 50, 200 and 1,000 concurrent clients (each a different signed-in student) it
makes a fresh session with N/2 seats, fires N booking POSTs at once, and prints
attempts per second, bookings per second, p50/p95/max latency, and seats sold vs
capacity (checked in the database: seats_taken, confirmed bookings, and the 201st..Nth
answers all "fully booked"). Then, on the same machine and database, the PostgreSQL
ceiling: pgbench's built-in simple-update script (TPS).

It uses only the DATABASE_URL database: a tenant "benchrace" with 1,000 students,
and pgbench's tables, which it drops again at the end.

Without REDIS_URL the settings run Celery tasks eagerly, so each booking POST also
renders and sends its confirmation emails (student and teacher) inside the request:
that is the default here (BENCH_TASKS=eager), as in every earlier run. BENCH_TASKS=queued
runs gunicorn with tasks queued instead, as production does (bench/booking_race_queued_settings.py:
to an in-process memory broker nobody consumes: the emails are a worker's job, not the
web request's). bench/booking_profile.py profiles one booking POST in process.
Other knobs: BENCH_RUNS=50,200 (client counts), BENCH_WORKERS, BENCH_THREADS,
PGBENCH_SECONDS, PGBENCH_CLIENTS.
"""

import asyncio
import os
import statistics
import sys
import time
from datetime import timedelta

from common import gunicorn, load_average, percentile, pgbench_tps, use_settings

RUNS = [int(n) for n in os.environ.get("BENCH_RUNS", "50,200,1000").split(",")]
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
PGBENCH_SECONDS = int(os.environ.get("PGBENCH_SECONDS", "15"))
PGBENCH_CLIENTS = int(os.environ.get("PGBENCH_CLIENTS", str(WORKERS * THREADS)))
TASKS = os.environ.get("BENCH_TASKS", "eager")


def setup(students):
    """The tenant "benchrace", its teacher and event type, and `students` signed-in
    students: (tenant, teacher, event_type, [(session cookie, CSRF token)])."""
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.middleware.csrf import _get_new_csrf_string

    from booking.models import EventHost, EventType
    from site_platform.models import Membership, Tenant
    from site_platform.services.tenants import add_member, create_tenant

    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.filter(subdomain="benchrace").first() or create_tenant(
        name="Bench Race School", subdomain="benchrace", template="education", admin_email="owner@benchrace.test",
        send_invitation=False)
    User = get_user_model()
    teacher = User.objects.filter(email="teacher@benchrace.test").first()
    if teacher is None:
        teacher = User.objects.create_user(email="teacher@benchrace.test")
        add_member(tenant, teacher.email, Membership.Role.TEACHER)
    event_type, _ = EventType.objects.get_or_create(
        tenant=tenant, slug="race", defaults=dict(kind=EventType.Kind.LIVE_CLASS, title="Race class",
                                                  seats_per_session=students, max_seats_per_booking=1,
                                                  minimum_notice_minutes=0, is_published=True))
    EventHost.objects.get_or_create(tenant=tenant, event_type=event_type, teacher=teacher)
    emails = [f"racer{i}@bench.example" for i in range(students)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    new = [User(email=email) for email in emails if email not in existing]
    for user in new:
        user.set_unusable_password()
    User.objects.bulk_create(new)
    users = list(User.objects.filter(email__in=emails).order_by("pk"))
    EmailAddress.objects.bulk_create([EmailAddress(user=u, email=u.email, verified=True, primary=True)
                                      for u in users if u.email not in existing], ignore_conflicts=True)
    cookies = []
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        cookies.append((store.session_key, _get_new_csrf_string()))
    return tenant, teacher, event_type, cookies


def new_session(tenant, teacher, event_type, capacity, offset_days):
    from django.utils import timezone

    from booking.models import Session

    start = (timezone.now() + timedelta(days=30 + offset_days)).replace(second=0, microsecond=0)
    return Session.objects.create(tenant=tenant, event_type=event_type, teacher=teacher, start=start,
                                  end=start + timedelta(hours=1), capacity=capacity)


async def fire(port, host, session_id, cookies, warm_connections):
    import httpx

    limits = httpx.Limits(max_connections=len(cookies), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=120) as client:
        # Warm every worker (imports, templates, host map, database connections) outside the measurement.
        for _ in range(3):
            await asyncio.gather(*(client.get(f"/book/session/{session_id}/", headers={
                "Host": host, "Cookie": f"sessionid={key}; csrftoken={csrf}"}) for key, csrf in cookies[:warm_connections]))
        start_line = asyncio.Event()

        async def one(session_key, csrf):
            await start_line.wait()
            began = time.perf_counter()
            response = await client.post(
                f"/book/session/{session_id}/", data={"seats": "1", "csrfmiddlewaretoken": csrf},
                headers={"Host": host, "Cookie": f"sessionid={session_key}; csrftoken={csrf}"})
            return response.status_code, response.text, time.perf_counter() - began

        tasks = [asyncio.create_task(one(key, csrf)) for key, csrf in cookies]
        await asyncio.sleep(0.05)
        began = time.perf_counter()
        start_line.set()
        results = await asyncio.gather(*tasks)
        return results, time.perf_counter() - began


def race(port, tenant, teacher, event_type, cookies, *, capacity, offset_days, warm_connections):
    """len(cookies) students POST a booking for one fresh session with `capacity` seats at
    once: a dict of counts (sold, bookings in the database, 302s, "fully booked" 400s,
    other answers) and timings (seconds, attempts/s, bookings/s, p50/p95/max ms). The
    session is cancelled afterwards so that later runs do not see it."""
    from booking.models import Booking, Session

    n = len(cookies)
    session = new_session(tenant, teacher, event_type, capacity, offset_days)
    results, elapsed = asyncio.run(fire(port, tenant.hostname, session.pk, cookies, warm_connections))
    session.refresh_from_db()
    booked = sum(1 for status, _text, _t in results if status == 302)
    refused_full = sum(1 for status, text, _t in results if status == 400 and "This session is fully booked." in text)
    latencies = [t * 1000 for _s, _x, t in results]
    row = dict(n=n, capacity=capacity, sold=session.seats_taken,
               bookings=Booking.objects.filter(session=session, status="confirmed").count(), ok=booked,
               full=refused_full, other=n - booked - refused_full, seconds=elapsed, attempts_per_s=n / elapsed,
               bookings_per_s=booked / elapsed, p50=statistics.median(latencies), p95=percentile(latencies, 0.95),
               max=max(latencies), session_id=session.pk)
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    return row


def consistent(row):
    """Nothing oversold: seats taken = confirmed bookings = "booked" answers <= capacity."""
    return row["sold"] <= row["capacity"] and row["bookings"] == row["sold"] == row["ok"]


def main():
    import logging

    if TASKS not in ("eager", "queued"):
        raise SystemExit("BENCH_TASKS is eager or queued")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database.")
    use_settings("booking_race_settings")
    tenant, teacher, event_type, cookies = setup(max(RUNS))

    settings_module = "booking_race_queued_settings" if TASKS == "queued" else "booking_race_settings"
    rows = []
    with gunicorn(settings_module=settings_module, workers=WORKERS, threads=THREADS) as port:
        for index, n in enumerate(RUNS):
            rows.append(race(port, tenant, teacher, event_type, cookies[:n], capacity=max(n // 2, 1),
                             offset_days=index, warm_connections=WORKERS * THREADS))
    tps = pgbench_tps(database_url, clients=PGBENCH_CLIENTS, seconds=PGBENCH_SECONDS)

    print(f"gunicorn: {WORKERS} workers x {THREADS} threads (gthread); CPUs: {os.cpu_count()}; "
          f"Celery tasks: {TASKS}; load average before pgbench: {load_average()}")
    print("| clients | seats | sold | bookings in DB | 302 booked | 400 full | other | s | attempts/s "
          "| bookings/s | p50 ms | p95 ms | max ms |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['n']} | {r['capacity']} | {r['sold']} | {r['bookings']} | {r['ok']} | {r['full']} | "
              f"{r['other']} | {r['seconds']:.2f} | {r['attempts_per_s']:.0f} | {r['bookings_per_s']:.0f} | "
              f"{r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f} |")
    print(f"pgbench simple-update, {PGBENCH_CLIENTS} clients, {PGBENCH_SECONDS} s: {tps:.0f} TPS "
          f"(a quarter: {tps / 4:.0f})")
    oversold = [r for r in rows if not consistent(r)]
    print("oversold or mismatched runs:", len(oversold))
    return 1 if oversold else 0


if __name__ == "__main__":
    sys.exit(main())
