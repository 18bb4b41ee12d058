"""Payment URLs, included in the tenant URLconf and (for the webhook) the platform's."""

from django.urls import path

from . import views, webhooks

app_name = "payments"

urlpatterns = [
    path("integrations/stripe/webhook/", webhooks.stripe_webhook, name="webhook"),
    path("integrations/stripe/webhook/<str:account_id>/", webhooks.stripe_webhook, name="webhook_account"),
    path("pay/<uuid:uid>/", views.pay, name="pay"),
    path("pay/<uuid:uid>/checkout/", views.go_to_checkout, name="checkout"),
    path("pay/<uuid:uid>/coupon/", views.apply_coupon, name="coupon"),
    path("pay/<uuid:uid>/return/", views.checkout_return, name="return"),
    path("pay/<uuid:uid>/receipt/", views.receipt, name="receipt"),
]
