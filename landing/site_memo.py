"""A tenant's root page, its menu and its branding, kept with the host map.

Rendering a landing page past the page cache used to read, every time: the root
page and its specific row (Wagtail's routing), the page's ancestors and view
restrictions (Wagtail's privacy check), the branding row and the menu pages. They
change only when the tenant publishes, moves or deletes a page near the root,
changes a privacy setting, or saves its branding; each of those calls
`site_platform.hosts.invalidate()` (landing/signals.py), so they are kept in the
host map's entry (`HostEntry.remember`), in this process, until the map's version
changes, as the tenant and its Site are; so are Wagtail's site root paths, which
every page URL needs (`site_root_paths`).

Only field values are kept: every request gets instances of its own
(`root_page`, `branding`, `menu_pages`), so nothing a request caches on them leaks
into another request.
"""

import json

from wagtail.fields import StreamField


def _values(instance):
    """{attname: value} of a model instance; StreamFields as their JSON text."""
    values = {}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if isinstance(field, StreamField):
            value = field.value_to_string(instance)
        values[field.attname] = value
    return values


def _instance(model, values):
    stream_fields = {field.attname for field in model._meta.concrete_fields if isinstance(field, StreamField)}
    instance = model(**{name: json.loads(value) if name in stream_fields else value
                        for name, value in values.items()})
    instance._state.adding = False
    instance._state.db = "default"
    return instance


def _unrestricted(page):
    """Whether neither the page nor an ancestor has a view restriction (and the page is
    not an alias, whose restrictions are its original's)."""
    from wagtail.models import PageViewRestriction

    if page.alias_of_id is not None:
        return False
    paths = [page.path[:end] for end in range(page.steplen, len(page.path) + 1, page.steplen)]
    return not PageViewRestriction.objects.filter(page__path__in=paths).exists()


def _root_page_state(site_values):
    from wagtail.models import Page

    page = Page.objects.filter(pk=site_values["root_page_id"]).first()
    if page is None:
        return None
    page = page.specific
    return type(page), _values(page), _unrestricted(page)


def root_page(entry):
    """A fresh instance of the entry's root page, specific and as published (no query
    after the first), or None. Marked with `_site_memo` (menu_pages reads it) and,
    when nothing restricts viewing it, `_no_view_restrictions`."""
    state = entry.remember("landing.root_page", lambda: _root_page_state(entry.site_values))
    if state is None:
        return None
    model, values, unrestricted = state
    page = _instance(model, values)
    page._site_memo = entry
    page._no_view_restrictions = unrestricted
    return page


def site_root_paths():
    """Wagtail's Site.get_site_root_paths(), kept with the host map (Site saves and root
    page changes rebuild it) instead of a cache read per page that builds a URL."""
    from wagtail.models import Site

    from site_platform import hosts

    return hosts.remember("landing.site_root_paths", Site.get_site_root_paths)


def _menu_state(entry):
    from wagtail.models import Page

    root = Page.objects.filter(pk=entry.site_values["root_page_id"]).only("path", "depth").first()
    if root is None:
        return []
    return [{"id": page.pk, "title": page.title, "slug": page.slug, "url_path": page.url_path}
            for page in root.get_children().live().public().in_menu().only("id", "title", "slug", "url_path")]


def menu_pages(entry):
    """Fresh Page instances (id, title, slug, url_path) of the root page's live, public
    children marked 'show in menus'."""
    from wagtail.models import Page

    return [_instance(Page, values) for values in entry.remember("landing.menu_pages", lambda: _menu_state(entry))]


def branding(entry):
    """A fresh BrandingSettings instance of the entry's site (made with its defaults the
    first time, as BrandingSettings.for_site does), its logo and favicon read with one
    query when it has either (the first time: the row, its logo and favicon in one)."""
    from wagtail.images import get_image_model

    from .models import BrandingSettings

    first = []

    def build():
        first.append(BrandingSettings.for_site(entry.site))
        return _values(first[0])

    values = entry.remember("landing.branding", build)
    if first:
        return first[0]
    instance = _instance(BrandingSettings, values)
    image_ids = [pk for pk in (instance.logo_id, instance.favicon_id) if pk is not None]
    images = get_image_model().objects.in_bulk(image_ids) if image_ids else {}
    instance.logo = images.get(instance.logo_id)
    instance.favicon = images.get(instance.favicon_id)
    return instance
