"""Text helpers: make scenario-provided strings inert, and format numbers for people.

Scenario files are user input. Plotly renders a subset of HTML in titles, labels and
hover text, and the pages are HTML, so every string that comes from a scenario or a
result folder goes through :func:`safe` before it reaches a figure or a page. Plotly
turns the entities back into the literal characters, so ``<img src=x>`` is shown as
those eleven characters and never becomes an element.
"""

from __future__ import annotations

import html
import math


def safe(text: object) -> str:
    """Escape ``&``, ``<``, ``>`` and quotes so that text is shown, never interpreted.

    The result is safe in HTML text and attribute values and in every plotly string
    (titles, labels, ticks, legends, hover text, annotations).

    >>> safe('<a href="x">it&#39;s</a> & "more"')
    '&lt;a href=&#34;x&#34;&gt;it&amp;#39;s&lt;/a&gt; &amp; &#34;more&#34;'
    """
    return html.escape(str(text), quote=False).replace('"', "&#34;").replace("'", "&#39;")


def shorten(text: object, width: int = 60) -> str:
    """Cut raw text to ``width`` characters, marking the cut with an ellipsis (not escaped).

    For legends, ticks and titles, where a 200-character name would push the plot
    out of its figure; give the full name in the hover text or a table.

    >>> shorten("abcdef", 4)
    'abc…'
    """
    text = str(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def display_name(item: dict[str, object]) -> str:
    """The escaped display name of a scenario item: its ``name``, or its ``id``."""
    return safe(item.get("name") or item.get("id", ""))


def usd(amount: float) -> str:
    """Dollars for a headline: ``$99.6 million``, ``$2,150``, ``$0``."""
    if not math.isfinite(amount):
        return "n/a"
    if abs(amount) >= 1e9:
        return f"${amount / 1e9:,.2f} billion"
    if abs(amount) >= 1e6:
        return f"${amount / 1e6:,.1f} million"
    return f"${amount:,.0f}"


def share(value: float) -> str:
    """A fraction as a percentage: ``0.809`` -> ``81%``; small ones keep a decimal."""
    if not math.isfinite(value):
        return "n/a"
    pct = 100 * value
    return f"{pct:.1f}%" if 0 < abs(pct) < 10 else f"{pct:.0f}%"


def signed(value: float, digits: int = 4) -> str:
    """A signed number with a fixed number of decimals: ``+0.0007``."""
    return f"{value:+.{digits}f}" if math.isfinite(value) else "n/a"


def people(count: float) -> str:
    """A whole number of people: ``46,358``."""
    return f"{count:,.0f}" if math.isfinite(count) else "n/a"
