import json

from django.apps import apps
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Page, Site

from site_platform import audit
from site_platform.models import Tenant
from site_platform.fields import EncryptedTextField


def tenant_owned_models():
    for model in apps.get_models():
        field = next((f for f in model._meta.concrete_fields if f.name == "tenant"), None)
        if field is not None and field.related_model is Tenant:
            yield model


class Command(BaseCommand):
    help = ("Export everything a tenant owns as JSON: the tenant, its sites and pages, and every row of "
            "every tenant-owned model. Encrypted secrets (Stripe, Immersio, calendar addresses) are left out.")

    def add_arguments(self, parser):
        parser.add_argument("subdomain")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, subdomain, output=None, **options):
        try:
            tenant = Tenant.objects.get(subdomain=subdomain)
        except Tenant.DoesNotExist:
            raise CommandError(f"No tenant has the subdomain “{subdomain}”.") from None
        export = {
            "tenant": json.loads(serializers.serialize("json", [tenant])),
            "sites": json.loads(serializers.serialize("json", Site.objects.filter(root_page=tenant.root_page))),
            "pages": [
                {"id": page.pk, "type": page.specific_class._meta.label, "url_path": page.url_path,
                 "title": page.title, "live": page.live,
                 "content": json.loads(serializers.serialize("json", [page.specific]))[0]["fields"]}
                for page in Page.objects.descendant_of(tenant.root_page, inclusive=True).specific()
            ],
            "records": {},
        }
        for model in tenant_owned_models():
            secret = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            fields = [f.name for f in model._meta.concrete_fields if f.name not in secret and not f.primary_key]
            rows = model._default_manager.filter(tenant=tenant).order_by("pk")
            if rows.exists():
                export["records"][model._meta.label] = json.loads(serializers.serialize("json", rows, fields=fields))
        text = json.dumps(export, indent=2, ensure_ascii=False, default=str)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            self.stdout.write(text)
        audit.record("tenant.exported", tenant=tenant, target=f"tenant:{tenant.pk}",
                     models=sorted(export["records"]))
        self.stderr.write(f"Exported {sum(len(r) for r in export['records'].values())} rows "
                          f"from {len(export['records'])} models and {len(export['pages'])} pages.")
