"""What the benchmarks share: paths, a free port, a PostgreSQL database made on demand,
gunicorn and other subprocesses started with a timeout and always stopped, percentiles,
pgbench, and the closed loop of keep-alive HTTP clients.

Importing this module puts the repository root and then bench/ first on sys.path, so
the project's apps import as usual and bench/*_settings.py by name; bench/landing.py
is imported as a file (load_bench_module), its name being the app's.
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# The project first: bench/landing.py must not shadow the `landing` app.
sys.path[:] = [str(ROOT), str(BENCH)] + [p for p in sys.path if p not in (str(ROOT), str(BENCH), "")]


def load_bench_module(name, alias):
    """bench/<name>.py imported under `alias` (for bench/landing.py, whose name is the app's)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(alias, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return module


def use_settings(module):
    """Point Django (and every subprocess started afterwards) at bench/<module>.py."""
    os.environ["DJANGO_SETTINGS_MODULE"] = module
    os.environ.setdefault("PLATFORM_DOMAIN", "bench.test")


def ensure_database(url):
    """Create the PostgreSQL database of `url` when it is missing."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def subprocess_env(settings_module=None, extra_path=()):
    env = {**os.environ, "PYTHONPATH": ":".join([str(ROOT), str(BENCH), *map(str, extra_path)])}
    if settings_module:
        env["DJANGO_SETTINGS_MODULE"] = settings_module
    return env


def venv_command(name):
    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


def stop(process, timeout=20):
    """SIGTERM, then SIGKILL after `timeout` seconds; safe on a process that has ended.
    The process is its own session leader (start_new_session), so its children
    (gunicorn's workers, a Celery pool) go with it."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def start(command, *, env, stderr=subprocess.PIPE, **kwargs):
    """Popen in a session of its own, so that stop() ends it and its children."""
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
                            start_new_session=True, **kwargs)


def wait_for_port(process, port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.2)
    stop(process)
    message = process.stderr.read().decode()[-2000:] if process.stderr else ""
    raise SystemExit(f"server on port {port} did not start within {timeout} s: {message}")


def start_gunicorn(port, *, settings_module, workers, threads, extra_path=(), backlog=2048, timeout=60):
    """gunicorn (gthread) on 127.0.0.1:port, answering when this returns. Stop it with stop()."""
    process = start(
        [venv_command("gunicorn"), "site_platform.wsgi:application", "-b", f"127.0.0.1:{port}",
         "-w", str(workers), "-k", "gthread", "--threads", str(threads), "--backlog", str(backlog),
         "--timeout", str(timeout), "--log-level", "warning"],
        env=subprocess_env(settings_module, extra_path))
    wait_for_port(process, port)
    return process


@contextlib.contextmanager
def gunicorn(**kwargs):
    port = free_port()
    process = start_gunicorn(port, **kwargs)
    try:
        yield port
    finally:
        stop(process)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def closed_loop(port, host, path, seconds, clients):
    """`clients` keep-alive connections in a closed loop of GETs for `seconds`:
    (requests/s, p50 ms, p95 ms). Any answer other than 200 stops the benchmark."""
    latencies, elapsed = _loop(port, host, path, seconds, clients)
    return _summary(latencies, elapsed)


def interleaved(port, host, targets, seconds, clients, slice_seconds=1.0):
    """closed_loop over every (name, path) of `targets` in turn, `slice_seconds` at a time,
    until each has had `seconds`: {name: (requests/s, p50 ms, p95 ms)}. On a machine
    whose other load comes and goes, the targets then share the same moments, so their
    ratios hold even when the absolute figures move."""
    totals = {name: ([], 0.0) for name, _path in targets}
    rounds = max(1, round(seconds / slice_seconds))
    for _ in range(rounds):
        for name, path in targets:
            latencies, elapsed = _loop(port, host, path, seconds / rounds, clients)
            totals[name] = (totals[name][0] + latencies, totals[name][1] + elapsed)
    return {name: _summary(latencies, elapsed) for name, (latencies, elapsed) in totals.items()}


def _summary(latencies, elapsed):
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, percentile(latencies, 0.95) * 1000


def _loop(port, host, path, seconds, clients):
    import http.client

    latencies, errors = [], []
    deadline = time.perf_counter() + seconds

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        try:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                connection.request("GET", path, headers={"Host": host})
                response = connection.getresponse()
                response.read()
                mine.append(time.perf_counter() - began)
                if response.status != 200:
                    errors.append(response.status)
        except OSError as error:
            errors.append(repr(error))
        finally:
            latencies.extend(mine)
            connection.close()

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.perf_counter() - began
    if errors:
        raise SystemExit(f"{path}: {len(errors)} answers were not 200 ({errors[:5]})")
    return latencies, elapsed


def pgbench_tps(database_url, *, clients, seconds):
    """pgbench's built-in simple-update on the database of `database_url` (its tables
    are made and dropped again): transactions per second."""
    url = urlparse(database_url)
    args = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    name = url.path.lstrip("/")
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    subprocess.run(["pgbench", *args, "-i", "-q", "-s", "10", name], env=env, check=True, capture_output=True,
                   timeout=300)
    try:
        out = subprocess.run(["pgbench", *args, "-b", "simple-update", "-c", str(clients), "-j", "2",
                              "-T", str(seconds), name], env=env, check=True, capture_output=True,
                             text=True, timeout=seconds + 120).stdout
    finally:
        subprocess.run(["pgbench", *args, "-i", "-I", "d", name], env=env, capture_output=True, timeout=120)
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def load_average():
    return " ".join(f"{x:.1f}" for x in os.getloadavg())
