"""Group bookings through the API: the booker (a signed-in student) reads the group,
adds participants, names a seat, gives a seat to someone else and removes a
participant; a participant, with the token of their manage link, reads their place
and gives up their seat. Thin views over `booking.services.participants`, which
holds every rule (seats, whitelist, cut-off, refunds)."""

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from ..errors import BookingError
from ..models import Booking, BookingParticipant, EventType
from ..services import participants as group_service
from .base import AUTH_ERRORS, IDEMPOTENCY_PARAMETER, PUBLIC_ERRORS, WRITE_ERRORS, PublicView, StudentView, errors
from .errors import ApiError
from .idempotency import idempotent
from .serializers import (
    GroupParticipantSerializer, GroupSerializer, ParticipantNameSerializer, ParticipantPlaceSerializer,
    ParticipantsAddedSerializer, ParticipantsAddSerializer, SeatFreedSerializer,
)
from .views_student import STUDENT_AUTH, my_booking, with_participants


def _group(view, uid):
    """The caller's booking (any booking of their group) on this tenant, else 404."""
    booking = my_booking(view, uid)
    if not booking.event_type.asks_participants:
        raise ApiError("not_found", status.HTTP_404_NOT_FOUND)
    return booking


def _participant_of(booking, participant_uid):
    """A participant of this booking's group (ended ones too), else 404."""
    found = (BookingParticipant.objects.for_tenant(booking.tenant_id).select_related("booking")
             .filter(uid=participant_uid, booking__in=[b.pk for b in group_service.group_bookings(booking)]).first())
    if found is None:
        raise ApiError("not_found", status.HTTP_404_NOT_FOUND)
    return found


def group_json(booking):
    now = timezone.now()
    head = booking.group
    active = booking.status in Booking.ACTIVE and booking.can_cancel(now)
    later = booking.event_type.participant_names == EventType.ParticipantNames.LATER
    return GroupSerializer({
        "booking": head.uid,
        "participants": group_service.group_participants(booking),
        "can_change": active and head.status in Booking.ACTIVE,
        "names_open": group_service.names_open(booking, now),
        "names_cutoff": booking.event_type.participant_names_cutoff(booking.start) if later else None,
        "seats_left": group_service.seats_left_to_add(booking) if active else 0,
    }).data


def pay_path(booking):
    """The API address that opens the Checkout page of a booking waiting for payment
    (None without the payments app)."""
    try:
        return reverse("booking_api:my_booking_pay", kwargs={"uid": booking.uid})
    except NoReverseMatch:
        return None


def freed_json(participant, refund, booking):
    participant.refresh_from_db(fields=["status"])
    booking.refresh_from_db(fields=["status"])
    return SeatFreedSerializer({"participant": participant.uid, "status": participant.status, "refund": refund,
                                "currency": booking.currency, "booking_status": booking.status}).data


GROUP_PARAMETERS = [OpenApiParameter("uid", OpenApiTypes.UUID, OpenApiParameter.PATH)]
PARTICIPANT_PARAMETERS = GROUP_PARAMETERS + [
    OpenApiParameter("participant_uid", OpenApiTypes.UUID, OpenApiParameter.PATH)]


class MyGroupView(StudentView):
    @extend_schema(operation_id="my_bookings_participants_list", tags=["student"], auth=STUDENT_AUTH,
                   parameters=GROUP_PARAMETERS, responses={200: GroupSerializer, **errors(*AUTH_ERRORS)})
    def get(self, request, uid):
        return Response(group_json(_group(self, uid)))

    @extend_schema(operation_id="my_bookings_participants_add", tags=["student"], auth=STUDENT_AUTH,
                   parameters=GROUP_PARAMETERS + [IDEMPOTENCY_PARAMETER], request=ParticipantsAddSerializer,
                   responses={201: ParticipantsAddedSerializer, **errors(*WRITE_ERRORS, 409)})
    @idempotent
    def post(self, request, uid):
        booking = _group(self, uid)
        serializer = ParticipantsAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        wanted = serializer.validated_data["participants"]
        holder = group_service.add_participants(booking, wanted, actor=request.user)
        added = (BookingParticipant.objects.filter(booking=holder, status=BookingParticipant.Status.ACTIVE)
                 .select_related("booking").order_by("-created_at", "-pk")[:len(wanted)])
        waiting = holder.status == Booking.Status.PENDING_PAYMENT
        return Response(ParticipantsAddedSerializer({
            "booking": with_participants(Booking.objects.select_related("event_type", "teacher")).get(pk=holder.pk),
            "added": sorted(added, key=lambda p: (p.created_at, p.pk)),
            "payment_required": waiting,
            "pay_path": pay_path(holder) if waiting else None,
        }).data, status=status.HTTP_201_CREATED)


class MyGroupParticipantView(StudentView):
    @extend_schema(operation_id="my_bookings_participants_replace", tags=["student"], auth=STUDENT_AUTH,
                   parameters=PARTICIPANT_PARAMETERS + [IDEMPOTENCY_PARAMETER], request=ParticipantNameSerializer,
                   responses={200: GroupParticipantSerializer, **errors(*WRITE_ERRORS)},
                   description="Names a seat left to name, or gives a named participant's seat to someone "
                               "else (the old participant is told; their link stops working). The answer is "
                               "the participant holding the seat now (a new `uid` for a replacement).")
    @idempotent
    def put(self, request, uid, participant_uid):
        booking = _group(self, uid)
        participant = _participant_of(booking, participant_uid)
        serializer = ParticipantNameSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if participant.email:
            holder = group_service.replace_participant(booking, participant, name=data["name"],
                                                       email=data["email"], actor=request.user)
        else:
            holder = group_service.name_participant(booking, participant, name=data["name"],
                                                    email=data["email"], actor=request.user)
        return Response(GroupParticipantSerializer(
            BookingParticipant.objects.select_related("booking").get(pk=holder.pk)).data)

    @extend_schema(operation_id="my_bookings_participants_remove", tags=["student"], auth=STUDENT_AUTH,
                   parameters=PARTICIPANT_PARAMETERS + [IDEMPOTENCY_PARAMETER],
                   responses={200: SeatFreedSerializer, **errors(*WRITE_ERRORS)},
                   description="Takes the participant out of the group: their seat is given back and its "
                               "share is refunded to the payer under the refund policy. The last seat of a "
                               "booking cancels that booking.")
    @idempotent
    def delete(self, request, uid, participant_uid):
        booking = _group(self, uid)
        participant = _participant_of(booking, participant_uid)
        refund = group_service.remove_participant(booking, participant, actor=request.user,
                                                  by_role=Booking.Role.STUDENT)
        return Response(freed_json(participant, refund, participant.booking))


# The participant (manage link token) -----------------------------------------------------------------

TOKEN_PARAMETERS = [
    OpenApiParameter("participant_uid", OpenApiTypes.UUID, OpenApiParameter.PATH),
    OpenApiParameter("token", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True,
                     description="The token of the participant's manage link (`…/?token=…` in their email)."),
]


def _token(request):
    return request.query_params.get("token", "")


class ParticipantPlaceView(PublicView):
    @extend_schema(operation_id="participant_retrieve", tags=["participant"], auth=[], parameters=TOKEN_PARAMETERS,
                   responses={200: ParticipantPlaceSerializer, **errors(*PUBLIC_ERRORS, 403)})
    def get(self, request, participant_uid):
        participant = group_service.participant_for_link(self.tenant, participant_uid, _token(request))
        if participant is None:
            raise ApiError("not_found", status.HTTP_404_NOT_FOUND)
        booking = participant.booking
        now = timezone.now()
        participant.can_give_up = booking.status in Booking.ACTIVE and booking.can_cancel(now)
        participant.refund_if_given_up = group_service.refund_preview(participant, now)
        return Response(ParticipantPlaceSerializer(participant).data)


class ParticipantGiveUpView(PublicView):
    def initial(self, request, *args, **kwargs):
        """The link's participant, before the idempotency record: another tenant's or an
        unknown uid is a 404, a wrong token a 403 (ended participants keep their token,
        so a retry of a successful give-up replays its answer)."""
        super().initial(request, *args, **kwargs)
        self.participant = (BookingParticipant.objects.for_tenant(self.tenant).select_related("booking")
                            .filter(uid=kwargs["participant_uid"]).first())
        if self.participant is None:
            raise ApiError("not_found", status.HTTP_404_NOT_FOUND)
        if not self.participant.token_matches(_token(request)):
            raise BookingError("token_invalid")

    def idempotency_principal(self, request):
        return f"participant:{self.participant.pk}"

    @extend_schema(operation_id="participant_give_up", tags=["participant"], auth=[], request=None,
                   parameters=TOKEN_PARAMETERS + [IDEMPOTENCY_PARAMETER],
                   responses={200: SeatFreedSerializer, **errors(*PUBLIC_ERRORS, 403, 422)},
                   description="The participant gives up their own seat: it is given back, its share is "
                               "refunded to the payer under the refund policy, and the booker is told.")
    @idempotent
    def post(self, request, participant_uid):
        participant = self.participant
        refund = group_service.give_up_own_seat(participant, token=_token(request))
        return Response(freed_json(participant, refund, participant.booking))
