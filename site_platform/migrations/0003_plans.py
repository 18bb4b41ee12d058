from django.db import migrations

PLANS = [
    # code, name, teachers, bookings/month, published event types, fee %, features
    ("lite", "Lite", 1, 50, 3, "5.00", []),
    ("starter", "Starter", 3, 300, 10, "3.00", ["coupons"]),
    ("growth", "Growth", 10, 2000, 50, "2.00", ["coupons", "custom_domain", "immersio_sync", "outgoing_webhooks"]),
    ("pro", "Pro", 50, 10000, None, "1.00",
     ["coupons", "custom_domain", "immersio_sync", "outgoing_webhooks", "remove_branding"]),
    ("enterprise", "Enterprise", None, None, None, "0.50",
     ["coupons", "custom_domain", "immersio_sync", "outgoing_webhooks", "remove_branding"]),
]


def create_plans(apps, schema_editor):
    Plan = apps.get_model("site_platform", "Plan")
    for position, (code, name, teachers, bookings, event_types, fee, features) in enumerate(PLANS):
        Plan.objects.update_or_create(code=code, defaults={
            "name": name, "max_teachers": teachers, "max_bookings_per_month": bookings,
            "max_published_event_types": event_types, "platform_fee_percent": fee,
            "features": features, "position": position,
        })


class Migration(migrations.Migration):
    dependencies = [("site_platform", "0002_tenants")]
    operations = [migrations.RunPython(create_plans, migrations.RunPython.noop)]
