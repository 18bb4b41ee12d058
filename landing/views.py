from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from wagtail import views as wagtail_views

from . import cache as page_cache
from . import jsonld, seo
from .embeds import embed_view
from .widget import load_widget, visitor_zone
from .workshops import load_workshops


@require_GET
@cache_control(max_age=3600, public=True)
def robots_txt(request):
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        raise Http404
    return HttpResponse(seo.robots_txt(tenant), content_type="text/plain; charset=utf-8")


def serve_page(request, path):
    """Wagtail's page view behind the page cache (landing/cache.py): an anonymous
    visitor's page comes from the cache when it is there, else Wagtail renders it
    and it is kept for the next visitor."""
    key = page_cache.key_for(request)
    if key is not None:
        cached = page_cache.serve_cached(request, key)
        if cached is not None:
            return cached
    _hand_root_page_to_wagtail(request)
    response = wagtail_views.serve(request, path)
    if key is None or not isinstance(response, TemplateResponse):
        return response
    page = (response.context_data or {}).get("page")
    from .models import SitePageMixin

    if not isinstance(page, SitePageMixin) or has_view_restrictions(page):
        return response
    response.render()
    return page_cache.store(request, key, response)


def _hand_root_page_to_wagtail(request):
    """Give the request's Site its root page, and the request Wagtail's site root paths
    (where Page.get_url_parts looks for them), from the host map (landing/site_memo.py),
    so that Wagtail's routing and page URLs read no page rows and no cache."""
    from .site_memo import root_page, site_root_paths

    site, entry = getattr(request, "_wagtail_site", None), getattr(request, "_host_entry", None)
    if site is None or entry is None or site.root_page_id != entry.site_values.get("root_page_id"):
        return
    request._wagtail_cached_site_root_paths = site_root_paths()
    page = root_page(entry)
    if page is not None:
        site.root_page = page


def has_view_restrictions(page):
    """Whether the page or an ancestor is private (password, login, groups): one query,
    none for a root page from the host map."""
    from wagtail.models import PageViewRestriction

    if getattr(page, "_no_view_restrictions", False):
        return False

    paths = [page.path[:end] for end in range(page.steplen, len(page.path) + 1, page.steplen)]
    return PageViewRestriction.objects.filter(page__path__in=paths).exists()


def _tenant(request):
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        raise Http404
    return tenant


def _embed(request, template, context):
    """Render an embed page through the page cache (same rules as landing pages)."""
    key = page_cache.key_for(request)
    if key is not None:
        cached = page_cache.serve_cached(request, key)
        if cached is not None:
            return cached
    from .models import BrandingSettings
    from .designs import DESIGNS

    tenant = _tenant(request)
    try:
        branding = BrandingSettings.for_request(request)
    except BrandingSettings.DoesNotExist:
        branding = None
    design = DESIGNS.get(tenant.template) or DESIGNS["education"]
    response = TemplateResponse(request, template, {
        **context, "tenant": tenant, "branding": branding, "design": design, "embed": True,
    })
    response.render()
    if key is not None:
        page_cache.store(request, key, response)
    return response


@require_GET
@embed_view
def embed_workshops(request):
    """The tenant's workshop list, for an iframe on another site (`?teacher=`, `?kind=`)."""
    tenant = _tenant(request)
    teacher = request.GET.get("teacher", "")
    listing = load_workshops(tenant, teacher_id=int(teacher) if teacher.isdigit() else None,
                             kind=request.GET.get("kind") or None, limit=50)
    jsonld.note_workshops(request, listing)
    value = {"heading": "", "intro": "", "kinds": [], "show_filters": True, "limit": 50}
    from .workshops import session_labels

    return _embed(request, "landing/embed_workshops.html", {"listing": listing, "value": value,
                                                            "labels": session_labels()})


@require_GET
@embed_view
def embed_event_type(request, slug):
    """One event type's booking widget, for an iframe on another site."""
    from .widget import unknown_zone_asked, zone_datalist

    tenant = _tenant(request)
    widget = load_widget(tenant, slug, zone_name=visitor_zone(request), days=7)
    if widget is None:
        raise Http404
    jsonld.note_widget(request, widget)
    value = {"heading": "", "intro": "", "event_type": slug, "days": 7}
    return _embed(request, "landing/embed_event_type.html", {
        "widget": widget, "value": value, "widget_id": "booking-widget-1", "zone_options": zone_datalist(widget.zone),
        "zone_unknown": unknown_zone_asked(request),
    })
