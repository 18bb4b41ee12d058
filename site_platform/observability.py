"""Request context for logs, JSON log lines, and Prometheus metrics.

Every log line carries the request id, the tenant and the user of the request
that produced it (a context variable set by `RequestContextMiddleware`; Celery
tasks get the task id instead). Metrics are exposed at /metrics behind a token.
"""

import contextvars
import json
import logging
import time
import uuid

from django.conf import settings
from prometheus_client import REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

request_context = contextvars.ContextVar("request_context", default={})

HTTP_REQUESTS = Counter("platform_http_requests_total", "HTTP requests", ["method", "status"])
HTTP_LATENCY = Histogram(
    "platform_http_request_duration_seconds", "Time to answer an HTTP request", ["method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5),
)
BOOKING_EVENTS = Counter("platform_booking_events_total", "Booking lifecycle events", ["event"])
PAYMENT_EVENTS = Counter("platform_payment_events_total", "Payment events", ["event"])
TASK_RUNS = Counter("platform_task_runs_total", "Celery task runs", ["task", "outcome"])


class ContextFilter(logging.Filter):
    """Puts request_id, tenant and user on every record."""

    def filter(self, record):
        context = request_context.get()
        record.request_id = context.get("request_id", "-")
        record.tenant = context.get("tenant", "-")
        record.user = context.get("user", "-")
        return True


class JSONFormatter(logging.Formatter):
    def format(self, record):
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "tenant": getattr(record, "tenant", "-"),
            "user": getattr(record, "user", "-"),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class RequestContextMiddleware:
    """Names each request (X-Request-ID, kept when a proxy sent a sane one),
    records tenant and user for the logs, and counts it for /metrics.

    Goes after the tenant and authentication middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if 8 <= len(incoming) <= 64 and incoming.replace("-", "").isalnum() else uuid.uuid4().hex
        request.request_id = request_id
        tenant = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        # Kept until the request is finished (not reset on the way out), so that
        # Django's own "Not Found"/"Internal Server Error" lines carry it too.
        request_context.set({
            "request_id": request_id,
            "tenant": tenant.subdomain if tenant else "-",
            "user": str(user.pk) if user is not None and user.is_authenticated else "-",
        })
        started = time.perf_counter()
        response = self.get_response(request)
        HTTP_LATENCY.labels(request.method).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(request.method, str(response.status_code)).inc()
        response["X-Request-ID"] = request_id
        return response


class QueueDepthCollector:
    """Reports the Celery queue's length, read from the broker at scrape time."""

    def collect(self):
        gauge = GaugeMetricFamily("platform_task_queue_depth", "Tasks waiting in the Celery queue", labels=["queue"])
        if settings.REDIS_URL and not settings.CELERY_TASK_ALWAYS_EAGER:
            try:
                import redis

                client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1)
                for queue in getattr(settings, "CELERY_QUEUE_NAMES", ["celery"]):
                    gauge.add_metric([queue], client.llen(queue))
            except Exception:  # a broker that does not answer has no depth to report
                pass
        yield gauge


_queue_collector = QueueDepthCollector()
REGISTRY.register(_queue_collector)


def metrics_text():
    return generate_latest(REGISTRY)


def _forget_request(**kwargs):
    request_context.set({})


def connect_signals():
    from django.core.signals import request_finished

    request_finished.connect(_forget_request, weak=False)
    connect_task_signals()


def connect_task_signals():
    from celery.signals import task_failure, task_prerun, task_success

    @task_prerun.connect(weak=False)
    def _task_context(task_id=None, task=None, **kwargs):
        request_context.set({"request_id": f"task:{task_id}", "tenant": "-", "user": "-"})

    @task_success.connect(weak=False)
    def _task_succeeded(sender=None, **kwargs):
        TASK_RUNS.labels(getattr(sender, "name", "?"), "success").inc()

    @task_failure.connect(weak=False)
    def _task_failed(sender=None, **kwargs):
        TASK_RUNS.labels(getattr(sender, "name", "?"), "failure").inc()

