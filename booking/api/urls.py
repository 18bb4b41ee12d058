from django.urls import path

from . import views

app_name = "booking_api"

urlpatterns = [
    path("event-types/<int:event_type_id>/slots", views.EventTypeSlotsView.as_view(), name="event_type_slots"),
]
