"""Tenants created before payments: give their admin groups the permissions that
create_tenant now grants (the models' tenant_admin_permissions)."""

from django.db import migrations

PERMISSIONS = {
    "stripeaccount": ("view",),
    "tenantbillingprofile": ("view", "add", "change"),
    "pricegroup": ("view", "add", "change", "delete"),
    "pricegroupmember": ("view", "add", "change", "delete"),
    "groupprice": ("view", "add", "change", "delete"),
    "groupdiscount": ("view", "add", "change", "delete"),
    "coupon": ("view", "add", "change", "delete"),
    "couponredemption": ("view",),
    "payment": ("view",),
    "refund": ("view",),
}


def grant(apps, schema_editor):
    Tenant = apps.get_model("site_platform", "Tenant")
    if not Tenant.objects.exists():
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    permissions = []
    for model, actions in PERMISSIONS.items():
        content_type, _created = ContentType.objects.get_or_create(app_label="payments", model=model)
        for action in actions:
            permissions.append(Permission.objects.get_or_create(
                content_type=content_type, codename=f"{action}_{model}",
                defaults={"name": f"Can {action} {model}"})[0])
    for tenant in Tenant.objects.select_related("admin_group"):
        tenant.admin_group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
