"""Tenant-host URLs of the landing app. Included from site_platform/urls_tenant.py
before Wagtail's page catch-all: `path("", include("landing.urls")),`."""

from django.urls import path

from . import views

urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots_txt"),
]
