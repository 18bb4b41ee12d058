"""Content-Security-Policy on pages, rate limits on booking posts."""

import uuid

import pytest

from tests.conftest import host_client

pytestmark = pytest.mark.django_db


def test_public_pages_carry_the_content_security_policy(tenant):
    response = host_client(tenant).get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert response["X-Frame-Options"] in ("DENY", "SAMEORIGIN")


def test_the_wagtail_admin_keeps_its_own_headers(tenant_admin):
    response = host_client(user=tenant_admin).get("/admin/")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response


def test_booking_posts_are_rate_limited_per_user(settings, tenant, student):
    # A scope of its own: counters live in the shared cache for the whole minute.
    settings.RATE_LIMITS = [(f"booking-{uuid.uuid4().hex}", "/book/", "3/m")]
    client = host_client(tenant, user=student)
    statuses = [client.post("/book/session/999999/").status_code for _ in range(5)]
    assert statuses[:3] == [404, 404, 404]
    assert statuses[3:] == [429, 429]
    limited = client.post("/book/session/999999/")
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert b"Too many requests" in limited.content
    # Another student is not held back by the first one's posts.
    from tests.conftest import make_user

    other = host_client(tenant, user=make_user("other@example.com"))
    assert other.post("/book/session/999999/").status_code == 404


def test_gets_are_not_limited(settings, tenant):
    settings.RATE_LIMITS = [(f"booking-{uuid.uuid4().hex}", "/book/", "1/m")]
    client = host_client(tenant)
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 200]
