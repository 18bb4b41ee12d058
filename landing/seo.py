"""Search and sharing metadata: canonical URLs on the tenant's own host, Open
Graph and Twitter tags, robots.txt."""

from dataclasses import dataclass

OG_IMAGE_SPEC = "fill-1200x630"


def tenant_origin(tenant):
    """The scheme and host every URL of the tenant's pages is canonical on: the
    custom domain when the tenant has one (always HTTPS), else its subdomain."""
    if tenant.custom_domain:
        return f"https://{tenant.custom_domain}"
    return tenant.root_url


@dataclass(frozen=True)
class PageMeta:
    title: str
    description: str
    canonical_url: str
    site_name: str
    image_url: str
    image_alt: str

    @property
    def twitter_card(self):
        return "summary_large_image" if self.image_url else "summary"


def page_meta(page, request):
    tenant = getattr(request, "tenant", None) if request is not None else None
    url_parts = page.get_url_parts(request)
    if tenant is not None and url_parts is not None:
        origin = tenant_origin(tenant)
        canonical = origin + url_parts[2]
    else:
        origin = ""
        canonical = page.get_full_url(request) or ""
        if canonical:
            origin = canonical.split("/", 3)[:3]
            origin = "/".join(origin)
    image_url = image_alt = ""
    image = getattr(page, "og_image", None)
    if image is not None:
        rendition = image.get_rendition(OG_IMAGE_SPEC)
        image_url = rendition.url if rendition.url.startswith(("http://", "https://")) else origin + rendition.url
        image_alt = image.default_alt_text
    return PageMeta(
        title=page.seo_title or page.title,
        description=page.search_description or "",
        canonical_url=canonical,
        site_name=tenant.name if tenant is not None else "",
        image_url=image_url,
        image_alt=image_alt,
    )


def robots_txt(tenant):
    """robots.txt for a tenant host: pages open, admin and account screens closed,
    the sitemap on the tenant's canonical host."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /invite/",
        "Allow: /",
        "",
        f"Sitemap: {tenant_origin(tenant)}/sitemap.xml",
        "",
    ]
    return "\n".join(lines)
