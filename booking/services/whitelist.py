"""Whitelists: who may book an event type that is open only to enrolled students.

Only a signed-in user whose *verified* email address (allauth `EmailAddress`) is on
the list may book. A tenant admin may book someone in over the list; the booking
service records that override in the audit log.
"""

import csv
import io
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from site_platform import audit
from site_platform.models import Membership

from ..errors import BookingError
from ..models import WhitelistEntry

MAX_IMPORT_ROWS = 20000


def verified_emails(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return {email.lower() for email in EmailAddress.objects.filter(user=user, verified=True)
            .values_list("email", flat=True)}


def is_whitelisted(event_type, user):
    emails = verified_emails(user)
    return bool(emails) and WhitelistEntry.objects.filter(event_type=event_type, email__in=emails).exists()


def may_override(tenant, actor):
    """A tenant admin (or a super admin) may book someone in over the whitelist."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return actor.is_superuser or Membership.objects.filter(
        tenant=tenant, user=actor, role=Membership.Role.ADMIN, is_active=True).exists()


def check_may_book(event_type, attendee, *, override=False, actor=None, require_verified=True):
    """Raise BookingError unless the attendee may book the event type. Returns True if
    an admin override let them in (the caller records it in the audit log).
    `require_verified`: a student booking for themselves needs a verified email; an
    admin booking someone in does not (the whitelist still counts verified emails only)."""
    if override:
        if not may_override(event_type.tenant, actor):
            raise BookingError("override_not_allowed")
        return event_type.whitelist_enabled and not is_whitelisted(event_type, attendee)
    if require_verified and not verified_emails(attendee):
        raise BookingError("email_unverified")
    if event_type.whitelist_enabled and not is_whitelisted(event_type, attendee):
        raise BookingError("whitelist_only")
    return False


def normalise_email(value):
    email = (value or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise BookingError("email_invalid", value=(value or "").strip()) from None
    return email


def add_entry(event_type, email, *, actor=None, note=""):
    """Put an email on the list. Returns (entry, created); an email already there is kept."""
    email = normalise_email(email)
    with transaction.atomic():
        existing = WhitelistEntry.objects.filter(event_type=event_type, email=email).first()
        if existing:
            return existing, False
        entry = WhitelistEntry.objects.create(tenant_id=event_type.tenant_id, event_type=event_type, email=email,
                                              note=note, added_by=actor if _is_user(actor) else None)
        audit.record("booking.whitelist_added", tenant=event_type.tenant, actor=actor,
                     target=f"event_type:{event_type.pk}", email=email)
    return entry, True


def remove_entry(entry, *, actor=None):
    with transaction.atomic():
        deleted, _rows = WhitelistEntry.objects.filter(pk=entry.pk).delete()
        if deleted:
            audit.record("booking.whitelist_removed", tenant=entry.tenant, actor=actor,
                         target=f"event_type:{entry.event_type_id}", email=entry.email)
    return bool(deleted)


def _is_user(actor):
    return actor is not None and getattr(actor, "is_authenticated", False)


@dataclass
class ImportReport:
    accepted: list = field(default_factory=list)  # emails added
    duplicates: list = field(default_factory=list)  # emails already on the list or repeated in the file
    refused: list = field(default_factory=list)  # (line number, value, reason)

    @property
    def summary(self):
        return {"accepted": len(self.accepted), "duplicates": len(self.duplicates), "refused": len(self.refused)}


def _email_column(rows):
    """Index of the email column: a header named email, else the first column with an @."""
    if not rows:
        return 0, False
    header = [cell.strip().lower() for cell in rows[0]]
    for index, name in enumerate(header):
        if name in ("email", "e-mail", "email address"):
            return index, True
    for index, cell in enumerate(rows[0]):
        if "@" in cell:
            return index, False
    return 0, bool(header) and "@" not in ",".join(header)


def import_csv(event_type, text, *, actor=None):
    """Add the emails of a CSV file (a column headed "email", or the first column).
    One transaction; returns an ImportReport of the rows accepted, duplicated and refused."""
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))[:MAX_IMPORT_ROWS + 1]
    column, has_header = _email_column(rows)
    report = ImportReport()
    with transaction.atomic():
        known = set(WhitelistEntry.objects.filter(event_type=event_type).values_list("email", flat=True))
        new = []
        for line, row in enumerate(rows, start=1):
            if has_header and line == 1:
                continue
            value = row[column].strip() if len(row) > column else ""
            if not value and not any(cell.strip() for cell in row):
                continue
            try:
                email = normalise_email(value)
            except BookingError as error:
                report.refused.append((line, value, error.message))
                continue
            if email in known:
                report.duplicates.append(email)
                continue
            known.add(email)
            new.append(WhitelistEntry(tenant_id=event_type.tenant_id, event_type=event_type, email=email,
                                      added_by=actor if _is_user(actor) else None))
            report.accepted.append(email)
        try:
            with transaction.atomic():
                WhitelistEntry.objects.bulk_create(new)
        except IntegrityError:
            # Someone added some of these meanwhile: add one by one.
            report.accepted = []
            for entry in new:
                _entry, created = add_entry(event_type, entry.email, actor=actor)
                (report.accepted if created else report.duplicates).append(entry.email)
        audit.record("booking.whitelist_imported", tenant=event_type.tenant, actor=actor,
                     target=f"event_type:{event_type.pk}", **report.summary)
    return report


def export_csv(event_type):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "note", "added"])
    for email, note, created in WhitelistEntry.objects.filter(event_type=event_type).order_by("email").values_list(
            "email", "note", "created_at"):
        writer.writerow([email, note, created.date().isoformat()])
    return out.getvalue()
