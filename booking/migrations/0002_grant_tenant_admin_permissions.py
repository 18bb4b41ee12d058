"""Tenants created before the booking models existed: give their admin groups the
booking permissions that create_tenant now grants new tenants."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = {
    "eventtype": ("view", "add", "change", "delete"),
    "eventhost": ("view", "add", "change", "delete"),
    "schedule": ("view", "add", "change", "delete"),
    "sessionseries": ("view", "add", "change", "delete"),
    "session": ("view", "add", "change", "delete"),
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
        ("booking", "0001_initial"),
        ("site_platform", "0003_plans"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
