from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, HelpPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Page, Site

from . import embeds, seo
from .blocks import LandingStreamBlock
from .colours import WCAG_AA_TEXT, contrast_ratio, readable_on
from .designs import DESIGNS, FONT_CHOICES, FONTS
from .permissions import TenantSitePermissionPolicy

PAGE_BACKGROUND = "#ffffff"


class SitePageMixin(models.Model):
    """What every page of a tenant's site has: the promote tab (Wagtail's SEO
    title and description, plus a share image), SEO metadata and the branding."""

    og_image = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("share image"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Shown when the page is shared on social media (1200×630 works best)"),
    )

    promote_panels = [
        MultiFieldPanel([
            FieldPanel("slug"),
            FieldPanel("seo_title"),
            FieldPanel("search_description"),
            FieldPanel("og_image"),
        ], heading=_("For search engines and social media")),
        MultiFieldPanel([FieldPanel("show_in_menus")], heading=_("For site menus")),
    ]

    class Meta:
        abstract = True

    def get_view_restrictions(self):
        # A root page from the host map knows it has none (landing/site_memo.py):
        # Wagtail's privacy check then reads no ancestors and no restrictions.
        if getattr(self, "_no_view_restrictions", False):
            from wagtail.models import PageViewRestriction

            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["seo"] = seo.page_meta(self, request)
        try:
            context["branding"] = BrandingSettings.for_request(request)
        except BrandingSettings.DoesNotExist:  # a host without a site
            context["branding"] = None
        return context


class LandingPage(SitePageMixin, Page):
    """A tenant's home page. The five template types share this body and these
    fields, so switching between them keeps every block (landing.services.switch_template).

    Each type renders with its own template, `landing/<snake_case_type>.html`,
    which extends `landing/landing_base.html`.
    """

    body = StreamField(LandingStreamBlock(), blank=True, use_json_field=True, verbose_name=_("body"))
    design = ""

    content_panels = Page.content_panels + [FieldPanel("body")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["landing.ContentPage"]

    class Meta:
        abstract = True

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["design"] = DESIGNS[self.design]
        context["nav_pages"] = self.menu_pages()
        return context

    def menu_pages(self):
        """The pages listed in the header: live, public children marked 'show in menus'."""
        memo = getattr(self, "_site_memo", None)
        if memo is not None:
            from .site_memo import menu_pages

            return menu_pages(memo)
        return list(self.get_children().live().public().in_menu().only("id", "title", "slug", "url_path"))


class EducationCentrePage(LandingPage):
    design = "education"

    class Meta:
        verbose_name = _("Education Centre landing page")


class PersonalTutorPage(LandingPage):
    design = "tutor"

    class Meta:
        verbose_name = _("Personal Tutor landing page")


class SmallCentrePage(LandingPage):
    design = "small_centre"

    class Meta:
        verbose_name = _("Small Centre landing page")


class KidsPlayfulPage(LandingPage):
    design = "kids_playful"

    class Meta:
        verbose_name = _("Kids (playful) landing page")


class KidsBrightPage(LandingPage):
    design = "kids_bright"

    class Meta:
        verbose_name = _("Kids (bright) landing page")


class ContentPage(SitePageMixin, Page):
    """An ordinary page below a landing page: about us, terms, a course description.
    It takes the design of the landing page it sits under."""

    body = StreamField(LandingStreamBlock(), blank=True, use_json_field=True, verbose_name=_("body"))

    content_panels = Page.content_panels + [FieldPanel("body")]
    parent_page_types = [
        "landing.EducationCentrePage", "landing.PersonalTutorPage", "landing.SmallCentrePage",
        "landing.KidsPlayfulPage", "landing.KidsBrightPage", "landing.ContentPage",
    ]
    subpage_types = ["landing.ContentPage"]
    template = "landing/content_page.html"

    class Meta:
        verbose_name = _("Content page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        tenant = getattr(request, "tenant", None)
        key = tenant.template if tenant is not None and tenant.template in DESIGNS else "education"
        context["design"] = DESIGNS[key]
        return context


# The template names a tenant is created with, in the order they are offered.
LANDING_TEMPLATES = {
    "education": EducationCentrePage,
    "tutor": PersonalTutorPage,
    "small_centre": SmallCentrePage,
    "kids_playful": KidsPlayfulPage,
    "kids_bright": KidsBrightPage,
}

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as # and six hexadecimal digits, e.g. #1d4ed8."))


class EmbedSnippetPanel(HelpPanel):
    """The copy-paste snippets of the tenant whose branding is being edited."""

    def __init__(self, **kwargs):
        kwargs.setdefault("template", "landing/admin/embed_snippet_panel.html")
        super().__init__(**kwargs)

    class BoundPanel(HelpPanel.BoundPanel):
        def get_context_data(self, parent_context=None):
            from booking.models import EventType
            from site_platform.models import Tenant

            context = super().get_context_data(parent_context)
            site = getattr(self.instance, "site", None)
            tenant = Tenant.objects.filter(root_page_id=site.root_page_id).first() if site is not None else None
            context["snippets"] = []
            if tenant is not None:
                event_types = EventType.objects.for_tenant(tenant).filter(is_published=True).order_by("title")
                context["snippets"] = embeds.snippets(tenant, event_types)
            return context


def colour_field(label, default):
    return models.CharField(label, max_length=7, default=default, validators=[hex_colour])


@register_setting(icon="image")
class BrandingSettings(BaseSiteSetting):
    """A tenant's logo, colours, font, social links and call-to-action text.

    One row per tenant, on the tenant's primary site (`<subdomain>.<PLATFORM_DOMAIN>`);
    a custom domain shows the same branding (see `for_request`).
    """

    logo = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("logo"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text=_("Shown in the header; a wide image about 3:1 works best"),
    )
    favicon = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("favicon"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text=_("The small square icon in the browser tab"),
    )
    use_custom_colours = models.BooleanField(
        _("use my own colours"), default=False,
        help_text=_("Off: the colours of your page template. On: the colours below."),
    )
    primary_colour = colour_field(_("primary colour"), "#1e3a8a")
    on_primary_colour = colour_field(_("text on the primary colour"), "#ffffff")
    secondary_colour = colour_field(_("secondary colour"), "#f59e0b")
    on_secondary_colour = colour_field(_("text on the secondary colour"), "#1f2937")
    font = models.CharField(
        _("font"), max_length=20, blank=True, choices=FONT_CHOICES,
        help_text=_("Leave empty for the font of your page template"),
    )
    facebook_url = models.URLField(_("Facebook"), blank=True)
    instagram_url = models.URLField(_("Instagram"), blank=True)
    youtube_url = models.URLField(_("YouTube"), blank=True)
    tiktok_url = models.URLField(_("TikTok"), blank=True)
    zalo_url = models.URLField(_("Zalo"), blank=True)
    linkedin_url = models.URLField(_("LinkedIn"), blank=True)
    x_url = models.URLField(_("X"), blank=True)
    default_cta_text = models.CharField(
        _("default call-to-action text"), max_length=40, blank=True,
        help_text=_("Used on buttons whose text is left empty, e.g. 'Book a free trial'"),
    )
    default_cta_link = models.CharField(
        _("default call-to-action link"), max_length=255, blank=True,
        help_text=_("Where the header button goes, e.g. #classes or /contact/"),
    )

    embed_allowed_origins = models.TextField(
        _("sites allowed to embed"), blank=True, validators=[embeds.validate_origins],
        help_text=_("One per line, scheme and host only, e.g. https://lms.example.com. Only these sites may show "
                    "your workshop list or booking widget in a frame; leave empty to allow none."),
    )

    # create_tenant gives each tenant's admin group this model permission; the
    # permission policy below limits it to the sites of the admin's own tenants.
    tenant_admin_permissions = ("change",)

    panels = [
        MultiFieldPanel([FieldPanel("logo"), FieldPanel("favicon")], heading=_("Logo")),
        MultiFieldPanel([
            FieldPanel("use_custom_colours"),
            FieldRowPanel([FieldPanel("primary_colour"), FieldPanel("on_primary_colour")]),
            FieldRowPanel([FieldPanel("secondary_colour"), FieldPanel("on_secondary_colour")]),
        ], heading=_("Colours"), help_text=_(
            "Text must stay readable: each colour and the text on it need a contrast of at least 4.5:1 (WCAG AA).")),
        FieldPanel("font"),
        MultiFieldPanel([FieldPanel("default_cta_text"), FieldPanel("default_cta_link")],
                        heading=_("Call to action")),
        MultiFieldPanel([
            FieldPanel("facebook_url"), FieldPanel("instagram_url"), FieldPanel("youtube_url"),
            FieldPanel("tiktok_url"), FieldPanel("zalo_url"), FieldPanel("linkedin_url"), FieldPanel("x_url"),
        ], heading=_("Social links")),
        MultiFieldPanel([
            FieldPanel("embed_allowed_origins"),
            EmbedSnippetPanel(),
        ], heading=_("Embed on another website")),
    ]

    class Meta:
        verbose_name = _("branding")
        verbose_name_plural = _("branding")

    @classmethod
    def get_permission_policy(cls):
        return TenantSitePermissionPolicy(cls)

    @classmethod
    def base_queryset(cls):
        return cls.objects.select_related("logo", "favicon")

    @classmethod
    def for_request(cls, request):
        """The branding of the request's tenant, cached on the request.

        A tenant's custom domain is a second Site on the same root page; its
        branding is the primary site's, so both hosts look the same.
        """
        attr_name = cls.get_cache_attr_name()
        if hasattr(request, attr_name):
            return getattr(request, attr_name)
        entry = primary_host_entry(request)
        if entry is not None:
            from .site_memo import branding as memo_branding

            branding = memo_branding(entry)  # kept with the host map (landing/site_memo.py)
        else:
            branding = cls.for_site(Site.find_for_request(request))
        branding._request = request
        setattr(request, attr_name, branding)
        return branding

    def clean(self):
        super().clean()
        if not self.use_custom_colours:
            return
        errors = {}
        pairs = [
            ("primary_colour", self.primary_colour, self.on_primary_colour,
             _("Text on the primary colour would be hard to read: the contrast is %(ratio).1f:1 and needs to be "
               "at least %(minimum).1f:1 (WCAG AA). Choose a darker primary colour or a different text colour.")),
            ("secondary_colour", self.secondary_colour, self.on_secondary_colour,
             _("Text on the secondary colour would be hard to read: the contrast is %(ratio).1f:1 and needs to be "
               "at least %(minimum).1f:1 (WCAG AA). Choose a different secondary colour or text colour.")),
        ]
        for field, background, text, message in pairs:
            try:
                ratio = contrast_ratio(background, text)
            except ValueError:
                continue  # the field validators report the malformed colour
            if ratio < WCAG_AA_TEXT:
                errors[field] = ValidationError(message, code="contrast",
                                                params={"ratio": ratio, "minimum": WCAG_AA_TEXT})
        if errors:
            raise ValidationError(errors)

    @cached_property
    def social_links(self):
        """[(network, label, url)] of the links that are filled in."""
        links = []
        for field in ("facebook", "instagram", "youtube", "tiktok", "zalo", "linkedin", "x"):
            url = getattr(self, f"{field}_url")
            if url:
                links.append((field, self._meta.get_field(f"{field}_url").verbose_name, url))
        return links

    def palette(self, design):
        """The colours and fonts for a page in `design`, as CSS custom properties."""
        if self.use_custom_colours:
            primary, on_primary = self.primary_colour.lower(), self.on_primary_colour.lower()
            secondary, on_secondary = self.secondary_colour.lower(), self.on_secondary_colour.lower()
        else:
            primary, on_primary = design.primary, design.on_primary
            secondary, on_secondary = design.secondary, design.on_secondary
        body_font = FONTS[self.font].stack if self.font else FONTS[design.body_font].stack
        heading_font = FONTS[self.font].stack if self.font else FONTS[design.heading_font].stack
        return {
            "--primary": primary,
            "--on-primary": on_primary,
            "--primary-ink": readable_on(PAGE_BACKGROUND, primary),
            "--secondary": secondary,
            "--on-secondary": on_secondary,
            "--font-body": body_font,
            "--font-heading": heading_font,
        }


def primary_host_entry(request):
    """The host map's entry of the tenant's primary host (no query), or None off tenant hosts."""
    from site_platform import hosts

    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return None
    entry = getattr(request, "_host_entry", None)
    if entry is not None and entry.site_values.get("hostname", "").lower() == tenant.hostname.lower():
        return entry
    return hosts.lookup(tenant.hostname)


def primary_site_for_request(request):
    """The tenant's primary Site for a request (no query: the host map holds it),
    or the Site Wagtail finds for the request on other hosts."""
    entry = primary_host_entry(request)
    if entry is not None:
        return entry.site
    return Site.find_for_request(request)
