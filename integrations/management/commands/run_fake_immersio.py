from django.core.management.base import BaseCommand

from integrations.immersio.fake_server import FakeImmersio, seed_demo


class Command(BaseCommand):
    help = ("Run the fake Immersio API on loopback for the demo, seeded for the demo tenants "
            "(org demo-<subdomain>, API key demo-key-<subdomain>). --connect points the demo tenants at it.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--connect", action="store_true",
                            help="Create or update the demo tenants' Immersio connections to use this server.")

    def handle(self, *args, port, connect, **options):
        fake = seed_demo(FakeImmersio(port=port))
        if connect:
            self._connect(f"http://127.0.0.1:{port}")
        self.stdout.write(f"Fake Immersio on http://127.0.0.1:{port} with orgs: {', '.join(sorted(fake.orgs))}")
        try:
            fake.serve_forever()
        except KeyboardInterrupt:
            pass

    def _connect(self, url):
        from integrations.models import ImmersioConnection
        from site_platform.models import Tenant

        for tenant in Tenant.objects.filter(subdomain__in=["hanoi", "anna", "littlestars"]):
            ImmersioConnection.objects.update_or_create(tenant=tenant, defaults={
                "base_url": url, "org_id": f"demo-{tenant.subdomain}", "api_key": f"demo-key-{tenant.subdomain}",
                "webhook_secret": f"demo-webhook-{tenant.subdomain}", "sso_secret": f"demo-sso-{tenant.subdomain}",
            })
            self.stdout.write(f"  {tenant.subdomain}: connected")
