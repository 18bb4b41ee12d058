"""The page cache: anonymous visitors' landing pages, kept whole in the Django
cache (Redis in production), keyed by tenant, host, path, language, time zone and
the few query parameters the pages read.

Every key of a tenant carries the tenant's cache version; `purge(tenant_id)`
replaces the version, so all of the tenant's cached pages are gone at once
without listing them (landing/signals.py purges on publish, branding changes,
event types, sessions and every booking change that moves seats left).

Never cached: signed-in users, requests with messages waiting, other methods than
GET/HEAD, unknown query parameters, pages with view restrictions, and any answer
but a 200 page. The CSRF token of the page's forms (the language switcher) is
kept out of the cache: a placeholder is stored and each visitor's own token put
in when the page is served.
"""

import hashlib
import re
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

from .widget import TZ_COOKIE, valid_zone

CACHED_PARAMS = ("teacher", "kind", "tz")
CSRF_PLACEHOLDER = "__landing_csrf_token__"
CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
HEADER = "X-Page-Cache"


def timeout():
    return getattr(settings, "LANDING_PAGE_CACHE_SECONDS", 300)


def enabled():
    return timeout() > 0


def _version_key(tenant_id):
    return f"landing:page-version:{tenant_id}"


def version(tenant_id):
    key = _version_key(tenant_id)
    current = cache.get(key)
    if current is None:
        current = uuid.uuid4().hex[:12]
        if not cache.add(key, current, timeout=None):
            current = cache.get(key) or current
    return current


def purge(tenant_id):
    """Forget every cached page of the tenant, now and again after the current
    transaction commits (so a request that read the old rows meanwhile cannot keep them)."""
    if tenant_id is None:
        return

    def bump():
        cache.set(_version_key(tenant_id), uuid.uuid4().hex[:12], timeout=None)

    bump()
    transaction.on_commit(bump)


def _cacheable_query(request):
    params = []
    for name in request.GET:
        if name not in CACHED_PARAMS:
            return None
        values = request.GET.getlist(name)
        if len(values) != 1 or len(values[0]) > 64:
            return None
        params.append(f"{name}={values[0]}")
    return "&".join(sorted(params))


def key_for(request):
    """The cache key of this request's page, or None when it must not come from the cache."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or not enabled() or request.method not in ("GET", "HEAD"):
        return None
    query = _cacheable_query(request)
    if query is None:
        return None
    if _has_session(request) and request.user.is_authenticated:
        return None
    if _has_messages(request):
        return None
    zone = valid_zone(request.COOKIES.get(TZ_COOKIE)) or ""
    parts = "\n".join([request.get_host().lower(), request.path, query, get_language() or "", zone])
    digest = hashlib.blake2b(parts.encode(), digest_size=16).hexdigest()
    return f"landing:page:{tenant.pk}:{version(tenant.pk)}:{digest}"


def _has_session(request):
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def _has_messages(request):
    if "messages" in request.COOKIES:  # the cookie storage, first of the default fallback storage
        return True
    storage = getattr(request, "_messages", None)
    return storage is not None and _has_session(request) and len(storage) > 0


def serve_cached(request, key):
    entry = cache.get(key)
    if entry is None:
        return None
    content, content_type = entry
    if CSRF_PLACEHOLDER.encode() in content:
        content = content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
    response = HttpResponse(content, content_type=content_type)
    response[HEADER] = "hit"
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    return response


def store(request, key, response):
    """Keep a rendered page if it is a plain 200 page for an anonymous visitor."""
    if response.status_code != 200 or response.streaming or response.has_header("Content-Disposition"):
        return response
    if getattr(request, "_landing_page_uncacheable", False):
        return response
    storage = getattr(request, "_messages", None)
    if storage is not None and getattr(storage, "used", False):
        return response
    if getattr(request, "user", None) is not None and _has_session(request) and request.user.is_authenticated:
        return response
    content = CSRF_INPUT.sub(rb"\g<1>" + CSRF_PLACEHOLDER.encode() + rb"\g<2>", response.content)
    cache.set(key, (content, response["Content-Type"]), timeout())
    response[HEADER] = "miss"
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    return response


def mark_uncacheable(request):
    """Keep this request's page out of the cache (e.g. a page with view restrictions)."""
    request._landing_page_uncacheable = True
