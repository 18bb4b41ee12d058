"""Time to pull N students of one course from the fake Immersio, and rows written per second.

    .venv/bin/python bench/immersio_sync.py            # 10,000 and 50,000 students, SQLite in a temp file
    .venv/bin/python bench/immersio_sync.py --no-rate-limit 10000 50000   # the sync's own work only
    DATABASE_URL=postgres://... .venv/bin/python bench/immersio_sync.py 10000

Runs the real client over HTTP against the fake (rate limit on, paced at 10 requests
per second, as in production) into a fresh test database. Prints figures, and for two
sizes or more the ratio of time per student of the largest to the smallest (1.0:
linear). Asserts nothing.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_platform.settings.test")
if not os.environ.get("DATABASE_URL"):
    os.environ["SQLITE_PATH"] = os.path.join(tempfile.mkdtemp(), "bench.sqlite3")

import django  # noqa: E402

django.setup()

from django.test.utils import setup_test_environment  # noqa: E402
from django.db import connection  # noqa: E402


def main(counts, *, rate_limited=True):
    from django.test.utils import get_runner
    from django.conf import settings

    setup_test_environment()
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old = runner.setup_databases()
    try:
        from integrations.immersio.fake_server import FakeImmersio
        from integrations.immersio.sync import sync_tenant
        from integrations.models import ImmersioConnection
        from tests.conftest import make_tenant

        if not rate_limited:
            settings.IMMERSIO_CLIENT_OPTIONS = {"min_interval": 0}
        print(f"database: {connection.vendor}; Immersio rate limit {'on (10/s)' if rate_limited else 'off'}")
        results = []
        print(f"{'students':>9} {'first sync s':>13} {'CPU s':>6} {'rows/s':>8} {'requests':>9} {'429s':>5} "
              f"{'re-sync (no changes) s':>23} {'CPU s':>6}")
        for index, count in enumerate(counts):
            fake = FakeImmersio(rate_limit=10 if rate_limited else None).start()
            org = f"org{index}"
            fake.add_org(org, api_key="k")
            fake.add_course(org, "c1", title="Course")
            fake.add_students(org, "c1", count, domain=f"bench{index}.test")
            tenant = make_tenant(f"bench{index}")
            ImmersioConnection.objects.create(tenant=tenant, base_url=fake.url, org_id=org, api_key="k")
            started, cpu = time.perf_counter(), time.process_time()
            run = sync_tenant(tenant.pk, full=True)
            first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
            assert run.status == "ok", run.error
            students = run.counts["students"]["created"]
            # rows written: course-student rows, accounts, email addresses, links, whitelist entries
            rows = students * 5
            started, cpu = time.perf_counter(), time.process_time()
            sync_tenant(tenant.pk, full=True)
            again, again_cpu = time.perf_counter() - started, time.process_time() - cpu
            requests = len(fake.received)
            limited = sum(1 for r in fake.received if r.status == 429)
            print(f"{students:>9} {first:>13.1f} {first_cpu:>6.1f} {rows / first:>8.0f} {requests:>9} {limited:>5} "
                  f"{again:>23.1f} {again_cpu:>6.1f}")
            results.append((students, first, again, first_cpu, again_cpu))
            fake.stop()
        if len(results) > 1:
            small, large = results[0], results[-1]

            def ratio(index):
                return (large[index] / large[0]) / (small[index] / small[0])

            print(f"time per student, {large[0]:,} vs {small[0]:,} (1.00 = linear): first sync x{ratio(1):.2f} "
                  f"(CPU x{ratio(3):.2f}), re-sync x{ratio(2):.2f} (CPU x{ratio(4):.2f})")
            print(f"rows/s: {small[0]:,} students {small[0] * 5 / small[1]:.0f}, {large[0]:,} students "
                  f"{large[0] * 5 / large[1]:.0f}, ratio {(large[0] / large[1]) / (small[0] / small[1]):.2f}")
    finally:
        runner.teardown_databases(old)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    limited = "--no-rate-limit" not in arguments
    main([int(a) for a in arguments if a.isdigit()] or [10_000, 50_000], rate_limited=limited)
