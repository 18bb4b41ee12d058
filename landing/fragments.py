"""Block fragments: each top-level block of a live landing page, rendered once and
kept in the Django cache (Redis in production) for the next renders of the page.

A page rendered past the page cache (an unknown query parameter, a signed-in
visitor, a purge a moment ago) then costs a cache read for its blocks instead of
their templates, images and queries.

Key: tenant, page, live revision, block id, language and what the block reads
from the request (the workshop list: `teacher` and `kind`; the booking widget:
the visitor's zone and its number on the page). The entry holds the tenant's
page-cache version (landing/cache.py), so everything that purges the tenant's
pages (publish, branding, event types, sessions, bookings) retires its fragments
too; the live blocks (workshop list, booking widget) are also kept no longer
than the page cache (`LANDING_PAGE_CACHE_SECONDS`), since their times pass, the
others up to `LANDING_FRAGMENT_CACHE_SECONDS` (default an hour).

The JSON-LD nodes a block noted (landing/jsonld.py) are kept with its HTML and
noted again when the fragment is used, so the page's JSON-LD is the same.

Not used for previews (drafts), or when the page cache is switched off.
"""

import hashlib
import uuid

from django.conf import settings
from django.core.cache import cache
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from . import cache as page_cache
from . import jsonld

LIVE_BLOCKS = {"workshop_list", "booking_widget"}
_generation = {"value": ""}  # bench/landing_profile.py's "cold" renders replace it


class RenderedBlock:
    """What the page templates loop over: `block_type`, `id` and the block's HTML."""

    __slots__ = ("block_type", "id", "html")

    def __init__(self, block_type, id, html):
        self.block_type = block_type
        self.id = id
        self.html = html

    def __str__(self):
        return self.html


def static_timeout():
    return getattr(settings, "LANDING_FRAGMENT_CACHE_SECONDS", 3600)


def forget_all():
    """Make every fragment of this process miss (for measuring cold renders); a new random
    value, so that no other process's cold renders stored fragments under it."""
    _generation["value"] = uuid.uuid4().hex


def _variant(block_type, raw_value, request, widget_number):
    if block_type == "workshop_list":
        if not (raw_value or {}).get("show_filters"):
            return ""
        return f"t={request.GET.get('teacher', '')[:20]}&k={request.GET.get('kind', '')[:20]}"
    if block_type == "booking_widget":
        from .widget import unknown_zone_asked, visitor_zone

        return f"z={visitor_zone(request) or ''}&u={int(unknown_zone_asked(request))}&n={widget_number}"
    return ""


def _key(tenant_id, page, block_id, block_type, variant):
    parts = f"{page.live_revision_id}\n{block_id}\n{block_type}\n{get_language() or ''}\n{variant}\n{_generation['value']}"
    digest = hashlib.blake2b(parts.encode(), digest_size=16).hexdigest()
    return f"landing:block:{tenant_id}:{page.pk}:{digest}"


def _usable(page, request, tenant):
    return (tenant is not None and page_cache.enabled() and getattr(page, "live", False)
            and getattr(page, "live_revision_id", None) and not getattr(request, "is_preview", False))


def render_blocks(context, page, stream):
    """[RenderedBlock] of a page's StreamField, from the fragment cache where it can."""
    request = context.get("request")
    tenant = getattr(request, "tenant", None)
    raw = stream.raw_data
    items = [raw[n] for n in range(len(raw))]
    if not items:
        return []
    use_cache = request is not None and _usable(page, request, tenant)
    keys, found, version = [None] * len(items), {}, None
    if use_cache:
        widget_number = getattr(request, "_landing_widgets", 0)
        for n, item in enumerate(items):
            if item["type"] == "booking_widget":
                widget_number += 1
            variant = _variant(item["type"], item.get("value"), request, widget_number)
            keys[n] = _key(tenant.pk, page, item.get("id"), item["type"], variant)
        version_key = page_cache.version_key(tenant.pk)
        found = cache.get_many([version_key, *keys])
        version = found.get(version_key) or page_cache.version(tenant.pk)

    rendered, to_store = [], {}
    for n, item in enumerate(items):
        entry = found.get(keys[n]) if use_cache else None
        if entry is not None and entry[0] == version:
            _version, html, nodes = entry
            jsonld.note_nodes(request, nodes)
            if item["type"] == "booking_widget":
                request._landing_widgets = getattr(request, "_landing_widgets", 0) + 1
            rendered.append(RenderedBlock(item["type"], item.get("id"), mark_safe(html)))
            continue
        child = stream[n]
        with jsonld.capture(request) as nodes:
            html = _render(context, child)
        rendered.append(RenderedBlock(child.block_type, child.id, html))
        if use_cache:
            timeout = page_cache.timeout() if item["type"] in LIVE_BLOCKS else static_timeout()
            to_store.setdefault(timeout, {})[keys[n]] = (version, str(html), nodes)
    for timeout, entries in to_store.items():
        cache.set_many(entries, timeout)
    return rendered


def _render(context, child):
    """What `{% include_block child %}` renders (the parent context passed on)."""
    output = child.render_as_block(context=context.flatten())
    return conditional_escape(output) if context.autoescape else mark_safe(output)
