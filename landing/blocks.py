"""The one shared block set. Every landing page type's StreamField uses it, so a
tenant can switch template without losing content.

Each block names its template (`templates/blocks/<name>_block.html`), an icon and
a preview value for the editor's block previews. Blocks that hold images use
`ImageChooserBlock` below, which loads every image of a block type in one query
together with its renditions, so a page renders with the same number of queries
whatever the number of pictures on it.

The booking blocks (workshop list, booking widget) read live data for the
request's tenant and note what they showed for the page's JSON-LD
(`landing.jsonld`).
"""

from django.core.exceptions import ValidationError
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks import StructBlockValidationError
from wagtail.images import get_image_model
from wagtail.images.blocks import ImageChooserBlock as WagtailImageChooserBlock

PREVIEW_TEMPLATE = "blocks/preview.html"


class ImageChooserBlock(WagtailImageChooserBlock):
    """Wagtail's image chooser, with every image of a block type and its
    renditions fetched in two queries."""

    def bulk_to_python(self, values):
        ids = [value for value in values if value is not None]
        if not ids:
            return [None for _value in values]
        images = get_image_model().objects.filter(pk__in=ids).prefetch_renditions().in_bulk()
        return [images.get(value) for value in values]


class HeroBlock(blocks.StructBlock):
    eyebrow = blocks.CharBlock(
        label=_("Kicker"), required=False, max_length=60,
        help_text=_("A short line above the title, e.g. 'Now enrolling for September'"),
    )
    title = blocks.CharBlock(label=_("Title"), max_length=120)
    subtitle = blocks.TextBlock(label=_("Subtitle"), required=False)
    image = ImageChooserBlock(label=_("Image"), required=False)
    cta_text = blocks.CharBlock(
        label=_("Button text"), required=False, max_length=40,
        help_text=_("Leave empty to use the default call-to-action text from the branding settings"),
    )
    cta_link = blocks.CharBlock(label=_("Button link"), required=False, max_length=255)
    secondary_text = blocks.CharBlock(label=_("Second button text"), required=False, max_length=40)
    secondary_link = blocks.CharBlock(label=_("Second button link"), required=False, max_length=255)

    class Meta:
        icon = "pick"
        label = _("Hero")
        template = "blocks/hero_block.html"
        preview_template = PREVIEW_TEMPLATE
        preview_value = {
            "eyebrow": "Now enrolling",
            "title": "Speak English with confidence",
            "subtitle": "Small classes, friendly teachers, real conversations.",
            "cta_text": "See classes",
            "cta_link": "#classes",
        }
        description = _("A large heading with an optional image and buttons")


class RichTextBlock(blocks.RichTextBlock):
    class Meta:
        icon = "doc-full"
        label = _("Text")
        template = "blocks/rich_text_block.html"
        preview_template = PREVIEW_TEMPLATE
        preview_value = "<h2>About us</h2><p>We teach English, Vietnamese and Japanese to learners of every age.</p>"
        description = _("Headings, paragraphs, lists and links")


class TeacherChooserBlock(blocks.ChooserBlock):
    """A teacher of the school (their membership), picked in a modal that offers the
    editor's own school's active teachers (`site_platform.teachers_admin`)."""

    target_model = "site_platform.Membership"

    @cached_property
    def widget(self):
        from site_platform.teachers_admin import teacher_chooser_viewset

        return teacher_chooser_viewset.widget_class()

    def bulk_to_python(self, values):
        """Every picked teacher of a block with their account and photo, in one query
        (and one for the photos' renditions)."""
        ids = [value for value in values if value is not None]
        if not ids:
            return [None for _value in values]
        memberships = (self.model_class.objects.select_related("user", "photo")
                       .prefetch_related("photo__renditions").in_bulk(ids))
        return [memberships.get(value) for value in values]

    class Meta:
        icon = "user"


class TeacherProfileBlock(blocks.StructBlock):
    """One teacher: a teacher of the school (their live profile: photo, display name,
    bio, languages, levels), or the fields typed here. With a teacher picked, a field
    typed here is used only where the live profile is empty; a teacher who no longer
    teaches at the school is not shown."""

    teacher = TeacherChooserBlock(
        label=_("Teacher of the school"), required=False,
        help_text=_("Shows their live profile. The fields below are then used only where the profile is empty."),
    )
    photo = ImageChooserBlock(label=_("Photo"), required=False)
    name = blocks.CharBlock(label=_("Name"), max_length=80, required=False)
    headline = blocks.CharBlock(
        label=_("Headline"), required=False, max_length=120, help_text=_("e.g. 'IELTS examiner, 10 years teaching'"),
    )
    bio = blocks.RichTextBlock(label=_("Biography"), required=False, features=["bold", "italic", "link"])
    languages = blocks.ListBlock(
        blocks.CharBlock(label=_("Language"), max_length=40), label=_("Languages taught"), default=[],
    )

    class Meta:
        icon = "user"
        label = _("Teacher")

    def clean(self, value):
        value = super().clean(value)
        if value.get("teacher") is None and not (value.get("name") or "").strip():
            raise StructBlockValidationError(block_errors={
                "name": ValidationError(_("Pick a teacher of the school or write a name."))})
        return value

    @staticmethod
    def shown(value, tenant_id):
        """What the page shows for one teacher (a dict), or None to leave them out."""
        membership = value.get("teacher")
        bio = value.get("bio")
        person = {
            "name": value.get("name") or "", "headline": value.get("headline") or "", "photo": value.get("photo"),
            "bio": bio if bio and str(bio).strip() else None, "bio_text": "",
            "languages": list(value.get("languages") or []), "levels": [],
        }
        if membership is None:
            return person if person["name"] else None
        if not membership.is_active or membership.tenant_id != tenant_id:
            return None
        person["name"] = membership.public_name
        person["photo"] = membership.photo or person["photo"]
        if membership.bio:
            person["bio"], person["bio_text"] = None, membership.bio
        person["languages"] = membership.language_list() or person["languages"]
        person["levels"] = membership.level_list()
        return person


class TeacherProfilesBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), required=False, max_length=120)
    intro = blocks.TextBlock(label=_("Introduction"), required=False)
    teachers = blocks.ListBlock(TeacherProfileBlock(), label=_("Teachers"), min_num=1)

    class Meta:
        icon = "user"
        label = _("Teacher profiles")
        template = "blocks/teacher_profiles_block.html"
        preview_template = PREVIEW_TEMPLATE
        preview_value = {
            "heading": "Meet your teacher",
            "teachers": [{
                "name": "Linh Nguyen",
                "headline": "IELTS specialist, 8 years teaching",
                "bio": "<p>I help adults find their voice in English, one conversation at a time.</p>",
                "languages": ["English", "Vietnamese"],
            }],
        }
        description = _("One teacher in a large profile, or several as a team")

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        parent_context = parent_context or {}
        request = parent_context.get("request")
        tenant = getattr(request, "tenant", None)
        page = parent_context.get("page")
        tenant_id = tenant.pk if tenant is not None else getattr(getattr(page, "tenant", None), "pk", None)
        if tenant_id is None and page is not None:
            from site_platform.models import Tenant

            tenant_id = Tenant.objects.filter(root_page__in=page.get_ancestors(inclusive=True)).values_list(
                "pk", flat=True).first()
        people = (TeacherProfileBlock.shown(item, tenant_id) for item in value.get("teachers") or [])
        context["people"] = [person for person in people if person is not None]
        return context


class PricingPlanBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("Name"), max_length=60)
    price = blocks.CharBlock(label=_("Price"), max_length=40, help_text=_("As shown, e.g. '₫1,200,000' or '€25'"))
    period = blocks.CharBlock(label=_("Period"), required=False, max_length=40, help_text=_("e.g. 'per month'"))
    description = blocks.CharBlock(label=_("Description"), required=False, max_length=160)
    features = blocks.ListBlock(blocks.CharBlock(label=_("Feature"), max_length=120), label=_("Included"), default=[])
    highlighted = blocks.BooleanBlock(label=_("Highlight this plan"), required=False)
    button_text = blocks.CharBlock(label=_("Button text"), required=False, max_length=40)
    button_link = blocks.CharBlock(label=_("Button link"), required=False, max_length=255)

    class Meta:
        icon = "tag"
        label = _("Plan")


class PricingTableBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), required=False, max_length=120)
    intro = blocks.TextBlock(label=_("Introduction"), required=False)
    plans = blocks.ListBlock(PricingPlanBlock(), label=_("Plans"), min_num=1)
    note = blocks.CharBlock(label=_("Small print"), required=False, max_length=240)

    class Meta:
        icon = "tag"
        label = _("Pricing table")
        template = "blocks/pricing_table_block.html"
        preview_template = PREVIEW_TEMPLATE
        preview_value = {
            "heading": "Simple pricing",
            "plans": [
                {"name": "Trial", "price": "Free", "description": "One group lesson", "features": ["60 minutes"],
                 "button_text": "Try it", "button_link": "#"},
                {"name": "Monthly", "price": "€90", "period": "per month", "highlighted": True,
                 "features": ["8 group lessons", "Course book"], "button_text": "Join", "button_link": "#"},
            ],
        }
        description = _("Plans or course fees side by side")


class TestimonialBlock(blocks.StructBlock):
    quote = blocks.TextBlock(label=_("Quote"))
    name = blocks.CharBlock(label=_("Name"), max_length=80)
    detail = blocks.CharBlock(label=_("Detail"), required=False, max_length=120, help_text=_("e.g. 'IELTS 7.5, 2024'"))
    photo = ImageChooserBlock(label=_("Photo"), required=False)

    class Meta:
        icon = "openquote"
        label = _("Testimonial")


class TestimonialsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), required=False, max_length=120)
    items = blocks.ListBlock(TestimonialBlock(), label=_("Testimonials"), min_num=1)

    class Meta:
        icon = "openquote"
        label = _("Testimonials")
        template = "blocks/testimonials_block.html"
        preview_template = PREVIEW_TEMPLATE
        preview_value = {
            "heading": "What our students say",
            "items": [
                {"quote": "I finally enjoy speaking English at work.", "name": "Minh Tran", "detail": "Business English"},
                {"quote": "The teachers are patient and the groups are small.", "name": "Ana Lima", "detail": "Beginner"},
            ],
        }
        description = _("Quotes from students or parents")


class QuestionAnswerBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"), max_length=200)
    answer = blocks.RichTextBlock(label=_("Answer"), features=["bold", "italic", "link", "ul"])

    class Meta:
        icon = "help"
        label = _("Question")


class FAQBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), required=False, default=_("Frequently asked questions"))
    items = blocks.ListBlock(QuestionAnswerBlock(), label=_("Questions"))

    class Meta:
        icon = "help"
        label = _("FAQ")
        template = "blocks/faq_block.html"
        preview_template = PREVIEW_TEMPLATE
        preview_value = {
            "heading": "Frequently asked questions",
            "items": [{"question": "Can I cancel?", "answer": "<p>Yes, up to 12 hours before the class.</p>"}],
        }
        description = _("Questions and answers that open one at a time")


class GalleryImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=140)

    class Meta:
        icon = "image"
        label = _("Picture")


class GalleryBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), required=False, max_length=120)
    images = blocks.ListBlock(GalleryImageBlock(), label=_("Pictures"), min_num=1)

    class Meta:
        icon = "image"
        label = _("Gallery")
        template = "blocks/gallery_block.html"
        preview_template = PREVIEW_TEMPLATE
        preview_value = {"heading": "Life at our school", "images": []}
        description = _("A grid of photos with captions")


class ContactBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), required=False, max_length=120)
    address = blocks.TextBlock(label=_("Address"), required=False)
    phone = blocks.CharBlock(label=_("Phone"), required=False, max_length=40)
    email = blocks.EmailBlock(label=_("Email"), required=False)
    opening_hours = blocks.TextBlock(label=_("Opening hours"), required=False)
    map_link = blocks.URLBlock(
        label=_("Map link"), required=False, help_text=_("A link to the place on a map service"),
    )

    class Meta:
        icon = "mail"
        label = _("Contact and map")
        template = "blocks/contact_block.html"
        preview_template = PREVIEW_TEMPLATE
        preview_value = {
            "heading": "Visit us",
            "address": "12 Trang Tien, Hoan Kiem\nHanoi",
            "phone": "+84 24 1234 5678",
            "email": "hello@example.com",
            "opening_hours": "Mon–Fri 8:00–20:00\nSat 8:00–12:00",
            "map_link": "https://www.openstreetmap.org/",
        }
        description = _("Address, phone, email, opening hours and a map link")


SOCIAL_NETWORKS = [
    ("facebook", "Facebook"),
    ("instagram", "Instagram"),
    ("youtube", "YouTube"),
    ("tiktok", "TikTok"),
    ("zalo", "Zalo"),
    ("linkedin", "LinkedIn"),
    ("x", "X"),
    ("website", _("Website")),
]


class SocialLinkBlock(blocks.StructBlock):
    network = blocks.ChoiceBlock(label=_("Network"), choices=SOCIAL_NETWORKS)
    url = blocks.URLBlock(label=_("Address"))

    class Meta:
        icon = "link"
        label = _("Link")


class SocialLinksBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), required=False, max_length=120)
    links = blocks.ListBlock(
        SocialLinkBlock(), label=_("Links"), default=[],
        help_text=_("Leave empty to show the social links from the branding settings"),
    )

    class Meta:
        icon = "site"
        label = _("Social links")
        template = "blocks/social_links_block.html"
        preview_template = PREVIEW_TEMPLATE
        preview_value = {
            "heading": "Follow us",
            "links": [{"network": "facebook", "url": "https://facebook.com/"},
                      {"network": "youtube", "url": "https://youtube.com/"}],
        }
        description = _("Links to the school's social media pages")

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        labels = dict(SOCIAL_NETWORKS)
        context["links"] = [(link["network"], labels.get(link["network"], link["network"]), link["url"])
                            for link in value["links"]]
        return context


class CallToActionBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Text"), max_length=160)
    subtext = blocks.CharBlock(label=_("Smaller text"), required=False, max_length=200)
    button_text = blocks.CharBlock(
        label=_("Button text"), required=False, max_length=40,
        help_text=_("Leave empty to use the default call-to-action text from the branding settings"),
    )
    button_link = blocks.CharBlock(label=_("Button link"), max_length=255)

    class Meta:
        icon = "link"
        label = _("Call-to-action band")
        template = "blocks/call_to_action_block.html"
        preview_template = PREVIEW_TEMPLATE
        preview_value = {"text": "Your first lesson is on us.", "button_text": "Book now", "button_link": "#"}
        description = _("A coloured band with one sentence and a button")


class WorkshopListBlock(blocks.StructBlock):
    """The tenant's published live classes and workshops with their next dates,
    price and seats left; visitors can filter by teacher."""

    heading = blocks.CharBlock(label=_("Heading"), required=False, max_length=120)
    intro = blocks.TextBlock(label=_("Introduction"), required=False)
    kinds = blocks.MultipleChoiceBlock(
        label=_("Show"), required=False,
        choices=[("live_class", _("Live classes")), ("workshop", _("Workshops"))],
        help_text=_("Leave empty to show both"),
    )
    show_filters = blocks.BooleanBlock(label=_("Let visitors filter by teacher and kind"), required=False,
                                       default=True)
    limit = blocks.IntegerBlock(label=_("Most items shown"), default=12, min_value=1, max_value=100)

    class Meta:
        icon = "calendar"
        label = _("Workshop list")
        template = "blocks/workshop_list_block.html"
        preview_template = PREVIEW_TEMPLATE
        preview_value = {"heading": "Upcoming classes", "kinds": [], "show_filters": False, "limit": 6}
        description = _("Your published classes and workshops with their next dates and seats left")

    def get_context(self, value, parent_context=None):
        from . import jsonld
        from .workshops import load_workshops, session_labels

        context = super().get_context(value, parent_context)
        context["labels"] = session_labels()
        request = (parent_context or {}).get("request")
        tenant = getattr(request, "tenant", None)
        context["listing"] = None
        if tenant is not None:
            teacher = request.GET.get("teacher", "") if value.get("show_filters") else ""
            kind = request.GET.get("kind", "") if value.get("show_filters") else ""
            context["listing"] = load_workshops(
                tenant, kinds=value.get("kinds") or None, limit=value.get("limit") or 12,
                teacher_id=int(teacher) if teacher.isdigit() else None, kind=kind or None,
            )
            jsonld.note_workshops(request, context["listing"])
        return context


class BookingWidgetBlock(blocks.StructBlock):
    """One event type's open times for the next days, inline on the page."""

    heading = blocks.CharBlock(label=_("Heading"), required=False, max_length=120)
    intro = blocks.TextBlock(label=_("Introduction"), required=False)
    event_type = blocks.RegexBlock(
        label=_("Event type"), regex=r"^[-a-zA-Z0-9_]+$", max_length=80,
        error_messages={"invalid": _("Enter the event type's slug: letters, digits, - and _.")},
        help_text=_("The slug of one of your published event types, as in its address /book/<slug>/ "
                    "(Scheduling → Event types)"),
    )
    days = blocks.IntegerBlock(label=_("Days shown"), default=7, min_value=1, max_value=14)

    class Meta:
        icon = "date"
        label = _("Booking widget")
        template = "blocks/booking_widget_block.html"
        preview_template = PREVIEW_TEMPLATE
        preview_value = {"heading": "Book a lesson", "event_type": "trial-lesson", "days": 7}
        description = _("The open times of one event type, to book in two clicks")

    def get_context(self, value, parent_context=None):
        from . import jsonld
        from .widget import load_widget, sample_widget, visitor_zone

        context = super().get_context(value, parent_context)
        request = (parent_context or {}).get("request")
        tenant = getattr(request, "tenant", None)
        context["widget"] = None
        number = getattr(request, "_landing_widgets", 0) + 1
        if request is not None:
            request._landing_widgets = number
        context["widget_id"] = f"booking-widget-{number}"
        if tenant is not None:
            context["widget"] = load_widget(tenant, value.get("event_type"), zone_name=visitor_zone(request),
                                            days=value.get("days"))
            jsonld.note_widget(request, context["widget"])
        elif value.get("event_type") == self.meta.preview_value["event_type"]:
            context["widget"] = sample_widget(value.get("days"))
        if context["widget"] is not None:
            from .widget import unknown_zone_asked, zone_datalist

            context["zone_options"] = zone_datalist(context["widget"].zone)
            context["zone_unknown"] = unknown_zone_asked(request)
        return context


class LandingStreamBlock(blocks.StreamBlock):
    hero = HeroBlock()
    text = RichTextBlock()
    workshop_list = WorkshopListBlock()
    booking_widget = BookingWidgetBlock()
    teacher_profiles = TeacherProfilesBlock()
    pricing_table = PricingTableBlock()
    testimonials = TestimonialsBlock()
    faq = FAQBlock()
    gallery = GalleryBlock()
    contact = ContactBlock()
    social_links = SocialLinksBlock()
    call_to_action = CallToActionBlock()
