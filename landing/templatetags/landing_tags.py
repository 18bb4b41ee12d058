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
