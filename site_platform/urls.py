"""URLs of the platform host (PLATFORM_DOMAIN): the platform home and the admin."""

from django.urls import include, path

from . import views
from .urls_common import common_patterns

urlpatterns = common_patterns + [
    path("", include("integrations.payments.urls")),
    path("", views.platform_home, name="platform_home"),
]
