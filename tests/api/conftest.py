"""API test fixtures: API keys, clients that send them to a tenant's host, and a
check of every JSON answer against the OpenAPI schema the site serves."""

import itertools
import re

import jsonschema
import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from booking.models import ApiKey
from tests.booking.booking_helpers import make_class
from tests.conftest import make_user

_addresses = itertools.count(1)
_SCHEMA = {}


def openapi_schema():
    if "doc" not in _SCHEMA:
        _SCHEMA["doc"] = SchemaGenerator(urlconf="site_platform.urls_tenant").get_schema(request=None, public=True)
    return _SCHEMA["doc"]


def _nullable_to_jsonschema(node):
    """OpenAPI 3.0 `nullable: true` as JSON Schema's type list; everything else as is."""
    if isinstance(node, list):
        return [_nullable_to_jsonschema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable_to_jsonschema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
        elif "enum" in node:
            node["enum"] = list(node["enum"]) + [None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


def _operation(method, path):
    doc = openapi_schema()
    for template, operations in doc["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path):
            return operations.get(method.lower()), template
    return None, None


def check_against_schema(method, path, response):
    """Fail unless the response's status and body are what the schema documents."""
    operation, template = _operation(method, path.split("?")[0])
    assert operation is not None, f"{method} {path} is not in the schema"
    documented = operation["responses"]
    assert str(response.status_code) in documented, (
        f"{method} {template} answered {response.status_code}, documented: {sorted(documented)}")
    content = documented[str(response.status_code)].get("content")
    if not content:
        return
    media = response.get("Content-Type", "").split(";")[0]
    assert media in content, f"{method} {template} answered {media}, documented {list(content)}"
    if media != "application/json":
        return
    doc = _nullable_to_jsonschema(openapi_schema())
    schema = dict(content[media]["schema"])
    schema["components"] = doc["components"]
    schema = _nullable_to_jsonschema(schema)
    jsonschema.validate(response.json(), schema, cls=jsonschema.Draft7Validator)


class ApiClient(Client):
    """A test client on a tenant host, from its own address (rate limits count per
    address), that checks every answer against the schema."""

    def __init__(self, tenant, *, key=None, check_schema=True, **defaults):
        defaults.setdefault("HTTP_HOST", tenant.hostname)
        defaults.setdefault("REMOTE_ADDR", f"10.9.{next(_addresses) % 250}.{next(_addresses) % 250 + 1}")
        if key:
            defaults["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        super().__init__(**defaults)
        self.check_schema = check_schema

    def request(self, **request):
        response = super().request(**request)
        if self.check_schema and request["PATH_INFO"].startswith("/api/v1/") and \
                not request["PATH_INFO"].startswith(("/api/v1/docs", "/api/v1/schema")):
            check_against_schema(request["REQUEST_METHOD"], request["PATH_INFO"], response)
        return response

    def post_json(self, path, data=None, **extra):
        return self.post(path, data if data is not None else {}, content_type="application/json", **extra)

    def patch_json(self, path, data, **extra):
        return self.patch(path, data, content_type="application/json", **extra)


def new_key(tenant, name="Integration", created_by=None):
    key = ApiKey(tenant=tenant, name=name, created_by=created_by)
    clear = key.set_new_secret()
    key.save()
    return key, clear


@pytest.fixture(autouse=True)
def _generous_limits(settings):
    settings.API_KEY_RATE_LIMIT = "100000/m"
    settings.API_ADDRESS_RATE_LIMIT = "100000/m"


@pytest.fixture
def api_key(tenant, tenant_admin):
    return new_key(tenant, created_by=tenant_admin)


@pytest.fixture
def other_key(other_tenant):
    return new_key(other_tenant)


@pytest.fixture
def key_client(tenant, api_key):
    return ApiClient(tenant, key=api_key[1])


@pytest.fixture
def anon(tenant):
    return ApiClient(tenant)


@pytest.fixture
def student_client(tenant, student):
    client = ApiClient(tenant)
    client.force_login(student)
    return client


@pytest.fixture
def workshop(tenant, teacher):
    """A published live class with three weekly sessions of 10 seats."""
    return make_class(tenant, teacher, capacity=10, sessions=3, title="Conversation club")


@pytest.fixture
def other_workshop(other_tenant):
    from site_platform.models import Membership
    from site_platform.services.tenants import add_member

    teacher = make_user("minh@saigon.test", first_name="Minh")
    add_member(other_tenant, teacher.email, Membership.Role.TEACHER)
    return make_class(other_tenant, teacher, capacity=5, sessions=2, title="Saigon secret class")
