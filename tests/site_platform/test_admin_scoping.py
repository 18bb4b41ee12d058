"""Two tenants, two admins: each sees only their own pages, images and rows."""

import io

import pytest
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model

from site_platform import audit
from site_platform.models import AuditEntry, Membership
from tests.conftest import host_client

pytestmark = pytest.mark.django_db


def make_image(tenant, title):
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return get_image_model().objects.create(
        title=title, collection=tenant.collection, file=ImageFile(buffer, name=f"{title}.png")
    )


@pytest.fixture
def two_tenants(tenant, other_tenant, tenant_admin, other_tenant_admin):
    return tenant, other_tenant, tenant_admin, other_tenant_admin


def test_page_explorer_shows_only_own_tree(two_tenants):
    tenant, other, admin, _ = two_tenants
    client = host_client(user=admin)
    response = client.get(f"/admin/pages/{tenant.root_page_id}/")
    assert response.status_code == 200
    assert tenant.name.encode() in response.content
    assert other.name.encode() not in response.content

    response = client.get("/admin/pages/")
    assert other.name.encode() not in response.content


def test_other_tenants_page_cannot_be_edited_or_explored(two_tenants):
    _, other, admin, _ = two_tenants
    client = host_client(user=admin)
    for url in (f"/admin/pages/{other.root_page_id}/edit/", f"/admin/pages/{other.root_page_id}/"):
        response = client.get(url)
        assert response.status_code in (302, 403, 404)
        if response.status_code == 302:
            assert response["Location"].startswith("/admin/")
            assert "edit" not in response["Location"]
        assert other.name.encode() not in response.content


def test_own_page_can_be_edited(two_tenants):
    tenant, _, admin, _ = two_tenants
    response = host_client(user=admin).get(f"/admin/pages/{tenant.root_page_id}/edit/")
    assert response.status_code == 200
    assert tenant.name.encode() in response.content


def test_image_listing_and_views_are_scoped(two_tenants):
    tenant, other, admin, other_admin = two_tenants
    mine = make_image(tenant, "hanoi-classroom")
    theirs = make_image(other, "saigon-secret")
    client = host_client(user=admin)
    listing = client.get("/admin/images/")
    assert listing.status_code == 200
    assert b"hanoi-classroom" in listing.content
    assert b"saigon-secret" not in listing.content
    assert client.get(f"/admin/images/{mine.pk}/").status_code == 200
    response = client.get(f"/admin/images/{theirs.pk}/")
    assert response.status_code in (302, 403, 404)
    assert b"saigon-secret" not in response.content
    # ... and the other way round.
    other_client = host_client(user=other_admin)
    assert b"hanoi-classroom" not in other_client.get("/admin/images/").content


def test_model_rows_are_scoped_and_other_ids_are_404(two_tenants):
    tenant, other, admin, _ = two_tenants
    audit.record("booking.test", tenant=tenant, target="mine-entry")
    theirs = audit.record("booking.test", tenant=other, target="their-entry")
    client = host_client(user=admin)
    listing = client.get("/admin/audit-log/")
    assert listing.status_code == 200
    assert b"mine-entry" in listing.content
    assert b"their-entry" not in listing.content
    assert client.get(f"/admin/audit-log/inspect/{theirs.pk}/").status_code == 404

    their_membership = Membership.objects.get(tenant=other)
    assert client.get(f"/admin/team/edit/{their_membership.pk}/").status_code == 404
    response = client.post(
        f"/admin/team/delete/{their_membership.pk}/", {}
    )
    assert response.status_code == 404
    assert Membership.objects.filter(pk=their_membership.pk).exists()


def test_tenant_admin_cannot_reach_platform_screens(two_tenants):
    _, _, admin, _ = two_tenants
    client = host_client(user=admin)
    for url in ("/admin/tenants/", "/admin/plans/", "/admin/sites/", "/admin/users/"):
        response = client.get(url)
        assert response.status_code in (302, 403), url


def test_superadmin_sees_every_tenant(two_tenants, superadmin):
    tenant, other, _, _ = two_tenants
    make_image(tenant, "hanoi-classroom")
    make_image(other, "saigon-secret")
    AuditEntry.objects.all().delete()
    audit.record("x", tenant=tenant, target="mine-entry")
    audit.record("x", tenant=other, target="their-entry")
    client = host_client(user=superadmin)
    tenants_page = client.get("/admin/tenants/")
    assert tenant.name.encode() in tenants_page.content and other.name.encode() in tenants_page.content
    images = client.get("/admin/images/").content
    assert b"hanoi-classroom" in images and b"saigon-secret" in images
    log = client.get("/admin/audit-log/").content
    assert b"mine-entry" in log and b"their-entry" in log
    assert client.get(f"/admin/pages/{other.root_page_id}/edit/").status_code == 200
