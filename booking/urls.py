"""Student-facing booking pages of a tenant host (included in urls_tenant)."""

from django.urls import path

from . import views

app_name = "booking"

urlpatterns = [
    path("book/session/<int:session_id>/", views.book_session, name="book_session"),
    path("book/<slug:slug>/", views.event_type_page, name="event_type"),
    path("book/<slug:slug>/slot/", views.book_slot, name="book_slot"),
    path("bookings/", views.my_bookings, name="my_bookings"),
    path("bookings/<uuid:uid>/", views.booking_detail, name="booking_detail"),
    path("bookings/<uuid:uid>/manage/", views.booking_detail, name="manage"),
    path("bookings/<uuid:uid>/calendar.ics", views.calendar_file, name="calendar_file"),
    path("bookings/<uuid:uid>/cancel/", views.cancel, name="cancel"),
    path("bookings/<uuid:uid>/reschedule/", views.reschedule, name="reschedule"),
    path("bookings/<uuid:uid>/participants/add/", views.participants_add, name="participants_add"),
    path("bookings/<uuid:uid>/participants/<uuid:participant_uid>/replace/", views.participant_replace,
         name="participant_replace"),
    path("bookings/<uuid:uid>/participants/<uuid:participant_uid>/remove/", views.participant_remove,
         name="participant_remove"),
    path("bookings/participants/<uuid:participant_uid>/", views.participant_manage, name="participant_manage"),
    path("waitlist/session/<int:session_id>/join/", views.join_waitlist, name="join_waitlist"),
    path("waitlist/<int:entry_id>/claim/", views.claim_offer, name="claim_offer"),
]
