"""A paid event type cannot be published while the school has no connected Stripe
account: nothing Immersio does (syncs, webhooks, course mapping) publishes one."""

from decimal import Decimal

import pytest
from django.urls import reverse

from booking import publish_checks
from booking.models import EventType
from integrations.immersio.sync import sync_tenant
from integrations.models import ImmersioLink
from integrations.payments.models import StripeAccount
from tests.conftest import host_client

from .conftest import ORG
from .test_webhooks import post

pytestmark = pytest.mark.django_db


def test_nothing_immersio_does_publishes_a_paid_event_type_without_stripe(fake, tenant, connection, tenant_admin,
                                                                         django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    assert not StripeAccount.objects.filter(tenant=tenant).exists()
    paid = EventType.objects.create(tenant=tenant, kind="live_class", title="IELTS intensive", slug="ielts-paid",
                                    price=Decimal("40.00"), currency="USD", is_published=False)
    fake.add_teacher(ORG, "t1", email="linh@example.com", name="Linh")
    fake.add_course(ORG, "c1", title="IELTS", teacher_ids=["t1"])
    fake.add_course(ORG, "c2", title="Conversation", status="active")
    fake.add_student(ORG, "s1", email="an@example.com", course_id="c1")
    sync_tenant(tenant.pk, full=True)
    assert not EventType.objects.filter(tenant=tenant, is_published=True).exists()  # synced courses are drafts

    link = ImmersioLink.objects.get(tenant=tenant, kind="course", immersio_id="c1")
    with commit(execute=True):
        response = host_client(user=tenant_admin).post(reverse("immersio_course_map", args=[link.pk]),
                                                       {"event_type": paid.pk})
    assert response.status_code == 302
    paid.refresh_from_db()
    assert paid.immersio_course_id == "c1" and paid.is_published is False

    # Everything Immersio may send afterwards: changes, archive and back, students, teachers.
    fake.update_course(ORG, "c1", title="IELTS 2027", status="archived")
    with commit(execute=True):
        post(tenant, {"id": "evt_1", "type": "course.archived", "data": {"id": "c1"}})
    fake.update_course(ORG, "c1", status="active")
    fake.add_student(ORG, "s2", email="binh@example.com")
    with commit(execute=True):
        post(tenant, {"id": "evt_2", "type": "course.updated", "data": {"id": "c1"}})
        post(tenant, {"id": "evt_3", "type": "student.enrolled",
                      "data": {"course_id": "c1", "student": {"id": "s2", "email": "binh@example.com"}}})
        post(tenant, {"id": "evt_4", "type": "teacher.updated", "data": {"id": "t1"}})
    sync_tenant(tenant.pk, full=True)
    sync_tenant(tenant.pk)

    paid.refresh_from_db()
    assert paid.title == "IELTS 2027" and paid.price == Decimal("40.00")
    assert paid.is_published is False
    assert not EventType.objects.filter(tenant=tenant, is_published=True).exists()
    # Publishing it is still refused, for the reason the admin would read.
    problems = publish_checks.publish_problems(tenant=tenant, event_type=paid, is_published=True, price=paid.price)
    assert any("Stripe" in str(problem) for problem in problems)
