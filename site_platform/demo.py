"""The demo data set. Every step looks before it creates, so running it twice
changes nothing the second time."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Membership, Tenant
from .services.tenants import add_member, create_tenant

DEMO_PASSWORD = "demo-pass-2026"
SUPERADMIN_EMAIL = "super@platform.test"

TENANTS = [
    {
        "name": "Hanoi English Centre", "subdomain": "hanoi", "template": "education", "plan": "growth",
        "admin": "owner@hanoi.test", "teachers": [("linh@hanoi.test", "Linh", "Nguyen", "Asia/Ho_Chi_Minh"),
                                                   ("james@hanoi.test", "James", "Carter", "Europe/London")],
        "hero": ("Learn English in the heart of Hanoi",
                 "IELTS, business English and conversation classes with friendly, qualified teachers."),
        "about": "<p>Since 2012 we have helped more than 4,000 learners speak English with confidence. "
                 "Classes are small (at most 12 students) and every course ends with a speaking test.</p>",
    },
    {
        "name": "Anna Schmidt – German Tutor", "subdomain": "anna", "template": "tutor", "plan": "lite",
        "admin": "anna@tutor.test", "teachers": [],
        "hero": ("German lessons, one to one, online",
                 "From your first Hallo to the Goethe B2 exam, at a pace that suits you."),
        "about": "<p>I am a certified teacher from Berlin living in Da Nang. Lessons run on Zoom "
                 "and last 50 minutes.</p>",
    },
    {
        "name": "Little Stars English Club", "subdomain": "littlestars", "template": "kids_playful",
        "plan": "starter", "admin": "owner@littlestars.test",
        "teachers": [("mai@littlestars.test", "Mai", "Tran", "Asia/Ho_Chi_Minh")],
        "hero": ("English through songs, games and stories",
                 "Playful weekend classes for children aged 4 to 10."),
        "about": "<p>Children learn best when they play. Our classes mix songs, crafts and stories, "
                 "and parents get a short report after every term.</p>",
    },
]


def _ensure_account(email, *, first_name="", last_name="", superuser=False):
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        create = User.objects.create_superuser if superuser else User.objects.create_user
        user = create(email=email, password=DEMO_PASSWORD, first_name=first_name, last_name=last_name)
    elif not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    if first_name and not user.first_name:
        user.first_name, user.last_name = first_name, last_name
        user.save(update_fields=["first_name", "last_name"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def _landing_body(spec):
    teachers = [{"name": f"{first} {last}", "headline": "", "bio": "", "languages": ["English", "Vietnamese"]}
                for _email, first, last, _tz in spec["teachers"]] or [
        {"name": spec["name"].split(" – ")[0], "headline": "Certified teacher", "bio": "", "languages": ["German"]}]
    return [
        ("hero", {"title": spec["hero"][0], "subtitle": spec["hero"][1], "cta_text": "See classes",
                  "cta_link": "#classes"}),
        ("workshop_list", {"heading": "Upcoming classes and workshops", "intro": "", "kinds": [],
                           "show_filters": True, "limit": 12}),
        ("booking_widget", {"heading": "Book a private lesson", "intro": "Pick a time that suits you.",
                            "event_type": "private-lesson", "days": 7}),
        ("text", spec["about"]),
        ("teacher_profiles", {"heading": "Our teachers", "intro": "", "teachers": teachers}),
        ("testimonials", {"heading": "What our students say", "items": [
            {"quote": "Small groups and patient teachers: I finally enjoy speaking.", "name": "Minh Tran",
             "detail": "Conversation club"},
            {"quote": "Booking and rescheduling takes a minute, even on my phone.", "name": "Lan Pham",
             "detail": "Private lessons"},
        ]}),
        ("faq", {"heading": "Frequently asked questions", "items": [
            {"question": "Can I cancel a booking?",
             "answer": "<p>Yes. Cancel at least 12 hours before the start for a full refund.</p>"},
            {"question": "How do I pay?", "answer": "<p>By card, securely, when you book.</p>"},
        ]}),
        ("call_to_action", {"text": "Your first lesson starts here.", "button_text": "Book now",
                            "button_link": "#classes"}),
    ]


def _ensure_landing_content(tenant, spec, say):
    """Give a demo landing page the current demo content once (older demos lack the booking blocks)."""
    page = tenant.root_page.specific
    if any(block.block_type == "workshop_list" for block in page.body):
        return
    page.body = _landing_body(spec)
    page.save_revision().publish()
    say(f"updated the landing page of {tenant.name}")


@transaction.atomic
def seed_demo(stdout=None):
    say = stdout.write if stdout else (lambda *_: None)
    _ensure_account(SUPERADMIN_EMAIL, first_name="Platform", last_name="Admin", superuser=True)
    tenants = []
    for spec in TENANTS:
        tenant = Tenant.objects.filter(subdomain=spec["subdomain"]).first()
        if tenant is None:
            _ensure_account(spec["admin"])
            tenant = create_tenant(name=spec["name"], subdomain=spec["subdomain"], template=spec["template"],
                                   admin_email=spec["admin"], plan=spec["plan"], send_invitation=False)
            say(f"created tenant {tenant.name}")
        _ensure_landing_content(tenant, spec, say)
        for email, first, last, tz in spec["teachers"]:
            _ensure_account(email, first_name=first, last_name=last)
            if not Membership.objects.filter(tenant=tenant, user__email=email).exists():
                add_member(tenant, email, Membership.Role.TEACHER, timezone=tz)
        tenants.append(tenant)
    extend_demo(tenants, say)
    return tenants


def extend_demo(tenants, say):
    """Booking data for the demo tenants; each app adds its own part here."""
    from booking.demo import seed_booking_demo

    seed_booking_demo(tenants, say)
