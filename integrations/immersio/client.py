"""The Immersio API client (contract: shared/immersio-api.md).

One `ImmersioClient` per tenant connection. It sends the contract's headers,
times out, retries 429 and 5xx answers (and connection failures) with
exponential backoff and jitter, honouring `Retry-After` up to a cap, pages lists
by cursor as iterators, and turns every failure into a typed `ImmersioError`.

Writes carry an `Idempotency-Key` (one per call, the same on every retry of that
call), so a retried write never creates a second record.
"""

import json
import random
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

import httpx

DEFAULT_BASE_URL = "https://api.immersio.com"
MAX_PAGE_SIZE = 200
USER_AGENT = "LinguaSites-Immersio/1"


class ImmersioError(Exception):
    """Any failure of a call to Immersio. `code` is stable and short (stored in logs)."""

    code = "error"
    retryable = False

    def __init__(self, message="", *, status=None, error_code="", body=None):
        self.status = status
        self.error_code = error_code
        self.body = body
        super().__init__(message or self.code)

    def __str__(self):
        text = super().__str__()
        return f"{self.code} (HTTP {self.status}): {text}" if self.status else f"{self.code}: {text}"


class BadRequest(ImmersioError):
    code = "bad_request"


class AuthError(ImmersioError):
    """401: the API key is wrong or revoked."""

    code = "auth"


class OrgForbidden(ImmersioError):
    """403: the key may not act for this organisation."""

    code = "org_forbidden"


class NotFound(ImmersioError):
    code = "not_found"


class Conflict(ImmersioError):
    """409. For a duplicate `external_id`, `existing_id` names the record that exists."""

    code = "conflict"

    def __init__(self, *args, existing_id=None, **kwargs):
        self.existing_id = existing_id
        super().__init__(*args, **kwargs)


class ValidationFailed(ImmersioError):
    """422: Immersio refused the body."""

    code = "validation"


class RateLimited(ImmersioError):
    code = "rate_limited"
    retryable = True

    def __init__(self, *args, retry_after=None, **kwargs):
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class ServerError(ImmersioError):
    code = "server_error"
    retryable = True


class Unreachable(ImmersioError):
    """No answer: the connection failed."""

    code = "unreachable"
    retryable = True


class Timeout(Unreachable):
    """The server did not answer within the timeout."""

    code = "timeout"


class MalformedResponse(ImmersioError):
    """The answer was not the JSON the contract describes."""

    code = "malformed"
    retryable = True


STATUS_ERRORS = {400: BadRequest, 401: AuthError, 403: OrgForbidden, 404: NotFound, 409: Conflict,
                 422: ValidationFailed, 429: RateLimited}


@dataclass(frozen=True)
class Page:
    """One page of a list: its records, the cursor that fetched it and the next one."""

    data: list
    cursor: str | None
    next_cursor: str | None


def format_time(value):
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def parse_retry_after(value):
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(seconds, 0.0)


class ImmersioClient:
    """A client of one Immersio organisation.

    `sleep` and `random` are injectable so tests can record the waits instead of
    waiting. `min_interval` spaces requests (10 per second per org by contract, with a margin).
    """

    def __init__(self, *, api_key, org_id, base_url=DEFAULT_BASE_URL, timeout=10.0, connect_timeout=5.0,
                 max_retries=4, backoff_base=0.5, backoff_max=30.0, max_retry_after=60.0,
                 min_interval=0.11, sleep=time.sleep, random=random.random, transport=None):
        self.org_id = org_id
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.min_interval = min_interval
        self.sleep = sleep
        self.random = random
        self._last_request_at = 0.0
        self._pace_lock = threading.Lock()
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {api_key}",
                "X-Immersio-Org": str(org_id),
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
        )

    @classmethod
    def for_connection(cls, connection, **options):
        return cls(api_key=connection.api_key, org_id=connection.org_id, base_url=connection.base_url, **options)

    def close(self):
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def backoff(self, attempt, retry_after=None):
        """Seconds to wait before retry number `attempt` (1-based): the server's
        Retry-After when given (capped), else exponential with full jitter."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return ceiling / 2 + self.random() * ceiling / 2

    def _pace(self):
        if not self.min_interval:
            return
        with self._pace_lock:
            wait = self._last_request_at + self.min_interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
            self._last_request_at = time.monotonic()

    def request(self, method, path, *, params=None, json_body=None, idempotency_key=None):
        """One call, retried when retrying can help. Returns the decoded JSON body."""
        headers = {}
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            headers["Content-Type"] = "application/json"
            headers["Idempotency-Key"] = (idempotency_key or uuid.uuid4().hex)[:255]
        content = json.dumps(json_body).encode() if json_body is not None else None
        params = {k: format_time(v) for k, v in (params or {}).items() if v is not None}
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._send(method, path, params, content, headers)
            except ImmersioError as error:
                if not error.retryable or attempt > self.max_retries:
                    raise
                self.sleep(self.backoff(attempt, getattr(error, "retry_after", None)))

    def _send(self, method, path, params, content, headers):
        self._pace()
        try:
            response = self._http.request(method, path, params=params, content=content, headers=headers)
        except httpx.TimeoutException as exc:
            raise Timeout(f"{method} {path}: no answer in time") from exc
        except httpx.TransportError as exc:
            raise Unreachable(f"{method} {path}: {exc}") from exc
        if response.status_code >= 400:
            raise self._error(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise MalformedResponse(f"{method} {path}: the answer is not JSON", status=response.status_code) from exc
        if not isinstance(body, dict):
            raise MalformedResponse(f"{method} {path}: the answer is not a JSON object", status=response.status_code)
        return body

    def _error(self, response):
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else {}
        message = error.get("message") or response.reason_phrase or ""
        kwargs = {"status": status, "error_code": error.get("code", ""), "body": body}
        if status == 409:
            existing = error.get("existing_id") or (body.get("existing_id") if isinstance(body, dict) else None)
            return Conflict(message, existing_id=existing, **kwargs)
        if status == 429:
            return RateLimited(message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs)
        if status >= 500:
            return ServerError(message, **kwargs)
        return STATUS_ERRORS.get(status, BadRequest)(message, **kwargs)

    def pages(self, path, *, limit=MAX_PAGE_SIZE, updated_since=None, cursor=None):
        """Pages of a list, from `cursor` (None: the start) to the end, fetched lazily."""
        while True:
            body = self.request("GET", path, params={"limit": limit, "cursor": cursor, "updated_since": updated_since})
            data, next_cursor = body.get("data"), body.get("next_cursor")
            if not isinstance(data, list) or not (next_cursor is None or isinstance(next_cursor, str)):
                raise MalformedResponse(f"GET {path}: not a page of data")
            yield Page(data=data, cursor=cursor, next_cursor=next_cursor)
            if not next_cursor:
                return
            cursor = next_cursor

    def iterate(self, path, **kwargs):
        """Every record of a list, page after page."""
        for page in self.pages(path, **kwargs):
            yield from page.data

    def courses(self, **kwargs):
        return self.iterate("/v1/courses", **kwargs)

    def course_students(self, course_id, **kwargs):
        return self.iterate(f"/v1/courses/{course_id}/students", **kwargs)

    def teachers(self, **kwargs):
        return self.iterate("/v1/teachers", **kwargs)

    def student(self, student_id):
        return self.request("GET", f"/v1/students/{student_id}")

    def check(self):
        """A cheap authenticated call: raises the precise error when the connection is wrong."""
        return self.request("GET", "/v1/courses", params={"limit": 1})

    def create_enrollment(self, body, *, idempotency_key=None):
        return self.request("POST", "/v1/enrollments", json_body=body, idempotency_key=idempotency_key)

    def update_enrollment(self, enrollment_id, body, *, idempotency_key=None):
        return self.request("PATCH", f"/v1/enrollments/{enrollment_id}", json_body=body,
                            idempotency_key=idempotency_key)

    def put_live_class(self, external_id, body, *, idempotency_key=None):
        return self.request("PUT", f"/v1/live-classes/{external_id}", json_body=body, idempotency_key=idempotency_key)

    def create_payment(self, body, *, idempotency_key=None):
        return self.request("POST", "/v1/payments", json_body=body, idempotency_key=idempotency_key)
