"""Student pages of a payment on the tenant host: the itemised price with a coupon
field and a Pay button (to Stripe Checkout), the page Checkout returns to, and the
printable receipt. Thin: each calls one service and turns a PaymentError into a
message. Access as for the booking: its manage token or the signed-in attendee;
another tenant's booking answers 404."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from booking.models import Booking

from . import checkout as checkout_service
from .errors import PaymentError
from .models import Payment, Refund
from .receipts import receipt_context
from .stripe_client import StripeProblem


def _tenant(request):
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        raise Http404
    return tenant


def _access(request, uid):
    """(payment, token) or a response (login redirect); 404 for anyone else."""
    booking = get_object_or_404(Booking.objects.for_tenant(_tenant(request)).select_related("event_type", "tenant"),
                                uid=uid)
    token = request.POST.get("token") or request.GET.get("token") or ""
    allowed = (token and booking.token_matches(token)) or (
        request.user.is_authenticated and request.user.pk == booking.attendee_id)
    if not allowed:
        if not request.user.is_authenticated and not token:
            return None, None, redirect_to_login(request.get_full_path())
        raise Http404
    payment = Payment.objects.filter(booking=booking).select_related("booking__event_type", "tenant").first()
    if payment is None:
        payment = checkout_service.ensure_payment(booking)
    if payment is None:
        raise Http404
    return payment, token, None


def _pay_url(payment, token, **extra):
    params = {**({"token": token} if token else {}), **extra}
    path = checkout_service.pay_path(payment.booking)
    return f"{path}?{urlencode(params)}" if params else path


def _page(request, payment, token, *, returned=False, status=200):
    booking = payment.booking
    booking.refresh_from_db()
    payment.refresh_from_db()
    now = timezone.now()
    hold_lasts = booking.status == Booking.Status.PENDING_PAYMENT and (
        booking.hold_expires_at is None or booking.hold_expires_at > now)
    if booking.status == Booking.Status.CONFIRMED and payment.is_paid:
        state = "confirmed"
    elif payment.is_paid and booking.needs_refund:
        state = "refunded_late"
    elif hold_lasts and payment.status == Payment.Status.FAILED:
        state = "failed"
    elif hold_lasts and payment.status == Payment.Status.EXPIRED:
        state = "checkout_expired"
    elif hold_lasts and returned and payment.status == Payment.Status.OPEN:
        state = "waiting"
    elif hold_lasts:
        state = "ready"
    else:
        state = "hold_expired"
    return render(request, "payments/pay.html", {
        "payment": payment, "booking": booking, "event_type": booking.event_type, "tenant": booking.tenant,
        "token": token, "state": state, "lines": payment.lines, "hold_lasts": hold_lasts,
        "late_refund": payment.refunds.filter(purpose=Refund.Purpose.LATE_PAYMENT).first(),
        "booking_url": (f"/bookings/{booking.uid}/" + (f"?token={token}" if token else "")),
        "receipt_url": checkout_service.pay_path(booking) + "receipt/" + (f"?token={token}" if token else ""),
    }, status=status)


@require_http_methods(["GET"])
def pay(request, uid):
    payment, token, response = _access(request, uid)
    if response:
        return response
    if request.GET.get("cancelled"):
        messages.info(request, PaymentError("not_payable").message if payment.is_paid else
                      _("You left the payment page. Your seat is still held for a little while."))
    return _page(request, payment, token)


@require_POST
def go_to_checkout(request, uid):
    payment, token, response = _access(request, uid)
    if response:
        return response
    try:
        url = checkout_service.start_checkout(payment, base_url=payment.tenant.root_url)
    except PaymentError as error:
        messages.error(request, error.message)
        return redirect(_pay_url(payment, token))
    return redirect(url)


@require_POST
def apply_coupon(request, uid):
    payment, token, response = _access(request, uid)
    if response:
        return response
    try:
        checkout_service.apply_coupon(payment, request.POST.get("code", ""))
    except PaymentError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Coupon applied."))
    return redirect(_pay_url(payment, token))


@require_http_methods(["GET"])
def checkout_return(request, uid):
    """Back from Checkout. The webhook usually has confirmed the booking already; if
    not, ask Stripe about this session now (the same code the webhook runs)."""
    payment, token, response = _access(request, uid)
    if response:
        return response
    session_id = request.GET.get("session_id", "")
    if not payment.is_paid and session_id and session_id == payment.checkout_session_id:
        try:
            session = checkout_service.StripeGateway.for_tenant(payment.tenant_id).retrieve_checkout_session(
                session_id)
            checkout_service.sync_checkout_session(payment, session)
        except (StripeProblem, PaymentError):
            pass  # the webhook will tell us; the page refreshes itself meanwhile
    return _page(request, payment, token, returned=True)


@require_http_methods(["GET"])
def receipt(request, uid):
    payment, token, response = _access(request, uid)
    if response:
        return response
    if not payment.is_paid or not payment.receipt_number:
        raise Http404
    return render(request, "payments/receipt.html", receipt_context(payment))
