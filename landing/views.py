from django.http import Http404, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from . import seo


@require_GET
@cache_control(max_age=3600, public=True)
def robots_txt(request):
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        raise Http404
    return HttpResponse(seo.robots_txt(tenant), content_type="text/plain; charset=utf-8")
