"""Public endpoints (no credential): slots of an event type, the workshop list, the
landing data of the tenant."""

from django.apps import apps
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ..errors import BookingError
from ..models import EventType, Session
from ..services.availability import Slot
from ..services.slots import find_slots, parse_range
from .base import PUBLIC_ERRORS, PublicListView, PublicView, errors
from .errors import ApiError, _field_errors, error_body
from .serializers import ErrorSerializer, LandingSerializer, PublicWorkshopSerializer, SlotsResponseSerializer

NEXT_SESSIONS = 5
SESSION_KINDS = (EventType.Kind.LIVE_CLASS, EventType.Kind.WORKSHOP)


def parse_query(serializer_class, request):
    """Validated query parameters, or a 400 naming the bad ones."""
    serializer = serializer_class(data=request.query_params)
    if not serializer.is_valid():
        raise ApiError("bad_parameter", status.HTTP_400_BAD_REQUEST, fields=_field_errors(serializer.errors))
    return serializer.validated_data


def error_response(error):
    """The slots endpoint's refusals: 400, with `detail` kept for its first clients."""
    body = error_body(error.code, error.message)
    body["detail"] = error.message
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def slot_json(item, zone):
    data = {"start": item.start.astimezone(zone).isoformat(), "end": item.end.astimezone(zone).isoformat()}
    if isinstance(item, Slot):
        data["host_ids"] = list(item.host_ids)
    else:
        data.update(session_id=item.session_id, series_id=item.series_id, teacher_id=item.teacher_id,
                    capacity=item.capacity, seats_left=item.seats_left)
    return data


class EventTypeSlotsView(PublicView):
    """Open slots of a published event type of this site's tenant."""

    @extend_schema(
        operation_id="event_type_slots",
        tags=["public"],
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=True, description="First local date, YYYY-MM-DD"),
            OpenApiParameter("end", OpenApiTypes.DATE, required=True,
                             description="Last local date (inclusive), at most 93 days after start"),
            OpenApiParameter("tz", OpenApiTypes.STR, required=False,
                             description="IANA time zone of the dates and answers, e.g. Asia/Ho_Chi_Minh (default UTC)"),
        ],
        responses={200: SlotsResponseSerializer, 400: ErrorSerializer, **errors(404, 429)},
    )
    def get(self, request, event_type_id):
        event_type = (EventType.objects.for_tenant(self.tenant).filter(pk=event_type_id, is_published=True)
                      .select_related("tenant").first())
        if event_type is None:
            raise ApiError("not_found", status.HTTP_404_NOT_FOUND)
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


def attach_next_sessions(event_types, *, now=None, limit=NEXT_SESSIONS):
    """Set `next_sessions` (the first `limit` upcoming scheduled sessions) and `seats_left`
    (of the next one) on each event type, in one query."""
    now = now or timezone.now()
    by_event = {event_type.pk: event_type for event_type in event_types}
    for event_type in event_types:
        event_type.next_sessions = []
    if by_event:
        upcoming = (Session.objects.filter(event_type_id__in=list(by_event), status=Session.Status.SCHEDULED,
                                           start__gt=now)
                    .annotate(rank=Window(RowNumber(), partition_by=[F("event_type_id")],
                                          order_by=[F("start").asc(), F("id").asc()]))
                    .filter(rank__lte=limit).select_related("teacher").order_by("event_type_id", "start", "id"))
        for session in upcoming:
            by_event[session.event_type_id].next_sessions.append(session)
    for event_type in event_types:
        event_type.seats_left = event_type.next_sessions[0].seats_left if event_type.next_sessions else 0
    return event_types


class WorkshopQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[kind.value for kind in SESSION_KINDS], required=False)


class PublicWorkshopsView(PublicListView):
    """Published live classes and workshops with their next sessions and seats left."""

    serializer_class = PublicWorkshopSerializer

    def get_queryset(self):
        query = parse_query(WorkshopQuery, self.request)
        kinds = [query["kind"]] if query.get("kind") else list(SESSION_KINDS)
        return EventType.objects.for_tenant(self.tenant).filter(is_published=True, kind__in=kinds).order_by(
            "title", "id")

    @extend_schema(operation_id="public_workshops", tags=["public"],
                   parameters=[OpenApiParameter("kind", OpenApiTypes.STR, enum=[k.value for k in SESSION_KINDS])],
                   responses={200: PublicWorkshopSerializer(many=True), **errors(*PUBLIC_ERRORS)})
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        attach_next_sessions(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def branding_of(request):
    """Colours, font, logo and call to action of the tenant's branding settings, when the
    landing app is installed (the API does not depend on it otherwise)."""
    empty = dict.fromkeys(["primary_colour", "secondary_colour", "font", "logo_url", "cta_text", "cta_link"])
    if not apps.is_installed("landing"):
        return empty
    try:
        settings_model = apps.get_model("landing", "BrandingSettings")
        branding = settings_model.for_request(request)
    except LookupError:
        return empty
    logo = getattr(branding, "logo", None)
    return {
        "primary_colour": getattr(branding, "primary_colour", None) or None,
        "secondary_colour": getattr(branding, "secondary_colour", None) or None,
        "font": getattr(branding, "font", None) or None,
        "logo_url": request.build_absolute_uri(logo.file.url) if logo is not None else None,
        "cta_text": getattr(branding, "default_cta_text", None) or None,
        "cta_link": getattr(branding, "default_cta_link", None) or None,
    }


class PublicLandingView(PublicView):
    """The tenant's name, branding basics and published event types."""

    @extend_schema(operation_id="public_landing", tags=["public"],
                   responses={200: LandingSerializer, **errors(*PUBLIC_ERRORS)})
    def get(self, request):
        event_types = EventType.objects.for_tenant(self.tenant).filter(is_published=True).order_by("title", "id")
        return Response(LandingSerializer({
            "name": self.tenant.name,
            "url": self.tenant.root_url,
            "template": self.tenant.template,
            "branding": branding_of(request._request),
            "event_types": list(event_types),
        }).data)
