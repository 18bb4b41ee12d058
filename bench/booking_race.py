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
runs gunicorn with tasks queued instead, as production does (to an in-process memory
broker nobody consumes: the emails are a worker's job, not the web request's).
Other knobs: BENCH_RUNS=50,200 (client counts), BENCH_WORKERS, BENCH_THREADS,
PGBENCH_SECONDS, PGBENCH_CLIENTS.
"""

import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ["DJANGO_SETTINGS_MODULE"] = "booking_race_settings"
os.environ.setdefault("PLATFORM_DOMAIN", "bench.test")

RUNS = [int(n) for n in os.environ.get("BENCH_RUNS", "50,200,1000").split(",")]
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
PGBENCH_SECONDS = int(os.environ.get("PGBENCH_SECONDS", "15"))
PGBENCH_CLIENTS = int(os.environ.get("PGBENCH_CLIENTS", str(WORKERS * THREADS)))
STUDENTS = max(RUNS)
TASKS = os.environ.get("BENCH_TASKS", "eager")
if TASKS not in ("eager", "queued"):
    raise SystemExit("BENCH_TASKS is eager or queued")
QUEUED_SETTINGS = """from booking_race_settings import *  # noqa: F401,F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = "memory://"
"""


def setup():
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
                                                  seats_per_session=STUDENTS, max_seats_per_booking=1,
                                                  minimum_notice_minutes=0, is_published=True))
    EventHost.objects.get_or_create(tenant=tenant, event_type=event_type, teacher=teacher)
    emails = [f"racer{i}@bench.example" for i in range(STUDENTS)]
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


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port, settings_dir):
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}"}
    if TASKS == "queued":
        (Path(settings_dir) / "booking_race_queued_settings.py").write_text(QUEUED_SETTINGS)
        env["PYTHONPATH"] += f":{settings_dir}"
        env["DJANGO_SETTINGS_MODULE"] = "booking_race_queued_settings"
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    process = subprocess.Popen(
        [gunicorn, "site_platform.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", str(WORKERS),
         "-k", "gthread", "--threads", str(THREADS), "--backlog", "2048", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start: " + process.stderr.read().decode()[-2000:])


async def fire(port, host, session_id, cookies):
    import httpx

    limits = httpx.Limits(max_connections=len(cookies), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=120) as client:
        # Warm every worker (imports, templates, host map, database connections) outside the measurement.
        for _ in range(3):
            await asyncio.gather(*(client.get(f"/book/session/{session_id}/", headers={
                "Host": host, "Cookie": f"sessionid={key}; csrftoken={csrf}"}) for key, csrf in cookies[:WORKERS * THREADS]))
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


def pgbench_tps(database_url):
    url = urlparse(database_url)
    args = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    name = url.path.lstrip("/")
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    subprocess.run(["pgbench", *args, "-i", "-q", "-s", "10", name], env=env, check=True, capture_output=True)
    try:
        out = subprocess.run(["pgbench", *args, "-b", "simple-update", "-c", str(PGBENCH_CLIENTS), "-j", "2",
                              "-T", str(PGBENCH_SECONDS), name], env=env, check=True, capture_output=True,
                             text=True).stdout
    finally:
        subprocess.run(["pgbench", *args, "-i", "-I", "d", name], env=env, capture_output=True)
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database.")
    tenant, teacher, event_type, cookies = setup()
    from booking.models import Booking, Session

    import tempfile

    port = free_port()
    settings_dir = tempfile.mkdtemp(prefix="booking_race_")
    server = start_gunicorn(port, settings_dir)
    rows = []
    try:
        for index, n in enumerate(RUNS):
            capacity = max(n // 2, 1)
            session = new_session(tenant, teacher, event_type, capacity, index)
            results, elapsed = asyncio.run(fire(port, tenant.hostname, session.pk, cookies[:n]))
            session.refresh_from_db()
            booked = sum(1 for status, _text, _t in results if status == 302)
            refused_full = sum(1 for status, text, _t in results
                               if status == 400 and "This session is fully booked." in text)
            other = n - booked - refused_full
            in_db = Booking.objects.filter(session=session, status="confirmed").count()
            latencies = [t * 1000 for _s, _x, t in results]
            rows.append(dict(n=n, capacity=capacity, sold=session.seats_taken, bookings=in_db, ok=booked,
                             full=refused_full, other=other, seconds=elapsed, attempts_per_s=n / elapsed,
                             bookings_per_s=booked / elapsed, p50=statistics.median(latencies),
                             p95=percentile(latencies, 0.95), max=max(latencies)))
            Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(settings_dir, ignore_errors=True)
    tps = pgbench_tps(database_url)

    print(f"gunicorn: {WORKERS} workers x {THREADS} threads (gthread); CPUs: {os.cpu_count()}; "
          f"Celery tasks: {TASKS}; load average before pgbench: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| clients | seats | sold | bookings in DB | 302 booked | 400 full | other | s | attempts/s "
          "| bookings/s | p50 ms | p95 ms | max ms |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['n']} | {r['capacity']} | {r['sold']} | {r['bookings']} | {r['ok']} | {r['full']} | "
              f"{r['other']} | {r['seconds']:.2f} | {r['attempts_per_s']:.0f} | {r['bookings_per_s']:.0f} | "
              f"{r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f} |")
    print(f"pgbench simple-update, {PGBENCH_CLIENTS} clients, {PGBENCH_SECONDS} s: {tps:.0f} TPS "
          f"(a quarter: {tps / 4:.0f})")
    oversold = [r for r in rows if r["sold"] > r["capacity"] or r["bookings"] != r["sold"] or r["ok"] != r["sold"]]
    print("oversold or mismatched runs:", len(oversold))
    return 1 if oversold else 0


if __name__ == "__main__":
    sys.exit(main())
