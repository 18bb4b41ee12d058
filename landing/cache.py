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
CSRF_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()
CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
HEADER = "X-Page-Cache"


def timeout():
    return getattr(settings, "LANDING_PAGE_CACHE_SECONDS", 300)


def enabled():
    return timeout() > 0


def version_key(tenant_id):
    return f"landing:page-version:{tenant_id}"


_version_key = version_key


def version(tenant_id):
    key = version_key(tenant_id)
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
    """The cache key of this request's page, or None when it must not come from the cache.

    The key does not hold the tenant's version: the entry does, and `serve_cached`
    reads both in one round trip (landing/middleware.py computes the same key
    before the tenant, session and locale middleware have run: keep them in step)."""
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
    return page_key(tenant.pk, request.get_host(), request.path, query, get_language(),
                    request.COOKIES.get(TZ_COOKIE))


def page_key(tenant_id, host, path, query, language, zone_cookie):
    zone = valid_zone(zone_cookie) or ""
    parts = "\n".join([host.lower(), path, query, language or "", zone])
    digest = hashlib.blake2b(parts.encode(), digest_size=16).hexdigest()
    return f"landing:page:{tenant_id}:{digest}"


def _has_session(request):
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def _has_messages(request):
    if "messages" in request.COOKIES:  # the cookie storage, first of the default fallback storage
        return True
    storage = getattr(request, "_messages", None)
    return storage is not None and _has_session(request) and len(storage) > 0


# (host, path) of the pages this process has served through the page cache, so
# landing/middleware.py asks the cache only for those (not for every API call or
# booking page). Bounded; forgetting only means one request goes down the stack.
_page_paths = set()
PAGE_PATHS_MAX = 20000


def remember_page(request):
    if len(_page_paths) >= PAGE_PATHS_MAX:
        _page_paths.clear()
    _page_paths.add((request.get_host().lower(), request.path))


def is_known_page(host, path):
    return (host, path) in _page_paths


def lookup(tenant_id, key):
    """(current version, entry or None) in one cache round trip. An entry is
    (version, content, content_type, headers); headers are those of the whole
    middleware stack when landing/middleware.py stored it, else None."""
    vkey = version_key(tenant_id)
    found = cache.get_many([vkey, key])
    current = found.get(vkey)
    entry = found.get(key)
    if current is None or entry is None or entry[0] != current:
        return current, None
    return current, entry


def fill_csrf(request, content):
    if CSRF_PLACEHOLDER_BYTES in content:
        content = content.replace(CSRF_PLACEHOLDER_BYTES, get_token(request).encode())
    return content


def serve_cached(request, key):
    current, entry = lookup(request.tenant.pk, key)
    request._landing_page_version = current
    remember_page(request)
    if entry is None:
        return None
    _version, content, content_type, _headers = entry
    response = HttpResponse(fill_csrf(request, content), content_type=content_type)
    response[HEADER] = "hit"
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    return response


def cacheable_content(request, response):
    """The page's content with the CSRF token replaced by the placeholder, or None
    when this answer must not be kept (not a plain 200 page for an anonymous visitor)."""
    if response.status_code != 200 or response.streaming or response.has_header("Content-Disposition"):
        return None
    if getattr(request, "_landing_page_uncacheable", False):
        return None
    storage = getattr(request, "_messages", None)
    if storage is not None and getattr(storage, "used", False):
        return None
    if getattr(request, "user", None) is not None and _has_session(request) and request.user.is_authenticated:
        return None
    return CSRF_INPUT.sub(rb"\g<1>" + CSRF_PLACEHOLDER_BYTES + rb"\g<2>", response.content)


def store(request, key, response):
    """Keep a rendered page if it is a plain 200 page for an anonymous visitor.

    With landing/middleware.py in MIDDLEWARE the middleware stores it on the way
    out (with the headers the rest of the stack added); without it, it is stored here."""
    content = cacheable_content(request, response)
    if content is None:
        return response
    current = getattr(request, "_landing_page_version", None) or version(request.tenant.pk)
    response[HEADER] = "miss"
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    if getattr(request, "_landing_early_cache", False):
        request._landing_page_store = (key, current, content, response["Content-Type"])
    else:
        cache.set(key, (current, content, response["Content-Type"], None), timeout())
    return response


def mark_uncacheable(request):
    """Keep this request's page out of the cache (e.g. a page with view restrictions)."""
    request._landing_page_uncacheable = True
