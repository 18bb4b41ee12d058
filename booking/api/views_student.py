"""A signed-in student's endpoints (browser session with CSRF, or a personal token):
book, list, cancel and reschedule their own bookings on this tenant; make and
revoke personal tokens."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from django.db.models import Prefetch

from ..models import Booking, BookingParticipant, EventType, PersonalToken
from ..services import bookings as booking_service
from . import services
from .authentication import SessionAuthentication
from .base import AUTH_ERRORS, IDEMPOTENCY_PARAMETER, WRITE_ERRORS, StudentListView, StudentView, errors
from .errors import ApiError
from .idempotency import idempotent
from .serializers import (
    BookingCancelSerializer, BookingCreateSerializer, BookingRescheduleSerializer, BookingSerializer,
    NewPersonalTokenSerializer, PersonalTokenSerializer,
)
from .views import parse_query

STUDENT_AUTH = [{"personalToken": []}, {"cookieAuth": []}]


def with_participants(bookings):
    """Bookings with their active participants prefetched (`active_participants`)."""
    active = BookingParticipant.objects.filter(status=BookingParticipant.Status.ACTIVE).order_by("created_at", "id")
    return bookings.prefetch_related(Prefetch("participants", queryset=active, to_attr="active_participants"))


def my_bookings(view):
    return with_participants(Booking.objects.for_tenant(view.tenant).filter(attendee=view.request.user)
                             .select_related("event_type", "teacher"))


def my_booking(view, uid):
    booking = my_bookings(view).filter(uid=uid).first()
    if booking is None:
        raise ApiError("not_found", status.HTTP_404_NOT_FOUND)
    return booking


def booking_json(booking):
    booking = with_participants(Booking.objects.select_related("event_type", "teacher")).get(pk=booking.pk)
    return BookingSerializer(booking).data


class MyBookingsQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Booking.Status.values, required=False)


class MyBookingsView(StudentListView):
    serializer_class = BookingSerializer

    def get_queryset(self):
        query = parse_query(MyBookingsQuery, self.request)
        bookings = my_bookings(self).order_by("-start", "-id")
        if query.get("status"):
            bookings = bookings.filter(status=query["status"])
        return bookings

    @extend_schema(operation_id="my_bookings_list", tags=["student"], auth=STUDENT_AUTH,
                   parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=Booking.Status.values)],
                   responses={200: BookingSerializer(many=True), **errors(*AUTH_ERRORS)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="my_bookings_create", tags=["student"], auth=STUDENT_AUTH,
                   parameters=[IDEMPOTENCY_PARAMETER], request=BookingCreateSerializer,
                   responses={201: BookingSerializer, **errors(*WRITE_ERRORS, 409)})
    @idempotent
    def post(self, request):
        serializer = BookingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        event_type = EventType.objects.for_tenant(self.tenant).filter(pk=data["event_type"],
                                                                       is_published=True).first()
        if event_type is None:
            raise ApiError("not_found", status.HTTP_404_NOT_FOUND)
        # source DIRECT: the student books for themselves, so the service asks for a verified email.
        booking = booking_service.create_booking(
            event_type=event_type, session=data.get("session"), start=data.get("start"),
            teacher=data.get("teacher"), attendee=request.user, seats=data["seats"], answers=data["answers"],
            source=Booking.Source.DIRECT, actor=request.user, participants=data.get("participants"))
        return Response(booking_json(booking), status=status.HTTP_201_CREATED)


class MyBookingDetailView(StudentView):
    @extend_schema(operation_id="my_bookings_retrieve", tags=["student"], auth=STUDENT_AUTH,
                   responses={200: BookingSerializer, **errors(*AUTH_ERRORS)})
    def get(self, request, uid):
        return Response(BookingSerializer(my_booking(self, uid)).data)


class MyBookingCancelView(StudentView):
    @extend_schema(operation_id="my_bookings_cancel", tags=["student"], auth=STUDENT_AUTH,
                   parameters=[IDEMPOTENCY_PARAMETER], request=BookingCancelSerializer,
                   responses={200: BookingSerializer, **errors(*WRITE_ERRORS)})
    @idempotent
    def post(self, request, uid):
        booking = my_booking(self, uid)
        serializer = BookingCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking_service.cancel_booking(booking, reason=serializer.validated_data["reason"], actor=request.user,
                                       by_role=Booking.Role.STUDENT)
        return Response(booking_json(booking))


class MyBookingRescheduleView(StudentView):
    @extend_schema(operation_id="my_bookings_reschedule", tags=["student"], auth=STUDENT_AUTH,
                   parameters=[IDEMPOTENCY_PARAMETER], request=BookingRescheduleSerializer,
                   responses={200: BookingSerializer, **errors(*WRITE_ERRORS, 409)})
    @idempotent
    def post(self, request, uid):
        booking = my_booking(self, uid)
        serializer = BookingRescheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        booking_service.reschedule_booking(booking, new_session=data.get("session"), new_start=data.get("start"),
                                           new_teacher=data.get("teacher"), actor=request.user,
                                           by_role=Booking.Role.STUDENT)
        return Response(booking_json(booking))


class MyTokensView(StudentListView):
    serializer_class = PersonalTokenSerializer

    def get_queryset(self):
        return PersonalToken.objects.for_tenant(self.tenant).filter(user=self.request.user).order_by("-created_at",
                                                                                                       "-id")

    @extend_schema(operation_id="my_tokens_list", tags=["student"], auth=STUDENT_AUTH,
                   responses={200: PersonalTokenSerializer(many=True), **errors(*AUTH_ERRORS)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="my_tokens_create", tags=["student"], auth=[{"cookieAuth": []}],
                   request=PersonalTokenSerializer,
                   responses={201: NewPersonalTokenSerializer, **errors(*WRITE_ERRORS)})
    def post(self, request):
        if not isinstance(request.successful_authenticator, SessionAuthentication):
            raise ApiError("session_auth_required", status.HTTP_403_FORBIDDEN)
        serializer = PersonalTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, clear = services.create_personal_token(tenant=self.tenant, user=request.user,
                                                      name=serializer.validated_data["name"])
        token.token = clear
        return Response(NewPersonalTokenSerializer(token).data, status=status.HTTP_201_CREATED)


class MyTokenDetailView(StudentView):
    @extend_schema(operation_id="my_tokens_revoke", tags=["student"], auth=STUDENT_AUTH,
                   responses={204: None, **errors(*AUTH_ERRORS)})
    def delete(self, request, token_id):
        token = PersonalToken.objects.for_tenant(self.tenant).filter(user=request.user, pk=token_id).first()
        if token is None:
            raise ApiError("not_found", status.HTTP_404_NOT_FOUND)
        services.revoke_personal_token(token, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

