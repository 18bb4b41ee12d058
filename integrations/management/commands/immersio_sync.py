from django.core.management.base import BaseCommand, CommandError

from integrations.immersio.sync import sync_tenant
from integrations.models import ImmersioConnection
from site_platform.models import Tenant


class Command(BaseCommand):
    help = "Pull courses, teachers and students from Immersio for one tenant, now, in this process."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's subdomain.")
        parser.add_argument("--full", action="store_true", help="Pull everything, not only what changed.")

    def handle(self, *args, tenant, full, **options):
        found = Tenant.objects.filter(subdomain=tenant.strip().lower()).first()
        if found is None:
            raise CommandError(f"No tenant with the subdomain {tenant!r}.")
        if not ImmersioConnection.objects.filter(tenant=found).exists():
            raise CommandError(f"{found} has no Immersio connection: add one in the admin first.")
        run = sync_tenant(found.pk, full=full, trigger="command")
        self.stdout.write(
            f"{found.subdomain}: {run.get_kind_display()} sync {run.status}: created {run.created}, "
            f"updated {run.updated}, unchanged {run.unchanged}, failed {run.failed}"
        )
        for kind, counts in sorted(run.counts.items()):
            self.stdout.write(f"  {kind}: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
        for error in run.errors[:20]:
            self.stdout.write(f"  error: {error}")
        if run.error:
            self.stdout.write(f"  stopped: {run.error} at {run.stopped_at}")
        if run.status == "failed":
            raise CommandError("The sync failed.")
