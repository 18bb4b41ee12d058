"""A fake Immersio API on loopback: the contract of shared/immersio-api.md, in memory.

A real HTTP server (threading http.server on 127.0.0.1; port 0 picks a free one)
used by the tests and by the demo (`manage.py run_fake_immersio`):

    fake = FakeImmersio().start()
    fake.add_org("org_1", api_key="key_1")
    fake.add_course("org_1", "c1", title="English A1", teacher_ids=["t1"])
    fake.add_students("org_1", "c1", 10_000)          # s00001… enrolled, active
    fake.fail_next(500, times=2)                       # the next two requests answer 500
    fake.fail_next("timeout", path="/v1/courses")      # hold the answer longer than a client waits
    fake.fail_next("malformed") / fail_next(429, retry_after=2) / fail_next(401)
    fake.received  # every request: method, path, query, headers, body
    fake.stop(); fake.start()  # down, then back on the same port

Lists are paged by an opaque cursor and filtered by `updated_since`; writes
honour `Idempotency-Key` and refuse a duplicate `external_id` with 409 and
`existing_id`; each org may make `rate_limit` requests per second (10), beyond
which the answer is 429 with `Retry-After`.
"""

import base64
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def now_iso():
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class Received:
    method: str
    path: str
    query: dict
    headers: dict
    body: object
    status: int = 0

    def header(self, name):
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Failure:
    mode: object  # an HTTP status, "timeout", "slow" or "malformed"
    times: int = 1
    path: str | None = None
    method: str | None = None
    retry_after: int | None = None
    delay: float = 3.0
    after: int = 0  # let this many matching requests through first

    def matches(self, method, path):
        return (self.path is None or path.startswith(self.path)) and (self.method is None or method == self.method)


@dataclass
class Org:
    org_id: str
    api_key: str
    courses: dict = field(default_factory=dict)
    students: dict = field(default_factory=dict)
    course_students: dict = field(default_factory=dict)  # course id -> {student id: {status, updated_at}}
    teachers: dict = field(default_factory=dict)
    enrollments: dict = field(default_factory=dict)
    live_classes: dict = field(default_factory=dict)
    payments: dict = field(default_factory=dict)
    idempotent: dict = field(default_factory=dict)  # key -> (status, body)
    recent: deque = field(default_factory=deque)  # times of recent requests, for the rate limit


class ApiError(Exception):
    def __init__(self, status, code, message, **extra):
        self.status, self.code, self.message, self.extra = status, code, message, extra


def encode_cursor(offset):
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor):
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("o:"):
            raise ValueError
        return int(text[2:])
    except ValueError:
        raise ApiError(400, "invalid_cursor", "The cursor is not valid.") from None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.fake.handle(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeImmersio:
    def __init__(self, *, host="127.0.0.1", port=0, rate_limit=10):
        self.host = host
        self.port = port
        self.rate_limit = rate_limit
        self.lock = threading.RLock()
        self.orgs = {}
        self.received = []
        self.failures = []
        self._ids = itertools.count(1)
        self._server = None
        self._thread = None

    # ---- running ----

    def start(self):
        self._server = _Server((self.host, self.port), _Handler)
        self._server.fake = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="fake-immersio")
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def serve_forever(self):
        """Run in the calling thread (the management command)."""
        self._server = _Server((self.host, self.port), _Handler)
        self._server.fake = self
        self.port = self._server.server_address[1]
        self._server.serve_forever()

    # ---- seeding and changing data ----

    def add_org(self, org_id, *, api_key):
        with self.lock:
            self.orgs[org_id] = Org(org_id=org_id, api_key=api_key)
        return self.orgs[org_id]

    def add_course(self, org_id, course_id, *, title, description="", language="en", level="A1",
                   status="active", teacher_ids=()):
        with self.lock:
            org = self.orgs[org_id]
            org.courses[course_id] = {
                "id": course_id, "title": title, "description": description, "language": language,
                "level": level, "status": status, "teacher_ids": list(teacher_ids), "updated_at": now_iso(),
            }
            org.course_students.setdefault(course_id, {})
        return org.courses[course_id]

    def update_course(self, org_id, course_id, **changes):
        with self.lock:
            course = self.orgs[org_id].courses[course_id]
            course.update(changes, updated_at=now_iso())
        return course

    def add_teacher(self, org_id, teacher_id, *, email, name, timezone="UTC"):
        with self.lock:
            self.orgs[org_id].teachers[teacher_id] = {
                "id": teacher_id, "email": email, "name": name, "timezone": timezone, "updated_at": now_iso()}

    def update_teacher(self, org_id, teacher_id, **changes):
        with self.lock:
            self.orgs[org_id].teachers[teacher_id].update(changes, updated_at=now_iso())

    def add_student(self, org_id, student_id, *, email, first_name="", last_name="", course_id=None,
                    status="active"):
        with self.lock:
            org = self.orgs[org_id]
            org.students[student_id] = {"id": student_id, "email": email, "first_name": first_name,
                                        "last_name": last_name, "updated_at": now_iso()}
            if course_id is not None:
                self.enroll(org_id, course_id, student_id, status=status)

    def add_students(self, org_id, course_id, count, *, start=1, prefix="s", domain="students.test"):
        """Seed `count` active students of a course: ids s00001…, emails s00001@students.test."""
        stamp = now_iso()
        with self.lock:
            org = self.orgs[org_id]
            enrolled = org.course_students.setdefault(course_id, {})
            for number in range(start, start + count):
                student_id = f"{prefix}{number:05d}"
                org.students[student_id] = {"id": student_id, "email": f"{student_id}@{domain}",
                                            "first_name": "Student", "last_name": f"{number}", "updated_at": stamp}
                enrolled[student_id] = {"status": "active", "updated_at": stamp}

    def enroll(self, org_id, course_id, student_id, *, status="active"):
        with self.lock:
            self.orgs[org_id].course_students.setdefault(course_id, {})[student_id] = {
                "status": status, "updated_at": now_iso()}

    def withdraw(self, org_id, course_id, student_id):
        self.enroll(org_id, course_id, student_id, status="withdrawn")

    def update_student(self, org_id, student_id, **changes):
        with self.lock:
            self.orgs[org_id].students[student_id].update(changes, updated_at=now_iso())

    # ---- failures on command ----

    def fail_next(self, mode, *, times=1, path=None, method=None, retry_after=None, delay=3.0, after=0):
        """The next `times` matching requests (after letting `after` through) fail: an
        HTTP status (500, 429, 401…), "timeout" (answer after `delay` seconds), "slow"
        (a good answer after `delay`), or "malformed" (200 with a body that is not JSON)."""
        with self.lock:
            self.failures.append(Failure(mode, times, path, method, retry_after, delay, after))

    def clear_failures(self):
        with self.lock:
            self.failures.clear()

    def requests_to(self, method, path_prefix):
        return [r for r in self.received if r.method == method and r.path.startswith(path_prefix)]

    # ---- answering ----

    def handle(self, handler):
        split = urlsplit(handler.path)
        path = split.path.rstrip("/") or "/"
        query = {key: values[-1] for key, values in parse_qs(split.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        record = Received(handler.command, path, query, dict(handler.headers.items()), body)
        with self.lock:
            self.received.append(record)
            failure = next((f for f in self.failures if f.matches(handler.command, path)), None)
            if failure is not None and failure.after > 0:
                failure.after -= 1
                failure = None
            elif failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    self.failures.remove(failure)
        if failure is not None:
            if failure.mode == "timeout":
                time.sleep(failure.delay)
                return self._reply(handler, record, 504, {"error": {"code": "timeout", "message": "Too late."}})
            if failure.mode == "slow":
                time.sleep(failure.delay)
            elif failure.mode == "malformed":
                return self._reply(handler, record, 200, b'{"data": [ this is not json')
            else:
                headers = {}
                if failure.mode == 429:
                    headers["Retry-After"] = str(failure.retry_after if failure.retry_after is not None else 1)
                return self._reply(handler, record, int(failure.mode),
                                   {"error": {"code": f"http_{failure.mode}", "message": "Failure on command."}},
                                   headers)
        try:
            org = self._authenticate(handler)
            self._rate_limit(org)
            status, answer = self._route(org, handler.command, path, query, body, handler.headers)
        except ApiError as error:
            payload = {"error": {"code": error.code, "message": error.message, **error.extra}}
            payload.update(error.extra)
            headers = {"Retry-After": "1"} if error.status == 429 else {}
            return self._reply(handler, record, error.status, payload, headers)
        return self._reply(handler, record, status, answer)

    def _reply(self, handler, record, status, payload, headers=None):
        record.status = status
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _authenticate(self, handler):
        auth = handler.headers.get("Authorization", "")
        key = auth[7:] if auth.startswith("Bearer ") else ""
        with self.lock:
            owner = next((org for org in self.orgs.values() if org.api_key == key), None)
        if owner is None:
            raise ApiError(401, "unauthorized", "The API key is not valid.")
        if handler.headers.get("X-Immersio-Org") != owner.org_id:
            raise ApiError(403, "org_forbidden", "This key may not act for that organisation.")
        return owner

    def _rate_limit(self, org):
        if not self.rate_limit:
            return
        now = time.monotonic()
        with self.lock:
            while org.recent and org.recent[0] <= now - 1.0:
                org.recent.popleft()
            if len(org.recent) >= self.rate_limit:
                raise ApiError(429, "rate_limited", "Too many requests: at most 10 per second.")
            org.recent.append(now)

    def _route(self, org, method, path, query, body, headers):
        parts = path.strip("/").split("/")
        if parts[0] != "v1":
            raise ApiError(404, "not_found", "No such path.")
        parts = parts[1:]
        if method == "GET":
            if parts == ["courses"]:
                return 200, self._page(org.courses.values(), query)
            if len(parts) == 3 and parts[0] == "courses" and parts[2] == "students":
                records, row = self._course_students(org, parts[1])
                return 200, self._page(records, query, row)
            if parts == ["teachers"]:
                return 200, self._page(org.teachers.values(), query)
            if len(parts) == 2 and parts[0] == "students":
                with self.lock:
                    student = org.students.get(parts[1])
                if student is None:
                    raise ApiError(404, "not_found", "No such student.")
                return 200, dict(student)
            raise ApiError(404, "not_found", "No such path.")
        if method not in ("POST", "PUT", "PATCH"):
            raise ApiError(405, "method_not_allowed", "Method not allowed.")
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_json", "The body must be a JSON object.")
        key = headers.get("Idempotency-Key")
        if key and len(key) > 255:
            raise ApiError(400, "idempotency_key_too_long", "Idempotency-Key is longer than 255 characters.")
        with self.lock:
            if key and key in org.idempotent:
                return org.idempotent[key]
            result = self._write(org, method, parts, body)
            if key:
                org.idempotent[key] = result
        return result

    def _course_students(self, org, course_id):
        """(records, row): the course's enrolments, and how one becomes a student row."""
        with self.lock:
            if course_id not in org.courses:
                raise ApiError(404, "not_found", "No such course.")
            enrolments = org.course_students.get(course_id, {})
            student_ids = list(enrolments)  # ids only: a cheap copy, rows are made for one page

        def row(student_id):
            enrolment = enrolments[student_id]
            student = org.students[student_id]
            return {**student, "status": enrolment["status"],
                    "updated_at": max(student["updated_at"], enrolment["updated_at"])}

        return student_ids, row

    def _page(self, records, query, row=dict):
        """One page of `records` (a list, in a stable order). The cursor is a position in
        that list, so a page costs its own length (plus the records `updated_since` skips),
        not the length of the whole list."""
        try:
            limit = int(query.get("limit", 100))
        except ValueError:
            raise ApiError(400, "invalid_limit", "limit must be a number.") from None
        if not 1 <= limit <= 200:
            raise ApiError(400, "invalid_limit", "limit must be between 1 and 200.")
        since = query.get("updated_since")
        since_time = None
        if since:
            try:
                since_time = parse_time(since)
            except ValueError:
                raise ApiError(400, "invalid_updated_since", "updated_since is not an ISO 8601 time.") from None
        position = decode_cursor(query["cursor"]) if query.get("cursor") else 0
        chunk = []
        with self.lock:
            records = records if isinstance(records, list) else list(records)

            def matching(start):
                for index in range(start, len(records)):
                    record = row(records[index])
                    if since_time is None or parse_time(record["updated_at"]) >= since_time:
                        return index, record
                return len(records), None

            while len(chunk) < limit:
                position, record = matching(position)
                if record is None:
                    break
                chunk.append(record)
                position += 1
            more = matching(position)[1] is not None
        return {"data": chunk, "next_cursor": encode_cursor(position) if more else None}

    def _new_id(self, prefix):
        return f"{prefix}_{next(self._ids)}"

    def _write(self, org, method, parts, body):
        if method == "POST" and parts == ["enrollments"]:
            missing = [name for name in ("external_id", "course_id", "session_starts_at", "session_ends_at",
                                         "status", "seats") if body.get(name) in (None, "")]
            if not body.get("student_id") and not body.get("student_email"):
                missing.append("student_id")
            if missing:
                raise ApiError(422, "validation", f"Missing: {', '.join(missing)}.", fields=missing)
            if body["course_id"] not in org.courses:
                raise ApiError(422, "validation", "Unknown course.", fields=["course_id"])
            existing = next((e for e in org.enrollments.values() if e["external_id"] == body["external_id"]), None)
            if existing is not None:
                raise ApiError(409, "duplicate_external_id", "This external_id exists.", existing_id=existing["id"])
            enrollment = {**body, "id": self._new_id("enr"), "created_at": now_iso()}
            org.enrollments[enrollment["id"]] = enrollment
            return 201, {k: enrollment[k] for k in ("id", "external_id", "status", "created_at")}
        if method == "PATCH" and len(parts) == 2 and parts[0] == "enrollments":
            enrollment = org.enrollments.get(parts[1])
            if enrollment is None:
                raise ApiError(404, "not_found", "No such enrollment.")
            allowed = {"status", "reason", "session_starts_at", "session_ends_at"}
            if not set(body) <= allowed or not body:
                raise ApiError(422, "validation", "Only status, reason or session times may change.")
            enrollment.update(body, updated_at=now_iso())
            return 200, dict(enrollment)
        if method == "PUT" and len(parts) == 2 and parts[0] == "live-classes":
            missing = [name for name in ("course_id", "title", "starts_at", "ends_at", "capacity", "seats_taken",
                                         "status") if body.get(name) in (None, "")]
            if missing:
                raise ApiError(422, "validation", f"Missing: {', '.join(missing)}.", fields=missing)
            if body["status"] not in ("scheduled", "cancelled"):
                raise ApiError(422, "validation", "status must be scheduled or cancelled.")
            created = parts[1] not in org.live_classes
            previous = org.live_classes.get(parts[1], {"id": self._new_id("lc")})
            live_class = {**previous, **body, "external_id": parts[1], "updated_at": now_iso()}
            org.live_classes[parts[1]] = live_class
            return (201 if created else 200), dict(live_class)
        if method == "POST" and parts == ["payments"]:
            missing = [name for name in ("external_id", "enrollment_id", "amount", "currency", "status")
                       if body.get(name) in (None, "")]
            if missing:
                raise ApiError(422, "validation", f"Missing: {', '.join(missing)}.", fields=missing)
            existing = next((p for p in org.payments.values() if p["external_id"] == body["external_id"]), None)
            if existing is not None:
                raise ApiError(409, "duplicate_external_id", "This external_id exists.", existing_id=existing["id"])
            payment = {**body, "id": self._new_id("pay")}
            org.payments[payment["id"]] = payment
            return 201, {"id": payment["id"], "external_id": payment["external_id"]}
        raise ApiError(404, "not_found", "No such path.")


def seed_demo(fake, *, orgs=None):
    """Data for the demo tenants (hanoi, anna, littlestars): org `demo-<subdomain>`,
    API key `demo-key-<subdomain>`, a few courses, teachers and students."""
    specs = orgs or {
        "hanoi": {
            "teachers": [("t-linh", "linh@hanoi-english.test", "Linh Nguyen", "Asia/Ho_Chi_Minh"),
                         ("t-mark", "mark@hanoi-english.test", "Mark Evans", "Asia/Ho_Chi_Minh")],
            "courses": [("c-ielts", "IELTS Preparation", "Band 6.5+ in twelve weeks.", "B2", ["t-mark"]),
                        ("c-conv", "Conversation Club", "Speak with confidence.", "B1", ["t-linh"])],
        },
        "anna": {
            "teachers": [("t-anna", "anna@anna-german.test", "Anna Schmidt", "Europe/Berlin")],
            "courses": [("c-a1", "German A1", "Your first steps in German.", "A1", ["t-anna"])],
        },
        "littlestars": {
            "teachers": [("t-mai", "mai@littlestars.test", "Mai Tran", "Asia/Ho_Chi_Minh")],
            "courses": [("c-phonics", "Phonics for Kids", "Letters and sounds with songs.", "Pre-A1", ["t-mai"])],
        },
    }
    for subdomain, spec in specs.items():
        org_id = f"demo-{subdomain}"
        fake.add_org(org_id, api_key=f"demo-key-{subdomain}")
        for teacher_id, email, name, zone in spec["teachers"]:
            fake.add_teacher(org_id, teacher_id, email=email, name=name, timezone=zone)
        for number, (course_id, title, description, level, teacher_ids) in enumerate(spec["courses"]):
            fake.add_course(org_id, course_id, title=title, description=description, level=level,
                            teacher_ids=teacher_ids)
            for index in range(1, 6):
                student_id = f"{course_id}-s{index}"
                fake.add_student(org_id, student_id, email=f"{subdomain}.{course_id}.{index}@students.test",
                                 first_name="Student", last_name=f"{number + 1}.{index}", course_id=course_id)
    return fake
