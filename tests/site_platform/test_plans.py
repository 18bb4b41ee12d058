"""Plan limits at their edges: teachers, published event types, bookings per month
(with the 80% and 100% emails), and the monthly count under real concurrency."""

from collections import Counter
from datetime import datetime, timezone as dt_timezone

import pytest
from django.core import mail

from booking import publish_checks
from booking.errors import BookingError
from booking.models import Booking, EventType, WaitlistEntry
from booking.services import bookings, waitlist
from site_platform.models import Membership, MonthlyUsage, Plan, Tenant, UsageNotice
from site_platform.services.tenants import add_member
from site_platform.usage import PlanLimitError, month_of, usage_summary
from tests.booking.booking_helpers import make_class
from tests.booking.helpers import make_event_type, make_teacher
from tests.concurrency import race
from tests.conftest import host_client, make_tenant, make_user

pytestmark = pytest.mark.django_db


def on_plan(tenant, code, **limits):
    plan = Plan.objects.get(code=code)
    if limits:
        Plan.objects.filter(pk=plan.pk).update(**limits)
        plan.refresh_from_db()
    Tenant.objects.filter(pk=tenant.pk).update(plan=plan)
    tenant.refresh_from_db()
    return plan


def test_starter_allows_three_teachers_and_refuses_the_fourth(tenant):
    on_plan(tenant, "starter")
    for number in range(3):
        add_member(tenant, f"t{number}@hanoi.test", Membership.Role.TEACHER)
    with pytest.raises(PlanLimitError) as refusal:
        add_member(tenant, "t3@hanoi.test", Membership.Role.TEACHER)
    assert refusal.value.message.startswith("Your Starter plan allows 3 teachers.")
    assert not Membership.objects.filter(user__email="t3@hanoi.test").exists()


def test_teacher_limit_counts_active_teachers_only_and_not_admins(tenant):
    on_plan(tenant, "lite")  # one teacher
    add_member(tenant, "first@hanoi.test", Membership.Role.TEACHER)
    add_member(tenant, "first@hanoi.test", Membership.Role.TEACHER)  # the same teacher again is no new teacher
    add_member(tenant, "second-admin@hanoi.test", Membership.Role.ADMIN)
    Membership.objects.filter(user__email="first@hanoi.test").update(is_active=False)
    add_member(tenant, "second@hanoi.test", Membership.Role.TEACHER)
    with pytest.raises(PlanLimitError, match="Your Lite plan allows 1 teacher"):
        add_member(tenant, "third@hanoi.test", Membership.Role.TEACHER)


def test_published_event_types_limit(tenant, teacher):
    on_plan(tenant, "lite")  # three published event types
    for number in range(3):
        make_event_type(tenant, slug=f"e{number}", hosts=[teacher])
    draft = make_event_type(tenant, slug="draft", hosts=[teacher], is_published=False)
    already = EventType.objects.get(slug="e0")

    problems = publish_checks.publish_problems(tenant=tenant, event_type=draft, is_published=True, price=draft.price)
    assert any(p.startswith("Your Lite plan allows 3 published event types.") for p in problems)
    # Saving one that is already published, or saving a draft unpublished, is not refused.
    assert not [p for p in publish_checks.publish_problems(tenant=tenant, event_type=already, is_published=True,
                                                           price=already.price) if "plan" in p]
    assert not publish_checks.publish_problems(tenant=tenant, event_type=draft, is_published=False, price=draft.price)
    EventType.objects.filter(pk=already.pk).update(is_published=False)
    assert not [p for p in publish_checks.publish_problems(tenant=tenant, event_type=draft, is_published=True,
                                                           price=draft.price) if "plan" in p]


def test_tenant_without_a_plan_has_no_limits(tenant):
    assert tenant.plan is None
    for number in range(4):
        add_member(tenant, f"t{number}@hanoi.test", Membership.Role.TEACHER)


def _students(count):
    return [make_user(f"s{i}@example.com") for i in range(count)]


def test_monthly_bookings_limit_at_the_edge_with_notices_once(tenant, teacher, student,
                                                           django_capture_on_commit_callbacks):
    on_plan(tenant, "lite", max_bookings_per_month=5)
    event_type, (session,) = make_class(tenant, teacher, capacity=20)
    students = _students(6)

    def book(attendee):
        with django_capture_on_commit_callbacks(execute=True):
            bookings.create_booking(event_type=event_type, session=session, attendee=attendee)

    def notices():
        return [m for m in mail.outbox if "bookings" in m.subject]

    for attendee in students[:3]:
        book(attendee)
    assert not UsageNotice.objects.exists() and not notices()
    book(students[3])  # 4 of 5 = 80%
    assert [m.subject for m in notices()] == [
        "Hanoi English Centre has used 80% of the monthly bookings of its Lite plan"]
    assert notices()[0].to == ["owner@hanoi.test"]
    book(students[4])  # 5 of 5
    assert notices()[-1].subject == "Hanoi English Centre has used all 5 bookings of its Lite plan this month"

    with pytest.raises(BookingError) as refusal:
        book(students[5])
    assert refusal.value.message == ("Sorry, Hanoi English Centre cannot take more bookings this month. "
                                     "Please contact the school.")
    session.refresh_from_db()
    assert session.seats_taken == 5  # the refused booking's seat went back with its transaction
    assert Booking.objects.count() == 5 and len(notices()) == 2
    assert MonthlyUsage.objects.get(tenant=tenant, month=month_of()).bookings == 5
    assert list(UsageNotice.objects.values_list("threshold", flat=True).order_by("threshold")) == [80, 100]


def test_refused_booking_does_not_count_and_next_month_starts_again(tenant, teacher):
    on_plan(tenant, "lite", max_bookings_per_month=1)
    event_type, (session,) = make_class(tenant, teacher, capacity=1)
    first, second = _students(2)
    june = datetime(2026, 6, 30, 12, tzinfo=dt_timezone.utc)
    july = datetime(2026, 7, 1, 0, 30, tzinfo=dt_timezone.utc)
    # A refusal for another reason (full) counts nothing.
    from booking.models import Session
    Session.objects.filter(pk=session.pk).update(seats_taken=1)
    with pytest.raises(BookingError, match="fully booked"):
        bookings.create_booking(event_type=event_type, session=session, attendee=first, now=june)
    assert not MonthlyUsage.objects.filter(bookings__gt=0).exists()
    Session.objects.filter(pk=session.pk).update(seats_taken=0, capacity=5)
    bookings.create_booking(event_type=event_type, session=session, attendee=first, now=june)
    with pytest.raises(BookingError, match="cannot take more bookings this month"):
        bookings.create_booking(event_type=event_type, session=session, attendee=second, now=june)
    bookings.create_booking(event_type=event_type, session=session, attendee=second, now=july)
    assert dict(MonthlyUsage.objects.values_list("month", "bookings")) == {
        datetime(2026, 6, 1).date(): 1, datetime(2026, 7, 1).date(): 1}


def test_waitlist_claim_counts_and_is_refused_politely_at_the_limit_keeping_the_offer(tenant, teacher, student):
    plan = on_plan(tenant, "lite", max_bookings_per_month=2)
    event_type, (session,) = make_class(tenant, teacher, capacity=1)
    holder, latecomer = make_user("holder@example.com"), make_user("late@example.com")
    first = bookings.create_booking(event_type=event_type, session=session, attendee=holder)  # 1 of 2
    entry = waitlist.join_waitlist(session, student)
    bookings.cancel_booking(first, reason="", actor=None, by_role="admin")
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.OFFERED

    claimed = waitlist.claim_offer(entry, token=entry.offer_token, user=student)  # 2 of 2: the last one allowed
    assert claimed.status == Booking.Status.CONFIRMED and claimed.source == Booking.Source.WAITLIST
    assert MonthlyUsage.objects.get(tenant=tenant, month=month_of()).bookings == 2

    second = waitlist.join_waitlist(session, latecomer)
    bookings.cancel_booking(claimed, reason="", actor=None, by_role="admin")
    second.refresh_from_db()
    assert second.status == WaitlistEntry.Status.OFFERED
    client = host_client(tenant, user=latecomer)
    refused = client.post(f"/waitlist/{second.pk}/claim/", {"token": second.offer_token})
    assert refused.status_code == 400
    assert ("Sorry, Hanoi English Centre cannot take more bookings this month. Please contact the school."
            in refused.content.decode())
    # Nothing written: no booking, no count; the offer is still the latecomer's, its seat held.
    assert not Booking.objects.filter(attendee=latecomer).exists()
    assert MonthlyUsage.objects.get(tenant=tenant, month=month_of()).bookings == 2
    second.refresh_from_db()
    assert second.status == WaitlistEntry.Status.OFFERED and second.booking_id is None
    session.refresh_from_db()
    assert session.seats_taken == 1
    assert "Claim my seat" in client.get(second.claim_path()).content.decode()

    Plan.objects.filter(pk=plan.pk).update(max_bookings_per_month=3)  # the school upgrades
    assert client.post(f"/waitlist/{second.pk}/claim/", {"token": second.offer_token}).status_code == 302
    assert Booking.objects.get(attendee=latecomer).status == Booking.Status.CONFIRMED
    assert MonthlyUsage.objects.get(tenant=tenant, month=month_of()).bookings == 3
    session.refresh_from_db()
    assert session.seats_taken == 1


def test_student_sees_the_polite_message_on_the_site(tenant, teacher, student):
    on_plan(tenant, "lite", max_bookings_per_month=0)
    event_type, (session,) = make_class(tenant, teacher, capacity=5)
    client = host_client(tenant, user=student)
    response = client.post(f"/book/session/{session.pk}/", {"seats": "1"}, follow=True)
    assert "cannot take more bookings this month" in response.content.decode()
    assert not Booking.objects.exists()


def test_school_staff_booking_someone_in_at_the_limit_read_the_plan_and_its_allowance(tenant, tenant_admin, teacher):
    on_plan(tenant, "lite", max_bookings_per_month=0)
    event_type, (session,) = make_class(tenant, teacher, capacity=5)
    response = host_client(None, user=tenant_admin).post("/admin/bookings/book/", {
        "event_type": event_type.pk, "session": session.pk, "email": "walk.in@example.com", "seats": 1})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Your Lite plan allows 0 bookings per month, and this month&#x27;s are all used." in page
    assert "Please contact the school" not in page
    assert not Booking.objects.exists()


def test_usage_shown_to_the_tenant_admin(tenant, tenant_admin, teacher, student):
    on_plan(tenant, "starter")
    event_type, (session,) = make_class(tenant, teacher, capacity=5)
    bookings.create_booking(event_type=event_type, session=session, attendee=student)
    summary = usage_summary(tenant)
    assert [(r["used"], r["limit"]) for r in summary["rows"]] == [(1, 300), (1, 3), (1, 10)]
    page = host_client(None, user=tenant_admin).get("/admin/").content.decode()
    assert "Usage this month (Starter plan)" in page
    assert "Bookings this month" in page and "300" in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_threads_race_for_the_last_booking_of_the_month():
    tenant = make_tenant("monthrace")
    on_plan(tenant, "lite", max_bookings_per_month=50)
    teacher = make_teacher(tenant, "t@monthrace.test")
    event_type, (session,) = make_class(tenant, teacher, capacity=30)
    MonthlyUsage.objects.create(tenant=tenant, month=month_of(), bookings=49)
    students = _students(10)

    def run(index):
        bookings.create_booking(event_type=event_type, session=session, attendee=students[index])
        return "booked"

    outcomes = [outcome.message if isinstance(outcome, BookingError)
                else repr(outcome) if isinstance(outcome, Exception)
                else outcome
                for outcome in race(10, run)]

    counts = Counter(outcomes)
    assert counts["booked"] == 1, outcomes
    assert counts["Sorry, Monthrace School cannot take more bookings this month. Please contact the school."] == 9
    assert MonthlyUsage.objects.get(tenant=tenant).bookings == 50
    assert Booking.objects.filter(tenant=tenant).count() == 1
    session.refresh_from_db()
    assert session.seats_taken == 1
    assert UsageNotice.objects.filter(tenant=tenant, threshold=100).count() == 1


def test_team_screen_cannot_reactivate_a_teacher_past_the_limit(tenant, tenant_admin):
    on_plan(tenant, "lite")  # one teacher
    add_member(tenant, "first@hanoi.test", Membership.Role.TEACHER)
    Membership.objects.filter(user__email="first@hanoi.test").update(is_active=False)
    add_member(tenant, "second@hanoi.test", Membership.Role.TEACHER)
    first = Membership.objects.get(user__email="first@hanoi.test")
    client = host_client(None, user=tenant_admin)
    response = client.post(f"/admin/team/edit/{first.pk}/", {
        "tenant": tenant.pk, "role": "teacher", "is_active": "on", "timezone": "UTC"})
    assert "Your Lite plan allows 1 teacher." in response.content.decode()
    first.refresh_from_db()
    assert not first.is_active
