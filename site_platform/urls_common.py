"""URL patterns served on every host, platform and tenant alike."""

from django.conf import settings
from django.urls import include, path
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from . import views

common_patterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    path("invite/<uidb64>/<token>/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("invite/done/", views.InvitationDoneView.as_view(), name="invitation_done"),
    path("invitations/", include("site_platform.invitations_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    common_patterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
