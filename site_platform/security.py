"""Response headers and request limits an auditor expects.

- `ContentSecurityPolicyMiddleware` sends settings.CONTENT_SECURITY_POLICY on every
  response that has none yet. Embed views set their own (with the tenant's
  frame-ancestors); the Wagtail admin, which relies on inline scripts, is left
  to its own X-Frame-Options and login.
- `RateLimitMiddleware` limits POSTs to the paths in settings.RATE_LIMITS per
  signed-in user (or per client address), in the shared cache, and answers 429
  with Retry-After past the limit.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.template.loader import render_to_string

CSP_EXEMPT_PREFIXES = ("/admin/", "/documents/")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response and not request.path.startswith(CSP_EXEMPT_PREFIXES):
            response["Content-Security-Policy"] = policy
        return response


def parse_rate(rate):
    count, _slash, period = rate.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[-1]] * int(period[:-1] or 1)
    return int(count), seconds


def client_key(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") if settings.RATE_LIMIT_TRUST_FORWARDED_FOR else ""
    return "ip:" + (forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "unknown"))


def hit(scope, key, rate):
    """Count one hit in the current window; return seconds to wait when over the limit, else 0."""
    limit, seconds = parse_rate(rate)
    window = int(time.time() // seconds)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    cache.add(cache_key, 0, timeout=seconds + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=seconds + 5)
        count = 1
    if count > limit:
        return max(1, seconds - int(time.time()) % seconds)
    return 0


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST":
            for name, prefix, rate in settings.RATE_LIMITS:
                if request.path.startswith(prefix):
                    wait = hit(name, client_key(request), rate)
                    if wait:
                        return self.too_many(request, wait)
        return self.get_response(request)

    @staticmethod
    def too_many(request, wait):
        body = render_to_string("site_platform/rate_limited.html", {"wait": wait}, request=request)
        response = HttpResponse(body, status=429)
        response["Retry-After"] = str(wait)
        return response

