from rest_framework import serializers


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


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
