"""Time to pull N students of one course from the fake Immersio, and rows written per second.

    .venv/bin/python bench/immersio_sync.py            # 10,000 and 50,000 students, SQLite in a temp file
    DATABASE_URL=postgres://... .venv/bin/python bench/immersio_sync.py 10000

Runs the real client over HTTP against the fake (rate limit on, paced at 10 requests
per second, as in production) into a fresh test database. Prints figures; asserts nothing.
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


def main(counts):
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

        print(f"database: {connection.vendor}")
        print(f"{'students':>9} {'first sync s':>13} {'rows/s':>8} {'requests':>9} {'429s':>5} "
              f"{'re-sync (no changes) s':>23}")
        for index, count in enumerate(counts):
            fake = FakeImmersio(rate_limit=10).start()
            org = f"org{index}"
            fake.add_org(org, api_key="k")
            fake.add_course(org, "c1", title="Course")
            fake.add_students(org, "c1", count, domain=f"bench{index}.test")
            tenant = make_tenant(f"bench{index}")
            ImmersioConnection.objects.create(tenant=tenant, base_url=fake.url, org_id=org, api_key="k")
            started = time.perf_counter()
            run = sync_tenant(tenant.pk, full=True)
            first = time.perf_counter() - started
            assert run.status == "ok", run.error
            students = run.counts["students"]["created"]
            # rows written: course-student rows, accounts, email addresses, links, whitelist entries
            rows = students * 5
            started = time.perf_counter()
            sync_tenant(tenant.pk, full=True)
            again = time.perf_counter() - started
            requests = len(fake.received)
            limited = sum(1 for r in fake.received if r.status == 429)
            print(f"{students:>9} {first:>13.1f} {rows / first:>8.0f} {requests:>9} {limited:>5} {again:>23.1f}")
            fake.stop()
    finally:
        runner.teardown_databases(old)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 50_000])
