"""Pushes to the fake Immersio through the outbox: once per change, nothing lost."""

from datetime import timedelta

import pytest
from django.utils import timezone

from booking.models import EventType
from booking.services.bookings import cancel_booking, create_booking
from booking.services.sessions import cancel_session, create_session
from integrations.immersio import push
from integrations.immersio.sync import make_client
from integrations.immersio.tasks import deliver_push, sweep_push_outbox
from integrations.models import ImmersioLink, PushOutbox

from .conftest import ORG


@pytest.fixture
def course(fake, tenant, connection, teacher):
    fake.add_course(ORG, "c1", title="IELTS")
    ImmersioLink.objects.create(tenant=tenant, kind="teacher", immersio_id="t-linh", local_id=teacher.pk)
    return EventType.objects.create(tenant=tenant, kind="live_class", title="IELTS", slug="ielts",
                                    immersio_course_id="c1", is_published=True, seats_per_session=8,
                                    minimum_notice_minutes=0, meeting_url="https://meet.example/ielts")


def time_passes():
    """Move every pending row's next attempt to now, as if its wait (or lease) had run out."""
    PushOutbox.objects.filter(status="pending").update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def new_session(course, teacher, days=3):
    start = (timezone.now() + timedelta(days=days)).replace(microsecond=0)
    return create_session(event_type=course, teacher=teacher, start=start, end=start + timedelta(hours=1))


def test_a_new_session_is_pushed_as_a_live_class_once(fake, course, teacher, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        session = new_session(course, teacher)
    puts = fake.requests_to("PUT", f"/v1/live-classes/{session.pk}")
    assert len(puts) == 1
    assert puts[0].body == {
        "course_id": "c1", "teacher_id": "t-linh", "title": "IELTS",
        "starts_at": session.start.isoformat().replace("+00:00", "Z"),
        "ends_at": session.end.isoformat().replace("+00:00", "Z"),
        "join_url": "https://meet.example/ielts", "capacity": 8, "seats_taken": 0, "status": "scheduled",
    }
    row = PushOutbox.objects.get()
    assert row.status == "sent" and row.attempts == 1
    assert puts[0].header("Idempotency-Key") == row.idempotency_key

    deliver_push.delay(row.pk)  # the task runs again: nothing more is sent
    deliver_push.delay(row.pk)
    assert len(fake.requests_to("PUT", "/v1/live-classes/")) == 1


def test_a_sessions_own_meeting_link_is_pushed(fake, course, teacher, django_capture_on_commit_callbacks):
    from booking.services.teachers import set_meeting_url

    with django_capture_on_commit_callbacks(execute=True):
        session = new_session(course, teacher)
    with django_capture_on_commit_callbacks(execute=True):
        set_meeting_url(session, "https://meet.example/room-7", actor=teacher)
    assert fake.orgs[ORG].live_classes[str(session.pk)]["join_url"] == "https://meet.example/room-7"
    assert len(fake.requests_to("PUT", f"/v1/live-classes/{session.pk}")) == 2


def test_cancelled_session_is_pushed_cancelled(fake, course, teacher, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        session = new_session(course, teacher)
        cancel_session(session)
    assert fake.orgs[ORG].live_classes[str(session.pk)]["status"] == "cancelled"


def test_unmapped_event_types_push_nothing(fake, course, teacher, tenant, django_capture_on_commit_callbacks):
    plain = EventType.objects.create(tenant=tenant, kind="live_class", title="Local", slug="local")
    start = timezone.now() + timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        create_session(event_type=plain, teacher=teacher, start=start, end=start + timedelta(hours=1))
    assert not PushOutbox.objects.exists() and fake.received == []


def test_booking_creates_then_cancels_an_enrollment(fake, course, teacher, student,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        session = new_session(course, teacher)
        booking = create_booking(event_type=course, session=session, attendee=student)
    posts = fake.requests_to("POST", "/v1/enrollments")
    assert len(posts) == 1
    assert posts[0].body == {
        "external_id": str(booking.uid), "course_id": "c1", "student_email": "student@example.com",
        "session_starts_at": session.start.isoformat().replace("+00:00", "Z"),
        "session_ends_at": session.end.isoformat().replace("+00:00", "Z"), "status": "confirmed", "seats": 1,
    }
    assert fake.orgs[ORG].live_classes[str(session.pk)]["seats_taken"] == 1
    enrollment_id = ImmersioLink.objects.get(kind="enrollment", local_id=booking.pk).immersio_id

    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking, reason="Travelling")
    patches = fake.requests_to("PATCH", f"/v1/enrollments/{enrollment_id}")
    assert [p.body for p in patches] == [{"status": "cancelled", "reason": "Travelling"}]
    assert fake.orgs[ORG].live_classes[str(session.pk)]["seats_taken"] == 0
    for row in PushOutbox.objects.all():
        deliver_push.delay(row.pk)
    assert len(fake.orgs[ORG].enrollments) == 1
    assert len(fake.requests_to("POST", "/v1/enrollments")) == 1
    assert PushOutbox.objects.exclude(status="sent").count() == 0


def test_with_immersio_down_nothing_is_lost_and_it_catches_up(fake, course, teacher, student,
                                                              django_capture_on_commit_callbacks):
    fake.stop()
    with django_capture_on_commit_callbacks(execute=True):
        session = new_session(course, teacher)
        booking = create_booking(event_type=course, session=session, attendee=student)
        cancel_booking(booking, reason="Changed plans")
    rows = PushOutbox.objects.order_by("pk")
    assert rows.count() >= 3 and all(r.status == "pending" and r.attempts == 1 and r.last_error for r in rows)

    fake.start()  # back, on the same port
    for _ in range(3):  # the sweeper runs every minute; an update waits for its enrollment
        time_passes()
        sweep_push_outbox.delay()
    assert PushOutbox.objects.exclude(status="sent").count() == 0
    assert len(fake.orgs[ORG].enrollments) == 1
    enrollment = next(iter(fake.orgs[ORG].enrollments.values()))
    assert enrollment["external_id"] == str(booking.uid) and enrollment["status"] == "cancelled"
    assert fake.orgs[ORG].live_classes[str(session.pk)]["seats_taken"] == 0


def test_a_worker_dying_before_marking_sent_leaves_the_row_pending(fake, course, teacher, student, tenant):
    session = new_session(course, teacher)
    booking = create_booking(event_type=course, session=session, attendee=student)
    row = push.enqueue(tenant.pk, PushOutbox.Kind.ENROLLMENT_CREATE, f"booking:{booking.uid}",
                       {"booking_id": booking.pk})
    now = timezone.now()
    claimed = push.claim(row.pk, now=now)
    with make_client(course.tenant.immersio_connection) as client:
        push.send(claimed, client)  # the call went out; the worker dies before mark_sent
    row.refresh_from_db()
    assert row.status == "pending" and row.attempts == 1

    assert row.next_attempt_at == now + push.LEASE
    assert push.deliver(row.pk, now=now + timedelta(minutes=1)).status == "not_due"  # still leased
    assert push.sweep(now=now + timedelta(minutes=1)) == 0
    time_passes()  # the lease runs out
    assert push.sweep() == 1
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 2
    posts = fake.requests_to("POST", "/v1/enrollments")
    assert len(posts) == 2 and len({p.header("Idempotency-Key") for p in posts}) == 1
    assert len(fake.orgs[ORG].enrollments) == 1


def test_refused_body_fails_at_once_and_retries_give_up_after_48_hours(fake, course, teacher, tenant):
    session = new_session(course, teacher)
    fake.fail_next(422, path="/v1/live-classes/")
    refused = push.enqueue(tenant.pk, PushOutbox.Kind.LIVE_CLASS, f"session:{session.pk}", {"session_id": session.pk})
    assert push.deliver(refused.pk).status == "failed"

    fake.fail_next(500, times=1000)
    row = push.enqueue(tenant.pk, PushOutbox.Kind.LIVE_CLASS, f"session:{session.pk}", {"session_id": session.pk})
    assert push.deliver(row.pk).status == "retry"
    row.refresh_from_db()
    assert row.status == "pending" and row.next_attempt_at > timezone.now()
    assert push.deliver(row.pk, now=timezone.now() + timedelta(hours=47)).status == "retry"
    assert push.deliver(row.pk, now=timezone.now() + timedelta(hours=49)).status == "failed"
    row.refresh_from_db()
    assert row.status == "failed" and "gave up" in row.last_error


def test_backoff_grows_and_is_capped():
    waits = [push.backoff(n).total_seconds() for n in range(1, 12)]
    assert 15 <= waits[0] <= 30 and 30 <= waits[1] <= 60
    assert all(w <= 3600 for w in waits) and waits[-1] >= 1800
