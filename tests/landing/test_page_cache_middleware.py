"""The page cache with landing.middleware.PageCacheMiddleware right after
SecurityMiddleware: every page cache test again, plus what the early answer
must keep (headers of the whole stack, the visitor's CSRF token and cookie)."""

import re

import pytest

from tests.conftest import host_client
from tests.landing.conftest import full_body, set_body
from tests.landing.test_page_cache import *  # noqa: F401,F403  (the same behaviour, with the middleware)
from tests.landing.test_page_cache import get

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _early_page_cache(settings):
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index("django.middleware.security.SecurityMiddleware") + 1,
                      "landing.middleware.PageCacheMiddleware")
    settings.MIDDLEWARE = middleware


def test_a_hit_is_answered_before_the_rest_of_the_stack_with_its_headers(tenant, school):
    client = host_client(tenant)
    first, _queries = get(client)
    second, queries = get(client)

    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert queries == []
    assert not hasattr(second.wsgi_request, "tenant") and not hasattr(second.wsgi_request, "user")
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Type", "Vary", "Content-Language"):
        assert second[header] == first[header], header
    assert second["X-Request-ID"] and second["X-Request-ID"] != first["X-Request-ID"]
    assert int(second["Content-Length"]) == len(second.content)


def test_a_new_visitor_gets_a_csrf_cookie_that_matches_the_token_in_the_page(tenant, school):
    get(host_client(tenant))
    visitor = host_client(tenant)
    visitor.handler.enforce_csrf_checks = True
    page = visitor.get("/")
    assert page["X-Page-Cache"] == "hit" and not hasattr(page.wsgi_request, "tenant")
    assert "csrftoken" in page.cookies
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    assert token != "__landing_csrf_token__"
    changed = visitor.post("/i18n/setlang/", {"language": "vi", "next": "/", "csrfmiddlewaretoken": token})
    assert changed.status_code == 302
    # A visitor who already has the cookie keeps its secret (Django re-sends it to renew its expiry).
    visitor.get("/")
    again = visitor.get("/")
    assert again["X-Page-Cache"] == "hit" and not hasattr(again.wsgi_request, "tenant")
    assert again.cookies["csrftoken"].value == page.cookies["csrftoken"].value
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', again.content).group(1).decode()
    assert visitor.post("/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token}).status_code == 302


def test_a_session_cookie_goes_down_the_stack(tenant, school, student):
    get(host_client(tenant))
    signed_in = host_client(tenant, user=student)
    response, _queries = get(signed_in)
    assert hasattr(response.wsgi_request, "user") and "Sign out" in response.content.decode()


def test_a_stale_host_map_goes_down_the_stack(tenant, school):
    from django.core.cache import cache

    from site_platform import hosts

    client = host_client(tenant)
    get(client)
    assert get(client)[0]["X-Page-Cache"] == "hit"
    cache.set(hosts.VERSION_KEY, "changed-elsewhere", timeout=None)
    response, _queries = get(client)
    assert hasattr(response.wsgi_request, "tenant")


def test_the_widget_zone_page_is_its_own_entry(tenant, school):
    set_body(tenant, full_body(widget_event_type=school[1].slug))
    client = host_client(tenant)
    get(client, tz="Asia/Tokyo")
    response, _queries = get(client, tz="Asia/Tokyo")
    assert response["X-Page-Cache"] == "hit" and "<strong data-zone-name>Asia/Tokyo</strong>" in response.content.decode()
    assert "<strong data-zone-name>UTC</strong>" in get(client)[0].content.decode()
