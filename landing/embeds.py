"""Embeds: a tenant's workshop list or booking widget inside another website's iframe.

Only the origins the tenant lists in its branding settings (`embed_allowed_origins`)
may frame the embed pages: each embed response carries its own full
Content-Security-Policy with `frame-ancestors` set to those origins (and is exempt
from X-Frame-Options, which cannot name other origins). Every other page keeps
the site's X-Frame-Options. static/js/embed-frame.js, inside the frame, reports
the content's height; static/js/embed.js, on the host page, resizes the iframe.
"""

import re
from functools import wraps

from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_exempt

ORIGIN_RE = re.compile(r"^https?://(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$")

EMBED_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
             "font-src 'self'; connect-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors {}")


def parse_origins(text):
    """The origins in `text` (one per line, or separated by spaces or commas), normalised.
    Raises ValidationError naming the first entry that is not a scheme and host."""
    origins = []
    for entry in re.split(r"[\s,]+", text or ""):
        entry = entry.strip().rstrip("/").lower()
        if not entry:
            continue
        if not ORIGIN_RE.match(entry):
            raise ValidationError(
                _("“%(entry)s” is not a web site origin. Write the scheme and host only, one per line, "
                  "e.g. https://lms.example.com or https://*.example.com."),
                params={"entry": entry}, code="origin_invalid")
        if entry not in origins:
            origins.append(entry)
    return origins


def validate_origins(text):
    parse_origins(text)


def allowed_origins(branding):
    if branding is None:
        return []
    try:
        return parse_origins(branding.embed_allowed_origins)
    except ValidationError:  # saved before validation existed, or edited in the database: allow none of it
        return []


def content_security_policy(origins):
    """The full CSP of an embed response: only the listed origins may frame it."""
    return EMBED_CSP.format(" ".join(["'self'", *origins]))


def embed_view(view):
    """Serve `view` as an embed: no X-Frame-Options, frame-ancestors from the tenant's list."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        from .models import BrandingSettings

        response = view(request, *args, **kwargs)
        try:
            branding = BrandingSettings.for_request(request)
        except BrandingSettings.DoesNotExist:
            branding = None
        response["Content-Security-Policy"] = content_security_policy(allowed_origins(branding))
        return response

    return xframe_options_exempt(wrapped)


def snippets(tenant, event_types=()):
    """[(title, html)] of the copy-paste snippets for a tenant: the workshop list and
    a booking widget per published event type."""
    from .seo import tenant_origin

    origin = tenant_origin(tenant)
    script = format_html('<script src="{}/static/js/embed.js" async></script>', origin)
    items = [(_("Workshop list"), f"{origin}/embed/workshops/", tenant.name)]
    items += [(_("Booking widget: %(title)s") % {"title": event_type.title},
               f"{origin}/embed/event-types/{event_type.slug}/", event_type.title) for event_type in event_types]
    return [
        (title, format_html(
            '<iframe src="{}" title="{}" data-lingua-embed loading="lazy" '
            'style="width:100%;min-height:420px;border:0"></iframe>\n{}', url, frame_title, script))
        for title, url, frame_title in items
    ]
