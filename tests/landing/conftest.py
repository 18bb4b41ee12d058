"""Landing page fixtures: images, a body with every block, pages of each design."""

import io

import pytest
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model

from landing.models import LANDING_TEMPLATES

ALL_BLOCK_TYPES = [
    "hero", "text", "workshop_list", "booking_widget", "teacher_profiles", "pricing_table", "testimonials", "faq", "gallery", "contact",
    "social_links", "call_to_action",
]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_page_cache():
    """Tenants of different tests can share an id; start every test with no cached page."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def make_image(title="Photo", *, colour=(37, 99, 235), size=(1200, 900), collection=None):
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, format="JPEG")
    fields = {"title": title, "file": ImageFile(buffer, name=f"{title.lower().replace(' ', '-')}.jpg")}
    if collection is not None:
        fields["collection"] = collection
    return get_image_model().objects.create(**fields)


def full_body(image=None, *, teachers=2, gallery=3, testimonials=2, widget_event_type="workshop-000"):
    """Raw StreamField data with every block of the shared set and `n` of each repeated item."""
    image_id = image.pk if image else None
    blocks = [
        ("hero", {"eyebrow": "Now enrolling", "title": "Speak English with confidence",
                  "subtitle": "Small classes, friendly teachers.", "image": image_id,
                  "cta_text": "See classes", "cta_link": "#classes",
                  "secondary_text": "Meet the teachers", "secondary_link": "#teachers"}),
        ("text", "<h2>About the school</h2><p>We teach <b>English</b> and Vietnamese.</p>"),
        ("workshop_list", {"heading": "Upcoming classes", "intro": "Pick a date.", "kinds": [],
                           "show_filters": True, "limit": 100}),
        ("booking_widget", {"heading": "Book a first lesson", "intro": "Choose a time that suits you.",
                            "event_type": widget_event_type, "days": 7}),
        ("teacher_profiles", {"heading": "Our teachers", "intro": "Certified and patient.", "teachers": [
            {"photo": image_id, "name": f"Teacher {n}", "headline": "IELTS specialist",
             "bio": "<p>Ten years of teaching.</p>", "languages": ["English", "Vietnamese"]}
            for n in range(teachers)]}),
        ("pricing_table", {"heading": "Prices", "intro": "Pay per month.", "note": "VAT included.", "plans": [
            {"name": "Trial", "price": "Free", "period": "", "description": "One lesson", "features": ["60 minutes"],
             "highlighted": False, "button_text": "Try", "button_link": "#trial"},
            {"name": "Monthly", "price": "₫1,200,000", "period": "per month", "description": "Best value",
             "features": ["8 lessons", "Book"], "highlighted": True, "button_text": "Join", "button_link": "#join"},
        ]}),
        ("testimonials", {"heading": "Students say", "items": [
            {"quote": f"Great school number {n}.", "name": f"Student {n}", "detail": "IELTS 7.5", "photo": image_id}
            for n in range(testimonials)]}),
        ("faq", {"heading": "Questions", "items": [
            {"question": "Can I cancel?", "answer": "<p>Yes, up to 12 hours before.</p>"}]}),
        ("gallery", {"heading": "Our school", "images": [
            {"image": image_id, "caption": f"Room {n}"} for n in range(gallery)] if image_id else []}),
        ("contact", {"heading": "Visit us", "address": "12 Trang Tien\nHanoi", "phone": "+84 24 1234 5678",
                     "email": "hello@school.test", "opening_hours": "Mon–Fri 8–20",
                     "map_link": "https://www.openstreetmap.org/"}),
        ("social_links", {"heading": "Follow us", "links": [
            {"network": "facebook", "url": "https://facebook.com/school"},
            {"network": "zalo", "url": "https://zalo.me/school"}]}),
        ("call_to_action", {"text": "Your first lesson is free.", "subtext": "No card needed.",
                            "button_text": "Book now", "button_link": "#book"}),
    ]
    return [{"type": block_type, "value": value} for block_type, value in blocks]


def set_body(tenant, body, **fields):
    """Publish a new body (and other fields) on the tenant's landing page."""
    page = tenant.root_page.specific
    page.body = body
    for name, value in fields.items():
        setattr(page, name, value)
    page.save_revision().publish()
    return type(page).objects.get(pk=page.pk)


@pytest.fixture(params=list(LANDING_TEMPLATES))
def template_key(request):
    return request.param


def make_workshops(tenant, teachers, count, *, sessions_each=2, capacity=8, full_first=False, start_at=0):
    """`count` published workshops, each with `sessions_each` upcoming sessions."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from booking.models import EventType, Session

    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    event_types = EventType.objects.bulk_create([
        EventType(tenant=tenant, kind=EventType.Kind.WORKSHOP if n % 2 else EventType.Kind.LIVE_CLASS,
                  title=f"Workshop {n:03d}", slug=f"workshop-{n:03d}", price=Decimal("0" if n % 3 == 0 else "250000"),
                  currency="VND", seats_per_session=capacity, is_published=True, duration_minutes=90,
                  description="Speaking practice in a small group.")
        for n in range(start_at, start_at + count)
    ])
    sessions = []
    for n, event_type in enumerate(event_types, start=start_at):
        for k in range(sessions_each):
            begins = start + timedelta(days=k, hours=n)
            sessions.append(Session(
                tenant=tenant, event_type=event_type, teacher=teachers[(n + k) % len(teachers)], start=begins,
                end=begins + timedelta(minutes=90), capacity=capacity,
                seats_taken=capacity if (full_first and n == start_at and k == 0) else 0,
            ))
    Session.objects.bulk_create(sessions)
    return event_types
