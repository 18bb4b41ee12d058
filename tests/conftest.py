"""Shared fixtures: two tenants, their people, and clients that speak to a host.

Tenants are made by the real `create_tenant` service, so every test starts from
the rows a real tenant has.
"""

import importlib

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from site_platform import hosts
from site_platform.models import Membership
from site_platform.services.tenants import add_member, create_tenant

PASSWORD = "correct-horse-battery-9"


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); runs in CI")
    skip_redis = pytest.mark.skip(reason="needs Redis (set REDIS_URL); runs in CI")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_redis)


def ensure_baseline_rows():
    """Rows that migrations create and a transactional test's flush deletes:
    Wagtail's default locale, root page and root collection, and the plans."""
    from django.apps import apps as django_apps
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Collection, Locale, Page

    plans_migration = importlib.import_module("site_platform.migrations.0003_plans")

    Locale.objects.get_or_create(language_code="en")
    if not Page.objects.filter(depth=1).exists():
        Page.add_root(instance=Page(title="Root", slug="root", content_type=ContentType.objects.get_for_model(Page)))
    if not Collection.objects.filter(depth=1).exists():
        Collection.add_root(name="Root")
    plans_migration.create_plans(django_apps, None)


@pytest.fixture(autouse=True)
def _baseline_rows(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
        or (marker is not None and marker.kwargs.get("transaction"))
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        ensure_baseline_rows()


@pytest.fixture(autouse=True)
def _fresh_host_map():
    hosts.reset()
    yield
    hosts.reset()


def make_user(email, *, verified=True, password=PASSWORD, **fields):
    user = get_user_model().objects.create_user(email=email, password=password, **fields)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    return user


def make_tenant(subdomain, *, name=None, template="education", admin_email=None, **kwargs):
    return create_tenant(
        name=name or subdomain.title() + " School", subdomain=subdomain, template=template,
        admin_email=admin_email or f"owner@{subdomain}.test", send_invitation=False, **kwargs,
    )


def host_client(tenant=None, *, user=None):
    """A test client whose requests go to the tenant's host (or the platform host)."""
    client = Client(HTTP_HOST=tenant.hostname if tenant else settings.PLATFORM_DOMAIN)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def tenant(db):
    return make_tenant("hanoi", name="Hanoi English Centre")


@pytest.fixture
def other_tenant(db):
    return make_tenant("saigon", name="Saigon Language School", template="small_centre")


@pytest.fixture
def tenant_admin(tenant):
    user = get_user_model().objects.get(email="owner@hanoi.test")
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.filter(user=user).update(verified=True)
    return user


@pytest.fixture
def other_tenant_admin(other_tenant):
    user = get_user_model().objects.get(email="owner@saigon.test")
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def superadmin(db):
    return get_user_model().objects.create_superuser(email="root@platform.test", password=PASSWORD)


@pytest.fixture
def teacher(tenant):
    user = make_user("linh@hanoi.test", first_name="Linh", last_name="Nguyen")
    add_member(tenant, user.email, Membership.Role.TEACHER, timezone="Asia/Ho_Chi_Minh")
    return user


@pytest.fixture
def student(db):
    return make_user("student@example.com", first_name="An", last_name="Le")


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"
