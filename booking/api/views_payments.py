"""Payments through the API: the school lists its payments and refunds (API key); a
signed-in student reads the payment state of a booking and asks for the Stripe
Checkout page to pay it.

The booking app knows nothing of Stripe: this module is the API's one door into
`integrations.payments` (its models and `checkout` service), and its URLs exist only
when that app is installed. Amounts are answered in minor units (cents; whole
dong for VND) with their currency, as Stripe counts them.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from integrations.payments import checkout
from integrations.payments.errors import PaymentError
from integrations.payments.models import Payment, Refund, to_minor_units

from .base import AUTH_ERRORS, IDEMPOTENCY_PARAMETER, WRITE_ERRORS, StudentView, TenantKeyListView, errors
from .errors import ApiError, error_body
from .idempotency import idempotent
from .serializers import ErrorSerializer, EventTypeSummarySerializer, IsoDateTimeField, _inline_enum
from .views import parse_query
from .views_student import STUDENT_AUTH, my_booking
from .views_tenant import KEY_AUTH, filter_range

# PaymentError codes and the status a client can act on (others: 422).
PAYMENT_ERROR_STATUS = {
    "already_paid": status.HTTP_409_CONFLICT,
    "stripe_refused": status.HTTP_502_BAD_GATEWAY,
    "stripe_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
}
STRIPE_RETRY_AFTER = 30


def payment_error_response(error):
    response = Response(error_body(error.code, error.message),
                        status=PAYMENT_ERROR_STATUS.get(error.code, status.HTTP_422_UNPROCESSABLE_ENTITY))
    if error.code == "stripe_unavailable":
        response["Retry-After"] = str(STRIPE_RETRY_AFTER)
    return response


def minor(amount, currency):
    return to_minor_units(amount or 0, currency)


PaymentStatusField = _inline_enum(Payment.Status.values)
RefundStatusField = _inline_enum(Refund.Status.values)
RefundPurposeField = _inline_enum(Refund.Purpose.values)


# Shapes ------------------------------------------------------------------------------------------

class PriceLineSerializer(serializers.Serializer):
    label = serializers.CharField()
    amount_minor = serializers.IntegerField(help_text="In minor units of the payment's currency; negative: off.")


class RefundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    payment_id = serializers.IntegerField()
    booking = serializers.UUIDField(source="payment.booking.uid")
    event_type_id = serializers.IntegerField(source="payment.event_type_id")
    purpose = RefundPurposeField(read_only=True)
    status = RefundStatusField(read_only=True)
    currency = serializers.CharField()
    amount_minor = serializers.SerializerMethodField()
    stripe_refund_id = serializers.CharField()
    created_at = IsoDateTimeField()
    updated_at = IsoDateTimeField()

    def get_amount_minor(self, refund) -> int:
        return minor(refund.amount, refund.currency)


class StudentRefundSerializer(serializers.Serializer):
    purpose = RefundPurposeField(read_only=True)
    status = RefundStatusField(read_only=True)
    currency = serializers.CharField()
    amount_minor = serializers.SerializerMethodField()
    created_at = IsoDateTimeField()

    def get_amount_minor(self, refund) -> int:
        return minor(refund.amount, refund.currency)


class PaymentSerializer(serializers.Serializer):
    """A payment as the school sees it."""

    id = serializers.IntegerField()
    booking = serializers.UUIDField(source="booking.uid")
    booking_status = serializers.CharField(source="booking.status")
    event_type = EventTypeSummarySerializer()
    attendee_email = serializers.EmailField(source="booking.attendee_email")
    status = PaymentStatusField(read_only=True)
    currency = serializers.CharField()
    amount_minor = serializers.SerializerMethodField(help_text="What the student pays, in minor units.")
    amount_refunded_minor = serializers.SerializerMethodField()
    application_fee_minor = serializers.SerializerMethodField(help_text="The platform's fee, in minor units.")
    coupon = serializers.CharField(source="coupon.code", allow_null=True, default=None)
    receipt_number = serializers.CharField()
    payment_intent_id = serializers.CharField()
    paid_at = IsoDateTimeField(allow_null=True)
    created_at = IsoDateTimeField()

    def get_amount_minor(self, payment) -> int:
        return minor(payment.amount, payment.currency)

    def get_amount_refunded_minor(self, payment) -> int:
        return minor(payment.amount_refunded, payment.currency)

    def get_application_fee_minor(self, payment) -> int:
        return minor(payment.application_fee, payment.currency)


class BookingPaymentSerializer(serializers.Serializer):
    """The payment of a student's booking."""

    booking = serializers.UUIDField(source="booking.uid")
    booking_status = serializers.CharField(source="booking.status")
    hold_expires_at = IsoDateTimeField(source="booking.hold_expires_at", allow_null=True,
                                       help_text="Pay before this time, or the seat is released.")
    status = PaymentStatusField(read_only=True)
    currency = serializers.CharField()
    amount_minor = serializers.SerializerMethodField()
    amount_refunded_minor = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField()
    failure_message = serializers.CharField(help_text="Why the last card was declined, if it was.")
    receipt_number = serializers.CharField()
    paid_at = IsoDateTimeField(allow_null=True)
    can_pay = serializers.SerializerMethodField(help_text="True while POST …/pay would open a Checkout page.")
    refunds = StudentRefundSerializer(many=True, source="refund_list")

    def get_amount_minor(self, payment) -> int:
        return minor(payment.amount, payment.currency)

    def get_amount_refunded_minor(self, payment) -> int:
        return minor(payment.amount_refunded, payment.currency)

    @extend_schema_field(PriceLineSerializer(many=True))
    def get_lines(self, payment):
        return PriceLineSerializer([{"label": line.get("label", ""),
                                     "amount_minor": minor(line.get("amount"), payment.currency)}
                                    for line in payment.lines or []], many=True).data

    def get_can_pay(self, payment) -> bool:
        booking = payment.booking
        return (not payment.is_paid and booking.status == booking.Status.PENDING_PAYMENT
                and (booking.hold_expires_at is None or booking.hold_expires_at > timezone.now()))



class CheckoutSerializer(serializers.Serializer):
    checkout_url = serializers.URLField(help_text="Stripe Checkout: send the student there to pay.")


# Queries -----------------------------------------------------------------------------------------

class _CreatedQuery(serializers.Serializer):
    event_type = serializers.IntegerField(min_value=1, required=False)
    created_from = IsoDateTimeField(required=False)
    created_before = IsoDateTimeField(required=False)


class PaymentQuery(_CreatedQuery):
    status = serializers.ChoiceField(choices=Payment.Status.values, required=False)


class RefundQuery(_CreatedQuery):
    status = serializers.ChoiceField(choices=Refund.Status.values, required=False)
    purpose = serializers.ChoiceField(choices=Refund.Purpose.values, required=False)


def created_parameters(statuses):
    return [
        OpenApiParameter("event_type", OpenApiTypes.INT),
        OpenApiParameter("created_from", OpenApiTypes.DATETIME, description="Made at or after (with offset)"),
        OpenApiParameter("created_before", OpenApiTypes.DATETIME, description="Made before (with offset)"),
        OpenApiParameter("status", OpenApiTypes.STR, enum=statuses),
    ]




# The school ---------------------------------------------------------------------------------------

class TenantPaymentsView(TenantKeyListView):
    serializer_class = PaymentSerializer

    def get_queryset(self):
        query = parse_query(PaymentQuery, self.request)
        payments = filter_range(Payment.objects.for_tenant(self.tenant), query, field="created_at", param="created")
        return payments.select_related(
            "booking", "event_type", "coupon").order_by("-created_at", "-id")

    @extend_schema(operation_id="tenant_payments_list", tags=["tenant"], auth=KEY_AUTH,
                   parameters=created_parameters(Payment.Status.values),
                   responses={200: PaymentSerializer(many=True), **errors(*AUTH_ERRORS)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TenantRefundsView(TenantKeyListView):
    serializer_class = RefundSerializer

    def get_queryset(self):
        query = parse_query(RefundQuery, self.request)
        refunds = filter_range(Refund.objects.for_tenant(self.tenant), query, field="created_at", param="created",
                               event_type_field="payment__event_type_id")
        if query.get("purpose"):
            refunds = refunds.filter(purpose=query["purpose"])
        return refunds.select_related("payment__booking").order_by("-created_at", "-id")

    @extend_schema(operation_id="tenant_refunds_list", tags=["tenant"], auth=KEY_AUTH,
                   parameters=created_parameters(Refund.Status.values) + [
                       OpenApiParameter("purpose", OpenApiTypes.STR, enum=Refund.Purpose.values)],
                   responses={200: RefundSerializer(many=True), **errors(*AUTH_ERRORS)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# The student --------------------------------------------------------------------------------------

def payment_of(view, uid):
    """The payment of the caller's booking, priced now if it waits for payment and has
    none yet (as the payment page does). 404 `not_payable` for a booking without one."""
    booking = my_booking(view, uid)
    payment = Payment.objects.filter(booking=booking).first() or checkout.ensure_payment(booking)
    if payment is None:
        raise ApiError("not_payable", status.HTTP_404_NOT_FOUND)
    return payment


def payment_json(payment):
    payment = Payment.objects.select_related("booking").get(pk=payment.pk)
    payment.refund_list = list(payment.refunds.order_by("created_at", "id"))
    return BookingPaymentSerializer(payment).data


class MyBookingPaymentView(StudentView):
    @extend_schema(operation_id="my_bookings_payment", tags=["student"], auth=STUDENT_AUTH,
                   responses={200: BookingPaymentSerializer, **errors(*AUTH_ERRORS)})
    def get(self, request, uid):
        return Response(payment_json(payment_of(self, uid)))


class MyBookingPayView(StudentView):
    @extend_schema(operation_id="my_bookings_pay", tags=["student"], auth=STUDENT_AUTH,
                   parameters=[IDEMPOTENCY_PARAMETER], request=None,
                   responses={200: CheckoutSerializer, **errors(*WRITE_ERRORS, 409),
                              502: OpenApiResponse(ErrorSerializer, description="Stripe refused the request"),
                              503: OpenApiResponse(ErrorSerializer,
                                                   description="Stripe is not answering; see Retry-After")})
    @idempotent
    def post(self, request, uid):
        payment = payment_of(self, uid)
        try:
            # One Checkout page per payment, even for two requests at once: start_checkout
            # holds the payment's row across its Stripe call.
            url = checkout.start_checkout(payment, base_url=self.tenant.root_url)
        except PaymentError as error:
            return payment_error_response(error)
        return Response(CheckoutSerializer({"checkout_url": url}).data)
