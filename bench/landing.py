"""Landing page throughput under gunicorn on PostgreSQL, against a trivial view.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/landing_bench REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/python bench/landing.py

Builds a tenant whose landing page has every block (hero with an image, text, a
workshop list of 12 workshops with 3 sessions each, a booking widget, teachers,
pricing, testimonials, FAQ, gallery, contact, social links, call to action), starts
gunicorn with bench/landing_settings.py (whose tenant URLconf adds a trivial
view, bench/landing_urls.py), then for each target runs the same closed loop of
keep-alive clients for BENCH_SECONDS (in one-second turns, so that the targets share
the moments of a machine whose other load comes and goes) and prints requests/s and
p50/p95 latency:

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
import sys

from common import closed_loop, ensure_database, gunicorn, interleaved, use_settings

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
SUBDOMAIN = "benchlanding"
TARGETS = (("trivial", "/bench/trivial/"), ("cached", "/"), ("uncached", "/?bench=1"))


def image(title, colour):
    from django.core.files.images import ImageFile
    from PIL import Image as PILImage
    from wagtail.images import get_image_model

    buffer = io.BytesIO()
    PILImage.new("RGB", (1200, 900), colour).save(buffer, format="JPEG")
    return get_image_model().objects.create(title=title, file=ImageFile(buffer, name=f"{title}.jpg"))


def setup():
    """The tenant "benchlanding" and its full landing page (made once): its host name."""
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


def run(port, host, path, seconds):
    """CLIENTS keep-alive connections in a closed loop for `seconds`: (requests/s, p50 ms, p95 ms)."""
    return closed_loop(port, host, path, seconds, CLIENTS)


def check_page(port, host):
    """The page is whole, and "/" is stored and answered from the page cache: its size."""
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
    use_settings("landing_settings")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/landing_bench")
    ensure_database(os.environ["DATABASE_URL"])
    host = setup()
    with gunicorn(settings_module="landing_settings", workers=WORKERS, threads=THREADS) as port:
        size = check_page(port, host)
        for _name, path in TARGETS:  # warm every worker and thread
            run(port, host, path, 1.5)
        print(f"gunicorn: {WORKERS} workers × {THREADS} threads; {CLIENTS} keep-alive clients, {SECONDS:.0f} s each;"
              f" page {size / 1024:.0f} KiB; cache {'Redis' if os.environ.get('REDIS_URL') else 'local memory'}")
        results = interleaved(port, host, TARGETS, SECONDS, CLIENTS)
        for name, path in TARGETS:
            rps, p50, p95 = results[name]
            print(f"{name:9} {path:17} {rps:8.0f} req/s   p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")
    trivial = results["trivial"][0]
    print(f"cached / trivial   = {results['cached'][0] / trivial:.2f}   (aim ≥ 0.90)")
    print(f"uncached / trivial = {results['uncached'][0] / trivial:.2f}   (aim ≥ 0.25)")


if __name__ == "__main__":
    main()
