"""Tenants created before calendar feeds existed: give their admin groups the
calendar feed permissions that create_tenant now grants
(CalendarFeed.tenant_admin_permissions)."""

from django.db import migrations

ACTIONS = ("view", "add", "change", "delete")


def grant(apps, schema_editor):
    Tenant = apps.get_model("site_platform", "Tenant")
    if not Tenant.objects.exists():
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _created = ContentType.objects.get_or_create(app_label="integrations", model="calendarfeed")
    permissions = [
        Permission.objects.get_or_create(content_type=content_type, codename=f"{action}_calendarfeed",
                                         defaults={"name": f"Can {action} calendar feed"})[0]
        for action in ACTIONS
    ]
    for tenant in Tenant.objects.select_related("admin_group"):
        tenant.admin_group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
        ("site_platform", "0003_plans"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
