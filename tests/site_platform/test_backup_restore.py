"""The backup procedure of docs/operations.md, run for real: pg_dump a populated
database, pg_restore it into a new one, and find every booking and payment."""

import shutil
import subprocess
import uuid
from decimal import Decimal

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from booking.models import Booking
from integrations.payments.models import Payment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def conninfo(dbname):
    settings = connection.settings_dict
    return {"host": settings["HOST"] or "127.0.0.1", "port": settings["PORT"] or 5432,
            "user": settings["USER"], "dbname": dbname}


def pg_args(dbname):
    info = conninfo(dbname)
    return ["-h", str(info["host"]), "-p", str(info["port"]), "-U", info["user"], "-d", dbname]


def rows(dbname, sql):
    with psycopg.connect(**conninfo(dbname)) as conn:
        return conn.execute(sql).fetchall()


def test_dump_and_restore_keeps_every_booking_and_payment(tmp_path):
    assert shutil.which("pg_dump") and shutil.which("pg_restore")
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    bookings = list(Booking.objects.order_by("pk"))
    assert bookings, "the demo has bookings"
    for booking in bookings[:3]:
        Payment.objects.create(
            tenant=booking.tenant, booking=booking, event_type=booking.event_type, status=Payment.Status.PAID,
            currency="VND", subtotal=Decimal("250000"), amount=Decimal("250000"),
            lines=[{"label": "Seat", "amount": "250000"}],
        )
    source = connection.settings_dict["NAME"]
    dump = tmp_path / "platform.dump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), *pg_args(source)], check=True)

    target = f"restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(**conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{target}"')
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", *pg_args(target), str(dump)], check=True)
        restored = rows(target, "SELECT uid::text, status, seats FROM booking_booking ORDER BY id")
        assert restored == [(str(b.uid), b.status, b.seats) for b in bookings]
        assert rows(target, "SELECT count(*), sum(amount) FROM payments_payment WHERE status = 'paid'") == [
            (3, Decimal("750000.00"))]
        assert rows(target, "SELECT count(*) FROM site_platform_tenant")[0][0] >= 3
    finally:
        with psycopg.connect(**conninfo("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
