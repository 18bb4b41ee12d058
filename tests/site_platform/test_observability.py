"""Logs carry request id, tenant and user; /metrics needs its token; /readyz."""

import json
import logging

import pytest

from site_platform.observability import ContextFilter, JSONFormatter
from tests.conftest import host_client

pytestmark = pytest.mark.django_db


class Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.addFilter(ContextFilter())
        self.setFormatter(JSONFormatter())
        self.lines = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def captured_logs():
    handler = Capture()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_log_lines_carry_request_id_tenant_and_user(tenant, student, captured_logs):
    client = host_client(tenant, user=student)
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-1234abcd")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-1234abcd"
    line = captured_logs[-1]
    assert line["request_id"] == "req-1234abcd"
    assert line["tenant"] == "hanoi"
    assert line["user"] == str(student.pk)
    assert "no-such-page" in line["message"]


def test_every_response_gets_a_request_id(tenant):
    first, second = host_client(tenant).get("/"), host_client(tenant).get("/")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]


def test_metrics_refuse_without_the_token(settings, tenant):
    settings.METRICS_TOKEN = "s3cret-token"
    assert host_client().get("/metrics").status_code == 401
    assert host_client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    host_client(tenant).get("/")
    response = host_client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    body = response.content.decode()
    assert "platform_http_requests_total" in body
    assert 'platform_http_requests_total{method="GET",status="200"}' in body


def test_metrics_are_off_when_no_token_is_configured(settings):
    settings.METRICS_TOKEN = ""
    assert host_client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


def test_readyz_reports_database_cache_and_broker(tenant):
    response = host_client(tenant).get("/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"] == "ok" and checks["cache"] == "ok"
    assert checks["broker"] in ("ok", "eager")


def test_metrics_count_bookings(settings, tenant, teacher, student, django_capture_on_commit_callbacks):
    from booking.services.bookings import create_booking
    from tests.booking.booking_helpers import make_class

    settings.METRICS_TOKEN = "s3cret-token"

    def confirmed_count():
        body = host_client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").content.decode()
        line = next((l for l in body.splitlines() if l.startswith('platform_booking_events_total{event="confirmed"}')),
                    None)
        return float(line.split()[-1]) if line else 0.0

    before = confirmed_count()
    event_type, (session,) = make_class(tenant, teacher)
    with django_capture_on_commit_callbacks(execute=True):
        create_booking(event_type=event_type, session=session, attendee=student)
    assert confirmed_count() == before + 1
