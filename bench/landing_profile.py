"""Profile one landing page render in process (the page bench/landing.py serves).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/landing_bench REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/python bench/landing_profile.py [uncached|cached|cold|trivial] [time|queries|cprofile|pyinstrument]

Run bench/landing.py once first (it builds the tenant). `uncached` is `/?bench=1`
(the page cache is bypassed; the block fragments stay warm), `cold` the same with
the fragment cache emptied before every render (what the first visitor after a
publish or a booking pays), `cached` is `/` from the page cache, `trivial` the
bench's trivial view. Prints the mean wall and CPU time per request and the queries
of one request, then the profile (cProfile counts CPU time: on a shared machine the
wall clock mostly measures waiting).
"""

import os
import sys
import time

from common import use_settings

use_settings("landing_settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/landing_bench")


def main():
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    try:
        from landing import fragments
    except ImportError:
        fragments = None
    from landing.cache import purge
    from site_platform.models import Tenant

    target = sys.argv[1] if len(sys.argv) > 1 else "uncached"
    tool = sys.argv[2] if len(sys.argv) > 2 else "time"
    tenant = Tenant.objects.get(subdomain="benchlanding")
    path = {"cached": "/", "trivial": "/bench/trivial/"}.get(target, "/?bench=1")
    client = Client(HTTP_HOST=tenant.hostname)

    def one():
        if target == "cold":
            fragments.forget_all()
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        return response

    for _ in range(3):
        response = one()
    queries = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = one()
    count = 30
    began, cpu_began = time.perf_counter(), time.process_time()
    for _ in range(count):
        one()
    elapsed = (time.perf_counter() - began) / count
    cpu = (time.process_time() - cpu_began) / count
    print(f"{target}: {elapsed * 1000:.2f} ms per request ({cpu * 1000:.2f} ms CPU), {len(queries)} queries, {len(response.content) / 1024:.1f} KiB,"
          f" X-Page-Cache={response.get('X-Page-Cache')}")
    if tool == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(count):
            one()
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    elif tool == "cprofile":
        import cProfile
        import pstats

        profile = cProfile.Profile(time.process_time)  # CPU: the wall clock of a shared machine waits
        profile.enable()
        for _ in range(count):
            one()
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
    elif tool == "queries":
        for query in queries:
            print(query[:200])
    del purge, cache


if __name__ == "__main__":
    main()
