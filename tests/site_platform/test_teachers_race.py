"""Issue 8: the plan's teacher limit holds when two invitations are accepted at the
same moment (real threads against PostgreSQL)."""

import pytest

from site_platform import usage
from site_platform.models import Invitation, Membership, Plan
from site_platform.services import invitations
from tests.concurrency import at_once, race
from tests.conftest import make_tenant, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def explained(outcomes, refusal):
    """Outcomes from tests.concurrency with a `refusal` error shown as its message and any
    other exception as its repr, so the assertions below (and their messages) read plainly."""
    return [outcome.message if isinstance(outcome, refusal)
            else repr(outcome) if isinstance(outcome, Exception)
            else outcome
            for outcome in outcomes]


def test_two_invitations_accepted_at_once_for_the_last_seat_make_exactly_one_teacher():
    tenant = make_tenant("seats")
    admin = tenant.memberships.get(role=Membership.Role.ADMIN).user
    tenant.plan = Plan.objects.create(code="duo", name="Duo", max_teachers=3)
    tenant.save()
    make_user("first@seats.test")
    invitations.add_member(tenant, "first@seats.test", Membership.Role.TEACHER)
    tokens, people = [], []
    for name in ("mai", "hoa"):
        invitation = invitations.invite(tenant, f"{name}@example.com", name, Membership.Role.TEACHER, admin)
        token = invitations.new_token()
        Invitation.objects.filter(pk=invitation.pk).update(token_hash=invitations.hash_token(token))
        tokens.append(token)
        people.append(make_user(f"{name}@example.com"))
    # The school moves to a plan with one seat left while both invitations are pending.
    Plan.objects.filter(pk=tenant.plan_id).update(max_teachers=2)

    def accept(index):
        invitations.accept(tokens[index], people[index])
        return "accepted"

    outcomes = explained(race(2, accept), usage.PlanLimitError)

    assert outcomes.count("accepted") == 1, outcomes
    refusal = next(outcome for outcome in outcomes if outcome != "accepted")
    assert "Your Duo plan allows 2 teachers" in refusal, outcomes
    assert Membership.objects.filter(tenant=tenant, role=Membership.Role.TEACHER, is_active=True).count() == 2
    assert Invitation.objects.filter(tenant=tenant, accepted_at__isnull=False).count() == 1
    assert Invitation.objects.filter(tenant=tenant).pending().count() == 1


def test_two_admins_adding_the_last_teacher_at_once_make_exactly_one():
    """add_member locks the tenant's row before counting the plan's teachers, as accepting
    an invitation does: without it both threads count one free seat and both land."""
    tenant = make_tenant("lastseat")
    tenant.plan = Plan.objects.create(code="solo2", name="Solo Plus", max_teachers=2)
    tenant.save()
    invitations.add_member(tenant, "first@lastseat.test", Membership.Role.TEACHER)
    for name in ("mai", "hoa"):
        make_user(f"{name}@example.com")

    def add(email):
        invitations.add_member(tenant, email, Membership.Role.TEACHER)
        return "added"

    outcomes = explained(at_once([lambda email=email: add(email) for email in ("mai@example.com", "hoa@example.com")]),
                         usage.PlanLimitError)

    assert outcomes.count("added") == 1, outcomes
    refusal = next(outcome for outcome in outcomes if outcome != "added")
    assert "Your Solo Plus plan allows 2 teachers" in refusal, outcomes
    assert Membership.objects.filter(tenant=tenant, role=Membership.Role.TEACHER, is_active=True).count() == 2


def test_two_lessons_reassigned_at_once_to_one_teacher_at_the_same_time_only_one_lands():
    """Both reassignments pass the busy check before either commits; the PostgreSQL
    exclusion constraint on one-to-one time refuses the second, as a readable refusal."""
    from booking.models import Booking
    from booking.services import bookings
    from booking.services import teachers as teacher_service
    from tests.booking.booking_helpers import future, make_one_on_one
    from tests.booking.helpers import make_teacher

    tenant = make_tenant("swap")
    admin = tenant.memberships.get(role=Membership.Role.ADMIN).user
    first, second, spare = (make_teacher(tenant, f"{name}@swap.test", first_name=name.title())
                            for name in ("an", "binh", "chi"))
    start = future(2, 10)
    lessons = [bookings.create_booking(event_type=make_one_on_one(tenant, owner, slug=f"lesson-{owner.pk}"),
                                       start=start, attendee=make_user(f"student{owner.pk}@example.com"))
               for owner in (first, second)]

    def reassign(index):
        teacher_service.reassign_booking(lessons[index], spare, actor=admin)
        return "reassigned"

    outcomes = explained(race(2, reassign), teacher_service.TeacherError)

    assert outcomes.count("reassigned") == 1, outcomes
    assert "Chi" in next(o for o in outcomes if o != "reassigned") and "busy" in str(outcomes), outcomes
    assert Booking.objects.filter(teacher=spare, status__in=Booking.ACTIVE).count() == 1
