from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from . import hosts

# Paths that answer on any host: load balancers probe by IP address.
ANY_HOST_PATHS = ("/healthz", "/readyz", "/metrics")


class TenantMiddleware:
    """Resolve the request's host to a tenant once; set `request.tenant`.

    Tenant hosts get the tenant URLconf and their Wagtail site handed to Wagtail
    (`request._wagtail_site`) so it does not look the site up again. The platform
    host gets the platform URLconf with `request.tenant = None`. Unknown hosts get
    the platform's 404 page; a tenant that is not active gets a 503 page and no
    view of its runs, so nothing can be booked.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = None
        host = request.get_host().rsplit(":", 1)[0].lower() if request.META.get("HTTP_HOST") else ""
        if request.path_info.startswith(ANY_HOST_PATHS) or hosts.is_platform_host(host):
            return self.get_response(request)

        entry = hosts.lookup(host)
        if entry is None:
            return HttpResponseNotFound(
                render_to_string("site_platform/unknown_host.html", {"host": host}, request=request)
            )
        tenant, site = entry.tenant, entry.site
        # Instances made for this request are marked as loaded from the database.
        tenant._state.adding = site._state.adding = False
        if tenant.status == tenant.Status.CANCELLED:
            return HttpResponseNotFound(
                render_to_string("site_platform/unknown_host.html", {"host": host}, request=request)
            )
        request.tenant = tenant
        request._wagtail_site = site
        request._host_entry = entry
        request.urlconf = settings.TENANT_URLCONF
        if not tenant.is_serving:
            body = render_to_string(
                "site_platform/unavailable.html",
                {"tenant": tenant, "title": _("Temporarily unavailable")},
                request=request,
            )
            response = HttpResponse(body, status=503)
            response["Retry-After"] = "3600"
            return response
        return self.get_response(request)
