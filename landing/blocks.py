"""The one shared block set. Every landing page type's StreamField uses it, so a
tenant can switch template without losing content."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock


class HeroBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=120)
    subtitle = blocks.TextBlock(label=_("Subtitle"), required=False)
    image = ImageChooserBlock(label=_("Image"), required=False)
    cta_text = blocks.CharBlock(label=_("Button text"), required=False, max_length=40)
    cta_link = blocks.CharBlock(label=_("Button link"), required=False, max_length=255)

    class Meta:
        icon = "pick"
        label = _("Hero")
        template = "blocks/hero_block.html"
        preview_value = {
            "title": "Speak English with confidence",
            "subtitle": "Small classes, friendly teachers, real conversations.",
            "cta_text": "See classes",
            "cta_link": "#classes",
        }
        description = _("A large heading with an optional image and button")


class RichTextBlock(blocks.RichTextBlock):
    class Meta:
        icon = "doc-full"
        label = _("Text")
        template = "blocks/rich_text_block.html"
        preview_value = "<p>We teach English, Vietnamese and Japanese to learners of every age.</p>"


class CallToActionBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Text"), max_length=160)
    button_text = blocks.CharBlock(label=_("Button text"), max_length=40)
    button_link = blocks.CharBlock(label=_("Button link"), max_length=255)

    class Meta:
        icon = "link"
        label = _("Call-to-action band")
        template = "blocks/call_to_action_block.html"
        preview_value = {"text": "Your first lesson is on us.", "button_text": "Book now", "button_link": "#"}


class QuestionAnswerBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"), max_length=200)
    answer = blocks.RichTextBlock(label=_("Answer"), features=["bold", "italic", "link"])


class FAQBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), required=False, default=_("Frequently asked questions"))
    items = blocks.ListBlock(QuestionAnswerBlock(), label=_("Questions"))

    class Meta:
        icon = "help"
        label = _("FAQ")
        template = "blocks/faq_block.html"
        preview_value = {
            "heading": "Frequently asked questions",
            "items": [{"question": "Can I cancel?", "answer": "<p>Yes, up to 12 hours before the class.</p>"}],
        }


class LandingStreamBlock(blocks.StreamBlock):
    hero = HeroBlock()
    text = RichTextBlock()
    faq = FAQBlock()
    call_to_action = CallToActionBlock()
