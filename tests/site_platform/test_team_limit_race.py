"""Real threads against PostgreSQL: admins ticking "active" on deactivated teachers on
the Team screen at the same moment never pass the plan's teacher limit (the tenant's
row is locked before the teachers are counted, as add_member and invitations do)."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from site_platform.models import Membership
from site_platform.services.tenants import add_member
from tests.concurrency import race
from tests.conftest import PASSWORD, host_client, make_tenant
from tests.site_platform.test_plans import on_plan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

COUNT = 6


def test_admins_reactivating_teachers_at_once_stop_at_the_plans_limit():
    tenant = make_tenant("teamrace")
    admin = get_user_model().objects.get(email="owner@teamrace.test")
    admin.set_password(PASSWORD)
    admin.save()
    EmailAddress.objects.filter(user=admin).update(verified=True)
    on_plan(tenant, "lite")  # one teacher
    memberships = []
    for n in range(COUNT):
        add_member(tenant, f"t{n}@teamrace.test", Membership.Role.TEACHER)
        Membership.objects.filter(user__email=f"t{n}@teamrace.test").update(is_active=False)
        memberships.append(Membership.objects.get(user__email=f"t{n}@teamrace.test"))
    clients = [host_client(None, user=admin) for _ in range(COUNT)]

    def reactivate(index):
        response = clients[index].post(f"/admin/team/edit/{memberships[index].pk}/", {
            "tenant": tenant.pk, "role": "teacher", "is_active": "on", "timezone": "UTC"})
        return (response.status_code, "Your Lite plan allows 1 teacher." in response.content.decode())

    statuses = [("crashed", repr(status)) if isinstance(status, Exception) else status
                for status in race(COUNT, reactivate)]

    assert sorted(statuses, key=str) == sorted([(302, False)] + [(200, True)] * (COUNT - 1), key=str), statuses
    assert Membership.objects.filter(tenant=tenant, role=Membership.Role.TEACHER, is_active=True).count() == 1
