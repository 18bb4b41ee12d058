"""Shapes of the API: serializers check the form of input and describe output.
Rules (who may book, what a whitelist holds, seats) stay in the services."""

from datetime import timezone as dt_timezone

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Booking, EventType, Session

UTC = dt_timezone.utc


# Times and dates the API takes lie in these years: the services compute margins and
# local days around them, which the ends of Python's calendar (years 1 and 9999) cannot hold.
FIRST_YEAR, LAST_YEAR = 1900, 2999


class IsoDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit offset, in and out (answers in UTC, `+00:00`)."""

    default_error_messages = {
        "naive": _("Give the time with its UTC offset, e.g. 2030-05-01T09:00:00+07:00."),
        "year_range": _("Give a time between the years %(first)s and %(last)s."),
    }

    def to_internal_value(self, value):
        if isinstance(value, str) and value.strip() and not _has_offset(value.strip()):
            self.fail("naive")
        result = super().to_internal_value(value)
        if not FIRST_YEAR <= result.year <= LAST_YEAR:
            self.fail("year_range", first=FIRST_YEAR, last=LAST_YEAR)
        return result

    def to_representation(self, value):
        if value is None:
            return None
        return value.astimezone(UTC).isoformat()


class BoundedDateField(serializers.DateField):
    """A date between FIRST_YEAR and LAST_YEAR."""

    default_error_messages = {"year_range": _("Give a date between the years %(first)s and %(last)s.")}

    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        if not FIRST_YEAR <= result.year <= LAST_YEAR:
            self.fail("year_range", first=FIRST_YEAR, last=LAST_YEAR)
        return result


def _has_offset(text):
    if text.endswith(("Z", "z")):
        return True
    time_part = text.partition("T")[2] or text.partition(" ")[2]
    return "+" in time_part or "-" in time_part


def _inline_enum(values):
    """A string field documented with its values inline, not as a shared enum component
    (bookings and sessions both have a `status` with different values)."""

    @extend_schema_field({"allOf": [{"type": "string", "enum": list(values)}]})
    class InlineChoiceField(serializers.CharField):
        pass

    return InlineChoiceField


BookingStatusField = _inline_enum(Booking.Status.values)
SessionStatusField = _inline_enum(Session.Status.values)


# Errors ---------------------------------------------------------------------------------------

class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable reason, e.g. `full`, `key_invalid`.")
    message = serializers.CharField(help_text="A sentence for people, in the request's language.")
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                   help_text="Invalid input: messages per field.")
    detail = serializers.CharField(required=False, help_text="The slots endpoint only: same as `message`.")


# Slots (public) --------------------------------------------------------------------------------

class EventTypeSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    booked_as = serializers.CharField()


class SlotSerializer(serializers.Serializer):
    """One open time. One-to-one slots carry `host_ids`; sessions carry the session's fields."""

    start = serializers.DateTimeField(help_text="ISO 8601 with the offset of the requested zone")
    end = serializers.DateTimeField()
    host_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    session_id = serializers.IntegerField(required=False)
    series_id = serializers.IntegerField(required=False, allow_null=True)
    teacher_id = serializers.IntegerField(required=False)
    capacity = serializers.IntegerField(required=False)
    seats_left = serializers.IntegerField(required=False)


class SlotsResponseSerializer(serializers.Serializer):
    event_type = EventTypeSummarySerializer()
    timezone = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    slots = SlotSerializer(many=True)


# Public ---------------------------------------------------------------------------------------

class TeacherSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.email.split("@")[0]


class PublicSessionSerializer(serializers.ModelSerializer):
    start = IsoDateTimeField()
    end = IsoDateTimeField()
    teacher = TeacherSerializer()
    seats_left = serializers.IntegerField()

    class Meta:
        model = Session
        fields = ["id", "start", "end", "teacher", "capacity", "seats_left", "series_id"]


class PublicEventTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = EventType
        fields = ["id", "kind", "title", "slug", "description", "price", "currency", "duration_minutes",
                  "booked_as", "location_kind", "whitelist_enabled", "max_seats_per_booking"]


class PublicWorkshopSerializer(PublicEventTypeSerializer):
    next_sessions = PublicSessionSerializer(many=True, help_text="Up to 5 upcoming sessions, earliest first.")
    seats_left = serializers.IntegerField(help_text="Seats left in the next session (0 if none is scheduled).")

    class Meta(PublicEventTypeSerializer.Meta):
        fields = PublicEventTypeSerializer.Meta.fields + ["seats_per_session", "next_sessions", "seats_left"]


class BrandingSerializer(serializers.Serializer):
    primary_colour = serializers.CharField(allow_null=True)
    secondary_colour = serializers.CharField(allow_null=True)
    font = serializers.CharField(allow_null=True)
    logo_url = serializers.CharField(allow_null=True)
    cta_text = serializers.CharField(allow_null=True)
    cta_link = serializers.CharField(allow_null=True)


class LandingSerializer(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.CharField()
    template = serializers.CharField()
    branding = BrandingSerializer()
    event_types = PublicEventTypeSerializer(many=True)


# Bookings ---------------------------------------------------------------------------------------

class ParticipantSerializer(serializers.Serializer):
    """A person a seat of a group booking is for (name and email blank: to be named)."""

    name = serializers.CharField(max_length=150, allow_blank=True, required=False, default="")
    email = serializers.CharField(max_length=254, allow_blank=True, required=False, default="",
                                  help_text="Checked by the booking rules (format, whitelist, not twice).")


def active_participants(booking):
    """The booking's participants holding a seat: prefetched as `active_participants`
    by the list views (see `with_participants`), else one query."""
    rows = getattr(booking, "active_participants", None)
    if rows is None:
        rows = booking.participants.filter(status="active").order_by("created_at", "id")
    return [{"name": row.name, "email": row.email} for row in rows]


class BookingSerializer(serializers.ModelSerializer):
    """A booking as its student sees it."""

    uid = serializers.UUIDField(read_only=True)
    event_type = EventTypeSummarySerializer()
    start = IsoDateTimeField()
    end = IsoDateTimeField()
    created_at = IsoDateTimeField()
    cancelled_at = IsoDateTimeField(allow_null=True)
    hold_expires_at = IsoDateTimeField(allow_null=True)
    teacher = TeacherSerializer()
    status = BookingStatusField(read_only=True)
    participants = serializers.SerializerMethodField(
        help_text="Group bookings: who the seats are for (active participants; blank ones are still to be named).")

    class Meta:
        model = Booking
        fields = ["uid", "event_type", "session_id", "series_id", "teacher", "start", "end", "seats", "status",
                  "amount", "currency", "answers", "hold_expires_at", "created_at", "cancelled_at", "participants"]

    @extend_schema_field(ParticipantSerializer(many=True))
    def get_participants(self, booking):
        return active_participants(booking)


class TenantBookingSerializer(BookingSerializer):
    """A booking as the school sees it."""

    attendee_name = serializers.SerializerMethodField()

    class Meta(BookingSerializer.Meta):
        fields = BookingSerializer.Meta.fields + ["attendee_email", "attendee_name", "source", "refund_due",
                                                  "cancelled_by_role", "cancellation_reason", "attended"]

    def get_attendee_name(self, booking) -> str:
        return booking.attendee.get_full_name()


class BookingCreateSerializer(serializers.Serializer):
    event_type = serializers.IntegerField(min_value=1)
    session = serializers.IntegerField(min_value=1, required=False,
                                       help_text="Classes and workshops: the session (the first one, for a course).")
    start = IsoDateTimeField(required=False, help_text="One-to-one: the slot's start.")
    teacher = serializers.IntegerField(min_value=1, required=False, help_text="One-to-one: a host of the slot.")
    seats = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    answers = serializers.DictField(child=serializers.JSONField(), required=False, default=dict,
                                    help_text="Answers to the event type's questions, keyed by label.")
    participants = ParticipantSerializer(
        many=True, required=False, max_length=1000,
        help_text="Event types that name participants: one {name, email} per seat (required or optional as "
                  "the event type says; missing ones may be named later where it allows).")


class BookingCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class BookingRescheduleSerializer(serializers.Serializer):
    session = serializers.IntegerField(min_value=1, required=False)
    start = IsoDateTimeField(required=False)
    teacher = serializers.IntegerField(min_value=1, required=False)

    def validate(self, attrs):
        if "session" not in attrs and "start" not in attrs:
            raise serializers.ValidationError(_("Give the new “session” (classes) or “start” (one-to-one)."))
        return attrs


# Personal tokens ------------------------------------------------------------------------------

class PersonalTokenSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=100)
    prefix = serializers.CharField(read_only=True)
    created_at = IsoDateTimeField(read_only=True)
    last_used_at = IsoDateTimeField(read_only=True, allow_null=True)
    revoked_at = IsoDateTimeField(read_only=True, allow_null=True)


class NewPersonalTokenSerializer(PersonalTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once: keep it safe.")


# Tenant: event types, sessions, whitelist ------------------------------------------------------

class RecurrenceSerializer(serializers.Serializer):
    """A weekly rule: the sessions service checks the teacher's conflicts and creates them."""

    teacher = serializers.IntegerField(min_value=1)
    weekdays = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6), min_length=1,
                                     max_length=7, help_text="0 = Monday … 6 = Sunday")
    start_time = serializers.TimeField(help_text="Local time in `timezone`, HH:MM")
    starts_on = BoundedDateField()
    until = BoundedDateField(required=False, allow_null=True)
    count = serializers.IntegerField(min_value=1, max_value=366, required=False, allow_null=True)
    interval_weeks = serializers.IntegerField(min_value=1, max_value=52, default=1)
    timezone = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                     help_text="IANA zone; default the teacher's")
    duration_minutes = serializers.IntegerField(min_value=5, max_value=24 * 60, required=False, allow_null=True)
    capacity = serializers.IntegerField(min_value=1, max_value=100000, required=False, allow_null=True)
    skip_conflicts = serializers.BooleanField(default=False,
                                              help_text="Leave out the dates the teacher is busy instead of refusing.")


EVENT_TYPE_FIELDS = [
    "kind", "title", "slug", "description", "price", "currency", "seats_per_session", "max_seats_per_booking",
    "booked_as", "whitelist_enabled", "refund_window_hours", "late_cancel_refund_percent", "location_kind",
    "address", "meeting_url", "questions", "immersio_course_id", "is_published", "duration_minutes",
    "slot_interval_minutes", "buffer_before_minutes", "buffer_after_minutes", "minimum_notice_minutes",
    "booking_horizon_days", "daily_limit_per_teacher", "hold_minutes", "participant_names",
    "participant_names_cutoff_hours",
]


class HostsField(serializers.ListField):
    """Teacher ids of an event type's hosts."""

    def get_attribute(self, instance):
        return sorted(host.teacher_id for host in instance.hosts.all())


class EventTypeSerializer(serializers.ModelSerializer):
    hosts = HostsField(child=serializers.IntegerField(min_value=1), required=False,
                                  help_text="Teacher ids (one-to-one: whose availability gives slots).")
    recurrence = RecurrenceSerializer(required=False, write_only=True,
                                      help_text="Create only: sessions to create with the event type.")
    created_at = IsoDateTimeField(read_only=True)
    updated_at = IsoDateTimeField(read_only=True)
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False)
    # The model checks the address (full_clean in the service); a URLField here documents
    # "uri or empty" as a oneOf that strict validators refuse for "".
    meeting_url = serializers.CharField(max_length=200, allow_blank=True, required=False,
                                        help_text="An http(s) address, or empty")

    class Meta:
        model = EventType
        fields = ["id"] + EVENT_TYPE_FIELDS + ["hosts", "recurrence", "created_at", "updated_at"]
        extra_kwargs = {
            "slug": {"required": False, "validators": []},
            # A year at most: the cut-off is a time before each session's start.
            "participant_names_cutoff_hours": {"max_value": 24 * 365},
        }


class SeriesResultSerializer(serializers.Serializer):
    series_id = serializers.IntegerField()
    sessions = PublicSessionSerializer(many=True)
    skipped_dates = serializers.ListField(child=serializers.DateField())


class EventTypeCreatedSerializer(EventTypeSerializer):
    series = SeriesResultSerializer(allow_null=True, read_only=True, source="created_series",
                                    help_text="The sessions made from `recurrence`, if it was given.")

    class Meta(EventTypeSerializer.Meta):
        fields = EventTypeSerializer.Meta.fields + ["series"]


class SessionCreateSerializer(serializers.Serializer):
    teacher = serializers.IntegerField(min_value=1)
    start = IsoDateTimeField()
    end = IsoDateTimeField()
    capacity = serializers.IntegerField(min_value=1, max_value=100000, required=False)


class TenantSessionSerializer(PublicSessionSerializer):
    event_type = EventTypeSummarySerializer()
    status = SessionStatusField(read_only=True)

    class Meta(PublicSessionSerializer.Meta):
        fields = PublicSessionSerializer.Meta.fields + ["event_type", "seats_taken", "status"]


class WhitelistUpdateSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=["add", "replace", "remove"])
    emails = serializers.ListField(child=serializers.CharField(max_length=254, allow_blank=True),
                                   max_length=20000, allow_empty=True)


class WhitelistResultSerializer(serializers.Serializer):
    mode = serializers.CharField()
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Emails on the whitelist now.")


class WhitelistEntrySerializer(serializers.Serializer):
    email = serializers.EmailField()
    note = serializers.CharField()
    created_at = IsoDateTimeField()


class MoneySerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class StatsSerializer(serializers.Serializer):
    """`site_platform.stats.tenant_stats` for the calendar period (UTC) containing now."""

    period = serializers.CharField()
    start = IsoDateTimeField()
    end = IsoDateTimeField(help_text="Exclusive")
    bookings = serializers.IntegerField(help_text="Bookings made in the period and not cancelled or expired.")
    cancelled = serializers.IntegerField()
    revenue = MoneySerializer(many=True, help_text="Payments paid in the period less their refunds, per currency.")
    teachers = serializers.IntegerField(help_text="Active teachers now.")
    workshops = serializers.IntegerField(help_text="Workshop sessions held in the period.")


class StatsQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=["week", "month", "year"], default="month")


# Group bookings: participants ---------------------------------------------------------------------

class GroupParticipantSerializer(serializers.Serializer):
    """A participant as the booker manages them."""

    uid = serializers.UUIDField(help_text="Name, replace or remove the participant with this id.")
    name = serializers.CharField(help_text="Blank: this seat is still to be named.")
    email = serializers.CharField()
    booking = serializers.UUIDField(source="booking.uid",
                                    help_text="The booking holding the seat (the group's, or one of its extra seats).")
    booking_status = BookingStatusField(source="booking.status", read_only=True)


class GroupSerializer(serializers.Serializer):
    """A group booking: who is coming and what the booker may still change."""

    booking = serializers.UUIDField(help_text="The booking heading the group.")
    participants = GroupParticipantSerializer(many=True, help_text="Active participants, in the order added.")
    can_change = serializers.BooleanField(help_text="Participants may still be added, replaced or removed.")
    names_open = serializers.BooleanField(help_text="Seats left unnamed may still be named.")
    names_cutoff = IsoDateTimeField(allow_null=True, help_text="Names may be given or changed until then "
                                                               "(event types that allow names later).")
    seats_left = serializers.IntegerField(help_text="Participants that may still be added to the group.")


class ParticipantsAddSerializer(serializers.Serializer):
    participants = serializers.ListField(child=ParticipantSerializer(), min_length=1, max_length=100,
                                         help_text="One {name, email} per seat to add (both required).")


class ParticipantsAddedSerializer(serializers.Serializer):
    booking = BookingSerializer(help_text="The booking holding the new seats: the group's own (free event "
                                          "types), or a new booking of the extra seats that waits for payment.")
    added = GroupParticipantSerializer(many=True)
    payment_required = serializers.BooleanField(help_text="True: pay `booking` (POST `pay_path`) before its "
                                                          "hold expires, or the seats are given back.")
    pay_path = serializers.CharField(allow_null=True, help_text="Where to ask for the Checkout page, if any.")


class ParticipantNameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    email = serializers.CharField(max_length=254, help_text="Checked by the booking rules (format, whitelist, "
                                                            "not twice in the group).")


class SeatFreedSerializer(serializers.Serializer):
    """A seat given back: what goes back to the payer."""

    participant = serializers.UUIDField()
    status = serializers.CharField(help_text="The participant's status now: `removed` or `released`.")
    refund = serializers.DecimalField(max_digits=10, decimal_places=2,
                                      help_text="What is refunded to the payer for this seat (0.00: nothing).")
    currency = serializers.CharField()
    booking_status = BookingStatusField(read_only=True, help_text="The last seat of a booking cancels it.")


class ParticipantPlaceSerializer(serializers.Serializer):
    """A participant's own place, as their manage link shows it."""

    uid = serializers.UUIDField()
    name = serializers.CharField()
    email = serializers.CharField()
    status = serializers.CharField()
    event_type = EventTypeSummarySerializer(source="booking.event_type")
    teacher = TeacherSerializer(source="booking.teacher")
    start = IsoDateTimeField(source="booking.start")
    end = IsoDateTimeField(source="booking.end")
    booking_status = BookingStatusField(source="booking.status", read_only=True)
    booked_by = serializers.CharField(source="booking.attendee.get_full_name")
    can_give_up = serializers.BooleanField()
    refund_if_given_up = serializers.DecimalField(max_digits=10, decimal_places=2,
                                                  help_text="What giving up the seat now refunds the payer.")
    currency = serializers.CharField(source="booking.currency")
