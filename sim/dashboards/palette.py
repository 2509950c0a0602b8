"""The one colour palette of every dashboard: Okabe and Ito's colour-blind-safe set.

Okabe & Ito (2008) chose eight colours that stay distinct under the common forms of
colour blindness. Money categories and influence measures get fixed colours, so that
"leaked" is the same vermillion on every page. Segments, outlets and scenarios take
colours from :data:`CATEGORICAL` in the order they are listed, so each keeps one
colour across every figure of a page.
"""

from __future__ import annotations

from collections.abc import Iterable

BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
#: A neutral grey for what is neither good nor bad (counterfactual, unspent money).
GREY = "#8C8C8C"

#: Colours for segments, outlets and scenarios, in order of use. The colours that mean
#: money (vermillion: leaked, orange: for show, green: substantive) come after the
#: others, so that a comparison of a few scenarios never paints one "leaked"; yellow
#: comes last: it is hard to see on white.
CATEGORICAL = (BLUE, REDDISH_PURPLE, SKY_BLUE, BLACK, BLUISH_GREEN, ORANGE, VERMILLION, YELLOW)

#: Where the money went. Keys match the money summary of a run's manifest.
MONEY = {
    "disbursed": BLACK,
    "grant": SKY_BLUE,
    "leaked": VERMILLION,
    "for_show": ORANGE,
    "substantive": BLUISH_GREEN,
    "unspent": GREY,
}

#: Influence measures on the run dashboard.
INFLUENCE = {
    "actual": BLACK,
    "counterfactual": SKY_BLUE,
    "attributable": BLUE,
    "reported": REDDISH_PURPLE,
}


def categorical(index: int) -> str:
    """The categorical colour for the ``index``-th item (cycling after eight)."""
    return CATEGORICAL[index % len(CATEGORICAL)]


def colour_map(names: Iterable[str]) -> dict[str, str]:
    """Give each distinct name a categorical colour, in order of first appearance.

    Args:
        names: Segment, outlet or scenario names, in the order they are listed.

    Returns:
        Name to hex colour.
    """
    out: dict[str, str] = {}
    for name in names:
        if name not in out:
            out[name] = categorical(len(out))
    return out


def with_alpha(colour: str, alpha: float) -> str:
    """A ``#RRGGBB`` colour as a CSS ``rgba()`` string with the given opacity."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha:g})"
