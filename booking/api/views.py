from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ..errors import BookingError
from ..models import EventType
from ..services.availability import Slot
from ..services.slots import find_slots, parse_range
from .serializers import ErrorSerializer, SlotsResponseSerializer


def error_response(error):
    return Response({"code": error.code, "detail": error.message}, status=status.HTTP_400_BAD_REQUEST)


def slot_json(item, zone):
    data = {"start": item.start.astimezone(zone).isoformat(), "end": item.end.astimezone(zone).isoformat()}
    if isinstance(item, Slot):
        data["host_ids"] = list(item.host_ids)
    else:
        data.update(session_id=item.session_id, series_id=item.series_id, teacher_id=item.teacher_id,
                    capacity=item.capacity, seats_left=item.seats_left)
    return data


class EventTypeSlotsView(APIView):
    """Open slots of a published event type of this site's tenant."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="event_type_slots",
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=True, description="First local date, YYYY-MM-DD"),
            OpenApiParameter("end", OpenApiTypes.DATE, required=True,
                             description="Last local date (inclusive), at most 93 days after start"),
            OpenApiParameter("tz", OpenApiTypes.STR, required=False,
                             description="IANA time zone of the dates and answers, e.g. Asia/Ho_Chi_Minh (default UTC)"),
        ],
        responses={200: SlotsResponseSerializer, 400: ErrorSerializer},
    )
    def get(self, request, event_type_id):
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            raise Http404
        event_type = (EventType.objects.for_tenant(tenant).filter(pk=event_type_id, is_published=True)
                      .select_related("tenant").first())
        if event_type is None:
            raise Http404
        params = request.query_params
        try:
            first_day, last_day, zone = parse_range(params.get("start"), params.get("end"), params.get("tz", "UTC"))
            items = find_slots(event_type, first_day=first_day, last_day=last_day, zone=zone)
        except BookingError as error:
            return error_response(error)
        return Response({
            "event_type": {"id": event_type.pk, "kind": event_type.kind, "title": event_type.title,
                           "duration_minutes": event_type.duration_minutes, "booked_as": event_type.booked_as},
            "timezone": zone.key,
            "start": first_day.isoformat(),
            "end": last_day.isoformat(),
            "slots": [slot_json(item, zone) for item in items],
        })
