"""schema.org JSON-LD for the classes and sessions a page shows.

The workshop list and booking widget blocks note what they rendered on the
request (`note_workshops`, `note_widget`); `{% sessions_jsonld %}` at the end of
the page turns that into one `<script type="application/ld+json">` holding a
`Course` per event type and an `Event` per session, with price, seats
(availability), place or online, teacher and booking URL.
"""

import json

from django.utils.html import _json_script_escapes
from django.utils.safestring import mark_safe

REQUEST_ATTR = "_landing_jsonld"

ONLINE = "https://schema.org/OnlineEventAttendanceMode"
OFFLINE = "https://schema.org/OfflineEventAttendanceMode"


def _noted(request):
    if request is None:
        return None
    noted = getattr(request, REQUEST_ATTR, None)
    if noted is None:
        noted = {"event_types": {}, "sessions": {}}
        setattr(request, REQUEST_ATTR, noted)
    return noted


def note_workshops(request, listing):
    noted = _noted(request)
    if noted is None or listing is None:
        return
    for event_type in listing.event_types:
        noted["event_types"].setdefault(event_type.pk, event_type)
        for session in event_type.next_sessions:
            noted["sessions"].setdefault(session.pk, {
                "event_type": event_type, "start": session.start, "end": session.end,
                "seats_left": session.seats_left, "teacher": session.teacher,
                "url": session.book_url if session.seats_left else session.waitlist_url,
            })


def note_widget(request, widget):
    noted = _noted(request)
    if noted is None or widget is None:
        return
    noted["event_types"].setdefault(widget.event_type.pk, widget.event_type)
    for time in widget.sessions:
        noted["sessions"].setdefault(time.session_id, {
            "event_type": widget.event_type, "start": time.start, "end": time.end,
            "seats_left": time.seats_left, "teacher": None, "url": time.url,
        })


def _organization(tenant, origin):
    return {"@type": "Organization", "name": tenant.name, "url": origin + "/"}


def _offer(event_type, url, *, seats_left=None):
    offer = {"@type": "Offer", "price": f"{event_type.price:.2f}", "priceCurrency": event_type.currency}
    if url:
        offer["url"] = url
    if seats_left is not None:
        offer["availability"] = "https://schema.org/InStock" if seats_left else "https://schema.org/SoldOut"
    return offer


def _location(event_type, origin, page_url):
    if event_type.location_kind == "in_person" and event_type.address:
        return {"@type": "Place", "name": event_type.address.splitlines()[0],
                "address": {"@type": "PostalAddress", "streetAddress": " ".join(event_type.address.split())}}
    return {"@type": "VirtualLocation", "url": page_url}


def graph(request):
    """The JSON-LD document for what the page's blocks noted, or None."""
    from .seo import tenant_origin

    noted = getattr(request, REQUEST_ATTR, None) if request is not None else None
    tenant = getattr(request, "tenant", None) if request is not None else None
    if not noted or tenant is None or not (noted["event_types"] or noted["sessions"]):
        return None
    origin = tenant_origin(tenant)
    organization = _organization(tenant, origin)
    nodes = []
    for event_type in noted["event_types"].values():
        page_url = f"{origin}/book/{event_type.slug}/"
        course = {
            "@type": "Course", "@id": page_url + "#course", "name": event_type.title,
            "description": event_type.description or event_type.title,
            "url": page_url, "provider": organization, "offers": _offer(event_type, page_url),
        }
        nodes.append(course)
    for session_id, session in noted["sessions"].items():
        event_type = session["event_type"]
        page_url = f"{origin}/book/{event_type.slug}/"
        url = origin + session["url"] if session["url"] else page_url
        event = {
            "@type": "Event", "@id": f"{page_url}#session-{session_id}", "name": event_type.title,
            "description": event_type.description or event_type.title,
            "startDate": session["start"].isoformat(), "endDate": session["end"].isoformat(),
            "eventStatus": "https://schema.org/EventScheduled",
            "eventAttendanceMode": OFFLINE if event_type.location_kind == "in_person" else ONLINE,
            "location": _location(event_type, origin, page_url),
            "organizer": organization,
            "offers": _offer(event_type, url, seats_left=session["seats_left"]),
            "maximumAttendeeCapacity": event_type.seats_per_session,
            "remainingAttendeeCapacity": session["seats_left"],
            "superEvent": {"@id": page_url + "#course"},
            "url": url,
        }
        teacher = session["teacher"]
        if teacher is not None and teacher.get_full_name():
            event["performer"] = {"@type": "Person", "name": teacher.get_full_name()}
        nodes.append(event)
    return {"@context": "https://schema.org", "@graph": nodes}


def script(request):
    """`<script type="application/ld+json">…</script>`, escaped like `json_script`, or ""."""
    document = graph(request)
    if document is None:
        return ""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":")).translate(_json_script_escapes)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')
