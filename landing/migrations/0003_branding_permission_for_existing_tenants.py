"""Tenants created before branding existed: give their admin groups the branding
permission that create_tenant now grants (BrandingSettings.tenant_admin_permissions)."""

from django.db import migrations


def grant(apps, schema_editor):
    Tenant = apps.get_model("site_platform", "Tenant")
    if not Tenant.objects.exists():
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _created = ContentType.objects.get_or_create(app_label="landing", model="brandingsettings")
    permission, _created = Permission.objects.get_or_create(
        content_type=content_type, codename="change_brandingsettings", defaults={"name": "Can change branding"})
    for tenant in Tenant.objects.select_related("admin_group"):
        tenant.admin_group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("landing", "0002_blocks_seo_branding"),
        ("site_platform", "0003_plans"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
