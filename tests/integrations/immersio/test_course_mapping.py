"""The admin's Immersio courses screen: map a course to an existing event type of the
tenant, or unmap it; a sync keeps the choice; other tenants' rows are 404."""

import pytest
from django.urls import reverse

from booking.models import EventType, WhitelistEntry
from integrations.immersio.sync import sync_tenant
from integrations.models import ImmersioLink
from tests.conftest import host_client

from .conftest import ORG, OTHER_ORG

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(fake, tenant, connection, other_tenant, other_connection):
    fake.add_course(ORG, "c1", title="IELTS Preparation")
    fake.add_course(ORG, "c2", title="Conversation Club")
    fake.add_course(OTHER_ORG, "c9", title="Saigon Business English")
    fake.add_student(ORG, "s1", email="an@example.com", course_id="c1")
    sync_tenant(tenant.pk)
    sync_tenant(other_tenant.pk)


@pytest.fixture
def evening(tenant):
    return EventType.objects.create(tenant=tenant, kind="live_class", title="Evening IELTS", slug="evening-ielts",
                                    is_published=True)


def course(tenant, course_id):
    return ImmersioLink.objects.get(tenant=tenant, kind="course", immersio_id=course_id)


def map_to(client, link, event_type_id, commit):
    with commit(execute=True):
        return client.post(reverse("immersio_course_map", args=[link.pk]), {"event_type": event_type_id})


def test_the_screen_lists_the_tenants_courses_with_their_event_types(synced, tenant, tenant_admin):
    page = host_client(user=tenant_admin).get(reverse("immersio_courses"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "IELTS Preparation" in html and "Conversation Club" in html
    assert "Saigon Business English" not in html and "c9" not in html
    assert "(draft)" in html  # the event types the sync made are drafts


def test_map_a_course_to_an_existing_event_type_and_a_sync_keeps_it(synced, fake, tenant, tenant_admin, evening,
                                                                   django_capture_on_commit_callbacks):
    client = host_client(user=tenant_admin)
    draft = EventType.objects.get(tenant=tenant, immersio_course_id="c1")
    response = map_to(client, course(tenant, "c1"), evening.pk, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    evening.refresh_from_db()
    draft.refresh_from_db()
    assert evening.immersio_course_id == "c1" and draft.immersio_course_id == ""
    assert WhitelistEntry.objects.filter(event_type=evening, email="an@example.com").exists()  # students pulled
    html = client.get(reverse("immersio_courses")).content.decode()
    assert "Evening IELTS" in html

    fake.update_course(ORG, "c1", description="New term")
    sync_tenant(tenant.pk, full=True)
    assert list(EventType.objects.filter(tenant=tenant, immersio_course_id="c1")) == [evening]
    assert course(tenant, "c1").local_id == evening.pk
    assert EventType.objects.filter(tenant=tenant).count() == 3  # two drafts from the sync, one of the admin's


def test_one_course_per_event_type_and_one_event_type_per_course(synced, tenant, tenant_admin, evening,
                                                                 django_capture_on_commit_callbacks):
    client = host_client(user=tenant_admin)
    map_to(client, course(tenant, "c1"), evening.pk, django_capture_on_commit_callbacks)
    map_to(client, course(tenant, "c2"), evening.pk, django_capture_on_commit_callbacks)
    evening.refresh_from_db()
    assert evening.immersio_course_id == "c2"
    assert not EventType.objects.filter(tenant=tenant, immersio_course_id="c1").exists()
    assert EventType.objects.filter(tenant=tenant, immersio_course_id="c2").count() == 1
    assert course(tenant, "c1").mapped is False
    sync_tenant(tenant.pk, full=True)  # c1 was unmapped by moving its event type: no new draft appears
    assert not EventType.objects.filter(tenant=tenant, immersio_course_id="c1").exists()


def test_unmap_stays_unmapped_after_a_sync(synced, tenant, tenant_admin, django_capture_on_commit_callbacks):
    client = host_client(user=tenant_admin)
    draft = EventType.objects.get(tenant=tenant, immersio_course_id="c2")
    assert map_to(client, course(tenant, "c2"), "", django_capture_on_commit_callbacks).status_code == 302
    draft.refresh_from_db()
    assert draft.immersio_course_id == ""
    sync_tenant(tenant.pk, full=True)
    assert not EventType.objects.filter(tenant=tenant, immersio_course_id="c2").exists()
    row = client.get(reverse("immersio_courses")).content.decode().split('data-course="c2"')[1].split("</tr>")[0]
    assert "Not mapped" in row


def test_another_tenants_event_type_or_course_is_404(synced, tenant, other_tenant, tenant_admin, evening,
                                                     django_capture_on_commit_callbacks):
    client = host_client(user=tenant_admin)
    theirs = EventType.objects.create(tenant=other_tenant, kind="live_class", title="Theirs", slug="theirs")
    response = map_to(client, course(tenant, "c1"), theirs.pk, django_capture_on_commit_callbacks)
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.immersio_course_id == ""
    assert EventType.objects.get(tenant=tenant, immersio_course_id="c1").title == "IELTS Preparation"
    assert map_to(client, course(other_tenant, "c9"), evening.pk, django_capture_on_commit_callbacks).status_code == 404
    assert map_to(client, course(other_tenant, "c9"), "", django_capture_on_commit_callbacks).status_code == 404
    assert course(other_tenant, "c9").mapped is True
    assert map_to(client, course(tenant, "c1"), "not-a-number", django_capture_on_commit_callbacks).status_code == 404


def test_a_teacher_may_not_map_courses(synced, tenant, teacher):
    client = host_client(user=teacher)
    assert client.get(reverse("immersio_courses")).status_code in (302, 403)
    assert client.post(reverse("immersio_course_map", args=[course(tenant, "c1").pk]),
                       {"event_type": ""}).status_code in (302, 403)
    assert EventType.objects.filter(tenant=tenant, immersio_course_id="c1").exists()
