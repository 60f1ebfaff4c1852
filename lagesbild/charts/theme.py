"""The look every figure shares: colours (one per form of extremism, colour-blind safe), the
grey of hidden values, the sequential scale of heat maps and maps, the small plotly template,
the font list, and the two styles (`screen` for the dashboard, `slide` for 16:9 exports)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

Style = Literal["screen", "slide"]
Trace = dict[str, Any]

# -- colours -------------------------------------------------------------------------------
# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common form of
# colour blindness. One colour per form of extremism, the same in every figure.
OKABE_ITO = {
    "blue": "#0072B2", "vermillion": "#D55E00", "green": "#009E73", "purple": "#CC79A7",
    "orange": "#E69F00", "black": "#000000", "sky": "#56B4E9", "yellow": "#F0E442",
}
GREY = "#999999"
# "Ej bedömd" among the forms: #999999 is too close to the purple of "Misogyn extremism" for
# deuteranopia (CIE ΔE 7 after Machado et al. 2009); this lighter grey keeps them apart.
UNASSESSED_GREY = "#BBBBBB"
FORM_COLOURS: dict[str, str] = {
    "Högerextremism": OKABE_ITO["blue"],
    "Vänsterextremism": OKABE_ITO["vermillion"],
    "Islamistisk extremism": OKABE_ITO["green"],
    "Misogyn extremism": OKABE_ITO["purple"],
    "Konspirationsteoretisk/antistatlig": OKABE_ITO["orange"],
    "Våldsfixering utan ideologi": OKABE_ITO["black"],
    "Blandad eller oklar ideologi": OKABE_ITO["sky"],
    "Annan": OKABE_ITO["yellow"],
    "Ej bedömd": UNASSESSED_GREY,
}
# For other breakdowns (event type, sector, …): Okabe–Ito, then Paul Tol's "muted" scheme
# (also colour-blind safe) when there are more than eight categories.
CATEGORY_PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442",
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255",
    "#AA4499",
)
# Values that mean "not known": always grey.
UNKNOWN_VALUES = frozenset({"Okänt", "Okänd", "Ej bedömd", "Ej angivet"})
SUPPRESSED_COLOUR = "#D0D0D0"
SUPPRESSED_LINE = "#6E6E6E"
SIGNAL_COLOUR = "#000000"
MISSING_COLOUR = "#F6C97A"  # a light Okabe–Ito orange: an expected report is missing
# Sequential scale for heat maps and maps: light to dark blue (monotone in lightness).
SEQUENTIAL: list[tuple[float, str]] = [
    (0.0, "#F7FBFF"), (0.15, "#DEEBF7"), (0.3, "#C6DBEF"), (0.45, "#9ECAE1"),
    (0.6, "#6BAED6"), (0.75, "#3182BD"), (0.9, "#08519C"), (1.0, "#08306B"),
]
HATCH = {"shape": "/", "fgcolor": SUPPRESSED_LINE, "size": 6, "solidity": 0.3}

# A small template instead of "plotly_white": plotly deep-copies the template into every
# figure, and the built-in ones are large (about 100 ms per figure).
_AXIS = {"gridcolor": "#E5E5E5", "linecolor": "#BDBDBD", "zerolinecolor": "#D0D0D0",
         "zerolinewidth": 1, "ticks": "", "automargin": True, "title": {"standoff": 10}}
TEMPLATE = {"layout": {
    "paper_bgcolor": "white", "plot_bgcolor": "white", "colorway": list(CATEGORY_PALETTE),
    "xaxis": _AXIS, "yaxis": _AXIS, "hovermode": "closest",
    "hoverlabel": {"align": "left"}, "geo": {"bgcolor": "white"},
}}
# A CSS font-family list: names that are not plain identifiers ("Source Sans 3" ends in a
# number) must be quoted, or the browser drops the whole list and falls back to its default.
FONT = ('"Source Sans Pro", "Source Sans 3", "DejaVu Sans", "Liberation Sans", Arial, '
        'sans-serif')


# -- styles --------------------------------------------------------------------------------
@dataclass(frozen=True)
class StyleSpec:
    width: int | None
    height: int
    font: int
    title: int
    subtitle: int
    source: int
    margin_top: int
    margin_bottom: int
    margin_side: int
    source_shift: int  # pixels below the plot area for the source line
    line: float
    marker: int


STYLES: dict[str, StyleSpec] = {
    "screen": StyleSpec(None, 440, 13, 18, 13, 11, 92, 96, 16, 62, 2.5, 7),
    "slide": StyleSpec(1600, 900, 22, 34, 22, 17, 150, 150, 40, 105, 4.5, 12),
}


def style_spec(style: str) -> StyleSpec:
    if style not in STYLES:
        raise ValueError(f"Okänd stil {style!r}: välj 'screen' eller 'slide'.")
    return STYLES[style]


# -- colours by category and value --------------------------------------------------------
def colour_map(values: Iterable[str], dimension: str | None = None) -> dict[str, str]:
    """A colour per category: forms use FORM_COLOURS, unknowns grey, others the palette."""
    mapping: dict[str, str] = {}
    palette = iter(CATEGORY_PALETTE * 3)
    for value in values:
        if value in mapping:
            continue
        if dimension == "form" and value in FORM_COLOURS:
            mapping[value] = FORM_COLOURS[value]
        elif value in UNKNOWN_VALUES:
            mapping[value] = GREY
        else:
            mapping[value] = next(palette)
    return mapping


def with_alpha(colour: str, alpha: float) -> str:
    colour = colour.lstrip("#")
    r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r}, {g}, {b}, {alpha})"


def scale_colour(share: float) -> tuple[float, float, float]:
    """The colour of SEQUENTIAL at `share` (0–1), interpolated, as RGB 0–1."""
    share = min(max(share, 0.0), 1.0)
    for (a, ca), (b, cb) in zip(SEQUENTIAL, SEQUENTIAL[1:], strict=False):
        if share <= b:
            t = 0.0 if b == a else (share - a) / (b - a)
            lo = [int(ca[i:i + 2], 16) for i in (1, 3, 5)]
            hi = [int(cb[i:i + 2], 16) for i in (1, 3, 5)]
            red, green, blue = ((x + (y - x) * t) / 255 for x, y in zip(lo, hi, strict=True))
            return (red, green, blue)
    return (0.03, 0.19, 0.42)


def luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG relative luminance."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG contrast ratio of two RGB colours (0–1)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# Black, not near-black: on the middle blues of SEQUENTIAL the better of white and #111111
# is only 4.3:1; with black the worst cell is 4.6:1 (tests/unit/test_accessibility.py).
DARK_TEXT = "#000000"
_WHITE = (1.0, 1.0, 1.0)
_DARK = (0.0, 0.0, 0.0)


def text_colour(value: float | None, zmax: float) -> str:
    """The number's colour on a cell of SEQUENTIAL, from the cell's actual colour: white or
    black, whichever contrasts more with it (WCAG 1.4.3: at least 4.5:1 on every cell)."""
    if value is None or not zmax:
        return DARK_TEXT
    cell = scale_colour(value / zmax)
    return "#FFFFFF" if contrast_ratio(cell, _WHITE) > contrast_ratio(cell, _DARK) \
        else DARK_TEXT
