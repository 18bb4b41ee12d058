"""The school's endpoints, with its API key: event types (with recurring sessions),
sessions, whitelists, bookings and their CSV export, stats."""

import csv
from datetime import timezone as dt_timezone

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ..models import Booking, EventType, Session, WhitelistEntry
from ..services import sessions as session_service
from ..services.teachers import teachers_of
from . import services
from .base import AUTH_ERRORS, IDEMPOTENCY_PARAMETER, WRITE_ERRORS, TenantKeyListView, TenantKeyView, errors
from .errors import ApiError
from .idempotency import idempotent
from .serializers import (
    EventTypeCreatedSerializer, EventTypeSerializer, IsoDateTimeField, active_participants, PublicSessionSerializer,
    RecurrenceSerializer, SeriesResultSerializer, SessionCreateSerializer, StatsQuerySerializer, StatsSerializer,
    TenantBookingSerializer, TenantSessionSerializer, WhitelistEntrySerializer, WhitelistResultSerializer,
    WhitelistUpdateSerializer,
)
from .views import parse_query
from .views_student import with_participants

KEY_AUTH = [{"tenantApiKey": []}]
UTC = dt_timezone.utc
EXPORT_LIMIT = 100000


def teacher_of(view, teacher_id, field="teacher"):
    teacher = teachers_of(view.tenant).filter(pk=teacher_id).first()
    if teacher is None:
        raise ApiError("invalid", status.HTTP_422_UNPROCESSABLE_ENTITY,
                       fields={field: [ApiError.messages["not_a_teacher"]]})
    return teacher


def event_type_of(view, event_type_id):
    event_type = EventType.objects.for_tenant(view.tenant).filter(pk=event_type_id).first()
    if event_type is None:
        raise ApiError("not_found", status.HTTP_404_NOT_FOUND)
    return event_type


def recurrence_kwargs(view, data, field="recurrence"):
    data = dict(data)
    data["teacher"] = teacher_of(view, data["teacher"], field=f"{field}.teacher" if field else "teacher")
    data["timezone"] = data.get("timezone") or None
    return data


def series_result(result):
    series = result["series"]
    sessions = Session.objects.filter(series=series).select_related("teacher").order_by("start", "id")
    return {"series_id": series.pk, "sessions": sessions,
            "skipped_dates": [conflict.day for conflict in result["skipped"]]}


def series_json(result):
    return SeriesResultSerializer(series_result(result)).data


def event_type_json(event_type, serializer_class=EventTypeSerializer, created_series=None):
    event_type = EventType.objects.prefetch_related("hosts").get(pk=event_type.pk)
    event_type.created_series = created_series
    return serializer_class(event_type).data


class EventTypeQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EventType.Kind.values, required=False)
    published = serializers.BooleanField(required=False, allow_null=True, default=None)


class TenantEventTypesView(TenantKeyListView):
    serializer_class = EventTypeSerializer

    def get_queryset(self):
        query = parse_query(EventTypeQuery, self.request)
        event_types = EventType.objects.for_tenant(self.tenant).prefetch_related("hosts").order_by("title", "id")
        if query.get("kind"):
            event_types = event_types.filter(kind=query["kind"])
        if query.get("published") is not None:
            event_types = event_types.filter(is_published=query["published"])
        return event_types

    @extend_schema(operation_id="tenant_event_types_list", tags=["tenant"], auth=KEY_AUTH,
                   parameters=[OpenApiParameter("kind", OpenApiTypes.STR, enum=EventType.Kind.values),
                               OpenApiParameter("published", OpenApiTypes.BOOL)],
                   responses={200: EventTypeSerializer(many=True), **errors(*AUTH_ERRORS)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="tenant_event_types_create", tags=["tenant"], auth=KEY_AUTH,
                   parameters=[IDEMPOTENCY_PARAMETER], request=EventTypeSerializer,
                   responses={201: EventTypeCreatedSerializer, **errors(*WRITE_ERRORS)})
    @idempotent
    def post(self, request):
        serializer = EventTypeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        hosts = [teacher_of(self, pk, "hosts") for pk in fields.pop("hosts", [])]
        recurrence = fields.pop("recurrence", None)
        if recurrence is not None:
            recurrence = recurrence_kwargs(self, recurrence)
        event_type, series = services.create_event_type(tenant=self.tenant, fields=fields, hosts=hosts,
                                                        recurrence=recurrence, actor=self.actor)
        data = event_type_json(event_type, EventTypeCreatedSerializer,
                               created_series=series_result(series) if series else None)
        return Response(data, status=status.HTTP_201_CREATED)


class TenantEventTypeDetailView(TenantKeyView):
    @extend_schema(operation_id="tenant_event_types_retrieve", tags=["tenant"], auth=KEY_AUTH,
                   responses={200: EventTypeSerializer, **errors(*AUTH_ERRORS)})
    def get(self, request, event_type_id):
        return Response(event_type_json(event_type_of(self, event_type_id)))

    @extend_schema(operation_id="tenant_event_types_update", tags=["tenant"], auth=KEY_AUTH,
                   parameters=[IDEMPOTENCY_PARAMETER], request=EventTypeSerializer,
                   responses={200: EventTypeSerializer, **errors(*WRITE_ERRORS)})
    @idempotent
    def patch(self, request, event_type_id):
        event_type = event_type_of(self, event_type_id)
        serializer = EventTypeSerializer(event_type, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("recurrence", None)
        hosts = fields.pop("hosts", None)
        if hosts is not None:
            hosts = [teacher_of(self, pk, "hosts") for pk in hosts]
        event_type = services.update_event_type(event_type, fields=fields, hosts=hosts, actor=self.actor)
        return Response(event_type_json(event_type))

    @extend_schema(operation_id="tenant_event_types_delete", tags=["tenant"], auth=KEY_AUTH,
                   parameters=[IDEMPOTENCY_PARAMETER],
                   responses={204: None, **errors(*AUTH_ERRORS, 409)})
    @idempotent
    def delete(self, request, event_type_id):
        services.delete_event_type(event_type_of(self, event_type_id), actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TenantSeriesView(TenantKeyView):
    @extend_schema(operation_id="tenant_series_create", tags=["tenant"], auth=KEY_AUTH,
                   parameters=[IDEMPOTENCY_PARAMETER], request=RecurrenceSerializer,
                   responses={201: SeriesResultSerializer, **errors(*WRITE_ERRORS)})
    @idempotent
    def post(self, request, event_type_id):
        event_type = event_type_of(self, event_type_id)
        serializer = RecurrenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kwargs = recurrence_kwargs(self, serializer.validated_data, field=None)
        series, sessions, skipped = session_service.create_series(event_type=event_type, actor=self.actor, **kwargs)
        return Response(series_json({"series": series, "skipped": skipped}), status=status.HTTP_201_CREATED)


class TenantSessionCreateView(TenantKeyView):
    @extend_schema(operation_id="tenant_sessions_create", tags=["tenant"], auth=KEY_AUTH,
                   parameters=[IDEMPOTENCY_PARAMETER], request=SessionCreateSerializer,
                   responses={201: PublicSessionSerializer, **errors(*WRITE_ERRORS)})
    @idempotent
    def post(self, request, event_type_id):
        event_type = event_type_of(self, event_type_id)
        serializer = SessionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        session = session_service.create_session(
            event_type=event_type, teacher=teacher_of(self, data["teacher"]), start=data["start"], end=data["end"],
            capacity=data.get("capacity"), actor=self.actor)
        return Response(PublicSessionSerializer(session).data, status=status.HTTP_201_CREATED)


class TenantWhitelistView(TenantKeyListView):
    serializer_class = WhitelistEntrySerializer

    def get_queryset(self):
        event_type = event_type_of(self, self.kwargs["event_type_id"])
        return WhitelistEntry.objects.filter(tenant=self.tenant, event_type=event_type).order_by("email", "id")

    @extend_schema(operation_id="tenant_whitelist_list", tags=["tenant"], auth=KEY_AUTH,
                   responses={200: WhitelistEntrySerializer(many=True), **errors(*AUTH_ERRORS)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="tenant_whitelist_update", tags=["tenant"], auth=KEY_AUTH,
                   parameters=[IDEMPOTENCY_PARAMETER], request=WhitelistUpdateSerializer,
                   responses={200: WhitelistResultSerializer, **errors(*WRITE_ERRORS)})
    @idempotent
    def post(self, request, event_type_id):
        event_type = event_type_of(self, event_type_id)
        serializer = WhitelistUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.update_whitelist(event_type, mode=serializer.validated_data["mode"],
                                           emails=serializer.validated_data["emails"], actor=self.actor)
        return Response(WhitelistResultSerializer(result).data)


class RangeQuery(serializers.Serializer):
    event_type = serializers.IntegerField(min_value=1, required=False)
    start_from = IsoDateTimeField(required=False, help_text="From this time on (ISO 8601 with offset)")
    start_before = IsoDateTimeField(required=False)


class SessionQuery(RangeQuery):
    status = serializers.ChoiceField(choices=Session.Status.values, required=False)


class BookingQuery(RangeQuery):
    status = serializers.ChoiceField(choices=Booking.Status.values, required=False)
    email = serializers.CharField(max_length=254, required=False)


def range_parameters(statuses):
    return [
        OpenApiParameter("event_type", OpenApiTypes.INT),
        OpenApiParameter("start_from", OpenApiTypes.DATETIME, description="Starting at or after (with offset)"),
        OpenApiParameter("start_before", OpenApiTypes.DATETIME, description="Starting before (with offset)"),
        OpenApiParameter("status", OpenApiTypes.STR, enum=statuses),
    ]


def filter_range(queryset, query, *, field="start", param="start", event_type_field="event_type_id"):
    """The list filters shared by the school's lists: event type, status, and a half-open
    range of `field` given as `<param>_from` / `<param>_before`."""
    if query.get("event_type"):
        queryset = queryset.filter(**{event_type_field: query["event_type"]})
    if query.get(f"{param}_from"):
        queryset = queryset.filter(**{f"{field}__gte": query[f"{param}_from"]})
    if query.get(f"{param}_before"):
        queryset = queryset.filter(**{f"{field}__lt": query[f"{param}_before"]})
    if query.get("status"):
        queryset = queryset.filter(status=query["status"])
    return queryset


class TenantSessionsView(TenantKeyListView):
    serializer_class = TenantSessionSerializer

    def get_queryset(self):
        query = parse_query(SessionQuery, self.request)
        return filter_range(Session.objects.for_tenant(self.tenant), query).select_related(
            "event_type", "teacher").order_by("start", "id")

    @extend_schema(operation_id="tenant_sessions_list", tags=["tenant"], auth=KEY_AUTH,
                   parameters=range_parameters(Session.Status.values),
                   responses={200: TenantSessionSerializer(many=True), **errors(*AUTH_ERRORS)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def tenant_bookings(view):
    query = parse_query(BookingQuery, view.request)
    bookings = filter_range(Booking.objects.for_tenant(view.tenant), query)
    if query.get("email"):
        bookings = bookings.filter(attendee_email__iexact=query["email"].strip())
    return with_participants(bookings.select_related("event_type", "teacher", "attendee")).order_by("start", "id")


BOOKING_PARAMETERS = range_parameters(Booking.Status.values) + [
    OpenApiParameter("email", OpenApiTypes.STR, description="The attendee's email (any case)")]


class TenantBookingsView(TenantKeyListView):
    serializer_class = TenantBookingSerializer

    def get_queryset(self):
        return tenant_bookings(self)

    @extend_schema(operation_id="tenant_bookings_list", tags=["tenant"], auth=KEY_AUTH,
                   parameters=BOOKING_PARAMETERS,
                   responses={200: TenantBookingSerializer(many=True), **errors(*AUTH_ERRORS)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


EXPORT_COLUMNS = ("uid", "event_type", "kind", "session_id", "start_utc", "end_utc", "teacher_email",
                  "attendee_email", "attendee_name", "seats", "status", "amount", "currency", "source",
                  "created_utc", "cancelled_utc", "participants")


def participants_cell(booking):
    """Group bookings' participants, "Name <email>; …" ("(to be named)" for a seat not named yet)."""
    return "; ".join(f"{row['name']} <{row['email']}>" if row["email"] else "(to be named)"
                     for row in active_participants(booking))


def csv_cell(value):
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value):
        return value


def booking_rows(bookings):
    yield EXPORT_COLUMNS
    for b in bookings.iterator(chunk_size=500):
        yield (b.uid, b.event_type.title, b.event_type.kind, b.session_id or "",
               b.start.astimezone(UTC).isoformat(), b.end.astimezone(UTC).isoformat(), b.teacher.email,
               b.attendee_email, b.attendee.get_full_name(), b.seats, b.status, b.amount, b.currency, b.source,
               b.created_at.astimezone(UTC).isoformat(),
               b.cancelled_at.astimezone(UTC).isoformat() if b.cancelled_at else "", participants_cell(b))


class TenantBookingsExportView(TenantKeyView):
    @extend_schema(operation_id="tenant_bookings_export", tags=["tenant"], auth=KEY_AUTH,
                   parameters=BOOKING_PARAMETERS,
                   responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR,
                                                                 description="One row per booking, UTC times"),
                              **errors(*AUTH_ERRORS)})
    def get(self, request):
        bookings = tenant_bookings(self)[:EXPORT_LIMIT]
        writer = csv.writer(_Echo())
        lines = (writer.writerow([csv_cell(value) for value in row]) for row in booking_rows(bookings))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="bookings-{self.tenant.subdomain}-{stamp}.csv"'
        return response


class TenantStatsView(TenantKeyView):
    @extend_schema(operation_id="tenant_stats", tags=["tenant"], auth=KEY_AUTH,
                   parameters=[OpenApiParameter("period", OpenApiTypes.STR, enum=["week", "month", "year"])],
                   responses={200: StatsSerializer, **errors(*AUTH_ERRORS)})
    def get(self, request):
        from site_platform.stats import tenant_stats

        query = parse_query(StatsQuerySerializer, request)
        return Response(StatsSerializer(tenant_stats(self.tenant, period=query["period"])).data)
