"""Idempotency-Key on writes; rate limits per key and per address with Retry-After."""

import pytest

from booking.models import Booking, EventType
from tests.api.conftest import ApiClient, new_key

pytestmark = pytest.mark.django_db


def test_same_key_and_body_gives_one_booking(student_client, workshop):
    event_type, sessions = workshop
    body = {"event_type": event_type.pk, "session": sessions[0].pk, "seats": 1}
    first = student_client.post_json("/api/v1/me/bookings", body, HTTP_IDEMPOTENCY_KEY="abc-1")
    # Past the service's own double-submit window the record still answers.
    Booking.objects.update(created_at="2000-01-01T00:00:00Z")
    again = student_client.post_json("/api/v1/me/bookings", body, HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1
    sessions[0].refresh_from_db()
    assert sessions[0].seats_taken == 1
    other = student_client.post_json("/api/v1/me/bookings", dict(body, seats=2), HTTP_IDEMPOTENCY_KEY="abc-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert Booking.objects.count() == 1


def test_refusals_are_not_stored_and_keys_are_per_caller(key_client, tenant, workshop):
    body = {"title": "Visit", "location_kind": "in_person"}
    assert key_client.post_json("/api/v1/tenant/event-types", body, HTTP_IDEMPOTENCY_KEY="k").status_code == 422
    body["address"] = "1 Trang Tien"
    made = key_client.post_json("/api/v1/tenant/event-types", body, HTTP_IDEMPOTENCY_KEY="k")
    assert made.status_code == 201
    assert key_client.post_json("/api/v1/tenant/event-types", body, HTTP_IDEMPOTENCY_KEY="k").json() == made.json()
    second_key = ApiClient(tenant, key=new_key(tenant, "second")[1])
    assert second_key.post_json("/api/v1/tenant/event-types", body, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert EventType.objects.filter(title="Visit").count() == 2
    too_long = key_client.post_json("/api/v1/tenant/event-types", body, HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert too_long.status_code == 400


def test_rate_limit_per_key_with_retry_after(settings, tenant, api_key):
    settings.API_KEY_RATE_LIMIT = "3/m"
    client = ApiClient(tenant, key=api_key[1])
    assert [client.get("/api/v1/tenant/stats").status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get("/api/v1/tenant/stats")
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Another key, even from the same address, has its own budget.
    other = ApiClient(tenant, key=new_key(tenant, "other")[1], REMOTE_ADDR=client.defaults["REMOTE_ADDR"])
    assert other.get("/api/v1/tenant/stats").status_code == 200


def test_rate_limit_per_address(settings, tenant):
    settings.API_ADDRESS_RATE_LIMIT = "2/m"
    client = ApiClient(tenant)
    assert [client.get("/api/v1/public/landing").status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/api/v1/public/workshops")["Retry-After"]
    assert ApiClient(tenant).get("/api/v1/public/landing").status_code == 200


def test_old_idempotency_records_are_purged_twice_safely(settings, key_client, tenant, other_tenant):
    from datetime import timedelta

    from django.utils import timezone

    from booking.api.tasks import purge_idempotency_records
    from booking.models import IdempotencyRecord
    from site_platform.celery import app

    body = {"title": "Visit", "location_kind": "in_person", "address": "1 Trang Tien"}
    for key in ("old", "recent"):
        assert key_client.post_json("/api/v1/tenant/event-types", body, HTTP_IDEMPOTENCY_KEY=key).status_code == 201
    saigon = ApiClient(other_tenant, key=new_key(other_tenant)[1])
    assert saigon.post_json("/api/v1/tenant/event-types", body, HTTP_IDEMPOTENCY_KEY="old").status_code == 201
    now = timezone.now()
    IdempotencyRecord.objects.filter(key="old").update(created_at=now - timedelta(hours=25))
    IdempotencyRecord.objects.filter(key="recent").update(created_at=now - timedelta(hours=23))

    assert purge_idempotency_records() == 2
    assert purge_idempotency_records() == 0
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]
    # The purged key is free again; the kept one still replays.
    changed = dict(body, title="Visit 2")
    assert key_client.post_json("/api/v1/tenant/event-types", changed, HTTP_IDEMPOTENCY_KEY="old").status_code == 201
    replay = key_client.post_json("/api/v1/tenant/event-types", body, HTTP_IDEMPOTENCY_KEY="recent")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"

    settings.API_IDEMPOTENCY_RETENTION_HOURS = 1
    IdempotencyRecord.objects.filter(key="recent").update(created_at=now - timedelta(hours=2))
    assert purge_idempotency_records() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["old"]

    app.loader.import_default_modules()
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "booking.api.tasks.purge_idempotency_records" in schedule
    assert "booking.api.tasks.purge_idempotency_records" in app.tasks
