"""A super admin exports a whole tenant's data, and nothing of another tenant."""

import json

import pytest
from django.core.management import CommandError, call_command

from integrations.models import CalendarFeed
from site_platform.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_export_holds_the_tenants_rows_pages_and_no_secret(tenant, other_tenant, teacher, tmp_path):
    CalendarFeed.objects.create(tenant=tenant, teacher=teacher, name="Linh's calendar",
                                url="https://calendar.example.com/secret-123.ics", is_active=False)
    out = tmp_path / "hanoi.json"
    call_command("export_tenant", "hanoi", output=str(out), stderr=open("/dev/null", "w"))
    text = out.read_text()
    data = json.loads(text)
    assert data["tenant"][0]["fields"]["subdomain"] == "hanoi"
    assert data["pages"][0]["title"] == "Hanoi English Centre"
    memberships = data["records"]["site_platform.Membership"]
    assert {m["fields"]["role"] for m in memberships} == {"admin", "teacher"}
    feeds = data["records"]["integrations.CalendarFeed"]
    assert feeds[0]["fields"]["name"] == "Linh's calendar" and "url" not in feeds[0]["fields"]
    assert "secret-123" not in text
    assert "Saigon" not in text and "saigon" not in text
    assert AuditEntry.objects.filter(action="tenant.exported", tenant=tenant).exists()


def test_unknown_tenant_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No tenant has the subdomain"):
        call_command("export_tenant", "nobody")
