"""Host name → tenant resolution, held in process memory.

The map is rebuilt from the database only when its version, kept in the shared
cache (Redis in production), changes. Saving a Tenant or a Site bumps the
version after commit, so every web process picks up the change on its next
request, and a request costs one cache read and no database query.
"""

import threading
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "tenant-host-map-version"

_lock = threading.Lock()
_state = {"version": None, "hosts": {}, "memo": {}}


@dataclass(frozen=True)
class HostEntry:
    """Field values, not model instances: each request gets instances of its own,
    so nothing one request caches on them (a root page, a changed attribute)
    leaks into another request."""

    tenant_values: dict
    site_values: dict
    # What other apps derive from the host and keep with it (landing/site_memo.py: the
    # root page's field values, its branding): gone with the map, i.e. whenever
    # invalidate() is called.
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def remember(self, name, build):
        """build()'s result, made once per map version (a race may build it twice: harmless).
        Keep values in it, never instances a request could change."""
        try:
            return self.memo[name]
        except KeyError:
            return self.memo.setdefault(name, build())

    @property
    def tenant(self):
        from .models import Tenant

        return Tenant(**self.tenant_values)

    @property
    def site(self):
        from wagtail.models import Site

        return Site(**self.site_values)


def _values(instance):
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def _build():
    from wagtail.models import Site

    from .models import Tenant

    tenants = {t.root_page_id: _values(t) for t in Tenant.objects.all()}
    hosts = {}
    for site in Site.objects.all():
        tenant_values = tenants.get(site.root_page_id)
        if tenant_values is not None:
            hosts[site.hostname.lower()] = HostEntry(tenant_values=tenant_values, site_values=_values(site))
    return hosts


def _current_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY) or version
    return version


def lookup(host):
    """The HostEntry for a host name (no port), or None."""
    version = _current_version()
    if _state["version"] != version:
        with _lock:
            if _state["version"] != version:
                _state["hosts"] = _build()
                _state["memo"] = {}
                _state["version"] = version
    return _state["hosts"].get(host.lower())


def remember(name, build):
    """build()'s result, kept until the map is next rebuilt (like HostEntry.remember, for
    what concerns every host: e.g. Wagtail's site root paths). Call after lookup()."""
    memo = _state["memo"]
    try:
        return memo[name]
    except KeyError:
        return memo.setdefault(name, build())


def _bump():
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def invalidate():
    """Make every process rebuild its map.

    Bumped now, so this process sees its own change at once, and again after
    commit, so a process that rebuilt in between (still seeing the old rows)
    rebuilds once more.
    """
    _bump()
    transaction.on_commit(_bump)


def reset():
    """Forget the map in this process (tests)."""
    with _lock:
        _state["version"] = None
        _state["hosts"] = {}
        _state["memo"] = {}
    cache.delete(VERSION_KEY)


def is_platform_host(host):
    domain = settings.PLATFORM_DOMAIN
    return host == domain or host == f"www.{domain}" or host in settings.PLATFORM_HOST_ALIASES
