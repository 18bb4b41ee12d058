"""The real client against the fake Immersio over HTTP."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from integrations.immersio import client as api
from integrations.immersio.client import ImmersioClient

from .conftest import KEY, ORG

ENROLLMENT = {
    "external_id": "bk_1", "course_id": "c1", "student_email": "an@example.com",
    "session_starts_at": "2026-11-21T09:00:00Z", "session_ends_at": "2026-11-21T10:00:00Z",
    "status": "confirmed", "seats": 1,
}


def test_headers_and_paging_follow_the_contract(fake, client):
    fake.add_course(ORG, "c1", title="English A1")
    fake.add_students(ORG, "c1", 450)

    pages = list(client.pages("/v1/courses/c1/students", limit=200))

    assert [len(p.data) for p in pages] == [200, 200, 50]
    assert pages[0].cursor is None and pages[1].cursor == pages[0].next_cursor and pages[2].next_cursor is None
    ids = [row["id"] for page in pages for row in page.data]
    assert len(ids) == len(set(ids)) == 450
    first = fake.received[0]
    assert first.header("Authorization") == f"Bearer {KEY}"
    assert first.header("X-Immersio-Org") == ORG
    assert first.header("Accept") == "application/json"
    assert first.query["limit"] == "200" and "cursor" not in first.query
    assert fake.received[1].query["cursor"] == pages[0].next_cursor
    assert first.header("Idempotency-Key") is None


def test_iterator_is_lazy(fake, client):
    fake.add_course(ORG, "c1", title="English A1")
    fake.add_students(ORG, "c1", 250)
    rows = client.course_students("c1", limit=100)
    assert next(rows)["id"] == "s00001"
    assert len(fake.received) == 1


def test_changed_students_are_paged_exactly_once_each(fake, client):
    fake.add_course(ORG, "c1", title="English A1")
    fake.add_students(ORG, "c1", 40)
    time.sleep(0.01)
    since = datetime.now(UTC)
    changed = ["s00003", "s00004", "s00017", "s00031", "s00040"]
    for student_id in changed:
        fake.update_student(ORG, student_id, last_name="Changed")

    pages = list(client.pages("/v1/courses/c1/students", limit=2, updated_since=since))

    assert [row["id"] for page in pages for row in page.data] == changed
    assert all(len(page.data) == 2 for page in pages[:-1]) and pages[-1].next_cursor is None
    assert len(pages) == 3  # no empty page at the end
    everyone = [row["id"] for row in client.course_students("c1", limit=7)]
    assert everyone == [f"s{n:05d}" for n in range(1, 41)]


def test_updated_since_returns_only_changed_records(fake, client):
    fake.add_course(ORG, "c1", title="English A1")
    fake.add_course(ORG, "c2", title="English A2")
    time.sleep(0.01)
    since = datetime.now(UTC)
    fake.update_course(ORG, "c2", title="English A2+")

    changed = list(client.courses(updated_since=since))

    assert [c["id"] for c in changed] == ["c2"]
    assert fake.received[-1].query["updated_since"] == since.isoformat().replace("+00:00", "Z")
    assert len(list(client.courses(updated_since=since + timedelta(hours=1)))) == 0


@pytest.mark.parametrize("status, error_class", [
    (400, api.BadRequest), (401, api.AuthError), (403, api.OrgForbidden), (404, api.NotFound),
    (409, api.Conflict), (422, api.ValidationFailed),
])
def test_each_error_status_raises_its_type_without_retrying(fake, client, sleeps, status, error_class):
    fake.fail_next(status)
    with pytest.raises(error_class) as caught:
        client.check()
    assert caught.value.status == status
    assert len(fake.received) == 1 and sleeps == []


def test_bad_key_and_wrong_org_from_the_server(fake, sleeps):
    with ImmersioClient(api_key="wrong", org_id=ORG, base_url=fake.url, min_interval=0, sleep=sleeps) as bad_key:
        with pytest.raises(api.AuthError):
            bad_key.check()
    with ImmersioClient(api_key=KEY, org_id="org_saigon", base_url=fake.url, min_interval=0,
                        sleep=sleeps) as wrong_org:
        with pytest.raises(api.OrgForbidden):
            wrong_org.check()
    with ImmersioClient(api_key=KEY, org_id=ORG, base_url=fake.url, min_interval=0, sleep=sleeps) as good:
        with pytest.raises(api.NotFound):
            good.student("nobody")


def test_5xx_is_retried_with_growing_backoff_then_succeeds(fake, client, sleeps):
    fake.add_course(ORG, "c1", title="English A1")
    fake.fail_next(503, times=3)
    assert [c["id"] for c in client.courses()] == ["c1"]
    assert len(fake.received) == 4
    assert len(sleeps) == 3
    # full jitter within [ceiling/2, ceiling], ceilings 0.5, 1, 2
    for wait, ceiling in zip(sleeps, (0.5, 1.0, 2.0)):
        assert ceiling / 2 <= wait <= ceiling


def test_gives_up_after_max_retries(fake, sleeps):
    fake.fail_next(500, times=10)
    with ImmersioClient(api_key=KEY, org_id=ORG, base_url=fake.url, min_interval=0, max_retries=2,
                        sleep=sleeps) as client:
        with pytest.raises(api.ServerError) as caught:
            client.check()
    assert caught.value.status == 500
    assert len(fake.received) == 3 and len(sleeps) == 2


def test_retry_after_is_honoured_and_capped(fake, sleeps):
    fake.fail_next(429, retry_after=7)
    fake.fail_next(429, retry_after=3600)
    with ImmersioClient(api_key=KEY, org_id=ORG, base_url=fake.url, min_interval=0, max_retry_after=60,
                        sleep=sleeps) as client:
        client.check()
    assert sleeps == [7, 60]
    assert len(fake.received) == 3


def test_rate_limit_of_the_server_answers_429_and_the_client_waits(fake, sleeps):
    fake.rate_limit = 10
    fake.add_course(ORG, "c1", title="English A1")
    with ImmersioClient(api_key=KEY, org_id=ORG, base_url=fake.url, min_interval=0, sleep=time.sleep) as client:
        for _ in range(11):
            client.check()
    assert [r.status for r in fake.received].count(429) >= 1
    assert all(r.status in (200, 429) for r in fake.received)


def test_client_paces_its_requests_under_the_rate_limit(fake, sleeps):
    """The client spaces requests by min_interval on its own clock (waits recorded,
    not slept, so the machine's speed decides nothing)."""
    fake.rate_limit = 1000
    with ImmersioClient(api_key=KEY, org_id=ORG, base_url=fake.url, min_interval=5, sleep=sleeps) as client:
        for _ in range(12):
            client.check()
    assert len(sleeps) == 11
    assert all(4 < wait <= 5 for wait in sleeps)
    assert [r.status for r in fake.received] == [200] * 12


def test_timeout_is_retried_then_raises_timeout(fake, sleeps):
    fake.fail_next("timeout", times=5, delay=1.0)
    with ImmersioClient(api_key=KEY, org_id=ORG, base_url=fake.url, timeout=0.2, min_interval=0, max_retries=1,
                        sleep=sleeps) as client:
        with pytest.raises(api.Timeout):
            client.check()
    assert len(sleeps) == 1


def test_slow_answer_within_the_timeout_is_fine(fake, client):
    fake.add_course(ORG, "c1", title="English A1")
    fake.fail_next("slow", delay=0.2)
    with ImmersioClient(api_key=KEY, org_id=ORG, base_url=fake.url, timeout=2, min_interval=0) as patient:
        assert len(list(patient.courses())) == 1


def test_unreachable_server(fake, sleeps):
    url = fake.url
    fake.stop()
    with ImmersioClient(api_key=KEY, org_id=ORG, base_url=url, min_interval=0, max_retries=1,
                        sleep=sleeps) as client:
        with pytest.raises(api.Unreachable) as caught:
            client.check()
    assert not isinstance(caught.value, api.Timeout)


def test_malformed_json_raises_after_retries(fake, sleeps):
    fake.fail_next("malformed", times=3)
    with ImmersioClient(api_key=KEY, org_id=ORG, base_url=fake.url, min_interval=0, max_retries=2,
                        sleep=sleeps) as client:
        with pytest.raises(api.MalformedResponse):
            client.check()


def test_writes_send_an_idempotency_key_kept_across_retries(fake, client):
    fake.add_course(ORG, "c1", title="English A1")
    fake.fail_next(500, path="/v1/enrollments")
    answer = client.create_enrollment(ENROLLMENT, idempotency_key="booking-bk_1-create")

    posts = fake.requests_to("POST", "/v1/enrollments")
    assert len(posts) == 2
    assert {p.header("Idempotency-Key") for p in posts} == {"booking-bk_1-create"}
    assert posts[0].header("Content-Type") == "application/json"
    assert posts[1].body == ENROLLMENT
    assert answer["external_id"] == "bk_1" and answer["status"] == "confirmed"

    again = client.create_enrollment(ENROLLMENT, idempotency_key="booking-bk_1-create")
    assert again == answer
    assert len(fake.orgs[ORG].enrollments) == 1


def test_each_write_call_gets_its_own_key_when_none_is_given(fake, client):
    fake.add_course(ORG, "c1", title="English A1")
    client.put_live_class("sess_1", {"course_id": "c1", "title": "A1", "starts_at": "2026-11-21T09:00:00Z",
                                     "ends_at": "2026-11-21T10:00:00Z", "capacity": 8, "seats_taken": 0,
                                     "status": "scheduled", "teacher_id": "t1", "join_url": ""})
    client.create_payment({"external_id": "p1", "enrollment_id": "enr_x", "amount": "10.00", "currency": "EUR",
                           "status": "succeeded", "refunded_amount": "0", "provider": "stripe",
                           "provider_reference": "pi_1"})
    keys = [r.header("Idempotency-Key") for r in fake.received]
    assert all(keys) and len(set(keys)) == 2


def test_duplicate_external_id_is_a_conflict_naming_the_existing_record(fake, client):
    fake.add_course(ORG, "c1", title="English A1")
    first = client.create_enrollment(ENROLLMENT)
    with pytest.raises(api.Conflict) as caught:
        client.create_enrollment(ENROLLMENT)
    assert caught.value.existing_id == first["id"]


def test_validation_error_from_the_server(fake, client):
    with pytest.raises(api.ValidationFailed):
        client.create_enrollment({"external_id": "x"})


def test_patch_and_put_answers(fake, client):
    fake.add_course(ORG, "c1", title="English A1")
    enrollment = client.create_enrollment(ENROLLMENT)
    patched = client.update_enrollment(enrollment["id"], {"status": "cancelled", "reason": "ill"})
    assert patched["status"] == "cancelled"
    body = {"course_id": "c1", "teacher_id": "t1", "title": "A1", "starts_at": "2026-11-21T09:00:00Z",
            "ends_at": "2026-11-21T10:00:00Z", "join_url": "", "capacity": 8, "seats_taken": 1,
            "status": "scheduled"}
    client.put_live_class("sess_1", body)
    client.put_live_class("sess_1", {**body, "seats_taken": 2})
    assert [r.status for r in fake.requests_to("PUT", "/v1/live-classes/")] == [201, 200]
    assert fake.orgs[ORG].live_classes["sess_1"]["seats_taken"] == 2
