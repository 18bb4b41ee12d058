"""Deleting a cancelled tenant after its grace period (#10): everything it owns goes, another
tenant's rows stay to the last one, people keep their accounts, an audit entry remains, the
daily task is safe to run twice, and the super admin sees the date and can delete at once."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.formats import date_format
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.log_actions import log
from wagtail.models import Collection, GroupPagePermission, ModelLogEntry, Page, PageLogEntry, Revision, Site

from booking.models import (ApiKey, Blackout, Booking, BookingParticipant, DateOverride, EventType, IdempotencyRecord,
                            PersonalToken, SessionSeries, WaitlistEntry, WhitelistEntry)
from booking.notifications.models import BookingLanguage, NotificationLog, TeacherCalendarToken
from booking.services import bookings
from integrations.models import (CalendarBusyInterval, CalendarFeed, ImmersioConnection, ImmersioCourseStudent,
                                 ImmersioLink, ImmersioWebhookEvent, PushOutbox, SsoTokenUse, SyncRun)
from integrations.payments.models import (Coupon, CouponRedemption, GroupDiscount, GroupPrice, Payment, PriceGroup,
                                          PriceGroupMember, Refund, StripeAccount, TenantBillingProfile, WebhookEvent)
from integrations.webhooks.models import Delivery, DeliveryAttempt, Endpoint
from site_platform import tasks
from site_platform.models import AuditEntry, Invitation, MonthlyUsage, Tenant, UsageNotice
from site_platform.services import lifecycle
from site_platform.tenant_deletion import (TenantDeletionError, delete_due_tenants, delete_tenant, deletion_date,
                                           tenant_owned_models)
from tests.booking.booking_helpers import make_class
from tests.booking.helpers import make_schedule, make_teacher
from tests.concurrency import at_once
from tests.conftest import host_client, make_tenant, make_user
from tests.site_platform.test_dashboard import record_payment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.TENANT_DELETION_GRACE_DAYS = 30


def populate(tenant, tag, student):
    """A row in (nearly) every table a tenant fills, the way the app would leave it."""
    now = timezone.now()
    teacher = make_teacher(tenant, f"teacher@{tag}.test")
    event_type, (session,) = make_class(tenant, teacher, capacity=1, price=Decimal("20.00"), slug=f"class-{tag}")
    booking = bookings.create_booking(event_type=event_type, session=session, attendee=student)
    bookings.confirm_booking(booking, payment_reference=f"pi_{tag}")
    payment = record_payment(booking, "20.00", refunded="5.00", status=Payment.Status.PARTIALLY_REFUNDED)
    Refund.objects.create(tenant=tenant, payment=payment, purpose=Refund.Purpose.CANCELLATION, amount=Decimal("5"),
                          currency="USD", payment_intent_id=f"pi_{tag}", idempotency_key=f"refund-{tag}",
                          status=Refund.Status.SUCCEEDED)
    coupon = Coupon.objects.create(tenant=tenant, code=f"WELCOME{tag}", value=Decimal("10"))
    CouponRedemption.objects.create(tenant=tenant, coupon=coupon, payment=payment, discount=Decimal("2"))
    group = PriceGroup.objects.create(tenant=tenant, name="Friends")
    PriceGroupMember.objects.create(tenant=tenant, group=group, email=f"friend@{tag}.test")
    GroupPrice.objects.create(tenant=tenant, group=group, event_type=event_type, price=Decimal("15"))
    GroupDiscount.objects.create(tenant=tenant, event_type=event_type, min_seats=3, percent=Decimal("10"))
    StripeAccount.objects.create(tenant=tenant, account_id=f"acct_{tag}")
    TenantBillingProfile.objects.create(tenant=tenant, legal_name=tenant.name, address="1 Street")
    WebhookEvent.objects.create(event_id=f"evt_{tag}", type="charge.refunded", account_id=f"acct_{tag}", tenant=tenant)
    WaitlistEntry.objects.create(tenant=tenant, session=session, user=make_user(f"waiting@{tag}.test"),
                                 email=f"waiting@{tag}.test")
    WhitelistEntry.objects.create(tenant=tenant, event_type=event_type, email=f"vip@{tag}.test")
    BookingParticipant.objects.create(tenant=tenant, booking=booking)
    BookingLanguage.objects.get_or_create(booking=booking, defaults={"language": "en"})
    NotificationLog.objects.get_or_create(tenant=tenant, booking=booking, kind="confirmed", recipient=student.email)
    SessionSeries.objects.create(tenant=tenant, event_type=event_type, teacher=teacher, start_time="10:00",
                                 duration_minutes=60, starts_on=now.date(), count=4, weekdays=[0],
                                 timezone="UTC", capacity=5)
    schedule = make_schedule(tenant, teacher, "UTC", weekly=[(0, "09:00", "17:00")])
    DateOverride.objects.create(tenant=tenant, schedule=schedule, date=now.date())
    Blackout.objects.create(tenant=tenant, schedule=schedule, start=now, end=now + timedelta(hours=1))
    ApiKey.objects.create(tenant=tenant, name="Zapier", prefix=f"k{tag}"[:8], key_hash=f"hash-{tag}")
    PersonalToken.objects.create(tenant=tenant, user=teacher, name="CLI", prefix=f"p{tag}"[:8], key_hash=f"ph-{tag}")
    IdempotencyRecord.objects.create(tenant=tenant, principal="key:1", key=f"idem-{tag}", request_hash="h")
    TeacherCalendarToken.objects.create(tenant=tenant, teacher=teacher)
    feed = CalendarFeed.objects.create(tenant=tenant, teacher=teacher, name="Personal", url=f"https://cal.test/{tag}")
    CalendarBusyInterval.objects.create(tenant=tenant, feed=feed, teacher=teacher, start=now,
                                        end=now + timedelta(hours=1))
    ImmersioConnection.objects.create(tenant=tenant, org_id=f"org-{tag}", api_key=f"secret-{tag}")
    SyncRun.objects.create(tenant=tenant)
    ImmersioWebhookEvent.objects.create(tenant=tenant, event_id=f"imm-{tag}", type="course.updated")
    ImmersioLink.objects.create(tenant=tenant, kind="course", immersio_id=f"c-{tag}", local_id=event_type.pk)
    ImmersioCourseStudent.objects.create(tenant=tenant, course_id="c1", student_id="s1", user=student,
                                         email=student.email, status="active", fingerprint="f")
    SsoTokenUse.objects.create(tenant=tenant, jti=f"jti-{tag}", expires_at=now + timedelta(minutes=5))
    PushOutbox.objects.create(tenant=tenant, kind="payment", object_key=f"payment:{payment.pk}",
                              idempotency_key=f"push-{tag}", next_attempt_at=now)
    endpoint = Endpoint.objects.create(tenant=tenant, url=f"https://hooks.{tag}.test/in")
    delivery = Delivery.objects.create(tenant=tenant, endpoint=endpoint, message_id=f"msg_{tag}",
                                       event_type="booking.created", payload="{}")
    DeliveryAttempt.objects.create(delivery=delivery, number=1, started_at=now)
    Invitation.objects.create(tenant=tenant, email=f"new@{tag}.test", token_hash=f"inv-{tag}",
                              expires_at=now + timedelta(days=7))
    UsageNotice.objects.create(tenant=tenant, month=now.date().replace(day=1), threshold=80, limit=10)
    AuditEntry.objects.create(tenant=tenant, action="booking.cancelled", target=f"booking:{tag}")
    log(instance=event_type, action="wagtail.edit")  # what the admin's edit view writes
    get_image_model().objects.create(title=f"Logo {tag}", file=get_test_image_file(filename=f"{tag}.png"),
                                     collection=tenant.collection)
    get_document_model().objects.create(title=f"Brochure {tag}", file=ContentFile(b"%PDF-1.4", name=f"{tag}.pdf"),
                                        collection=tenant.collection)
    root = tenant.root_page.specific
    child = root.add_child(instance=type(root)(title=f"About {tag}", slug=f"about-{tag}"))
    child.save_revision().publish()
    return teacher


def rows_of(tenant_id, root_path, collection_id, group_ids):
    """Every row that belongs to a tenant, counted table by table."""
    counts = {model._meta.label: model._default_manager.filter(tenant_id=tenant_id).count()
              for model in tenant_owned_models()}
    pages = Page.objects.filter(path__startswith=root_path)
    page_ids = [str(pk) for pk in pages.values_list("pk", flat=True)]
    collections = Collection.objects.filter(pk=collection_id)
    counts.update({
        "booking.BookingLanguage": BookingLanguage.objects.filter(booking__tenant_id=tenant_id).count(),
        "webhooks.DeliveryAttempt": DeliveryAttempt.objects.filter(delivery__tenant_id=tenant_id).count(),
        "wagtailcore.Page": pages.count(),
        "wagtailcore.Revision": Revision.objects.filter(object_id__in=page_ids).count(),
        "wagtailcore.PageLogEntry": PageLogEntry.objects.filter(page_id__in=page_ids).count(),
        "wagtailcore.ModelLogEntry": ModelLogEntry.objects.filter(object_id__in=[
            str(pk) for pk in EventType.objects.filter(tenant_id=tenant_id).values_list("pk", flat=True)],
            content_type__model="eventtype").count(),
        "wagtailcore.Site": Site.objects.filter(root_page__path__startswith=root_path).count(),
        "wagtailcore.Collection": collections.count(),
        "images": get_image_model().objects.filter(collection_id=collection_id).count(),
        "documents": get_document_model().objects.filter(collection_id=collection_id).count(),
        "auth.Group": Group.objects.filter(pk__in=group_ids).count(),
        "group members": get_user_model().groups.through.objects.filter(group_id__in=group_ids).count(),
        "GroupPagePermission": GroupPagePermission.objects.filter(group_id__in=group_ids).count(),
    })
    return counts


def rows_of_tenant(tenant):
    return rows_of(tenant.pk, tenant.root_page.path, tenant.collection_id,
                   [tenant.admin_group_id, tenant.teacher_group_id])


def cancel(tenant, superadmin, *, days_ago):
    assert lifecycle.apply_action(tenant, "cancel", actor=superadmin)
    Tenant.objects.filter(pk=tenant.pk).update(status_changed_at=timezone.now() - timedelta(days=days_ago))
    tenant.refresh_from_db()


@pytest.fixture
def two_schools(tenant, other_tenant, student):
    populate(tenant, "hanoi", student)
    populate(other_tenant, "saigon", student)
    return tenant, other_tenant


def test_daily_task_deletes_everything_of_a_tenant_cancelled_past_the_grace_period_and_nothing_else(
        two_schools, student, superadmin):
    doomed, other = two_schools
    where = (doomed.pk, doomed.root_page.path, doomed.collection_id, [doomed.admin_group_id, doomed.teacher_group_id])
    before = rows_of(*where)
    assert all(before[label] for label in (
        "booking.Booking", "booking.Session", "booking.EventType", "payments.Payment", "payments.Refund",
        "booking.ApiKey", "webhooks.Endpoint", "webhooks.DeliveryAttempt", "integrations.ImmersioConnection",
        "integrations.SyncRun", "site_platform.Membership", "wagtailcore.Page", "wagtailcore.Site", "images",
        "documents", "auth.Group", "group members", "payments.WebhookEvent", "wagtailcore.Revision",
        "wagtailcore.PageLogEntry", "wagtailcore.ModelLogEntry", "site_platform.AuditEntry",
        "booking.BookingLanguage")), before
    other_before = rows_of_tenant(other)
    users_before = set(get_user_model().objects.values_list("email", flat=True))
    history = ModelLogEntry.objects.filter(content_type__model="eventtype", object_id__in=[
        str(pk) for pk in EventType.objects.filter(tenant=doomed).values_list("pk", flat=True)])
    assert history.count() == 1
    cancel(doomed, superadmin, days_ago=31)
    cancelled_at = doomed.status_changed_at

    assert tasks.delete_cancelled_tenants.apply().get() == ["hanoi"]

    assert not Tenant.objects.filter(pk=doomed.pk).exists()
    after = rows_of(*where)
    assert {label: count for label, count in after.items() if count} == {}
    assert history.count() == 0  # the admin's history of the school's rows went with them
    assert rows_of_tenant(other) == other_before
    # People keep their accounts, and the student's booking at the other school stands.
    assert set(get_user_model().objects.values_list("email", flat=True)) == users_before
    assert Booking.objects.filter(attendee=student, tenant=other).count() == 1
    assert host_client(doomed).get("/").status_code == 404

    entry = AuditEntry.objects.get(action="tenant.deleted")
    assert entry.tenant is None and entry.actor is None
    assert entry.data["name"] == "Hanoi English Centre" and entry.data["subdomain"] == "hanoi"
    assert entry.data["cancelled_by"] == superadmin.email
    assert entry.data["cancelled_at"] == cancelled_at.isoformat()
    assert entry.data["reason"] == "grace_period" and entry.data["rows"]["booking.Booking"] == 1

    # Safe to run twice: nothing left to do, nothing else touched.
    assert tasks.delete_cancelled_tenants.apply().get() == []
    assert delete_tenant(doomed.pk) is False
    assert rows_of_tenant(other) == other_before
    assert AuditEntry.objects.filter(action="tenant.deleted").count() == 1


def test_nothing_is_deleted_before_the_date_nor_after_reactivation(tenant, other_tenant, superadmin):
    cancel(tenant, superadmin, days_ago=29)
    Tenant.objects.filter(pk=other_tenant.pk).update(status=Tenant.Status.SUSPENDED,
                                                     status_changed_at=timezone.now() - timedelta(days=90))
    assert delete_due_tenants() == []
    assert delete_due_tenants(now=timezone.now() + timedelta(days=2)) == ["hanoi"]

    school = Tenant.objects.get(pk=other_tenant.pk)
    lifecycle.apply_action(school, "reactivate", actor=superadmin)
    lifecycle.apply_action(school, "cancel", actor=superadmin)
    assert delete_due_tenants(now=timezone.now() + timedelta(days=29)) == []
    lifecycle.apply_action(school, "reactivate", actor=superadmin)
    assert delete_due_tenants(now=timezone.now() + timedelta(days=365)) == []
    assert Tenant.objects.get(pk=other_tenant.pk).status == "active"


def test_a_tenant_owing_refunds_is_not_deleted_until_they_are_settled(two_schools, student, superadmin):
    doomed, other = two_schools
    cancel(doomed, superadmin, days_ago=31)
    owed = Refund.objects.filter(tenant=doomed).update(status=Refund.Status.FAILED)
    assert owed == 1

    assert delete_due_tenants() == []
    with pytest.raises(TenantDeletionError) as refused:
        delete_tenant(doomed.pk, confirm_subdomain="hanoi")
    assert "still owes students 1 refund(s)" in refused.value.message
    assert Tenant.objects.filter(pk=doomed.pk).exists() and Refund.objects.filter(tenant=doomed).count() == 1

    Refund.objects.filter(tenant=doomed).update(status=Refund.Status.SUCCEEDED)
    assert delete_due_tenants() == ["hanoi"]


def test_grace_period_follows_the_setting(settings, tenant, superadmin):
    settings.TENANT_DELETION_GRACE_DAYS = 7
    cancel(tenant, superadmin, days_ago=8)
    assert deletion_date(tenant) == tenant.status_changed_at + timedelta(days=7)
    assert delete_due_tenants() == ["hanoi"]


def test_super_admin_sees_the_date_can_reactivate_or_delete_now_with_the_typed_subdomain(
        tenant, other_tenant, superadmin, student, django_capture_on_commit_callbacks):
    populate(tenant, "hanoi", student)
    files = [get_image_model().objects.get(collection=tenant.collection).file.path,
             get_document_model().objects.get(collection=tenant.collection).file.path]
    assert all(os.path.exists(path) for path in files)
    other_before = rows_of_tenant(other_tenant)
    client = host_client(user=superadmin)
    question = client.get(f"/admin/tenants/{tenant.pk}/status/cancel/").content.decode()
    assert "kept for 30 days" in question
    client.post(f"/admin/tenants/{tenant.pk}/status/cancel/")
    tenant.refresh_from_db()
    when = date_format(timezone.localtime(tenant.status_changed_at + timedelta(days=30)), "DATE_FORMAT")
    listing = client.get("/admin/tenants/").content.decode()
    assert f"will be deleted on {when}" in listing
    assert listing.count("will be deleted on") == 1  # the active school has no date
    assert f"/admin/tenants/{tenant.pk}/status/reactivate/" in listing
    assert f"/admin/tenants/{tenant.pk}/delete-now/" in listing
    assert f"/admin/tenants/{other_tenant.pk}/delete-now/" not in listing

    form = client.get(f"/admin/tenants/{tenant.pk}/delete-now/")
    assert form.status_code == 200 and "Type the subdomain to confirm" in form.content.decode()
    wrong = client.post(f"/admin/tenants/{tenant.pk}/delete-now/", {"subdomain": "saigon"})
    assert wrong.status_code == 200 and "Type the subdomain “hanoi” exactly to confirm." in wrong.content.decode()
    assert Tenant.objects.filter(pk=tenant.pk).exists() and Booking.objects.filter(tenant=tenant).exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/admin/tenants/{tenant.pk}/delete-now/", {"subdomain": "hanoi"}, follow=True)
    assert "Hanoi English Centre and all its data were deleted." in done.content.decode()
    assert not Tenant.objects.filter(pk=tenant.pk).exists() and not Booking.objects.filter(tenant_id=tenant.pk).exists()
    assert not any(os.path.exists(path) for path in files)  # the image and document files are gone too
    entry = AuditEntry.objects.get(action="tenant.deleted")
    assert entry.actor == superadmin and entry.data["reason"] == "deleted_now"
    assert entry.data["cancelled_by"] == superadmin.email
    assert "tenant.deleted" in client.get("/admin/audit-log/").content.decode()
    assert rows_of_tenant(other_tenant) == other_before
    assert client.get(f"/admin/tenants/{tenant.pk}/delete-now/").status_code == 404


def test_delete_now_refuses_a_tenant_that_is_not_cancelled(tenant, superadmin, tenant_admin):
    client = host_client(user=superadmin)
    page = client.get(f"/admin/tenants/{tenant.pk}/delete-now/").content.decode()
    assert "only a cancelled tenant can be deleted" in page
    response = client.post(f"/admin/tenants/{tenant.pk}/delete-now/", {"subdomain": "hanoi"})
    assert "only a cancelled tenant can be deleted" in response.content.decode()
    assert Tenant.objects.get(pk=tenant.pk).status == "active"
    with pytest.raises(TenantDeletionError):
        delete_tenant(tenant.pk)
    # A tenant admin cannot reach it at all.
    lifecycle.apply_action(tenant, "cancel")
    refused = host_client(user=tenant_admin).post(f"/admin/tenants/{tenant.pk}/delete-now/", {"subdomain": "hanoi"})
    assert refused.status_code in (302, 403)
    assert Tenant.objects.filter(pk=tenant.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_deletion_and_reactivation_at_the_same_moment_one_wins_whole():
    """The daily task and a super admin's Reactivate race, five times: each time exactly one
    lands, and the tenant is either gone with all its rows or active with all of them."""
    superadmin = get_user_model().objects.create_superuser(email="root@platform.test", password="x")
    student = make_user("student@example.com")
    outcomes = []
    for round_number in range(5):
        school = make_tenant(f"race{round_number}")
        populate(school, f"race{round_number}", student)
        cancel(school, superadmin, days_ago=31)
        before = rows_of_tenant(school)
        answers = at_once([delete_due_tenants, lambda: lifecycle.apply_action(
            Tenant.objects.get(pk=school.pk), "reactivate", actor=superadmin)])
        results = {name: repr(answer) if isinstance(answer, Exception) else answer
                   for name, answer in zip(("deleted", "reactivated"), answers)}

        if results["deleted"] == [f"race{round_number}"]:
            assert results["reactivated"] is False, results
            assert not Tenant.objects.filter(pk=school.pk).exists()
            assert {label: n for label, n in rows_of(school.pk, school.root_page.path, school.collection_id,
                                                     [school.admin_group_id, school.teacher_group_id]).items()
                    if n} == {}
            outcomes.append("deleted")
        else:
            assert results == {"deleted": [], "reactivated": True}, results
            school.refresh_from_db()
            assert school.status == "active" and rows_of_tenant(school)["booking.Booking"] == before["booking.Booking"]
            outcomes.append("reactivated")
    assert len(outcomes) == 5
