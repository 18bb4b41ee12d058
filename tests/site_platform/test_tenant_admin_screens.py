"""The super admin's tenant screens: create through the same service, edit (no status: a status
changes only through the confirmed lifecycle actions), audit."""

import pytest
from django.core import mail

from booking.models import Booking
from site_platform.models import AuditEntry, Tenant
from tests.booking.booking_helpers import make_class
from tests.conftest import host_client

pytestmark = pytest.mark.django_db


def new_tenant_form(**overrides):
    data = {"name": "Hue Kids Club", "subdomain": "huekids", "template": "kids_bright", "plan": "",
            "custom_domain": "", "admin_email": "owner@huekids.test"}
    data.update(overrides)
    return data


def test_super_admin_creates_a_tenant_from_the_admin(superadmin, django_capture_on_commit_callbacks):
    client = host_client(user=superadmin)
    form = client.get("/admin/tenants/new/")
    assert form.status_code == 200
    assert b"Kids (bright) landing page" in form.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/tenants/new/", new_tenant_form())
    assert response.status_code == 302
    tenant = Tenant.objects.get(subdomain="huekids")
    assert type(tenant.root_page.specific).__name__ == "KidsBrightPage"
    assert AuditEntry.objects.get(action="tenant.created", tenant=tenant).actor == superadmin
    assert mail.outbox[0].to == ["owner@huekids.test"]
    assert host_client(tenant).get("/").status_code == 200


@pytest.mark.parametrize("field, value, message", [
    ("subdomain", "admin", "is reserved"),
    ("subdomain", "Not Valid!", "is not a valid subdomain"),
    ("subdomain", "hanoi", "already taken"),
    ("admin_email", "nope", "Enter a valid email address"),
])
def test_bad_input_in_the_form_shows_the_message_and_creates_nothing(superadmin, tenant, field, value, message):
    before = Tenant.objects.count()
    response = host_client(user=superadmin).post("/admin/tenants/new/", new_tenant_form(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Tenant.objects.count() == before


def test_edit_form_has_no_status_and_cannot_change_it(superadmin, tenant):
    client = host_client(user=superadmin)
    form = client.get(f"/admin/tenants/edit/{tenant.pk}/").content.decode()
    assert 'name="status"' not in form
    response = client.post(f"/admin/tenants/edit/{tenant.pk}/", {
        "name": "Hanoi English Centre (renamed)", "status": "suspended", "plan": "", "custom_domain": "",
    })
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.name == "Hanoi English Centre (renamed)" and tenant.status == "active"
    assert host_client(tenant).get("/").status_code == 200
    entry = AuditEntry.objects.get(action="tenant.updated", tenant=tenant)
    assert entry.actor == superadmin and entry.data["changed"] == ["name"]
    assert not AuditEntry.objects.filter(action="tenant.suspended").exists()


def test_suspending_through_the_confirmed_action_takes_the_site_offline_and_is_audited(superadmin, tenant, teacher,
                                                                                       student):
    _event_type, (session,) = make_class(tenant, teacher, capacity=5)
    client = host_client(user=superadmin)
    question = client.get(f"/admin/tenants/{tenant.pk}/status/suspend/").content.decode()
    assert "temporarily unavailable" in question
    assert client.post(f"/admin/tenants/{tenant.pk}/status/suspend/").status_code == 302

    page = host_client(tenant).get("/")
    assert page.status_code == 503 and "Temporarily unavailable" in page.content.decode()
    booked = host_client(tenant, user=student).post(f"/book/session/{session.pk}/", {"seats": "1"})
    assert booked.status_code == 503 and not Booking.objects.exists()
    tenant.refresh_from_db()
    assert tenant.status == "suspended" and tenant.status_changed_at is not None
    entry = AuditEntry.objects.get(action="tenant.suspended", tenant=tenant)
    assert entry.actor == superadmin and entry.data["previous"] == "active"

    client.post(f"/admin/tenants/{tenant.pk}/status/reactivate/")
    assert host_client(tenant).get("/").status_code == 200
    assert host_client(tenant, user=student).post(f"/book/session/{session.pk}/", {"seats": "1"}).status_code == 302
    assert Booking.objects.filter(status="confirmed").count() == 1
    assert AuditEntry.objects.get(action="tenant.reactivated", tenant=tenant).actor == superadmin


def test_tenant_admin_cannot_create_tenants(tenant_admin):
    response = host_client(user=tenant_admin).post("/admin/tenants/new/", new_tenant_form())
    assert response.status_code in (302, 403)
    assert not Tenant.objects.filter(subdomain="huekids").exists()


def test_custom_domain_taken_by_another_tenant_is_refused_on_edit(superadmin, tenant, other_tenant):
    client = host_client(user=superadmin)
    client.post(f"/admin/tenants/edit/{other_tenant.pk}/", {
        "name": other_tenant.name, "plan": "", "custom_domain": "english.example.com"})
    response = client.post(f"/admin/tenants/edit/{tenant.pk}/", {
        "name": tenant.name, "plan": "", "custom_domain": "english.example.com"})
    assert response.status_code == 200
    assert "already used" in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.custom_domain is None
    # The domain keeps serving the tenant that has it.
    assert host_client().get("/", HTTP_HOST="english.example.com").wsgi_request.tenant == other_tenant


def test_custom_domain_set_changed_and_removed_in_the_admin(superadmin, tenant):
    client = host_client(user=superadmin)
    edit = f"/admin/tenants/edit/{tenant.pk}/"
    fields = {"name": tenant.name, "plan": ""}
    client.post(edit, {**fields, "custom_domain": "learn.example.com"})
    assert host_client().get("/", HTTP_HOST="learn.example.com").status_code == 200
    client.post(edit, {**fields, "custom_domain": "study.example.com"})
    assert host_client().get("/", HTTP_HOST="learn.example.com").status_code == 404
    assert host_client().get("/", HTTP_HOST="study.example.com").status_code == 200
    client.post(edit, {**fields, "custom_domain": ""})
    assert host_client().get("/", HTTP_HOST="study.example.com").status_code == 404
    assert host_client(tenant).get("/").status_code == 200
