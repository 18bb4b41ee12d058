"""The super admin's tenant screens: create through the same service, edit, audit."""

import pytest
from django.core import mail

from site_platform.models import AuditEntry, Tenant
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


def test_suspending_from_the_edit_form_takes_the_site_offline_and_is_audited(superadmin, tenant):
    client = host_client(user=superadmin)
    response = client.post(f"/admin/tenants/edit/{tenant.pk}/", {
        "name": tenant.name, "status": "suspended", "plan": "", "custom_domain": "",
    })
    assert response.status_code == 302
    assert host_client(tenant).get("/").status_code == 503
    entry = AuditEntry.objects.get(action="tenant.updated", tenant=tenant)
    assert entry.actor == superadmin and "status" in entry.data["changed"]


def test_tenant_admin_cannot_create_tenants(tenant_admin):
    response = host_client(user=tenant_admin).post("/admin/tenants/new/", new_tenant_form())
    assert response.status_code in (302, 403)
    assert not Tenant.objects.filter(subdomain="huekids").exists()


def test_custom_domain_taken_by_another_tenant_is_refused_on_edit(superadmin, tenant, other_tenant):
    client = host_client(user=superadmin)
    client.post(f"/admin/tenants/edit/{other_tenant.pk}/", {
        "name": other_tenant.name, "status": "active", "plan": "", "custom_domain": "english.example.com"})
    response = client.post(f"/admin/tenants/edit/{tenant.pk}/", {
        "name": tenant.name, "status": "active", "plan": "", "custom_domain": "english.example.com"})
    assert response.status_code == 200
    assert "already used" in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.custom_domain is None
    # The domain keeps serving the tenant that has it.
    assert host_client().get("/", HTTP_HOST="english.example.com").wsgi_request.tenant == other_tenant


def test_custom_domain_set_changed_and_removed_in_the_admin(superadmin, tenant):
    client = host_client(user=superadmin)
    edit = f"/admin/tenants/edit/{tenant.pk}/"
    fields = {"name": tenant.name, "status": "active", "plan": ""}
    client.post(edit, {**fields, "custom_domain": "learn.example.com"})
    assert host_client().get("/", HTTP_HOST="learn.example.com").status_code == 200
    client.post(edit, {**fields, "custom_domain": "study.example.com"})
    assert host_client().get("/", HTTP_HOST="learn.example.com").status_code == 404
    assert host_client().get("/", HTTP_HOST="study.example.com").status_code == 200
    client.post(edit, {**fields, "custom_domain": ""})
    assert host_client().get("/", HTTP_HOST="study.example.com").status_code == 404
    assert host_client(tenant).get("/").status_code == 200
