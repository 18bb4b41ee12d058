"""PostgreSQL only: no two active one-to-one bookings of a teacher overlap.

An exclusion constraint over (tenant, teacher, [start, end)) for bookings without a
session in a holding status, which needs the btree_gist extension for the equality
parts. On SQLite both operations do nothing: there, IMMEDIATE transactions serialise
writers and the booking service checks overlaps itself.
"""

from django.db import migrations

from booking.models.bookings import TEACHER_TIME_CONSTRAINT

HOLDING = ("pending_payment", "confirmed", "no_show")


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL and is a no-op on any other database."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


statuses = ", ".join(f"'{s}'" for s in HOLDING)


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0003_bookings"),
    ]

    operations = [
        PostgresOnlySQL("CREATE EXTENSION IF NOT EXISTS btree_gist", reverse_sql=migrations.RunSQL.noop),
        PostgresOnlySQL(
            f'ALTER TABLE booking_booking ADD CONSTRAINT {TEACHER_TIME_CONSTRAINT} EXCLUDE USING gist '
            f'(tenant_id WITH =, teacher_id WITH =, tstzrange("start", "end", \'[)\') WITH &&) '
            f'WHERE (session_id IS NULL AND status IN ({statuses}))',
            reverse_sql=f"ALTER TABLE booking_booking DROP CONSTRAINT {TEACHER_TIME_CONSTRAINT}",
        ),
    ]
