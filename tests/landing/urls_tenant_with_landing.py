"""The tenant URLconf with landing.urls included, as it will be once
site_platform/urls_tenant.py has `path("", include("landing.urls"))`."""

from django.urls import include, path

from site_platform.urls_tenant import urlpatterns as tenant_patterns

urlpatterns = [path("", include("landing.urls"))] + tenant_patterns
