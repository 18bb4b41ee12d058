import re

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag
def palette_style(branding, design):
    """The tenant's colours and fonts as CSS custom properties on <body>'s design.

    The values come from validated fields (#rrggbb colours, font stacks from a
    fixed list); a <style> element is raw text, so instead of HTML escaping each
    value is checked against the characters CSS colours and font lists need.
    """
    if branding is None or design is None:
        return ""
    declarations = []
    for name, value in branding.palette(design).items():
        if not (SAFE_CSS_NAME.match(name) and SAFE_CSS_VALUE.match(value)):
            continue
        declarations.append(f"{name}:{value};")
    return format_html("<style>body.design-{}{{{}}}</style>", design.key, mark_safe("".join(declarations)))


SAFE_CSS_NAME = re.compile(r"^--[a-z-]+$")
SAFE_CSS_VALUE = re.compile(r'^[#\w\s,".-]+$')


@register.simple_tag(takes_context=True)
def cta_text(context, text=""):
    """A button's own text, else the tenant's default call-to-action text."""
    if text:
        return text
    branding = context.get("branding")
    return getattr(branding, "default_cta_text", "") or gettext("Get started")


@register.filter
def initials(name):
    parts = [part for part in str(name).split() if part]
    return "".join(part[0] for part in parts[:2]).upper()


@register.simple_tag(takes_context=True)
def sessions_jsonld(context):
    """schema.org JSON-LD for the classes and sessions the page's blocks showed."""
    from landing import jsonld

    return jsonld.script(context.get("request"))


@register.simple_tag(takes_context=True)
def landing_blocks(context, page, stream=None):
    """The page's blocks rendered (`block_type`, `id`, `html`), from the block
    fragment cache where it can (landing/fragments.py): `{% landing_blocks page as blocks %}`."""
    from landing.fragments import render_blocks

    return render_blocks(context, page, stream if stream is not None else page.body)


@register.tag
def sitememo(parser, token):
    """`{% sitememo "name" %}…{% endsitememo %}`: the enclosed template, rendered once per
    page, page revision, language and year and kept with the host map
    (landing/site_memo.py), which is rebuilt when the tenant, its branding, its root or
    menu pages or their privacy change. Only for what depends on nothing else: never
    wrap the visitor's user, CSRF token, messages, path or query in it."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('{% sitememo "name" %} takes one quoted name')
    nodelist = parser.parse(("endsitememo",))
    parser.delete_first_token()
    return SiteMemoNode(bits[1][1:-1], nodelist)


class SiteMemoNode(template.Node):
    def __init__(self, name, nodelist):
        self.name = name
        self.nodelist = nodelist

    def render(self, context):
        from django.utils import timezone
        from django.utils.translation import get_language

        request = context.get("request")
        page = context.get("page")
        entry = getattr(request, "_host_entry", None)
        if (entry is None or page is None or getattr(request, "is_preview", False)
                or not getattr(page, "live", False) or getattr(page, "pk", None) is None):
            return self.nodelist.render(context)
        key = ("landing.sitememo", self.name, page.pk, get_language())
        # What a page's own fields may change without a rebuild of the host map (a deeper
        # page's publish, a direct save), and the footer's year.
        stamp = (page.live_revision_id, page.last_published_at, page.title, page.seo_title,
                 page.search_description, page.url_path, timezone.localtime().year)
        found = entry.memo.get(key)
        if found is not None and found[0] == stamp:
            return found[1]
        html = self.nodelist.render(context)
        entry.memo[key] = (stamp, html)
        return html
