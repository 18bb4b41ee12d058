from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from site_platform.fields import PREFIX, EncryptedTextField, rotate_value


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field with the newest key (the first in FIELD_ENCRYPTION_KEY). "
        "Run it after putting a new key first; then the old keys can be removed."
    )

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            columns = [f.column for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if columns:
                rotated = self.rotate_table(model._meta.db_table, model._meta.pk.column, columns)
                total += rotated
                self.stdout.write(f"{model._meta.label}: {rotated} row(s) re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} row(s) re-encrypted with the newest key."))

    @staticmethod
    def rotate_table(table, pk_column, columns):
        """Read the stored tokens as they are, re-encrypt them, write them back, in one transaction."""
        quote = connection.ops.quote_name
        select = f"SELECT {quote(pk_column)}, {', '.join(quote(c) for c in columns)} FROM {quote(table)}"
        if connection.features.has_select_for_update:
            select += " FOR UPDATE"
        rotated = 0
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(select)
            rows = cursor.fetchall()
            for pk, *values in rows:
                updates = {c: rotate_value(v) for c, v in zip(columns, values) if v and v.startswith(PREFIX)}
                if not updates:
                    continue
                assignments = ", ".join(f"{quote(c)} = %s" for c in updates)
                cursor.execute(f"UPDATE {quote(table)} SET {assignments} WHERE {quote(pk_column)} = %s",
                               [*updates.values(), pk])
                rotated += 1
        return rotated
