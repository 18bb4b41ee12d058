from django.core.management.base import BaseCommand

from site_platform.demo import DEMO_PASSWORD, SUPERADMIN_EMAIL, TENANTS, seed_demo


class Command(BaseCommand):
    help = "Build the demo: tenant sites with content, teachers and booking data. Safe to run twice."

    def handle(self, *args, **options):
        tenants = seed_demo(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo ready."))
        self.stdout.write(f"  Platform home and admin: http://localhost:8000/  (super admin {SUPERADMIN_EMAIL})")
        for tenant, spec in zip(tenants, TENANTS):
            self.stdout.write(f"  {tenant.name}: {tenant.root_url}/  (admin {spec['admin']})")
        self.stdout.write(f"  Every demo account's password: {DEMO_PASSWORD}")
