"""URLs of a tenant host. The middleware selects this URLconf; Wagtail serves
the tenant's pages from the catch-all at the end."""

from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.contrib.sitemaps.views import sitemap

from .urls_common import common_patterns

urlpatterns = common_patterns + [
    path("sitemap.xml", sitemap, name="sitemap"),
    path("api/v1/", include("booking.api.urls")),
    path("calendar/", include("booking.feed_urls", namespace="booking_feed")),
    path("", include("booking.urls")),
    path("", include("integrations.immersio.urls")),
    path("", include("integrations.payments.urls")),
    path("", include("landing.urls")),
    path("", include(wagtail_urls)),
]
