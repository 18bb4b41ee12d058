"""The super admin's tenants screen: listing, search and filters, confirmed lifecycle
actions recorded with their actor, plan changes; and who may not reach any of it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.models import Booking
from booking.services import bookings
from site_platform.models import AuditEntry, Plan, Tenant
from tests.booking.booking_helpers import make_class
from tests.conftest import host_client, make_tenant, make_user
from tests.site_platform.test_dashboard import record_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(superadmin):
    return host_client(None, user=superadmin)


def test_tenants_list_shows_status_plan_usage_revenue_and_filters(admin_client, tenant, other_tenant, teacher,
                                                                   student):
    Tenant.objects.filter(pk=tenant.pk).update(plan=Plan.objects.get(code="starter"))
    event_type, (session,) = make_class(tenant, teacher, capacity=5, price="25.00")
    booking = bookings.create_booking(event_type=event_type, session=session, attendee=student)
    bookings.confirm_booking(booking, payment_reference="pi_1")
    record_payment(booking, "25.00", refunded="2.50", status="partially_refunded")

    page = admin_client.get("/admin/tenants/").content.decode()
    assert "Hanoi English Centre" in page and "Saigon Language School" in page
    assert "1 / 300" in page and "22.50 USD" in page and "Starter" in page
    assert "Last Immersio sync" in page and "Revenue this month" in page

    searched = admin_client.get("/admin/tenants/?q=saigon").content.decode()
    assert "Saigon Language School" in searched and "Hanoi English Centre" not in searched
    Tenant.objects.filter(pk=other_tenant.pk).update(status=Tenant.Status.SUSPENDED)
    filtered = admin_client.get("/admin/tenants/?status=suspended").content.decode()
    assert "Saigon Language School" in filtered and "Hanoi English Centre" not in filtered


def test_tenants_list_takes_the_same_queries_for_3_and_30_tenants(admin_client, tenant, other_tenant, teacher):
    event_type, (session,) = make_class(tenant, teacher, capacity=50, price="25.00")

    def paid_booking(number):
        booking = bookings.create_booking(event_type=event_type, session=session,
                                          attendee=make_user(f"s{number}@example.com"))
        record_payment(booking, "25.00")

    def listing():
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get("/admin/tenants/?ordering=subdomain")
        assert response.status_code == 200
        return len(queries), response.content.decode()

    paid_booking(0)
    make_tenant("danang")
    admin_client.get("/admin/tenants/")  # warm per-process caches (content types, site root paths)
    few, page = listing()
    assert "25.00 USD" in page

    for number in range(27):
        make_tenant(f"school{number:02d}")
        paid_booking(number + 1)
    assert Tenant.objects.count() == 30
    many, page = listing()
    assert "700.00 USD" in page  # 28 payments, on the first page (hanoi sorts before the schoolNN tenants)
    assert page.count("/status/cancel/") == 20  # a full page of rows, each with its actions
    assert many == few


def test_suspend_is_confirmed_blocks_booking_and_reactivate_restores(admin_client, superadmin, tenant, teacher,
                                                                    student):
    _event_type, (session,) = make_class(tenant, teacher, capacity=5)
    question = admin_client.get(f"/admin/tenants/{tenant.pk}/status/suspend/")
    assert question.status_code == 200 and "temporarily unavailable" in question.content.decode()
    tenant.refresh_from_db()
    assert tenant.status == "active"  # a GET changes nothing

    admin_client.post(f"/admin/tenants/{tenant.pk}/status/suspend/")
    tenant.refresh_from_db()
    assert tenant.status == "suspended"
    entry = AuditEntry.objects.get(action="tenant.suspended")
    assert entry.actor == superadmin and entry.tenant == tenant and entry.data["previous"] == "active"

    site = host_client(tenant, user=student)
    response = site.post(f"/book/session/{session.pk}/", {"seats": "1"})
    assert response.status_code == 503 and "Temporarily unavailable" in response.content.decode()
    assert not Booking.objects.exists()

    admin_client.post(f"/admin/tenants/{tenant.pk}/status/reactivate/")
    tenant.refresh_from_db()
    assert tenant.status == "active"
    assert AuditEntry.objects.filter(action="tenant.reactivated", actor=superadmin).exists()
    assert site.post(f"/book/session/{session.pk}/", {"seats": "1"}).status_code == 302
    assert Booking.objects.filter(status="confirmed").count() == 1


def test_approve_pending_and_cancel(admin_client, superadmin, db):
    pending = make_tenant("newschool", status=Tenant.Status.PENDING)
    assert host_client(pending).get("/").status_code == 503
    # Only actions the status allows are offered; others are refused without change.
    admin_client.post(f"/admin/tenants/{pending.pk}/status/suspend/")
    pending.refresh_from_db()
    assert pending.status == "pending"
    admin_client.post(f"/admin/tenants/{pending.pk}/status/approve/")
    pending.refresh_from_db()
    assert pending.status == "active" and host_client(pending).get("/").status_code == 200
    admin_client.post(f"/admin/tenants/{pending.pk}/status/cancel/")
    pending.refresh_from_db()
    assert pending.status == "cancelled" and host_client(pending).get("/").status_code == 404
    assert list(AuditEntry.objects.filter(tenant=pending, action__in=["tenant.approved", "tenant.cancelled"])
                .order_by("id").values_list("action", "actor")) == [
        ("tenant.approved", superadmin.pk), ("tenant.cancelled", superadmin.pk)]


def test_change_plan_is_recorded(admin_client, superadmin, tenant):
    growth = Plan.objects.get(code="growth")
    assert "New plan" in admin_client.get(f"/admin/tenants/{tenant.pk}/plan/").content.decode()
    admin_client.post(f"/admin/tenants/{tenant.pk}/plan/", {"plan": growth.pk})
    tenant.refresh_from_db()
    assert tenant.plan == growth
    entry = AuditEntry.objects.get(action="tenant.plan_changed")
    assert entry.actor == superadmin and entry.data == {"previous": None, "plan": "growth"}


def test_the_edit_form_does_not_change_the_plan(admin_client, tenant):
    starter = Plan.objects.get(code="starter")
    Tenant.objects.filter(pk=tenant.pk).update(plan=starter)
    form = admin_client.get(f"/admin/tenants/edit/{tenant.pk}/").content.decode()
    assert 'name="plan"' not in form
    response = admin_client.post(f"/admin/tenants/edit/{tenant.pk}/", {
        "name": "Hanoi English Centre", "plan": Plan.objects.get(code="growth").pk, "custom_domain": ""})
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.plan == starter
    assert not AuditEntry.objects.filter(action="tenant.plan_changed").exists()


def test_moving_to_a_plan_the_school_is_over_shows_it_and_asks_before_changing(admin_client, superadmin, tenant):
    from booking.models import EventType
    from tests.booking.helpers import make_teacher

    for number in range(5):
        make_teacher(tenant, f"teacher{number}@hanoi.test")
    EventType.objects.filter(tenant=tenant).update(is_published=False)
    small = Plan.objects.create(code="small3", name="Small Three", max_teachers=3, position=99)
    url = f"/admin/tenants/{tenant.pk}/plan/"

    page = admin_client.get(url).content.decode()
    assert "Small Three" in page and "over: 5 in use" in page  # the plans' limits next to the usage

    response = admin_client.post(url, {"plan": small.pk})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Teachers: 5, the plan allows 3" in page
    assert "Tick the box to change the plan anyway" in page
    tenant.refresh_from_db()
    assert tenant.plan_id != small.pk and not AuditEntry.objects.filter(action="tenant.plan_changed").exists()

    response = admin_client.post(url, {"plan": small.pk, "accept_over_limits": "on"}, follow=True)
    page = response.content.decode()
    assert "is now on the Small Three plan" in page and "Teachers: 5, over the plan&#x27;s 3." in page
    tenant.refresh_from_db()
    assert tenant.plan == small
    entry = AuditEntry.objects.get(action="tenant.plan_changed")
    assert entry.actor == superadmin and entry.data["over_limits"] == {"teachers": "5/3"}


def test_tenant_admin_cannot_reach_the_super_admin_screens(tenant, tenant_admin, other_tenant):
    client = host_client(None, user=tenant_admin)
    for url in ("/admin/tenants/", f"/admin/tenants/{other_tenant.pk}/status/suspend/",
                f"/admin/tenants/{tenant.pk}/plan/", "/admin/plans/", f"/admin/tenants/edit/{tenant.pk}/"):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert "Saigon Language School" not in response.content.decode()
    response = client.post(f"/admin/tenants/{other_tenant.pk}/status/suspend/")
    assert response.status_code in (302, 403)
    other_tenant.refresh_from_db()
    assert other_tenant.status == "active"
    assert "/admin/tenants/" not in client.get("/admin/").content.decode()


def test_audit_log_is_scoped_filterable_and_exportable(tenant, tenant_admin, other_tenant, superadmin):
    mine = AuditEntry.objects.create(tenant=tenant, actor=tenant_admin, action="booking.cancelled", target="b:1")
    theirs = AuditEntry.objects.create(tenant=other_tenant, action="booking.cancelled", target="b:secret-saigon")
    client = host_client(None, user=tenant_admin)

    listing = client.get("/admin/audit-log/").content.decode()
    assert "b:1" in listing and "b:secret-saigon" not in listing
    assert client.get(f"/admin/audit-log/inspect/{theirs.pk}/").status_code == 404
    assert client.get(f"/admin/audit-log/inspect/{mine.pk}/").status_code == 200
    exported = client.get("/admin/audit-log/?export=csv")
    body = b"".join(exported.streaming_content).decode() if exported.streaming else exported.content.decode()
    assert "b:1" in body and "b:secret-saigon" not in body
    assert client.get(f"/admin/audit-log/?tenant={other_tenant.pk}").status_code == 200
    assert "b:secret-saigon" not in client.get(f"/admin/audit-log/?tenant={other_tenant.pk}").content.decode()

    root = host_client(None, user=superadmin)
    by_action = root.get("/admin/audit-log/?action=booking.cancelled").content.decode()
    assert "b:1" in by_action and "b:secret-saigon" in by_action
    by_actor = root.get(f"/admin/audit-log/?actor={tenant_admin.pk}").content.decode()
    assert "b:1" in by_actor and "b:secret-saigon" not in by_actor
    by_date = root.get("/admin/audit-log/?created_at_from=2000-01-01&created_at_to=2000-01-02").content.decode()
    assert "b:1" not in by_date
    xlsx = root.get("/admin/audit-log/?export=xlsx")
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx["Content-Type"]
