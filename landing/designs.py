"""The five designs and the fonts a tenant may choose from.

A design's palette is its default branding; a tenant's own colours (branding
settings) replace it. Every pair here passes WCAG AA (tests/landing check it).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Font:
    label: str
    stack: str


FONTS = {
    "inter": Font(_("Inter (clean sans-serif)"),
                  '"Inter", system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif'),
    "be_vietnam_pro": Font(_("Be Vietnam Pro (friendly sans-serif)"),
                           '"Be Vietnam Pro", "Inter", system-ui, "Segoe UI", Roboto, sans-serif'),
    "lora": Font(_("Lora (elegant serif)"), '"Lora", Charter, "Bitstream Charter", Cambria, Georgia, serif'),
    "nunito": Font(_("Nunito (rounded)"),
                   '"Nunito", ui-rounded, "Hiragino Maru Gothic ProN", Quicksand, "Arial Rounded MT", sans-serif'),
    "baloo": Font(_("Baloo 2 (bold and playful)"), '"Baloo 2", "Nunito", ui-rounded, system-ui, sans-serif'),
    "system": Font(_("The visitor's system font"),
                   'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif'),
}

FONT_CHOICES = [(key, font.label) for key, font in FONTS.items()]


@dataclass(frozen=True)
class Design:
    key: str
    label: str
    description: str
    primary: str
    on_primary: str
    secondary: str
    on_secondary: str
    body_font: str
    heading_font: str


DESIGNS = {
    "education": Design(
        "education", _("Education Centre"),
        _("Institutional and clear: a top bar with contact details, a split hero, a dark footer."),
        primary="#1e3a8a", on_primary="#ffffff", secondary="#f59e0b", on_secondary="#1f2937",
        body_font="inter", heading_font="inter",
    ),
    "tutor": Design(
        "tutor", _("Personal Tutor"),
        _("Personal and editorial: one narrow column, serif type, the teacher in front."),
        primary="#2f5d50", on_primary="#ffffff", secondary="#e9c46a", on_secondary="#1c1917",
        body_font="lora", heading_font="lora",
    ),
    "small_centre": Design(
        "small_centre", _("Small Centre"),
        _("Warm and compact: a side panel with the school's details next to the content."),
        primary="#0f766e", on_primary="#ffffff", secondary="#fb7185", on_secondary="#1f2937",
        body_font="be_vietnam_pro", heading_font="be_vietnam_pro",
    ),
    "kids_playful": Design(
        "kids_playful", _("Kids (playful)"),
        _("Soft shapes and waves, rounded letters, a cream background."),
        primary="#7c3aed", on_primary="#ffffff", secondary="#fbbf24", on_secondary="#1f2937",
        body_font="nunito", heading_font="nunito",
    ),
    "kids_bright": Design(
        "kids_bright", _("Kids (bright)"),
        _("Bold colour blocks, thick outlines and big type."),
        primary="#c2185b", on_primary="#ffffff", secondary="#facc15", on_secondary="#111827",
        body_font="baloo", heading_font="baloo",
    ),
}
