"""add_member: re-activating someone who was deactivated, and the plan's teacher limit."""

import pytest

from booking.services import teachers as teacher_service
from site_platform import usage
from site_platform.models import Membership, Plan
from site_platform.services.tenants import add_member
from tests.conftest import host_client

pytestmark = pytest.mark.django_db


def test_adding_back_a_deactivated_teacher_makes_them_active_again(tenant, tenant_admin, teacher):
    membership = Membership.objects.get(tenant=tenant, user=teacher)
    teacher_service.deactivate_teacher(membership, actor=tenant_admin)
    membership.refresh_from_db()
    assert not membership.is_active and membership.deactivated_at is not None
    add_member(tenant, "Linh@Hanoi.test", Membership.Role.TEACHER, actor=tenant_admin)
    membership.refresh_from_db()
    assert membership.is_active and membership.deactivated_at is None
    assert tenant.teacher_group in teacher.groups.all()
    assert host_client(user=teacher).get("/admin/").status_code == 200


def test_a_teacher_past_the_plans_limit_is_refused_and_nothing_is_written(tenant, teacher):
    tenant.plan = Plan.objects.create(code="one", name="One", max_teachers=1)
    tenant.save()
    with pytest.raises(usage.PlanLimitError, match="Your One plan allows 1 teacher"):
        add_member(tenant, "new@hanoi.test", Membership.Role.TEACHER)
    assert not Membership.objects.filter(tenant=tenant, user__email="new@hanoi.test").exists()
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(email="new@hanoi.test").exists()


def test_ticking_active_again_on_the_team_screen_undoes_the_deactivation(tenant, tenant_admin, teacher):
    membership = Membership.objects.get(tenant=tenant, user=teacher)
    teacher_service.deactivate_teacher(membership, actor=tenant_admin)
    assert host_client(user=teacher).get("/admin/").status_code != 200
    response = host_client(user=tenant_admin).post(f"/admin/team/edit/{membership.pk}/", {
        "tenant": tenant.pk, "role": "teacher", "is_active": "on", "timezone": "Asia/Ho_Chi_Minh"})
    assert response.status_code == 302, response.content.decode()[:3000]
    membership.refresh_from_db()
    assert membership.is_active and membership.deactivated_at is None
    assert host_client(user=teacher).get("/admin/").status_code == 200
