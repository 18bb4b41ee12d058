"""Pull courses, teachers and students from Immersio into the tenant.

- Teachers become teacher memberships (with their time zone); an existing admin
  keeps their role.
- Courses become draft live-class event types linked by `immersio_course_id`; a
  changed course updates title and description; an archived one unpublishes its
  event type (its bookings stay). A course may instead be mapped by an admin to an
  existing event type (`map_course`).
- Students of every mapped course become accounts matched by email (created
  unverified, with no password, until they sign in) and fill the event type's
  whitelist while active; a withdrawn student leaves it.

Records are written page by page (200 per page), each page in one transaction
with a fixed number of queries, so an interrupted sync leaves every page it wrote
correct. The `SyncRun` says how many records were created, updated, unchanged or
failed, each failed record with its error, and, when the sync stopped, where.
A sync asks only for what changed since the start of the last successful one
(less a margin for clocks), and only one sync of a tenant runs at a time.
"""

import hashlib
import logging
import uuid
import zoneinfo
from contextlib import contextmanager
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from booking.models import EventHost, EventType, WhitelistEntry
from site_platform import audit
from site_platform.models import Membership
from site_platform.services.tenants import add_member

from ..models import ImmersioConnection, ImmersioCourseStudent, ImmersioLink, SyncRun
from .client import ImmersioClient, ImmersioError

logger = logging.getLogger(__name__)

PAGE_SIZE = 200
LOCK_SECONDS = 2 * 60 * 60
CLOCK_MARGIN_SECONDS = 120  # settings.IMMERSIO_SYNC_CLOCK_MARGIN_SECONDS overrides
MAX_LOGGED_ERRORS = 1000
WHITELIST_NOTE = "Immersio"


def changed_at(value):
    """An Immersio time (ISO 8601) as an aware datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt_timezone.utc)


def is_older(moment, than):
    """True when `moment` is known to be older than `than` (news that came late)."""
    return moment is not None and than is not None and moment < than


def later_of(*moments):
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def fingerprint(*values):
    return hashlib.sha256("\x1f".join(str(v or "") for v in values).encode()).hexdigest()


def make_client(connection):
    """The client for a connection, with settings.IMMERSIO_CLIENT_OPTIONS (timeouts, retries)."""
    return ImmersioClient.for_connection(connection, **getattr(settings, "IMMERSIO_CLIENT_OPTIONS", {}))


@contextmanager
def tenant_lock(tenant_id, *, seconds=LOCK_SECONDS):
    """Yields True when this caller holds the tenant's sync lock, False when another does.

    `cache.add` is atomic on Redis (shared by every worker) and on the local-memory
    cache (one process); the timeout frees the lock of a worker that died."""
    key = f"immersio:sync-lock:{tenant_id}"
    token = uuid.uuid4().hex
    if not cache.add(key, token, seconds):
        yield False
        return
    try:
        yield True
    finally:
        if cache.get(key) == token:
            cache.delete(key)


class Tally:
    """Counts by kind of record, and the errors of failed records."""

    OUTCOMES = ("created", "updated", "unchanged", "failed")

    def __init__(self):
        self.counts = {}
        self.errors = []

    def add(self, kind, outcome, number=1):
        if number:
            by_kind = self.counts.setdefault(kind, dict.fromkeys(self.OUTCOMES, 0))
            by_kind[outcome] = by_kind.get(outcome, 0) + number

    def fail(self, kind, immersio_id, error, **where):
        self.add(kind, "failed")
        if len(self.errors) < MAX_LOGGED_ERRORS:
            self.errors.append({"kind": kind, "id": str(immersio_id), "error": str(error), **where})

    def total(self, outcome):
        return sum(by_kind.get(outcome, 0) for kind, by_kind in self.counts.items() if kind != "accounts")


class Syncer:
    """Writes Immersio records into one tenant. Used by full syncs and by webhooks."""

    def __init__(self, tenant, client, *, tally=None, on_page=None):
        self.tenant = tenant
        self.client = client
        self.tally = tally or Tally()
        self.on_page = on_page or (lambda: None)
        self.position = {}

    # ---- teachers ----

    def pull_teachers(self, since):
        self.position = {"step": "teachers", "cursor": None, "records_done": 0}
        for page in self.client.pages("/v1/teachers", limit=PAGE_SIZE, updated_since=since):
            self.upsert_teachers(page.data)
            self._advance(page)

    def upsert_teachers(self, rows):
        rows = [row for row in rows if self._valid_teacher(row)]
        if not rows:
            return
        User = get_user_model()
        links = {link.immersio_id: link for link in ImmersioLink.objects.filter(
            tenant=self.tenant, kind=ImmersioLink.Kind.TEACHER, immersio_id__in=[r["id"] for r in rows])}
        with transaction.atomic():
            for row in rows:
                email = row["email"].strip().lower()
                zone = row.get("timezone") or "UTC"
                digest = fingerprint(email, row.get("name"), zone)
                link = links.get(row["id"])
                moment = changed_at(row.get("updated_at"))
                if link is not None and is_older(moment, link.source_updated_at):
                    self.tally.add("teachers", "unchanged")
                    continue
                user = User.objects.filter(pk=link.local_id).first() if link else None
                user = user or User.objects.filter(email__iexact=email).first()
                membership = Membership.objects.filter(tenant=self.tenant, user=user).first() if user else None
                if membership is None:
                    user, _created = add_member(self.tenant, email, Membership.Role.TEACHER, timezone=zone)
                    if _created and row.get("name"):
                        first, _sep, last = row["name"].strip().partition(" ")
                        User.objects.filter(pk=user.pk).update(first_name=first[:150], last_name=last[:150])
                    outcome = "created"
                elif link is not None and link.fingerprint == digest and link.local_id == user.pk:
                    outcome = "unchanged"
                else:
                    if membership.timezone != zone:
                        membership.timezone = zone
                        membership.save(update_fields=["timezone"])
                    outcome = "updated"
                ImmersioLink.objects.update_or_create(
                    tenant=self.tenant, kind=ImmersioLink.Kind.TEACHER, immersio_id=row["id"],
                    defaults={"local_id": user.pk, "label": (row.get("name") or email)[:200], "fingerprint": digest,
                              "source_updated_at": later_of(link.source_updated_at if link else None, moment)})
                self.tally.add("teachers", outcome)

    def _valid_teacher(self, row):
        problem = _missing(row, ("id", "email"))
        if not problem:
            try:
                validate_email(row["email"].strip())
            except ValidationError:
                problem = "invalid email"
        if not problem and (row.get("timezone") or "UTC") not in zoneinfo.available_timezones():
            problem = f"unknown time zone {row.get('timezone')!r}"
        if problem:
            self.tally.fail("teachers", row.get("id", "?") if isinstance(row, dict) else "?", problem)
            return False
        return True

    # ---- courses ----

    def pull_courses(self, since):
        self.position = {"step": "courses", "cursor": None, "records_done": 0}
        for page in self.client.pages("/v1/courses", limit=PAGE_SIZE, updated_since=since):
            self.upsert_courses(page.data)
            self._advance(page)

    def upsert_courses(self, rows):
        valid = []
        for row in rows:
            problem = _missing(row, ("id", "title"))
            if not problem and row.get("status", "active") not in ("active", "archived"):
                problem = f"unknown status {row.get('status')!r}"
            if problem:
                self.tally.fail("courses", row.get("id", "?") if isinstance(row, dict) else "?", problem)
            else:
                valid.append(row)
        if not valid:
            return
        ids = [row["id"] for row in valid]
        with transaction.atomic():
            event_types = {et.immersio_course_id: et for et in EventType.objects.select_for_update().filter(
                tenant=self.tenant, immersio_course_id__in=ids)}
            teacher_users = dict(ImmersioLink.objects.filter(
                tenant=self.tenant, kind=ImmersioLink.Kind.TEACHER,
                immersio_id__in={t for row in valid for t in row.get("teacher_ids") or ()},
            ).values_list("immersio_id", "local_id"))
            links = {link.immersio_id: link for link in ImmersioLink.objects.filter(
                tenant=self.tenant, kind=ImmersioLink.Kind.COURSE, immersio_id__in=ids)}
            for row in valid:
                title = row["title"].strip()[:150]
                description = row.get("description") or ""
                archived = row.get("status") == "archived"
                link = links.get(row["id"])
                moment = changed_at(row.get("updated_at"))
                course_fingerprint = fingerprint(title, description, row.get("status"))
                if link is not None and is_older(moment, link.source_updated_at):
                    self.tally.add("courses", "unchanged")  # older than what is stored
                    continue
                if link is not None and not link.mapped:
                    # An admin unmapped this course: it stays listed (as Immersio has it), with no event type.
                    changed = link.label != title or link.fingerprint != course_fingerprint
                    ImmersioLink.objects.filter(pk=link.pk).update(
                        label=title, fingerprint=course_fingerprint, updated_at=timezone.now(),
                        source_updated_at=later_of(link.source_updated_at, moment))
                    self.tally.add("courses", "updated" if changed else "unchanged")
                    continue
                event_type = event_types.get(row["id"])
                if event_type is None:
                    if archived:
                        self.tally.add("courses", "unchanged")
                        continue
                    event_type = EventType.objects.create(
                        tenant=self.tenant, kind=EventType.Kind.LIVE_CLASS, title=title,
                        slug=self._free_slug(title, row["id"]), description=description,
                        immersio_course_id=row["id"], is_published=False, whitelist_enabled=True,
                    )
                    audit.record("immersio.course_imported", tenant=self.tenant, target=f"event_type:{event_type.pk}",
                                 course_id=row["id"])
                    outcome = "created"
                else:
                    changed = []
                    if event_type.title != title:
                        event_type.title = title
                        changed.append("title")
                    if event_type.description != description:
                        event_type.description = description
                        changed.append("description")
                    if archived and event_type.is_published:
                        event_type.is_published = False
                        changed.append("is_published")
                    if changed:
                        event_type.save(update_fields=[*changed, "updated_at"])
                        audit.record("immersio.course_updated", tenant=self.tenant,
                                     target=f"event_type:{event_type.pk}", course_id=row["id"], fields=changed)
                    outcome = "updated" if changed else "unchanged"
                for teacher_id in row.get("teacher_ids") or ():
                    if teacher_id in teacher_users:
                        EventHost.objects.get_or_create(event_type=event_type, teacher_id=teacher_users[teacher_id],
                                                        defaults={"tenant": self.tenant})
                ImmersioLink.objects.update_or_create(
                    tenant=self.tenant, kind=ImmersioLink.Kind.COURSE, immersio_id=row["id"],
                    defaults={"local_id": event_type.pk, "label": title, "fingerprint": course_fingerprint,
                              "mapped": True,
                              "source_updated_at": later_of(link.source_updated_at if link else None, moment)})
                self.tally.add("courses", outcome)

    def _free_slug(self, title, course_id):
        base = slugify(title)[:60] or "course"
        taken = set(EventType.objects.filter(tenant=self.tenant, slug__startswith=base).values_list("slug", flat=True))
        if base not in taken:
            return base
        candidate = f"{base}-{slugify(course_id)}"[:80]
        number = 2
        while candidate in taken:
            candidate = f"{base}-{number}"
            number += 1
        return candidate

    # ---- students ----

    def mapped_courses(self):
        """(course id, event type) of every course mapped to an event type."""
        return [(et.immersio_course_id, et) for et in EventType.objects.filter(tenant=self.tenant).exclude(
            immersio_course_id="").order_by("pk")]

    def pull_students(self, since, *, courses=None):
        """A course seen for the first time (no student synced yet) is pulled in full."""
        for course_id, event_type in courses if courses is not None else self.mapped_courses():
            known = ImmersioCourseStudent.objects.filter(tenant=self.tenant, course_id=course_id).exists()
            course_since = since if known else None
            self.position = {"step": "students", "course_id": course_id, "cursor": None, "records_done": 0}
            for page in self.client.pages(f"/v1/courses/{course_id}/students", limit=PAGE_SIZE,
                                          updated_since=course_since):
                self.upsert_students(course_id, event_type, page.data)
                self._advance(page)

    def upsert_students(self, course_id, event_type, rows):
        """Write one page of a course's students: a fixed number of queries for any page size."""
        students = {}
        for row in rows:
            problem = _missing(row, ("id", "email"))
            email = row.get("email", "").strip().lower() if isinstance(row, dict) and not problem else ""
            if not problem:
                try:
                    validate_email(email)
                except ValidationError:
                    problem = "invalid email"
            status = row.get("status", "active") if isinstance(row, dict) else ""
            if not problem and status not in ImmersioCourseStudent.Status.values:
                problem = f"unknown status {status!r}"
            if problem:
                self.tally.fail("students", row.get("id", "?") if isinstance(row, dict) else "?", problem,
                                course_id=course_id)
                continue
            students[str(row["id"])] = {
                "id": str(row["id"]), "email": email, "status": status,
                "first_name": (row.get("first_name") or "")[:150], "last_name": (row.get("last_name") or "")[:150],
                "changed_at": changed_at(row.get("updated_at")),
            }
        if not students:
            return
        with transaction.atomic():
            existing = {cs.student_id: cs for cs in ImmersioCourseStudent.objects.select_for_update().filter(
                tenant=self.tenant, course_id=course_id, student_id__in=list(students))}
            for student_id in [sid for sid, s in students.items() if sid in existing
                               and is_older(s["changed_at"], existing[sid].source_updated_at)]:
                del students[student_id]  # older than what is stored: a late webhook or a stale page
                self.tally.add("students", "unchanged")
            if not students:
                return
            user_ids = self._resolve_accounts(students)
            to_create, to_update, touched, unlist = [], [], [], set()
            for student_id, student in students.items():
                digest = fingerprint(student["email"], student["first_name"], student["last_name"], student["status"])
                row = existing.get(student_id)
                if row is None:
                    to_create.append(ImmersioCourseStudent(
                        tenant=self.tenant, course_id=course_id, student_id=student_id, user_id=user_ids[student_id],
                        email=student["email"], status=student["status"], fingerprint=digest,
                        source_updated_at=student["changed_at"]))
                elif row.fingerprint != digest or row.user_id != user_ids[student_id]:
                    if row.status == ImmersioCourseStudent.Status.ACTIVE and (
                            student["status"] != row.status or student["email"] != row.email):
                        unlist.add(row.email)
                    row.email, row.status, row.fingerprint = student["email"], student["status"], digest
                    row.user_id = user_ids[student_id]
                    row.source_updated_at = later_of(row.source_updated_at, student["changed_at"])
                    row.updated_at = timezone.now()
                    to_update.append(row)
                else:
                    self.tally.add("students", "unchanged")
                    if is_older(row.source_updated_at, student["changed_at"]):
                        # Same data, newer time: later news older than this must not undo it.
                        row.source_updated_at = student["changed_at"]
                        touched.append(row)
            ImmersioCourseStudent.objects.bulk_create(to_create)
            ImmersioCourseStudent.objects.bulk_update(
                to_update + touched, ["email", "status", "fingerprint", "user", "source_updated_at", "updated_at"])
            self.tally.add("students", "created", len(to_create))
            self.tally.add("students", "updated", len(to_update))
            active = {s["email"] for s in students.values() if s["status"] == ImmersioCourseStudent.Status.ACTIVE}
            if unlist - active:
                WhitelistEntry.objects.filter(event_type=event_type, email__in=unlist - active).delete()
            if active:
                WhitelistEntry.objects.bulk_create(
                    [WhitelistEntry(tenant=self.tenant, event_type=event_type, email=email, note=WHITELIST_NOTE)
                     for email in sorted(active)], ignore_conflicts=True)

    def _resolve_accounts(self, students):
        """Immersio student id → account id: the linked account, else the account with the
        email, else a new unverified account with no password. Links new pairs."""
        User = get_user_model()
        links = dict(ImmersioLink.objects.filter(
            tenant=self.tenant, kind=ImmersioLink.Kind.STUDENT, immersio_id__in=list(students),
        ).values_list("immersio_id", "local_id"))
        unlinked = {sid: s for sid, s in students.items() if sid not in links}
        if unlinked:
            emails = {s["email"] for s in unlinked.values()}
            by_email = dict(User.objects.filter(email__in=emails).values_list("email", "pk"))
            new = {}
            for student in unlinked.values():
                if student["email"] not in by_email:
                    new.setdefault(student["email"], student)
            if new:
                User.objects.bulk_create([
                    User(email=email, first_name=s["first_name"], last_name=s["last_name"],
                         password=make_password(None)) for email, s in new.items()
                ], ignore_conflicts=True)
                created = dict(User.objects.filter(email__in=list(new)).values_list("email", "pk"))
                EmailAddress.objects.bulk_create([
                    EmailAddress(user_id=pk, email=email, primary=True, verified=False) for email, pk in created.items()
                    if email not in by_email
                ], ignore_conflicts=True)
                self.tally.add("accounts", "created", len(set(created) - set(by_email)))
                by_email.update(created)
            ImmersioLink.objects.bulk_create([
                ImmersioLink(tenant=self.tenant, kind=ImmersioLink.Kind.STUDENT, immersio_id=sid,
                             local_id=by_email[s["email"]], label=s["email"][:200])
                for sid, s in unlinked.items()
            ], ignore_conflicts=True)
            links.update(ImmersioLink.objects.filter(
                tenant=self.tenant, kind=ImmersioLink.Kind.STUDENT, immersio_id__in=list(unlinked),
            ).values_list("immersio_id", "local_id"))
        return links

    def _advance(self, page):
        self.position["cursor"] = page.next_cursor
        self.position["records_done"] = self.position.get("records_done", 0) + len(page.data)
        self.on_page()


def _missing(row, names):
    if not isinstance(row, dict):
        return "not an object"
    missing = [name for name in names if not str(row.get(name) or "").strip()]
    return f"missing {', '.join(missing)}" if missing else ""


def sync_tenant(tenant_id, *, full=False, trigger="schedule", client=None):
    """Pull everything (or what changed since the last successful sync) for one tenant.

    Returns the `SyncRun`: status skipped when another sync of the tenant holds the lock.
    Never raises for a failure of Immersio: the run records it and where it stopped.
    """
    connection = ImmersioConnection.objects.select_related("tenant").get(tenant_id=tenant_id)
    tenant = connection.tenant
    kind = SyncRun.Kind.FULL if full or connection.last_success_at is None else SyncRun.Kind.CHANGES
    with tenant_lock(tenant_id) as locked:
        if not locked:
            return SyncRun.objects.create(tenant=tenant, kind=kind, trigger=trigger, status=SyncRun.Status.SKIPPED,
                                          finished_at=timezone.now())
        started = timezone.now()
        margin = timedelta(seconds=getattr(settings, "IMMERSIO_SYNC_CLOCK_MARGIN_SECONDS", CLOCK_MARGIN_SECONDS))
        since = None if kind == SyncRun.Kind.FULL else connection.last_success_at - margin
        run = SyncRun.objects.create(tenant=tenant, kind=kind, trigger=trigger)
        ImmersioConnection.objects.filter(pk=connection.pk).update(last_sync_state=ImmersioConnection.SyncState.RUNNING)
        own_client = client is None
        client = client or make_client(connection)
        tally = Tally()

        def save_progress():
            _fill_run(run, tally)
            run.stopped_at = dict(syncer.position)
            run.save(update_fields=["created", "updated", "unchanged", "failed", "counts", "errors", "stopped_at"])

        syncer = Syncer(tenant, client, tally=tally, on_page=save_progress)
        try:
            syncer.pull_teachers(since)
            syncer.pull_courses(since)
            syncer.pull_students(since)
        except ImmersioError as error:
            run.status = SyncRun.Status.FAILED
            run.error = str(error)
            run.stopped_at = dict(syncer.position)
        except Exception as error:  # noqa: BLE001 - the log must say that the sync stopped, whatever stopped it
            logger.exception("Immersio sync of tenant %s stopped", tenant_id)
            run.status = SyncRun.Status.FAILED
            run.error = f"{type(error).__name__}: {error}"
            run.stopped_at = dict(syncer.position)
        else:
            run.status = SyncRun.Status.PARTIAL if tally.total("failed") else SyncRun.Status.OK
            run.stopped_at = {}
        finally:
            if own_client:
                client.close()
        _fill_run(run, tally)
        run.finished_at = timezone.now()
        run.save()
        state = {SyncRun.Status.OK: ImmersioConnection.SyncState.OK,
                 SyncRun.Status.PARTIAL: ImmersioConnection.SyncState.PARTIAL}.get(
                     run.status, ImmersioConnection.SyncState.FAILED)
        updates = {"last_sync_at": run.finished_at, "last_sync_state": state}
        if run.status != SyncRun.Status.FAILED:
            updates["last_success_at"] = started
        ImmersioConnection.objects.filter(pk=connection.pk).update(**updates)
        return run


def _fill_run(run, tally):
    run.created = tally.total("created")
    run.updated = tally.total("updated")
    run.unchanged = tally.total("unchanged")
    run.failed = tally.total("failed")
    run.counts = tally.counts
    run.errors = tally.errors


def map_course(event_type, course_id, *, actor=None):
    """Link an Immersio course to an existing event type of the same tenant; its
    students are pulled in full on the next sync of that course.

    A course has one event type and an event type one course: an event type that had
    this course loses it, and a course this event type had is left unmapped (a sync
    then creates no event type for it until an admin maps it again)."""
    course_id = course_id.strip()
    tenant = event_type.tenant
    with transaction.atomic():
        previous = EventType.objects.select_for_update().filter(pk=event_type.pk).values_list(
            "immersio_course_id", flat=True).get()
        if previous and previous != course_id:
            ImmersioLink.objects.filter(tenant=tenant, kind=ImmersioLink.Kind.COURSE, immersio_id=previous).update(
                mapped=False, updated_at=timezone.now())
        EventType.objects.filter(tenant=tenant, immersio_course_id=course_id).exclude(
            pk=event_type.pk).update(immersio_course_id="")
        event_type.immersio_course_id = course_id
        event_type.save(update_fields=["immersio_course_id", "updated_at"])
        link = ImmersioLink.objects.filter(tenant=tenant, kind=ImmersioLink.Kind.COURSE, immersio_id=course_id).first()
        if link is None:
            ImmersioLink.objects.create(tenant=tenant, kind=ImmersioLink.Kind.COURSE, immersio_id=course_id,
                                        local_id=event_type.pk, label=event_type.title[:200])
        else:
            ImmersioLink.objects.filter(pk=link.pk).update(local_id=event_type.pk, mapped=True,
                                                           updated_at=timezone.now())
        audit.record("immersio.course_mapped", tenant=tenant, actor=actor,
                     target=f"event_type:{event_type.pk}", course_id=course_id)


def unmap_course(tenant, course_id, *, actor=None):
    """Take an Immersio course off its event type. The event type stays (with its
    bookings); the course stays listed and no sync creates an event type for it."""
    with transaction.atomic():
        event_type_ids = list(EventType.objects.filter(tenant=tenant, immersio_course_id=course_id).values_list(
            "pk", flat=True))
        EventType.objects.filter(pk__in=event_type_ids).update(immersio_course_id="", updated_at=timezone.now())
        ImmersioLink.objects.filter(tenant=tenant, kind=ImmersioLink.Kind.COURSE, immersio_id=course_id).update(
            mapped=False, updated_at=timezone.now())
        audit.record("immersio.course_unmapped", tenant=tenant, actor=actor, course_id=course_id,
                     event_types=event_type_ids)


def course_list(tenants):
    """The Immersio courses of `tenants` as last synced, each with its event type (or None)."""
    links = list(ImmersioLink.objects.filter(tenant__in=tenants, kind=ImmersioLink.Kind.COURSE)
                 .select_related("tenant").order_by("tenant__name", "label", "immersio_id"))
    mapped = {(et.tenant_id, et.immersio_course_id): et for et in EventType.objects.filter(
        tenant__in=tenants, immersio_course_id__in=[link.immersio_id for link in links])}
    return [(link, mapped.get((link.tenant_id, link.immersio_id))) for link in links]


def sync_course_students(tenant_id, course_id, *, client=None):
    """Pull all students of one course (after a course is mapped). Returns the tally."""
    connection = ImmersioConnection.objects.select_related("tenant").get(tenant_id=tenant_id)
    event_type = EventType.objects.get(tenant_id=tenant_id, immersio_course_id=course_id)
    own_client = client is None
    client = client or make_client(connection)
    try:
        syncer = Syncer(connection.tenant, client)
        syncer.pull_students(None, courses=[(course_id, event_type)])
        return syncer.tally
    finally:
        if own_client:
            client.close()
