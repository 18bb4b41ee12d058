"""The page cache in front of the middleware stack.

`PageCacheMiddleware` answers an anonymous visitor's landing page from the page
cache (landing/cache.py) before the tenant, session, locale, CSRF, auth and
messages middleware run, with one cache round trip (the host map's version, the
tenant's page version and the page), and stores pages on the way out together
with the headers the rest of the stack gave them (CSP, X-Frame-Options, Vary,
Content-Language…), so a hit answers with the same headers.

It goes right after SecurityMiddleware (and WhiteNoise in production):

    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "landing.middleware.PageCacheMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        ...

Without it the page view still caches (landing.views.serve_page), behind the stack.

A hit replays what the skipped middleware would add for such a visitor: the
visitor's own CSRF token in the page (and the CSRF cookie when they have none,
as CsrfViewMiddleware does), X-Request-ID and the request metrics. Anything it
is unsure of goes down the stack as before: other methods, a session or messages
cookie, unknown query parameters, a path this process has not served as a cached
page yet (so other requests cost no cache read), a host the process has not mapped yet, a stale
host map, a tenant that is not serving, an entry stored without headers.
"""

import time
import uuid

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import translation

from . import cache as page_cache

SKIPPED_HEADERS = {"x-request-id", "content-length", "set-cookie", page_cache.HEADER.lower()}


def _language(request):
    """The language LocaleMiddleware will activate for this request."""
    from django.conf.urls.i18n import is_language_prefix_patterns_used

    i18n_patterns_used, _prefixed = is_language_prefix_patterns_used(settings.ROOT_URLCONF)
    return translation.get_language_from_request(request, check_path=i18n_patterns_used)


def _host_tenant(host):
    """(host map version, tenant values) from this process's host map, without a cache read."""
    from site_platform import hosts

    state = hosts._state
    entry = state["hosts"].get(host)
    return state["version"], (entry.tenant_values if entry is not None else None)


def _no_csrf_needed(request, response):
    return response


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(_no_csrf_needed)

    def __call__(self, request):
        started = time.perf_counter()
        request._landing_early_cache = True
        response = self.lookup(request)
        if response is not None:
            self.finish_hit(request, response, started)
            return response
        response = self.get_response(request)
        pending = getattr(request, "_landing_page_store", None)
        if pending is not None:
            self.store(request, response, pending)
        return response

    def lookup(self, request):
        if request.method not in ("GET", "HEAD") or not page_cache.enabled():
            return None
        cookies = request.COOKIES
        if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
            return None
        query = page_cache._cacheable_query(request)
        if query is None:
            return None
        try:
            host = request.get_host()
        except Exception:  # a disallowed host: the rest of the stack answers it
            return None
        if not page_cache.is_known_page(host.lower(), request.path):
            return None  # not a page this process has served through the cache: no round trip
        host_version, tenant = _host_tenant(host.rsplit(":", 1)[0].lower())
        if tenant is None or host_version is None:
            return None
        key = page_cache.page_key(tenant["id"], host, request.path, query, _language(request),
                                  cookies.get(page_cache.TZ_COOKIE))
        from site_platform import hosts

        version_key = page_cache.version_key(tenant["id"])
        found = page_cache.cache.get_many([hosts.VERSION_KEY, version_key, key])
        entry = found.get(key)
        if (entry is None or found.get(hosts.VERSION_KEY) != host_version or entry[0] != found.get(version_key)
                or entry[3] is None or tenant.get("status") != "active"):
            return None
        _version, content, _content_type, headers = entry
        self.csrf.process_request(request)
        response = HttpResponse(page_cache.fill_csrf(request, content))
        for name, value in headers:
            response[name] = value
        response["Content-Length"] = str(len(response.content))
        response[page_cache.HEADER] = "hit"
        return response

    def finish_hit(self, request, response, started):
        from site_platform.observability import HTTP_LATENCY, HTTP_REQUESTS

        self.csrf.process_response(request, response)  # the CSRF cookie, when the visitor had none
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        response["X-Request-ID"] = (incoming if 8 <= len(incoming) <= 64 and incoming.replace("-", "").isalnum()
                                    else uuid.uuid4().hex)
        HTTP_LATENCY.labels(request.method).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(request.method, "200").inc()

    def store(self, request, response, pending):
        key, current, content, _content_type = pending
        if response.status_code != 200 or settings.SESSION_COOKIE_NAME in response.cookies \
                or "messages" in response.cookies:
            return
        headers = [(name, value) for name, value in response.items() if name.lower() not in SKIPPED_HEADERS]
        page_cache.cache.set(key, (current, content, response["Content-Type"], headers), page_cache.timeout())
