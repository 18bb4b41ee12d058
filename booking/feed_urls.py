"""The teachers' calendar feed, served on tenant hosts.

Include in the tenant URLconf with its namespace:
    path("calendar/", include("booking.feed_urls", namespace="booking_feed")),
"""

from django.urls import path

from . import feed_views

app_name = "booking_feed"

urlpatterns = [
    path("teacher/<str:token>.ics", feed_views.teacher_feed, name="teacher_feed"),
]
