from django.core.management.base import BaseCommand, CommandError

from site_platform.errors import PlatformError
from site_platform.services.tenants import create_tenant, landing_templates


class Command(BaseCommand):
    help = "Create a tenant: its site, landing page, collection, admin group and admin account."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--subdomain", required=True)
        parser.add_argument("--template", required=True, help="one of: " + ", ".join(landing_templates()))
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--plan", default=None, help="plan code, e.g. starter")
        parser.add_argument("--custom-domain", default=None)

    def handle(self, *args, **options):
        try:
            tenant = create_tenant(
                name=options["name"], subdomain=options["subdomain"], template=options["template"],
                admin_email=options["admin_email"], plan=options["plan"], custom_domain=options["custom_domain"],
            )
        except PlatformError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"Created {tenant.name} at {tenant.root_url}/"))
        self.stdout.write(f"An invitation to set a password was sent to {options['admin_email']}.")
