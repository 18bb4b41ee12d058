"""Host → tenant resolution: subdomains, custom domains, unknown hosts, status pages."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from site_platform import hosts
from site_platform.models import Tenant
from site_platform.services.tenants import set_tenant_status
from tests.conftest import host_client, make_tenant, make_user

pytestmark = pytest.mark.django_db


def test_subdomain_serves_the_tenants_landing_page(tenant, other_tenant):
    response = host_client(tenant).get("/")
    assert response.status_code == 200
    assert response.wsgi_request.tenant == tenant
    assert b"Hanoi English Centre" in response.content
    assert b"Saigon Language School" not in response.content
    other = host_client(other_tenant).get("/")
    assert other.wsgi_request.tenant == other_tenant
    assert b"Saigon Language School" in other.content


def test_host_with_port_and_mixed_case_resolves(tenant):
    client = host_client()
    response = client.get("/", HTTP_HOST="HANOI.platform.test:8000")
    assert response.status_code == 200
    assert response.wsgi_request.tenant == tenant


def test_custom_domain_serves_the_same_tenant(db):
    tenant = make_tenant("danang", custom_domain="english-danang.example.com")
    response = host_client().get("/", HTTP_HOST="english-danang.example.com")
    assert response.status_code == 200
    assert response.wsgi_request.tenant == tenant
    assert b"Danang School" in response.content


def test_unknown_host_gets_the_platform_404(tenant):
    response = host_client().get("/", HTTP_HOST="nobody.platform.test")
    assert response.status_code == 404
    assert b"Site not found" in response.content
    assert b"Hanoi" not in response.content


def test_platform_host_serves_the_platform_home(tenant):
    response = host_client().get("/")
    assert response.status_code == 200
    assert response.wsgi_request.tenant is None
    assert b"Booking websites for language schools" in response.content
    assert b"Hanoi English Centre" in response.content


def test_suspended_tenant_shows_unavailable_with_503(tenant):
    set_tenant_status(tenant, Tenant.Status.SUSPENDED)
    for path in ("/", "/anything/below/"):
        response = host_client(tenant).get(path)
        assert response.status_code == 503
        assert b"Temporarily unavailable" in response.content
    set_tenant_status(tenant, Tenant.Status.ACTIVE)
    assert host_client(tenant).get("/").status_code == 200


def test_cancelled_tenant_is_gone(tenant):
    set_tenant_status(tenant, Tenant.Status.CANCELLED)
    assert host_client(tenant).get("/").status_code == 404


def test_renamed_site_host_is_picked_up_at_once(tenant):
    assert host_client(tenant).get("/").status_code == 200
    site = Site.objects.get(root_page=tenant.root_page)
    site.hostname = "hanoi-new.platform.test"
    site.save()
    assert host_client().get("/", HTTP_HOST="hanoi.platform.test").status_code == 404
    assert host_client().get("/", HTTP_HOST="hanoi-new.platform.test").status_code == 200


def landing_queries(tenant, user):
    # Signed in, so the page is rendered, not served from the anonymous page cache.
    client = host_client(tenant, user=user)
    client.get("/")  # warm: the first request after a change builds the host map
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def add_bare_tenants(count):
    """Tenants with just the rows host resolution reads (a page, a site), made quickly."""
    from django.contrib.auth.models import Group
    from wagtail.models import Collection, Page

    root, collections_root = Page.get_first_root_node(), Collection.get_first_root_node()
    tenants, sites = [], []
    for i in range(count):
        sub = f"bulk{i:03d}"
        page = root.add_child(instance=Page(title=sub, slug=sub, live=True))
        tenants.append(Tenant(
            name=sub, subdomain=sub, template="education", root_page=page,
            collection=collections_root.add_child(name=sub), admin_group=Group.objects.create(name=sub),
        ))
        sites.append(Site(hostname=f"{sub}.platform.test", root_page=page))
    Tenant.objects.bulk_create(tenants)
    Site.objects.bulk_create(sites)
    hosts.invalidate()  # bulk_create sends no post_save signal


def test_query_count_does_not_grow_with_tenants(db):
    first = make_tenant("alpha")
    for i in range(2):
        make_tenant(f"beta{i}")
    visitor = make_user("visitor@example.com")
    with_three = landing_queries(first, visitor)
    add_bare_tenants(297)
    assert Tenant.objects.count() == 300
    with_three_hundred = landing_queries(first, visitor)
    assert hosts.lookup("bulk296.platform.test").tenant.subdomain == "bulk296"
    assert len(with_three) > 0
    assert len(with_three_hundred) == len(with_three)
    assert not any("site_platform_tenant" in sql for sql in with_three_hundred)
    assert not any("wagtailcore_site" in sql for sql in with_three_hundred)


def test_seed_demo_twice_gives_the_same_counts(db):
    from django.apps import apps

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    first = {m._meta.label: m.objects.count() for m in apps.get_models()}
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    second = {m._meta.label: m.objects.count() for m in apps.get_models()}
    changed = {k: (first[k], second[k]) for k in first if first[k] != second[k]}
    assert changed == {}
    assert Tenant.objects.count() >= 3
    for tenant in Tenant.objects.all():
        assert host_client(tenant).get("/").status_code == 200
