from django.apps import apps
from django.http import JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from . import docs, views, views_participants, views_student, views_tenant
from .errors import ApiError, error_body

app_name = "booking_api"


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Any other address under the API (also a write: no CSRF page in HTML)."""
    return JsonResponse(error_body("not_found", ApiError("not_found").message), status=404)


urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.DocsView.as_view(), name="docs"),
    path("docs/assets/<str:filename>", docs.docs_asset, name="docs_asset"),

    path("event-types/<int:event_type_id>/slots", views.EventTypeSlotsView.as_view(), name="event_type_slots"),
    path("public/workshops", views.PublicWorkshopsView.as_view(), name="public_workshops"),
    path("public/landing", views.PublicLandingView.as_view(), name="public_landing"),

    path("me/bookings", views_student.MyBookingsView.as_view(), name="my_bookings"),
    path("me/bookings/<uuid:uid>", views_student.MyBookingDetailView.as_view(), name="my_booking"),
    path("me/bookings/<uuid:uid>/cancel", views_student.MyBookingCancelView.as_view(), name="my_booking_cancel"),
    path("me/bookings/<uuid:uid>/reschedule", views_student.MyBookingRescheduleView.as_view(),
         name="my_booking_reschedule"),
    path("me/bookings/<uuid:uid>/participants", views_participants.MyGroupView.as_view(),
         name="my_booking_participants"),
    path("me/bookings/<uuid:uid>/participants/<uuid:participant_uid>",
         views_participants.MyGroupParticipantView.as_view(), name="my_booking_participant"),
    path("participants/<uuid:participant_uid>", views_participants.ParticipantPlaceView.as_view(),
         name="participant"),
    path("participants/<uuid:participant_uid>/give-up", views_participants.ParticipantGiveUpView.as_view(),
         name="participant_give_up"),
    path("me/tokens", views_student.MyTokensView.as_view(), name="my_tokens"),
    path("me/tokens/<int:token_id>", views_student.MyTokenDetailView.as_view(), name="my_token"),

    path("tenant/event-types", views_tenant.TenantEventTypesView.as_view(), name="tenant_event_types"),
    path("tenant/event-types/<int:event_type_id>", views_tenant.TenantEventTypeDetailView.as_view(),
         name="tenant_event_type"),
    path("tenant/event-types/<int:event_type_id>/series", views_tenant.TenantSeriesView.as_view(),
         name="tenant_series"),
    path("tenant/event-types/<int:event_type_id>/sessions", views_tenant.TenantSessionCreateView.as_view(),
         name="tenant_session_create"),
    path("tenant/event-types/<int:event_type_id>/whitelist", views_tenant.TenantWhitelistView.as_view(),
         name="tenant_whitelist"),
    path("tenant/sessions", views_tenant.TenantSessionsView.as_view(), name="tenant_sessions"),
    path("tenant/bookings", views_tenant.TenantBookingsView.as_view(), name="tenant_bookings"),
    path("tenant/bookings/export", views_tenant.TenantBookingsExportView.as_view(), name="tenant_bookings_export"),
    path("tenant/stats", views_tenant.TenantStatsView.as_view(), name="tenant_stats"),
]

if apps.is_installed("integrations.payments"):
    from . import views_payments

    urlpatterns += [
        path("me/bookings/<uuid:uid>/payment", views_payments.MyBookingPaymentView.as_view(),
             name="my_booking_payment"),
        path("me/bookings/<uuid:uid>/pay", views_payments.MyBookingPayView.as_view(), name="my_booking_pay"),
        path("tenant/payments", views_payments.TenantPaymentsView.as_view(), name="tenant_payments"),
        path("tenant/refunds", views_payments.TenantRefundsView.as_view(), name="tenant_refunds"),
    ]

urlpatterns += [
    re_path(r"^[\s\S]*$", not_found),  # any character, newlines too
]
