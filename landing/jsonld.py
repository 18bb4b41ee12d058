"""schema.org JSON-LD for the classes and sessions a page shows.

The workshop list and booking widget blocks note what they rendered on the
request (`note_workshops`, `note_widget`); `{% sessions_jsonld %}` at the end of
the page writes them as one `<script type="application/ld+json">`: the school
once as an `Organization`, a `Course` per event type and an `Event` per session.

Only what Google's event and course results read: an event's name, start and end,
status, attendance mode, place (with its address) or virtual location, teacher,
organizer, and its offer (price, currency, InStock/SoldOut, the booking or
waitlist URL); a course's name, description, provider and price. The school is
referenced by `@id` rather than repeated, and an event's description is its
course's (not repeated on every session).

Notes are plain JSON-ready dicts keyed by `@id` or `session-<id>` (so a session
the workshop list and the widget both show is written once), which lets the block fragment cache
(landing/fragments.py) keep a block's nodes with its HTML (`capture`, `note_nodes`).
"""

import json
from contextlib import contextmanager
from datetime import UTC

from django.utils.html import _json_script_escapes
from django.utils.safestring import mark_safe

REQUEST_ATTR = "_landing_jsonld"

ONLINE = "https://schema.org/OnlineEventAttendanceMode"
OFFLINE = "https://schema.org/OfflineEventAttendanceMode"
IN_STOCK = "https://schema.org/InStock"
SOLD_OUT = "https://schema.org/SoldOut"


def _noted(request):
    if request is None:
        return None
    noted = getattr(request, REQUEST_ATTR, None)
    if noted is None:
        noted = {}
        setattr(request, REQUEST_ATTR, noted)
    return noted


def _origin(request):
    from .seo import tenant_origin

    tenant = getattr(request, "tenant", None)
    return tenant_origin(tenant) if tenant is not None else None


def _organization(request, origin):
    tenant = request.tenant
    return {"@type": "Organization", "@id": origin + "/#organization", "name": tenant.name, "url": origin + "/"}


def _page_url(origin, event_type):
    return f"{origin}/book/{event_type.slug}/"


def _price(event_type):
    return {"@type": "Offer", "price": f"{event_type.price:.2f}", "priceCurrency": event_type.currency}


def _course(origin, organization, event_type):
    page_url = _page_url(origin, event_type)
    return {
        "@type": "Course", "@id": page_url + "#course", "name": event_type.title,
        "description": event_type.description or event_type.title, "url": page_url,
        "provider": {"@id": organization["@id"]}, "offers": _price(event_type),
    }


def _location(event_type, page_url):
    if event_type.location_kind == "in_person" and event_type.address:
        return {"@type": "Place", "name": event_type.address.splitlines()[0],
                "address": {"@type": "PostalAddress", "streetAddress": " ".join(event_type.address.split())}}
    return {"@type": "VirtualLocation", "url": page_url}


def _event(origin, organization, event_type, _session_id, start, end, seats_left, url, teacher_name):
    page_url = _page_url(origin, event_type)
    offer = _price(event_type)
    offer["url"] = origin + url if url else page_url
    if seats_left is not None:
        offer["availability"] = IN_STOCK if seats_left else SOLD_OUT
    event = {
        "@type": "Event", "name": event_type.title, "startDate": _iso(start), "endDate": _iso(end),
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": OFFLINE if event_type.location_kind == "in_person" else ONLINE,
        "location": _location(event_type, page_url),
        "organizer": {"@id": organization["@id"]},
        "offers": offer,
    }
    if teacher_name:
        event["performer"] = {"@type": "Person", "name": teacher_name}
    return event


def _iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def note_nodes(request, nodes):
    """Note already built nodes ({@id: node}), e.g. those kept with a cached block."""
    noted = _noted(request)
    if noted is None or not nodes:
        return
    for node_id, node in nodes.items():
        noted.setdefault(node_id, node)


def note_workshops(request, listing):
    origin = _origin(request)
    if origin is None or listing is None:
        return
    organization = _organization(request, origin)
    nodes = {organization["@id"]: organization}
    for event_type in listing.event_types:
        course = _course(origin, organization, event_type)
        nodes.setdefault(course["@id"], course)
        for session in event_type.next_sessions:
            teacher = session.teacher
            event = _event(origin, organization, event_type, session.pk, session.start, session.end,
                           session.seats_left, session.book_url if session.seats_left else session.waitlist_url,
                           teacher.get_full_name() if teacher is not None else "")
            nodes.setdefault(f"session-{session.pk}", event)
    note_nodes(request, nodes)


def note_widget(request, widget):
    origin = _origin(request)
    if origin is None or widget is None:
        return
    organization = _organization(request, origin)
    course = _course(origin, organization, widget.event_type)
    nodes = {organization["@id"]: organization, course["@id"]: course}
    for time in widget.sessions:
        event = _event(origin, organization, widget.event_type, time.session_id, time.start, time.end,
                       time.seats_left, time.url, "")
        nodes.setdefault(f"session-{time.session_id}", event)
    note_nodes(request, nodes)


@contextmanager
def capture(request):
    """Collect (in the yielded dict) what is noted inside the block, and note it on the request too."""
    nodes = {}
    if request is None:
        yield nodes
        return
    outer = getattr(request, REQUEST_ATTR, None)
    setattr(request, REQUEST_ATTR, nodes)
    try:
        yield nodes
    finally:
        setattr(request, REQUEST_ATTR, outer)
        note_nodes(request, nodes)


_ORDER = {"Organization": 0, "Course": 1, "Event": 2}


def graph(request):
    """The JSON-LD document for what the page's blocks noted, or None."""
    noted = getattr(request, REQUEST_ATTR, None) if request is not None else None
    if not noted or not any(node["@type"] != "Organization" for node in noted.values()):
        return None
    nodes = sorted(noted.values(), key=lambda node: _ORDER.get(node["@type"], 3))
    return {"@context": "https://schema.org", "@graph": nodes}


def script(request):
    """`<script type="application/ld+json">…</script>`, escaped like `json_script`, or ""."""
    document = graph(request)
    if document is None:
        return ""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":")).translate(_json_script_escapes)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')
