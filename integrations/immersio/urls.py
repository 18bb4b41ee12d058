"""Immersio's URLs on a tenant host (included from site_platform/urls_tenant.py)."""

from django.urls import path

from . import sso, webhooks

urlpatterns = [
    path("integrations/immersio/webhook/", webhooks.webhook, name="immersio_webhook"),
    path("sso/immersio/", sso.sso_login, name="immersio_sso"),
]
