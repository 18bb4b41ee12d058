"""Pulling courses, teachers and students from the fake Immersio over HTTP."""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command

from booking.models import EventHost, EventType, WhitelistEntry
from integrations.immersio.sync import map_course, sync_course_students, sync_tenant, tenant_lock
from integrations.models import ImmersioConnection, ImmersioCourseStudent, ImmersioLink, SyncRun
from site_platform.models import Membership
from tests.conftest import make_user

from .conftest import ORG

User = get_user_model()


def whitelist(event_type):
    return set(WhitelistEntry.objects.filter(event_type=event_type).values_list("email", flat=True))


def test_courses_become_draft_event_types_and_follow_changes(fake, tenant, connection):
    fake.add_course(ORG, "c1", title="IELTS Preparation", description="Band 6.5+")
    fake.add_course(ORG, "c2", title="Conversation Club")

    run = sync_tenant(tenant.pk)

    assert run.status == SyncRun.Status.OK and run.kind == SyncRun.Kind.FULL
    assert run.counts["courses"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 0}
    ielts = EventType.objects.get(tenant=tenant, immersio_course_id="c1")
    assert ielts.title == "IELTS Preparation" and ielts.description == "Band 6.5+"
    assert ielts.kind == EventType.Kind.LIVE_CLASS and not ielts.is_published and ielts.whitelist_enabled

    ielts.is_published = True
    ielts.price = 120
    ielts.save()
    fake.update_course(ORG, "c1", title="IELTS Intensive", description="Band 7")
    second = sync_tenant(tenant.pk)
    assert second.kind == SyncRun.Kind.CHANGES
    assert second.counts["courses"]["updated"] == 1 and second.counts["courses"]["created"] == 0
    ielts.refresh_from_db()
    assert (ielts.title, ielts.description, ielts.is_published, ielts.price) == ("IELTS Intensive", "Band 7", True, 120)

    fake.update_course(ORG, "c1", status="archived")
    sync_tenant(tenant.pk, full=True)
    ielts.refresh_from_db()
    assert not ielts.is_published
    assert EventType.objects.filter(tenant=tenant, immersio_course_id__in=["c1", "c2"]).count() == 2


def test_rerunning_a_full_sync_creates_nothing_new(fake, tenant, connection):
    fake.add_course(ORG, "c1", title="IELTS")
    fake.add_teacher(ORG, "t1", email="mark@school.test", name="Mark Evans", timezone="Asia/Ho_Chi_Minh")
    fake.add_students(ORG, "c1", 30)
    sync_tenant(tenant.pk, full=True)
    again = sync_tenant(tenant.pk, full=True)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert again.unchanged == 1 + 1 + 30
    assert EventType.objects.filter(tenant=tenant).count() == 1
    assert ImmersioCourseStudent.objects.filter(tenant=tenant).count() == 30


def test_course_mapped_to_an_existing_event_type(fake, tenant, connection):
    existing = EventType.objects.create(tenant=tenant, kind="workshop", title="Our own IELTS", slug="ielts",
                                        is_published=True)
    fake.add_course(ORG, "c1", title="IELTS Preparation")
    fake.add_students(ORG, "c1", 3)
    map_course(existing, "c1")
    sync_course_students(tenant.pk, "c1")
    assert whitelist(existing) == {"s00001@students.test", "s00002@students.test", "s00003@students.test"}

    sync_tenant(tenant.pk)
    assert EventType.objects.filter(tenant=tenant).count() == 1
    existing.refresh_from_db()
    assert existing.title == "IELTS Preparation" and existing.kind == "workshop" and existing.is_published


def test_teachers_become_memberships_with_their_time_zone(fake, tenant, connection, tenant_admin):
    fake.add_teacher(ORG, "t1", email="Mark@School.test", name="Mark Evans", timezone="Asia/Ho_Chi_Minh")
    fake.add_teacher(ORG, "t2", email=tenant_admin.email, name="The Owner", timezone="Europe/London")
    fake.add_teacher(ORG, "t3", email="bad@school.test", name="Bad Zone", timezone="Mars/Olympus")
    fake.add_course(ORG, "c1", title="IELTS", teacher_ids=["t1"])

    run = sync_tenant(tenant.pk)

    mark = Membership.objects.get(tenant=tenant, user__email="mark@school.test")
    assert (mark.role, mark.timezone, mark.user.first_name) == ("teacher", "Asia/Ho_Chi_Minh", "Mark")
    owner = Membership.objects.get(tenant=tenant, user=tenant_admin)
    assert owner.role == "admin" and owner.timezone == "Europe/London"
    assert run.status == SyncRun.Status.PARTIAL
    assert run.errors == [{"kind": "teachers", "id": "t3", "error": "unknown time zone 'Mars/Olympus'"}]
    assert EventHost.objects.filter(event_type__immersio_course_id="c1", teacher=mark.user).exists()

    fake.update_teacher(ORG, "t1", timezone="Europe/Berlin")
    run = sync_tenant(tenant.pk)
    mark.refresh_from_db()
    assert mark.timezone == "Europe/Berlin"
    assert run.counts["teachers"]["updated"] == 1


def test_students_matched_by_email_or_created_unverified(fake, tenant, connection):
    known = make_user("known@example.com", first_name="Known")
    fake.add_course(ORG, "c1", title="IELTS")
    fake.add_student(ORG, "s1", email="Known@Example.com", first_name="K", course_id="c1")
    fake.add_student(ORG, "s2", email="new@example.com", first_name="Nina", last_name="New", course_id="c1")
    fake.add_student(ORG, "s3", email="not-an-email", course_id="c1")

    run = sync_tenant(tenant.pk)

    assert run.counts["students"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 1}
    assert run.errors == [{"kind": "students", "id": "s3", "error": "invalid email", "course_id": "c1"}]
    assert ImmersioLink.objects.get(tenant=tenant, kind="student", immersio_id="s1").local_id == known.pk
    nina = User.objects.get(email="new@example.com")
    assert nina.first_name == "Nina" and not nina.has_usable_password()
    assert EmailAddress.objects.get(user=nina).verified is False
    known.refresh_from_db()
    assert known.first_name == "Known" and known.has_usable_password()


def test_ten_thousand_students_across_pages_with_changes_between_runs(fake, tenant, connection):
    fake.add_course(ORG, "c1", title="IELTS")
    fake.add_students(ORG, "c1", 10_000)

    first = sync_tenant(tenant.pk)

    assert first.status == SyncRun.Status.OK
    assert first.counts["students"] == {"created": 10_000, "updated": 0, "unchanged": 0, "failed": 0}
    assert first.counts["accounts"]["created"] == 10_000
    assert len(fake.requests_to("GET", "/v1/courses/c1/students")) == 50
    event_type = EventType.objects.get(tenant=tenant, immersio_course_id="c1")
    assert len(whitelist(event_type)) == 10_000

    for number in range(1, 101):  # 100 renamed
        fake.update_student(ORG, f"s{number:05d}", last_name="Renamed")
    for number in range(101, 151):  # 50 withdrawn
        fake.withdraw(ORG, "c1", f"s{number:05d}")
    fake.update_student(ORG, "s00200", email="moved@students.test")  # 1 new address
    fake.add_students(ORG, "c1", 25, start=10_001)  # 25 new

    second = sync_tenant(tenant.pk)

    assert second.kind == SyncRun.Kind.CHANGES
    assert second.counts["students"] == {"created": 25, "updated": 151, "unchanged": 0, "failed": 0}
    assert ImmersioCourseStudent.objects.filter(tenant=tenant).count() == 10_025
    assert User.objects.filter(email__endswith="@students.test").count() == 10_025
    assert ImmersioLink.objects.filter(tenant=tenant, kind="student").count() == 10_025
    listed = whitelist(event_type)
    assert len(listed) == 10_025 - 50
    assert "s00120@students.test" not in listed and "s00151@students.test" in listed
    assert "moved@students.test" in listed and "s00200@students.test" not in listed
    assert "s10025@students.test" in listed

    third = sync_tenant(tenant.pk, full=True)
    assert third.counts["students"] == {"created": 0, "updated": 0, "unchanged": 10_025, "failed": 0}
    assert len(whitelist(event_type)) == 10_025 - 50


def test_a_failure_mid_sync_keeps_what_was_synced_and_says_where_it_stopped(fake, tenant, connection):
    fake.add_course(ORG, "c1", title="IELTS")
    fake.add_students(ORG, "c1", 1000)
    fake.fail_next(500, times=10, path="/v1/courses/c1/students", after=3)

    run = sync_tenant(tenant.pk)

    assert run.status == SyncRun.Status.FAILED
    assert "server_error" in run.error
    assert run.counts["students"]["created"] == 600
    assert run.stopped_at["step"] == "students" and run.stopped_at["course_id"] == "c1"
    assert run.stopped_at["records_done"] == 600 and run.stopped_at["cursor"]
    assert ImmersioCourseStudent.objects.filter(tenant=tenant).count() == 600
    assert len(whitelist(EventType.objects.get(immersio_course_id="c1"))) == 600
    connection.refresh_from_db()
    assert connection.last_sync_state == "failed" and connection.last_success_at is None

    fake.clear_failures()
    retry = sync_tenant(tenant.pk)
    assert retry.status == SyncRun.Status.OK
    assert retry.counts["students"] == {"created": 400, "updated": 0, "unchanged": 600, "failed": 0}
    assert ImmersioCourseStudent.objects.filter(tenant=tenant).count() == 1000


def test_a_wrong_key_fails_the_run_with_the_reason(fake, tenant, connection):
    connection.api_key = "wrong"
    connection.save()
    run = sync_tenant(tenant.pk)
    assert run.status == SyncRun.Status.FAILED and run.error.startswith("auth")
    assert run.stopped_at["step"] == "teachers"


def test_only_one_sync_of_a_tenant_at_a_time(fake, tenant, connection, other_tenant, other_connection):
    with tenant_lock(tenant.pk) as held:
        assert held
        skipped = sync_tenant(tenant.pk)
        other = sync_tenant(other_tenant.pk)
    assert skipped.status == SyncRun.Status.SKIPPED
    assert other.status == SyncRun.Status.OK
    assert sync_tenant(tenant.pk).status == SyncRun.Status.OK


def test_two_tenants_sync_into_their_own_rows(fake, tenant, connection, other_tenant, other_connection):
    fake.add_course(ORG, "c1", title="Hanoi IELTS")
    fake.add_students(ORG, "c1", 5)
    fake.add_course("org_saigon", "c1", title="Saigon IELTS")
    sync_tenant(tenant.pk)
    sync_tenant(other_tenant.pk)
    assert EventType.objects.get(tenant=tenant, immersio_course_id="c1").title == "Hanoi IELTS"
    assert EventType.objects.get(tenant=other_tenant, immersio_course_id="c1").title == "Saigon IELTS"
    assert ImmersioCourseStudent.objects.filter(tenant=other_tenant).count() == 0


def test_management_command(fake, tenant, connection, capsys):
    fake.add_course(ORG, "c1", title="IELTS")
    call_command("immersio_sync", "--tenant", "hanoi", "--full")
    assert "ok" in capsys.readouterr().out.lower()
    assert ImmersioConnection.objects.get(tenant=tenant).last_sync_state == "ok"
