"""Immersio admin: a tenant admin's own connection only, test connection, sync now, sync log."""

from django.contrib.messages import get_messages

from integrations.models import SyncRun
from tests.conftest import host_client

from .conftest import ORG


def url(name, *args):
    from django.urls import reverse

    return reverse(name, args=args)


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_tenant_admin_sees_only_their_own_connection(fake, tenant_admin, connection, other_connection):
    client = host_client(user=tenant_admin)
    listing = client.get(url("immersio_connection:index"))
    assert listing.status_code == 200
    assert ORG in listing.content.decode() and "org_saigon" not in listing.content.decode()
    assert client.get(url("immersio_connection:edit", connection.pk)).status_code == 200
    for name in ("edit", "test", "sync", "delete"):
        assert client.get(url(f"immersio_connection:{name}", other_connection.pk)).status_code == 404
        assert client.post(url(f"immersio_connection:{name}", other_connection.pk)).status_code == 404
    assert SyncRun.objects.count() == 0


def test_secrets_are_not_shown_and_empty_keeps_them(fake, tenant_admin, connection):
    client = host_client(user=tenant_admin)
    page = client.get(url("immersio_connection:edit", connection.pk)).content.decode()
    assert "key_hanoi" not in page and "whsec-hanoi" not in page
    response = client.post(url("immersio_connection:edit", connection.pk), {
        "tenant": connection.tenant_id, "base_url": fake.url, "org_id": ORG, "api_key": "", "webhook_secret": "",
        "sso_secret": "new-sso-secret", "enabled": "on", "sync_interval_minutes": 30,
    })
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.api_key == "key_hanoi" and connection.webhook_secret == "whsec-hanoi"
    assert connection.sso_secret == "new-sso-secret" and connection.sync_interval_minutes == 30


def test_test_connection_reports_success_or_the_precise_error(fake, tenant_admin, connection):
    client = host_client(user=tenant_admin)
    test_url = url("immersio_connection:test", connection.pk)
    assert client.get(test_url).status_code == 200
    ok = client.post(test_url, follow=True)
    assert any("Connected to Immersio organisation" in m for m in message_texts(ok))

    connection.api_key = "wrong"
    connection.save()
    assert any("refused the API key" in m for m in message_texts(client.post(test_url, follow=True)))

    connection.api_key, connection.org_id = "key_hanoi", "org_saigon"
    connection.save()
    assert any("may not act for organisation" in m for m in message_texts(client.post(test_url, follow=True)))

    connection.org_id, connection.base_url = ORG, "http://127.0.0.1:9"
    connection.save()
    assert any("could not be reached" in m for m in message_texts(client.post(test_url, follow=True)))


def test_sync_now_and_the_sync_log(fake, tenant_admin, connection, other_tenant, other_connection):
    from integrations.immersio.sync import sync_tenant

    fake.add_course(ORG, "c1", title="IELTS")
    client = host_client(user=tenant_admin)
    response = client.post(url("immersio_connection:sync", connection.pk), follow=True)
    assert any("The sync has started" in m for m in message_texts(response))
    run = SyncRun.objects.get(tenant=connection.tenant)
    assert run.status == "ok" and run.trigger == "admin" and run.created == 1
    other_run = sync_tenant(other_tenant.pk)

    log = client.get(url("immersio_sync_log:index"))
    assert log.status_code == 200
    assert client.get(url("immersio_sync_log:inspect", run.pk)).status_code == 200
    assert client.get(url("immersio_sync_log:inspect", other_run.pk)).status_code == 404


def test_other_tenants_admin_cannot_reach_this_tenant(fake, connection, other_tenant_admin):
    client = host_client(user=other_tenant_admin)
    assert client.get(url("immersio_connection:edit", connection.pk)).status_code == 404
    assert client.post(url("immersio_connection:sync", connection.pk)).status_code == 404
