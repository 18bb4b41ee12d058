"""Demo booking data. Grows as the booking app does; idempotent: every step
looks before it creates, so running it twice changes nothing the second time."""

from datetime import date, time, timedelta
from decimal import Decimal

from django.db import transaction

from site_platform.models import Membership

from .models import AvailabilityRange, Booking, EventHost, EventType, Schedule, Session, SessionSeries, WaitlistEntry
from .services import bookings as booking_service
from .services import waitlist as waitlist_service
from .services.sessions import create_series
from .services.teachers import TEACHING_ROLES

WEEKLY_HOURS = [(day, time(9), time(12)) for day in range(5)] + [(day, time(14), time(18)) for day in range(5)]


def _event_types(currency):
    return [
        dict(slug="private-lesson", kind=EventType.Kind.ONE_ON_ONE, title="Private lesson (50 min)",
             description="One-to-one lesson online, tailored to your goals.", price=Decimal("25") if currency == "EUR"
             else Decimal("350000"), duration_minutes=50, buffer_after_minutes=10, minimum_notice_minutes=12 * 60,
             booking_horizon_days=60, daily_limit_per_teacher=5, meeting_url="https://meet.example.com/private",
             questions=[{"label": "Your level", "kind": "choice", "choices": ["A1", "A2", "B1", "B2", "C1"],
                         "required": True},
                        {"label": "What would you like to work on?", "kind": "text", "required": False}]),
        dict(slug="conversation-club", kind=EventType.Kind.LIVE_CLASS, title="Conversation club",
             description="Small-group speaking practice, twice a week.", price=Decimal("0"),
             duration_minutes=60, seats_per_session=10, max_seats_per_booking=2, minimum_notice_minutes=60,
             meeting_url="https://meet.example.com/club"),
        dict(slug="exam-workshop", kind=EventType.Kind.WORKSHOP, title="Exam writing workshop",
             description="Three hours of exam technique with model answers.",
             price=Decimal("40") if currency == "EUR" else Decimal("600000"), duration_minutes=180,
             seats_per_session=20, max_seats_per_booking=3, location_kind=EventType.LocationKind.IN_PERSON,
             address="12 Example Street", refund_window_hours=48, late_cancel_refund_percent=50),
    ]


def _teachers(tenant):
    memberships = Membership.objects.filter(tenant=tenant, is_active=True, role__in=TEACHING_ROLES).select_related(
        "user").order_by("role", "pk")
    teachers = [m for m in memberships if m.role == Membership.Role.TEACHER] or list(memberships)
    return [(m.user, m.timezone) for m in teachers]


def _next_monday(today):
    return today + timedelta(days=7 - today.weekday())


@transaction.atomic
def seed_booking_demo(tenants, say):
    for tenant in tenants:
        currency = "EUR" if tenant.subdomain == "anna" else "VND"
        teachers = _teachers(tenant)
        if not teachers:
            continue
        for user, zone in teachers:
            schedule, created = Schedule.objects.get_or_create(tenant=tenant, teacher=user,
                                                               defaults={"timezone": zone or "UTC"})
            if created:
                AvailabilityRange.objects.bulk_create([
                    AvailabilityRange(tenant=tenant, schedule=schedule, weekday=day, start_time=start, end_time=end)
                    for day, start, end in WEEKLY_HOURS
                ])
                say(f"  schedule for {user} ({schedule.timezone})")
        by_slug = {}
        for spec in _event_types(currency):
            spec = dict(spec)
            slug = spec.pop("slug")
            event_type, created = EventType.objects.get_or_create(
                tenant=tenant, slug=slug, defaults={**spec, "currency": currency, "is_published": True})
            by_slug[slug] = event_type
            if created:
                say(f"  event type {event_type.title} for {tenant.name}")
        for user, _zone in teachers:
            EventHost.objects.get_or_create(tenant=tenant, event_type=by_slug["private-lesson"], teacher=user)

        teacher = teachers[0][0]
        start = _next_monday(date.today())
        club = by_slug["conversation-club"]
        if not SessionSeries.objects.filter(event_type=club).exists():
            series, sessions, skipped = create_series(
                event_type=club, teacher=teacher, weekdays=[1, 3], start_time=time(18, 30), starts_on=start,
                count=12, skip_conflicts=True)
            say(f"  {len(sessions)} conversation club sessions for {tenant.name}")
        workshop = by_slug["exam-workshop"]
        if not Session.objects.filter(event_type=workshop).exists():
            first = create_series(event_type=workshop, teacher=teacher, weekdays=[5], start_time=time(9),
                                  starts_on=start, count=4, interval_weeks=2, skip_conflicts=True)[1]
            say(f"  {len(first)} workshop sessions for {tenant.name}")
        _seed_bookings(tenant, club, say)
        if tenant.subdomain == "littlestars":
            _seed_family_class(tenant, teacher, start, currency, say)
    return None


FAMILY_CHILDREN = [("Bao", "bao.family@student.example"), ("Minh", "minh.family@student.example"),
                   ("An", "an.family@student.example")]


def _seed_family_class(tenant, teacher, start, currency, say):
    """A kids' class that names each child, and a parent's booking of three children, once."""
    family, created = EventType.objects.get_or_create(
        tenant=tenant, slug="family-class", defaults=dict(
            kind=EventType.Kind.LIVE_CLASS, title="Family English class",
            description="Book your children in together; each child gets their own place and link.",
            price=Decimal("0"), currency=currency, duration_minutes=45, seats_per_session=8,
            max_seats_per_booking=4, minimum_notice_minutes=60, is_published=True,
            participant_names=EventType.ParticipantNames.REQUIRED, meeting_url="https://meet.example.com/family"))
    if created:
        say(f"  event type {family.title} for {tenant.name}")
    if not Session.objects.filter(event_type=family).exists():
        sessions = create_series(event_type=family, teacher=teacher, weekdays=[6], start_time=time(10),
                                 starts_on=start, count=6, skip_conflicts=True)[1]
        say(f"  {len(sessions)} family class sessions for {tenant.name}")
    if Booking.objects.filter(event_type=family).exists():
        return
    first = Session.objects.filter(event_type=family, status=Session.Status.SCHEDULED).order_by("start").first()
    if first is None:
        return
    lan = _students()[2]
    booking_service.create_booking(
        event_type=family, session=first, attendee=lan, seats=len(FAMILY_CHILDREN), source=Booking.Source.DIRECT,
        participants=[{"name": name, "email": email} for name, email in FAMILY_CHILDREN])
    say(f"  a parent's booking of three children for {tenant.name}")


DEMO_STUDENTS = [("mai@student.example", "Mai", "Tran"), ("tom@student.example", "Tom", "Baker"),
                 ("lan@student.example", "Lan", "Pham")]


def _students():
    from site_platform.demo import _ensure_account

    return [_ensure_account(email, first_name=first, last_name=last) for email, first, last in DEMO_STUDENTS]


def _seed_bookings(tenant, club, say):
    """A confirmed booking, a cancelled one and a full session with a waitlist, once."""
    if Booking.objects.for_tenant(tenant).exists():
        return
    sessions = list(Session.objects.for_tenant(tenant).filter(event_type=club, status=Session.Status.SCHEDULED)
                    .order_by("start")[:3])
    if len(sessions) < 3:
        return
    mai, tom, lan = _students()
    booking_service.create_booking(event_type=club, session=sessions[0], attendee=mai, seats=2,
                                   answers={}, source=Booking.Source.DIRECT)
    cancelled = booking_service.create_booking(event_type=club, session=sessions[1], attendee=tom)
    booking_service.cancel_booking(cancelled, reason="Travelling that week", actor=tom)
    full = sessions[2]
    Session.objects.filter(pk=full.pk).update(capacity=1)
    booking_service.create_booking(event_type=club, session=full, attendee=tom)
    if not WaitlistEntry.objects.filter(session=full).exists():
        waitlist_service.join_waitlist(full, lan)
    say(f"  demo bookings and a waitlist for {tenant.name}")


