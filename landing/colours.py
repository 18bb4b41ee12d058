"""Colour arithmetic for the branding settings: WCAG 2.x contrast ratios."""

import re

HEX_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
WCAG_AA_TEXT = 4.5


def parse_hex(colour):
    """'#1d4ed8' → (29, 78, 216)."""
    if not HEX_COLOUR_RE.match(colour or ""):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def to_hex(rgb):
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def relative_luminance(colour):
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in parse_hex(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first, second):
    """The WCAG contrast ratio of two colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_on(background, colour, minimum=WCAG_AA_TEXT):
    """`colour` itself if it reads on `background`, else the same hue mixed
    towards black (or white, on a dark background) until it does.

    Used for links and headings drawn in the brand colour on the page background:
    a light brand colour keeps its hue but gets dark enough to read.
    """
    if contrast_ratio(background, colour) >= minimum:
        return colour.lower()
    target = (0, 0, 0) if relative_luminance(background) > 0.18 else (255, 255, 255)
    rgb = parse_hex(colour)
    for step in range(1, 21):
        mix = step / 20
        candidate = to_hex(tuple(c + (t - c) * mix for c, t in zip(rgb, target)))
        if contrast_ratio(background, candidate) >= minimum:
            return candidate
    return to_hex(target)
