"""Landing page throughput under gunicorn on PostgreSQL, against a trivial view.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/landing_bench REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/python bench/landing.py

Builds a tenant whose landing page has every block (hero with an image, text, a
workshop list of 12 workshops with 3 sessions each, a booking widget, teachers,
pricing, testimonials, FAQ, gallery, contact, social links, call to action), starts
gunicorn with bench/landing_settings.py (whose tenant URLconf adds a trivial
view, bench/landing_urls.py), then for each target runs the same closed loop of
keep-alive clients for BENCH_SECONDS and prints requests/s and p50/p95 latency:

  trivial    GET /bench/trivial/   (same middleware, no template, no query)
  cached     GET /                 (the page cache answers)
  uncached   GET /?bench=1         (an unknown parameter: rendered every time, never stored)

and the ratios cached/trivial and uncached/trivial. landing_settings.py puts
landing.middleware.PageCacheMiddleware after SecurityMiddleware, as the project's
MIDDLEWARE should have it (BENCH_EARLY_CACHE=0: the view-level page cache only).
"uncached" renders with the block fragment cache (landing/fragments.py) warm;
bench/landing_profile.py measures a cold render in process. The database (created if
missing) is only used for this; the tenant is made once and reused (drop the
database to rebuild it when its sessions have passed).
"""

import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ["DJANGO_SETTINGS_MODULE"] = "landing_settings"
os.environ.setdefault("PLATFORM_DOMAIN", "bench.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/landing_bench")

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
SUBDOMAIN = "benchlanding"


def ensure_database(url):
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def image(title, colour):
    from django.core.files.images import ImageFile
    from PIL import Image as PILImage
    from wagtail.images import get_image_model

    buffer = io.BytesIO()
    PILImage.new("RGB", (1200, 900), colour).save(buffer, format="JPEG")
    return get_image_model().objects.create(title=title, file=ImageFile(buffer, name=f"{title}.jpg"))


def setup():
    import django

    django.setup()
    from datetime import timedelta
    from decimal import Decimal

    from django.core.management import call_command
    from django.utils import timezone

    from booking.models import EventType, Session
    from landing.models import BrandingSettings
    from site_platform.models import Tenant
    from site_platform.services.tenants import create_tenant
    from tests.conftest import make_user
    from tests.landing.conftest import full_body

    call_command("migrate", verbosity=0)
    tenant = Tenant.objects.filter(subdomain=SUBDOMAIN).first()
    if tenant is None:
        tenant = create_tenant(name="Bench Language School", subdomain=SUBDOMAIN, template="education",
                               admin_email=f"owner@{SUBDOMAIN}.test", send_invitation=False)
        BrandingSettings.objects.create(site=tenant.root_page.sites_rooted_here.get(),
                                        facebook_url="https://facebook.com/bench", default_cta_text="Book now",
                                        default_cta_link="#classes")
        teachers = [make_user(f"{name}@{SUBDOMAIN}.test", first_name=name.title(), last_name="Tran")
                    for name in ("linh", "mai", "an")]
        start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
        event_types = EventType.objects.bulk_create([
            EventType(tenant=tenant, kind=EventType.Kind.WORKSHOP if n % 2 else EventType.Kind.LIVE_CLASS,
                      title=f"Workshop {n:02d}", slug=f"workshop-{n:02d}", price=Decimal(0 if n % 3 else 250000),
                      currency="VND", seats_per_session=8, is_published=True, duration_minutes=90,
                      booking_horizon_days=3650, description="Speaking practice in a small group.")
            for n in range(12)])
        Session.objects.bulk_create([
            Session(tenant=tenant, event_type=event_type, teacher=teachers[(n + k) % 3],
                    start=start + timedelta(days=k, hours=n), end=start + timedelta(days=k, hours=n, minutes=90),
                    capacity=8, seats_taken=8 if n == 0 and k == 0 else 0)
            for n, event_type in enumerate(event_types) for k in range(3)])
        page = tenant.root_page.specific
        page.body = full_body(image("Classroom", (29, 78, 216)), teachers=3, gallery=6, testimonials=3,
                              widget_event_type="workshop-01")
        page.save_revision().publish()
    return tenant.hostname


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port):
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}"}
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    process = subprocess.Popen(
        [gunicorn, "site_platform.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", str(WORKERS),
         "-k", "gthread", "--threads", str(THREADS), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start: " + process.stderr.read().decode()[-2000:])


def run(port, host, path, seconds):
    """CLIENTS keep-alive connections in a closed loop for `seconds`: (requests/s, p50 ms, p95 ms)."""
    import http.client

    latencies, errors = [], []
    deadline = time.perf_counter() + seconds

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            connection.request("GET", path, headers={"Host": host})
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - began)
            if response.status != 200:
                errors.append(response.status)
        latencies.extend(mine)
        connection.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"{path}: {len(errors)} answers were not 200 ({errors[:5]})")
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, p95 * 1000


def check_page(port, host):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for path, expected in (("/", None), ("/", "hit"), ("/?bench=1", None)):
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        body = response.read().decode()
        assert response.status == 200, (path, response.status)
        assert body.count('class="workshop card"') == 12 and 'class="widget-time"' in body, "incomplete page"
        if expected:
            assert response.getheader("X-Page-Cache") == expected, (path, response.getheader("X-Page-Cache"))
    connection.close()
    return len(body)


def main():
    ensure_database(os.environ["DATABASE_URL"])
    host = setup()
    port = free_port()
    server = start_gunicorn(port)
    try:
        size = check_page(port, host)
        for path in ("/bench/trivial/", "/", "/?bench=1"):  # warm every worker and thread
            run(port, host, path, 1.5)
        print(f"gunicorn: {WORKERS} workers × {THREADS} threads; {CLIENTS} keep-alive clients, {SECONDS:.0f} s each;"
              f" page {size / 1024:.0f} KiB; cache {'Redis' if os.environ.get('REDIS_URL') else 'local memory'}")
        results = {}
        for name, path in (("trivial", "/bench/trivial/"), ("cached", "/"), ("uncached", "/?bench=1")):
            results[name] = run(port, host, path, SECONDS)
            rps, p50, p95 = results[name]
            print(f"{name:9} {path:17} {rps:8.0f} req/s   p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")
        trivial = results["trivial"][0]
        print(f"cached / trivial   = {results['cached'][0] / trivial:.2f}   (aim ≥ 0.90)")
        print(f"uncached / trivial = {results['uncached'][0] / trivial:.2f}   (aim ≥ 0.25)")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
