"""The API's OpenAPI schema and its docs page, served from this site only.

The page is Swagger UI from drf-spectacular-sidecar, its files served by
`DocsAssetView` from the installed package: no CDN, and no inline script (the init
script is a separate request), so the site's `script-src 'self'` holds. Without the
sidecar package the page is a plain HTML list of the operations.
"""

import mimetypes
from importlib import util as importlib_util
from pathlib import Path

from django.http import FileResponse, Http404, HttpResponse
from django.utils.html import format_html, format_html_join
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import permissions

from .errors import api_exception_handler

TENANT_URLCONF = "site_platform.urls_tenant"
SWAGGER_FILES = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png")


def sidecar_dir():
    spec = importlib_util.find_spec("drf_spectacular_sidecar")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "static" / "drf_spectacular_sidecar" / "swagger-ui-dist"


class SchemaView(SpectacularAPIView):
    """OpenAPI 3 schema of /api/v1/ (YAML by default, JSON with ?format=json)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    urlconf = TENANT_URLCONF

    def get_exception_handler(self):
        return api_exception_handler


class DocsView(SpectacularSwaggerSplitView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    url_name = "booking_api:schema"
    title = "Lingua Sites API"

    @staticmethod
    def _swagger_ui_resource(filename):
        return f"assets/{filename}"

    @staticmethod
    def _swagger_ui_favicon():
        return "assets/favicon-32x32.png"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        if sidecar_dir() is None and request.GET.get("script") is None:
            return plain_docs(request)
        response = super().get(request, *args, **kwargs)
        if request.GET.get("script") is None:
            response.headers.pop("Cross-Origin-Opener-Policy", None)
        return response


def plain_docs(request):
    schema = SchemaGenerator(urlconf=TENANT_URLCONF).get_schema(request=None, public=True)
    rows = []
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            rows.append((method.upper(), path, operation.get("summary") or operation.get("description", "")[:160]))
    body = format_html(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head><body>"
        "<h1>{}</h1><p><a href=\"../schema/\">OpenAPI schema (YAML)</a> · "
        "<a href=\"../schema/?format=json\">JSON</a></p><table>{}</table></body></html>",
        schema["info"]["title"], schema["info"]["title"],
        format_html_join("", "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>", rows))
    return HttpResponse(body)


def docs_asset(request, filename):
    folder = sidecar_dir()
    if folder is None or filename not in SWAGGER_FILES:
        raise Http404
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = FileResponse((folder / filename).open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response
