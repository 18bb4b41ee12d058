"""The tenant URLconf of bench/landing.py: the app's own, plus a trivial view that
goes through the same middleware (tenant, session, locale, CSRF, auth, messages)."""

from django.http import HttpResponse
from django.urls import path

from site_platform.urls_tenant import urlpatterns as tenant_patterns


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial)] + tenant_patterns
