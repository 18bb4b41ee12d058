"""The schema validates, the docs page works under the site's CSP, schemathesis finds
no 5xx and no answer off the schema on the public endpoints, and tenant admins make
and revoke keys in the admin."""

import pytest
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client

from booking.models import ApiKey
from tests.api.conftest import ApiClient, openapi_schema
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--urlconf", "site_platform.urls_tenant", "--validate", "--fail-on-warn",
                 "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/tenant/stats" in (tmp_path / "schema.yaml").read_text()


def test_docs_page_is_served_from_the_site(anon):
    schema = anon.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200 and "/api/v1/public/workshops" in schema.json()["paths"]
    page = anon.get("/api/v1/docs/")
    html = page.content.decode()
    assert page.status_code == 200 and "script-src 'self'" in page["Content-Security-Policy"]
    assert "<script>" not in html and 'src="assets/swagger-ui-bundle.js"' in html
    assert anon.get("/api/v1/docs/?script=").status_code == 200
    asset = anon.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and asset["Content-Type"] == "text/javascript"
    assert anon.get("/api/v1/docs/assets/..%2Fsettings.py").status_code == 404


@pytest.fixture
def wsgi_app():
    # The WSGI handler would close the test's connection at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_schemathesis_public_endpoints(tenant, workshop, wsgi_app):
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance, response_schema_conformance, status_code_conformance,
    )

    schema = schemathesis.openapi.from_dict(openapi_schema())
    schema.app = wsgi_app
    public = [result.ok() for result in schema.get_all_operations()
              if result.ok().path.startswith(("/api/v1/public/", "/api/v1/event-types/"))]
    assert len(public) == 3
    for operation in public:
        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call(headers={"Host": tenant.hostname})
            case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                                     content_type_conformance, response_schema_conformance])

        run()


def test_tenant_admin_creates_a_key_shown_once_and_revokes_it(tenant, tenant_admin, other_tenant_admin):
    admin = Client(HTTP_HOST="platform.test")
    admin.login(email=tenant_admin.email, password=PASSWORD)
    page = admin.post("/admin/api-keys/new/", {"tenant": tenant.pk, "name": "Immersio sync"})
    assert page.status_code == 200, page.content[:500]
    key = ApiKey.objects.get(name="Immersio sync")
    clear = next(word for word in page.content.decode().split() if word.startswith(f"lsk_{key.prefix}_"))
    clear = clear.split("<")[0]
    assert key.tenant == tenant and key.created_by == tenant_admin and clear not in key.key_hash
    assert ApiClient(tenant, key=clear).get("/api/v1/tenant/stats").status_code == 200
    assert clear not in admin.get(f"/admin/api-keys/edit/{key.pk}/").content.decode()

    stranger = Client(HTTP_HOST="platform.test")
    stranger.login(email=other_tenant_admin.email, password=PASSWORD)
    assert stranger.get(f"/admin/api-keys/edit/{key.pk}/").status_code == 404

    admin.post(f"/admin/api-keys/edit/{key.pk}/", {"tenant": tenant.pk, "name": "Immersio sync", "revoke": "on"})
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert ApiClient(tenant, key=clear).get("/api/v1/tenant/stats").status_code == 401
