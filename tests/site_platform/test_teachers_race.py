"""Issue 8: the plan's teacher limit holds when two invitations are accepted at the
same moment (real threads against PostgreSQL)."""

import threading

import pytest
from django.db import connection

from site_platform import usage
from site_platform.models import Invitation, Membership, Plan
from site_platform.services import invitations
from tests.conftest import make_tenant, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


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

    barrier = threading.Barrier(2)
    outcomes = [None, None]

    def accept(index):
        try:
            barrier.wait()
            invitations.accept(tokens[index], people[index])
            outcomes[index] = "accepted"
        except usage.PlanLimitError as error:
            outcomes[index] = error.message
        except Exception as error:  # noqa: BLE001 - any other failure fails the assertions below
            outcomes[index] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("accepted") == 1, outcomes
    refusal = next(outcome for outcome in outcomes if outcome != "accepted")
    assert "Your Duo plan allows 2 teachers" in refusal, outcomes
    assert Membership.objects.filter(tenant=tenant, role=Membership.Role.TEACHER, is_active=True).count() == 2
    assert Invitation.objects.filter(tenant=tenant, accepted_at__isnull=False).count() == 1
    assert Invitation.objects.filter(tenant=tenant).pending().count() == 1
