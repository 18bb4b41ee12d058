"""Webhooks delivered out of order (Immersio retries for days) and stale sync pages
never overwrite newer data: each record keeps the time of the change it holds."""

from datetime import timedelta

from django.utils import timezone

from booking.models import EventType, WhitelistEntry
from integrations.immersio.sync import Syncer, make_client, sync_tenant
from integrations.models import ImmersioCourseStudent, ImmersioWebhookEvent
from site_platform.models import Membership

from .conftest import ORG
from .test_webhooks import post


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def outcome(tenant, event_id):
    return ImmersioWebhookEvent.objects.get(tenant=tenant, event_id=event_id).outcome


def test_an_enrollment_older_than_a_withdrawal_does_not_put_the_student_back(
        fake, tenant, connection, django_capture_on_commit_callbacks):
    fake.add_course(ORG, "c1", title="IELTS")
    sync_tenant(tenant.pk)
    event_type = EventType.objects.get(tenant=tenant, immersio_course_id="c1")
    fake.add_student(ORG, "s9", email="nine@example.com")
    now = timezone.now()
    enrolled = {"id": "evt_enrolled", "type": "student.enrolled", "created_at": iso(now - timedelta(minutes=5)),
                "data": {"course_id": "c1", "student": {"id": "s9", "email": "nine@example.com"}}}
    withdrawn = {"id": "evt_withdrawn", "type": "student.withdrawn", "created_at": iso(now - timedelta(minutes=1)),
                 "data": {"course_id": "c1", "student_id": "s9"}}
    with django_capture_on_commit_callbacks(execute=True):
        assert post(tenant, withdrawn).status_code == 200  # the newer one arrives first
        assert post(tenant, enrolled).status_code == 200   # Immersio's retry of the older one, late
    assert not WhitelistEntry.objects.filter(event_type=event_type, email="nine@example.com").exists()
    assert ImmersioCourseStudent.objects.get(tenant=tenant, student_id="s9").status == "withdrawn"
    assert outcome(tenant, "evt_enrolled").startswith("ignored: older")

    again = {**enrolled, "id": "evt_enrolled_again", "created_at": iso(now)}  # a real re-enrollment, later
    with django_capture_on_commit_callbacks(execute=True):
        assert post(tenant, again).status_code == 200
    assert WhitelistEntry.objects.filter(event_type=event_type, email="nine@example.com").exists()
    assert ImmersioCourseStudent.objects.get(tenant=tenant, student_id="s9").status == "active"


def test_a_course_updated_event_older_than_the_stored_course_changes_nothing(
        fake, tenant, connection, django_capture_on_commit_callbacks):
    fake.add_course(ORG, "c1", title="IELTS v1")
    sync_tenant(tenant.pk)
    second = dict(fake.update_course(ORG, "c1", title="IELTS v2"))
    third = dict(fake.update_course(ORG, "c1", title="IELTS v3"))
    newer = {"id": "evt_c3", "type": "course.updated", "created_at": third["updated_at"],
             "data": {"id": "c1", "updated_at": third["updated_at"]}}
    older = {"id": "evt_c2", "type": "course.updated", "created_at": second["updated_at"],
             "data": {"id": "c1", "updated_at": second["updated_at"]}}
    with django_capture_on_commit_callbacks(execute=True):
        post(tenant, newer)
    reads = len(fake.requests_to("GET", "/v1/courses"))
    with django_capture_on_commit_callbacks(execute=True):
        post(tenant, older)
    assert EventType.objects.get(tenant=tenant, immersio_course_id="c1").title == "IELTS v3"
    assert outcome(tenant, "evt_c2").startswith("ignored: older")
    assert len(fake.requests_to("GET", "/v1/courses")) == reads  # nothing fetched for old news

    # A sync page read before the newer change was written (a slow full sync) is stale too.
    with make_client(connection) as client:
        Syncer(tenant, client).upsert_courses([{**second, "title": "IELTS v2"}])
    assert EventType.objects.get(tenant=tenant, immersio_course_id="c1").title == "IELTS v3"


def test_a_stale_teacher_page_does_not_undo_a_newer_time_zone(fake, tenant, connection,
                                                              django_capture_on_commit_callbacks):
    fake.add_teacher(ORG, "t1", email="linh@example.com", name="Linh", timezone="Asia/Ho_Chi_Minh")
    sync_tenant(tenant.pk)
    stale = dict(fake.orgs[ORG].teachers["t1"])
    fake.update_teacher(ORG, "t1", timezone="Europe/Berlin")
    newer = fake.orgs[ORG].teachers["t1"]["updated_at"]
    with django_capture_on_commit_callbacks(execute=True):
        post(tenant, {"id": "evt_t2", "type": "teacher.updated", "created_at": newer,
                      "data": {"id": "t1", "updated_at": newer}})
        post(tenant, {"id": "evt_t1", "type": "teacher.updated", "created_at": stale["updated_at"],
                      "data": {"id": "t1", "updated_at": stale["updated_at"]}})
    membership = Membership.objects.get(tenant=tenant, user__email="linh@example.com")
    assert membership.timezone == "Europe/Berlin"
    assert outcome(tenant, "evt_t1").startswith("ignored: older")
    with make_client(connection) as client:
        Syncer(tenant, client).upsert_teachers([stale])
    membership.refresh_from_db()
    assert membership.timezone == "Europe/Berlin"


def test_a_stale_student_page_does_not_undo_a_newer_withdrawal(fake, tenant, connection,
                                                               django_capture_on_commit_callbacks):
    fake.add_course(ORG, "c1", title="IELTS")
    fake.add_student(ORG, "s9", email="nine@example.com", course_id="c1")
    sync_tenant(tenant.pk)
    event_type = EventType.objects.get(tenant=tenant, immersio_course_id="c1")
    with make_client(connection) as client:
        stale_page = list(client.course_students("c1"))  # read by a sync that is slow to write it
    fake.withdraw(ORG, "c1", "s9")
    sync_tenant(tenant.pk)
    assert not WhitelistEntry.objects.filter(event_type=event_type, email="nine@example.com").exists()
    with make_client(connection) as client:
        Syncer(tenant, client).upsert_students("c1", event_type, stale_page)
    assert not WhitelistEntry.objects.filter(event_type=event_type, email="nine@example.com").exists()
    assert ImmersioCourseStudent.objects.get(tenant=tenant, student_id="s9").status == "withdrawn"
