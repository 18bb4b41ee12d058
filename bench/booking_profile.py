"""Profile booking POSTs in process: what bench/booking_race.py's gunicorn does per request.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_scale .venv/bin/python bench/booking_profile.py \
        [booked|full|page] [time|queries|cprofile]

`booked`: BENCH_POSTS signed-in students (default 60) each book one seat of a fresh
session with room for all; `full`: the same students are refused by a full session
("This session is fully booked."); `page`: the booking page (GET) the race warms with.
Tasks are queued as in production (bench/booking_race_queued_settings.py; BENCH_TASKS=eager
for the benchmark's other mode). Prints the mean wall and CPU time per request and the
queries of one request with the code that made each, then the profile (CPU time).
Uses the tenant "benchrace" of bench/booking_race.py (made if missing).
"""

import os
import sys
import time
import traceback
from collections import Counter

from common import ROOT, use_settings

TASKS = os.environ.get("BENCH_TASKS", "queued")
POSTS = int(os.environ.get("BENCH_POSTS", "60"))


def origin():
    """The innermost project frame (and the library frame it called) of the current stack."""
    frames = traceback.extract_stack()[:-2]
    project = [f for f in frames if f.filename.startswith(str(ROOT)) and "/.venv/" not in f.filename
               and "/bench/" not in f.filename]
    if not project:
        return "?"
    f = project[-1]
    return f"{f.filename[len(str(ROOT)) + 1:]}:{f.lineno} {f.name}"


def main():
    use_settings("booking_race_queued_settings" if TASKS == "queued" else "booking_race_settings")
    from booking_race import new_session, setup

    target = sys.argv[1] if len(sys.argv) > 1 else "booked"
    tool = sys.argv[2] if len(sys.argv) > 2 else "time"
    tenant, teacher, event_type, cookies = setup(max(POSTS + 1, 50))
    from django.db import connection
    from django.test import Client

    from booking.models import Session

    def client_for(cookie):
        session_key, csrf = cookie
        client = Client(HTTP_HOST=tenant.hostname, enforce_csrf_checks=True)
        client.cookies["sessionid"] = session_key
        client.cookies["csrftoken"] = csrf
        return client

    offset = int(time.time()) % 1000 + 100
    session = new_session(tenant, teacher, event_type, POSTS + 1 if target != "full" else 1, offset)
    if target == "full":
        client_for(cookies[-1]).post(f"/book/session/{session.pk}/", {"seats": "1", "csrfmiddlewaretoken": cookies[-1][1]})
    clients = [(client_for(cookie), cookie[1]) for cookie in cookies[:POSTS]]
    expected = {"booked": 302, "full": 400, "page": 200}[target]

    def one(n):
        client, csrf = clients[n % len(clients)]
        if target == "page":
            response = client.get(f"/book/session/{session.pk}/")
        else:
            response = client.post(f"/book/session/{session.pk}/", {"seats": "1", "csrfmiddlewaretoken": csrf})
        assert response.status_code == expected, (response.status_code, response.content[:500])
        return response

    for n in range(3):  # warm: imports, templates, host map, connections (booked: the first 3 students)
        one(n)
    queries = []

    def record(execute, sql, params, many, context):
        queries.append((sql, origin()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        one(3)
    runs = range(4, POSTS) if target == "booked" else range(POSTS)
    began, cpu_began = time.perf_counter(), time.process_time()
    profile = None
    if tool == "cprofile":
        import cProfile

        profile = cProfile.Profile(time.process_time)
        profile.enable()
    for n in runs:
        one(n)
    if profile is not None:
        profile.disable()
    count = len(runs)
    wall, cpu = (time.perf_counter() - began) / count, (time.process_time() - cpu_began) / count
    print(f"{target} ({TASKS} tasks): {wall * 1000:.2f} ms per request ({cpu * 1000:.2f} ms CPU"
          f"{', profiled' if profile else ''}), {len(queries)} queries")
    if tool == "queries":
        for sql, where in queries:
            print(f"  {where:60} {sql[:110]}")
        print(Counter(where.split(":")[0] for _sql, where in queries).most_common())
    elif profile is not None:
        import pstats

        pstats.Stats(profile).sort_stats("cumulative").print_stats(70)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)


if __name__ == "__main__":
    main()
