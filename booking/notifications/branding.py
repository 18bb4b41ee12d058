"""The tenant's look in emails: name, logo and primary colour.

Read from the landing app's branding site setting on the tenant's primary
Site when that app is installed and the tenant has set one; otherwise the
tenant's design colours, otherwise the platform defaults. The booking app
only reads it (looked up by name, so booking does not import landing).
"""

from dataclasses import dataclass

from django.apps import apps

DEFAULT_PRIMARY = "#1e3a8a"
DEFAULT_ON_PRIMARY = "#ffffff"


@dataclass(frozen=True)
class EmailBranding:
    name: str
    site_url: str
    primary: str = DEFAULT_PRIMARY
    on_primary: str = DEFAULT_ON_PRIMARY
    logo_url: str = ""


def _primary_site(tenant):
    from wagtail.models import Site

    sites = Site.objects.filter(root_page_id=tenant.root_page_id)
    return sites.filter(hostname=tenant.hostname).first() or sites.first()


def _design_colours(tenant):
    try:
        from landing.designs import DESIGNS
    except ImportError:
        return DEFAULT_PRIMARY, DEFAULT_ON_PRIMARY
    design = DESIGNS.get(tenant.template)
    if design is None:
        return DEFAULT_PRIMARY, DEFAULT_ON_PRIMARY
    return design.primary, design.on_primary


def _logo_url(tenant, logo):
    rendition = logo.get_rendition("max-480x160")
    url = rendition.url
    if url.startswith("/"):
        url = tenant.root_url + url
    return url


def branding_for_tenant(tenant):
    """The EmailBranding of `tenant` (never None)."""
    primary, on_primary = _design_colours(tenant)
    base = {"name": tenant.name, "site_url": tenant.root_url, "primary": primary, "on_primary": on_primary}
    try:
        model = apps.get_model("landing", "BrandingSettings")
    except LookupError:
        return EmailBranding(**base)
    site = _primary_site(tenant)
    if site is None:
        return EmailBranding(**base)
    setting = model.objects.filter(site=site).select_related("logo").first()
    if setting is None:
        return EmailBranding(**base)
    if setting.use_custom_colours:
        base["primary"], base["on_primary"] = setting.primary_colour, setting.on_primary_colour
    if setting.logo_id:
        base["logo_url"] = _logo_url(tenant, setting.logo)
    return EmailBranding(**base)
