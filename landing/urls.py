"""Tenant-host URLs of the landing app. Included from site_platform/urls_tenant.py
before Wagtail's URLs: `path("", include("landing.urls")),`.

The last pattern is Wagtail's page pattern (`wagtail.urls.serve_pattern`, without
Wagtail's own `_util/` views): pages are served through the page cache in front of
Wagtail's serve view. Wagtail's `wagtail_serve` URL name still reverses to the same paths.
"""

from django.urls import path, re_path

from . import views

urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("embed/workshops/", views.embed_workshops, name="embed_workshops"),
    path("embed/event-types/<slug:slug>/", views.embed_event_type, name="embed_event_type"),
    re_path(r"^(?!_util/)((?:[\w\-]+/)*)$", views.serve_page, name="landing_serve"),
]
