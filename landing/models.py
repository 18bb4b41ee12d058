from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from .blocks import LandingStreamBlock


class LandingPage(Page):
    """A tenant's home page. The five template types share this body, so switching
    between them keeps every block."""

    body = StreamField(LandingStreamBlock(), blank=True, use_json_field=True, verbose_name=_("body"))
    design = ""

    content_panels = Page.content_panels + [FieldPanel("body")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["landing.ContentPage"]

    class Meta:
        abstract = True

    def get_template(self, request, *args, **kwargs):
        return "landing/landing_page.html"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["design"] = self.design
        return context


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


class ContentPage(Page):
    """An ordinary page below a landing page: about us, terms, a course description."""

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


# The template names a tenant is created with, in the order they are offered.
LANDING_TEMPLATES = {
    "education": EducationCentrePage,
    "tutor": PersonalTutorPage,
    "small_centre": SmallCentrePage,
    "kids_playful": KidsPlayfulPage,
    "kids_bright": KidsBrightPage,
}
