"""Rate limits of the API: per API key or personal token, and per client address,
counted in fixed windows in the shared Django cache (Redis in production, so every
web process counts together). Past a limit the answer is 429 with `Retry-After`.

Limits come from settings (`API_KEY_RATE_LIMIT`, `API_ADDRESS_RATE_LIMIT`, like
"600/m"; s, m, h or d), read on each request.
"""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from ..models import ApiKey, PersonalToken

DEFAULT_KEY_RATE = "600/m"
DEFAULT_ADDRESS_RATE = "300/m"


def parse_rate(rate):
    count, _slash, period = str(rate).partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[-1]] * int(period[:-1] or 1)
    return int(count), seconds


def count_hit(scope, ident, rate):
    """One hit in the current window; returns the seconds to wait when over the limit, else 0."""
    limit, seconds = parse_rate(rate)
    now = time.time()
    window = int(now // seconds)
    key = f"api-throttle:{scope}:{ident}:{window}"
    cache.add(key, 0, timeout=seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # the window expired between add and incr
        cache.set(key, 1, timeout=seconds + 5)
        count = 1
    if count > limit:
        return max(1, int((window + 1) * seconds - now + 0.999))
    return 0


def client_address(request):
    if getattr(settings, "RATE_LIMIT_TRUST_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR") or "unknown"


class _WindowThrottle(BaseThrottle):
    scope = ""
    setting = ""
    default_rate = ""

    def ident(self, request):
        raise NotImplementedError

    def allow_request(self, request, view):
        ident = self.ident(request)
        if ident is None:
            return True
        self._wait = count_hit(self.scope, ident, getattr(settings, self.setting, self.default_rate))
        return not self._wait

    def wait(self):
        return getattr(self, "_wait", None)


class ApiKeyRateThrottle(_WindowThrottle):
    """Per tenant API key or personal token."""

    scope = "key"
    setting = "API_KEY_RATE_LIMIT"
    default_rate = DEFAULT_KEY_RATE

    def ident(self, request):
        if isinstance(request.auth, ApiKey):
            return f"lsk:{request.auth.prefix}"
        if isinstance(request.auth, PersonalToken):
            return f"lsp:{request.auth.prefix}"
        return None


class AddressRateThrottle(_WindowThrottle):
    """Per client address, whoever is calling."""

    scope = "address"
    setting = "API_ADDRESS_RATE_LIMIT"
    default_rate = DEFAULT_ADDRESS_RATE

    def ident(self, request):
        return client_address(request)
