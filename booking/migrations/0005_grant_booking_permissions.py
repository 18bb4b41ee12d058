"""Tenants created before the booking lifecycle: give their admin groups the
permissions on bookings, whitelists and waitlists that create_tenant now grants."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = {
    "booking": ("view", "change"),
    "bookingseat": ("view",),
    "whitelistentry": ("view", "add", "change", "delete"),
    "waitlistentry": ("view", "change", "delete"),
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("booking")
    app_config.models_module = True  # the migration state's stub app config lacks it
    create_permissions(app_config, verbosity=0, apps=apps)
    Permission = apps.get_model("auth", "Permission")
    Tenant = apps.get_model("site_platform", "Tenant")
    codenames = [f"{action}_{model}" for model, actions in MODELS.items() for action in actions]
    permissions = list(Permission.objects.filter(content_type__app_label="booking", codename__in=codenames))
    for tenant in Tenant.objects.select_related("admin_group"):
        tenant.admin_group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0004_teacher_time_exclusion"),
        ("site_platform", "0003_plans"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
