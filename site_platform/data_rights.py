"""A student's data rights within one tenant: export everything, erase on request.

Each app registers a `PersonalDataSource` for the personal data it keeps, so this
module knows no app's models. Export gives every record of that student in the
tenant and nothing of anyone else. Erasure anonymises personal fields in one
transaction, keeps financial records (amounts, receipts) as the law requires,
and writes the audit log.
"""

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from typing import Callable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from . import audit

_sources = []


@dataclass(frozen=True)
class PersonalDataSource:
    """`export(tenant, user) -> [dict]`; `erase(tenant, user, placeholder) -> int` (rows changed)."""

    name: str
    export: Callable
    erase: Callable


def register(source):
    if all(existing.name != source.name for existing in _sources):
        _sources.append(source)
    return source


def sources():
    return list(_sources)


def erased_email(tenant, user):
    """The address that replaces a student's in erased records: stable, unique, undeliverable."""
    digest = hashlib.sha256(f"{tenant.pk}:{user.pk}".encode()).hexdigest()[:16]
    return f"erased-{digest}@erased.invalid"


def export_student(tenant, user):
    return {
        "tenant": {"name": tenant.name, "subdomain": tenant.subdomain},
        "student": {"email": user.email, "first_name": user.first_name, "last_name": user.last_name},
        "records": {source.name: source.export(tenant, user) for source in _sources},
    }


def export_student_json(tenant, user):
    return json.dumps(export_student(tenant, user), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)


def export_student_csv(tenant, user):
    """One CSV: a row per record, with the kind of record and its fields as JSON."""
    data = export_student(tenant, user)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["record", "field", "value"])
    for field, value in data["student"].items():
        writer.writerow(["student", field, value])
    for name, records in data["records"].items():
        for record in records:
            for field, value in record.items():
                writer.writerow([name, field, json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
                                 if isinstance(value, (dict, list)) else value])
    return out.getvalue()


def erase_student(tenant, user, *, actor):
    """Anonymise the student's personal data in this tenant; returns {source: rows changed}."""
    placeholder = erased_email(tenant, user)
    with transaction.atomic():
        changed = {source.name: source.erase(tenant, user, placeholder) for source in _sources}
        audit.record("student.erased", tenant=tenant, actor=actor, target=f"user:{user.pk}",
                     placeholder=placeholder, changed=changed)
    return changed
