"""Receipts (numbered per tenant), refund confirmations and notes to admins.

A receipt number is taken once per payment from the tenant's billing profile
under a row lock. Each email is sent inside the transaction that marks it sent
(`receipt_sent_at`, `notified_at`): a second run finds it marked and sends
nothing; a failed send rolls the mark back so a retry sends again.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from booking.notifications.branding import branding_for_tenant
from booking.notifications.emails import from_address
from booking.notifications.models import BookingLanguage
from booking.notifications.recipients import student_recipient
from site_platform.models import Membership

from .models import Payment, Refund, TenantBillingProfile

logger = logging.getLogger(__name__)


def billing_profile(tenant):
    profile, _created = TenantBillingProfile.objects.get_or_create(
        tenant=tenant, defaults={"legal_name": tenant.name, "address": ""})
    return profile


def issue_receipt(payment):
    """Give the payment its receipt number (once) and send the receipt after commit."""
    from .tasks import send_receipt

    with transaction.atomic():
        if not Payment.objects.filter(pk=payment.pk, receipt_number="").exists():
            transaction.on_commit(lambda: send_receipt.delay(payment.pk))
            return
        billing_profile(payment.tenant)
        profile = TenantBillingProfile.objects.select_for_update().get(tenant_id=payment.tenant_id)
        number = f"{profile.receipt_prefix}-{profile.next_receipt_number:06d}"
        if Payment.objects.filter(pk=payment.pk, receipt_number="").update(receipt_number=number):
            TenantBillingProfile.objects.filter(pk=profile.pk).update(
                next_receipt_number=profile.next_receipt_number + 1)
        transaction.on_commit(lambda: send_receipt.delay(payment.pk))


def _student(booking):
    language = BookingLanguage.objects.filter(booking=booking).values_list("language", flat=True).first()
    return student_recipient(user=booking.attendee, email=booking.attendee_email, tenant=booking.tenant,
                             teacher=booking.teacher, booked_language=language or "")


def receipt_context(payment):
    booking = payment.booking
    return {
        "payment": payment, "booking": booking, "event_type": booking.event_type, "tenant": booking.tenant,
        "profile": billing_profile(booking.tenant), "lines": payment.lines,
        "refunds": list(payment.refunds.filter(status=Refund.Status.SUCCEEDED).exclude(
            purpose=Refund.Purpose.DUPLICATE)),
        "receipt_url": booking.tenant.root_url + f"/pay/{booking.uid}/receipt/?token={booking.manage_token}",
        "manage_url": booking.manage_url(), "branding": branding_for_tenant(booking.tenant),
    }


def _send(tenant, recipient, template, subject, context):
    with translation.override(recipient.language):
        context = {**context, "recipient": recipient, "zone": recipient.zone}
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
        message = EmailMultiAlternatives(subject=str(subject), body=text, from_email=from_address(tenant),
                                         to=[recipient.email])
        message.attach_alternative(html, "text/html")
        message.send()


def send_receipt_email(payment_id):
    """Send the receipt once. Returns True if this call sent it."""
    with transaction.atomic():
        marked = Payment.objects.filter(pk=payment_id, receipt_sent_at__isnull=True).exclude(
            receipt_number="").update(receipt_sent_at=timezone.now())
        if not marked:
            return False
        payment = Payment.objects.select_related("booking__event_type", "booking__tenant", "booking__attendee",
                                                 "booking__teacher").get(pk=payment_id)
        recipient = _student(payment.booking)
        with translation.override(recipient.language):
            subject = _("Receipt %(number)s · %(event)s") % {"number": payment.receipt_number,
                                                             "event": payment.booking.event_type.title}
        _send(payment.tenant, recipient, "payment_receipt", subject, receipt_context(payment))
    return True


def send_refund_email(refund_id):
    """Tell the student about a refund that went through, once."""
    with transaction.atomic():
        marked = Refund.objects.filter(pk=refund_id, status=Refund.Status.SUCCEEDED,
                                       notified_at__isnull=True).update(notified_at=timezone.now())
        if not marked:
            return False
        refund = Refund.objects.select_related("payment__booking__event_type", "payment__booking__tenant",
                                               "payment__booking__attendee", "payment__booking__teacher").get(
            pk=refund_id)
        payment, booking = refund.payment, refund.payment.booking
        recipient = _student(booking)
        late = refund.purpose == Refund.Purpose.LATE_PAYMENT
        with translation.override(recipient.language):
            subject = (_("Your payment for %(event)s has been refunded") if late
                       else _("Refund confirmed · %(event)s")) % {"event": booking.event_type.title}
        context = {**receipt_context(payment), "refund": refund, "late": late}
        _send(payment.tenant, recipient, "payment_refund", subject, context)
    return True


def tell_admins_of_dispute(payment, dispute):
    """A student disputed a charge: every admin of the tenant is told."""
    admins = list(Membership.objects.filter(tenant_id=payment.tenant_id, role=Membership.Role.ADMIN,
                                            is_active=True).values_list("user__email", flat=True))
    if not admins:
        return 0
    booking = payment.booking
    context = {"payment": payment, "booking": booking, "tenant": payment.tenant,
               "reason": dispute.get("reason", ""), "dispute_id": dispute.get("id", ""),
               "admin_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/admin/payments/transactions/"}
    subject = _("A payment was disputed: %(event)s (%(email)s)") % {"event": booking.event_type.title,
                                                                     "email": booking.attendee_email}
    text = render_to_string("emails/payment_dispute.txt", context)
    return send_mail(str(subject), text, from_address(payment.tenant), admins)
