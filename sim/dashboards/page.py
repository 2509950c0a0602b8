"""Assemble self-contained HTML pages and write them atomically.

A page embeds plotly.js once, inline, so it opens by double-click with no network;
a Content-Security-Policy forbids the page from fetching anything at all. Every
helper here takes raw text and escapes it, so scenario-provided strings are shown as
text and never interpreted as HTML or script. (Figures escape their own text; see
:mod:`sim.dashboards.text`.)
"""

from __future__ import annotations

import functools
import os
import urllib.parse
from collections.abc import Iterable, Sequence
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from sim.atomic import atomic_file
from sim.dashboards.caveat import CSS as CAVEAT_CSS
from sim.dashboards.style import FONT_FAMILY, PLOTLY_CONFIG
from sim.dashboards.text import safe

#: Nothing may be loaded from anywhere; inline scripts and styles only.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)

_CSS = f"""
body {{ font-family: {FONT_FAMILY}; margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem;
       color: #1a1a1a; background: #fff; line-height: 1.45; }}
h1 {{ font-size: 1.6rem; margin: 0.2rem 0; }}
h2 {{ font-size: 1.2rem; margin: 1.8rem 0 0.4rem; border-bottom: 1px solid #ddd; }}
p.meta, p.note, footer {{ color: #555; font-size: 0.9rem; }}
p.story {{ font-size: 1.05rem; background: #f6f6f6; padding: 0.7rem 1rem;
          border-left: 4px solid #0072B2; }}
.cards {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr));
          gap: 0.7rem; margin: 1rem 0; }}
.card {{ border: 1px solid #ddd; border-radius: 6px; padding: 0.6rem 0.8rem; }}
.card .value {{ font-size: 1.5rem; font-weight: 600; }}
.card .label {{ font-size: 0.9rem; }}
.card .detail {{ font-size: 0.8rem; color: #555; }}
.figure {{ margin: 0.5rem 0 1.5rem; }}
table {{ border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0; }}
th, td {{ border: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: left;
          vertical-align: top; }}
th {{ background: #f3f3f3; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
{CAVEAT_CSS}"""


@functools.cache
def _plotlyjs() -> str:
    return get_plotlyjs()


def page(title: str, sections: Iterable[str], *, plotly: bool = True) -> str:
    """A complete HTML page.

    Args:
        title: Page title (raw text).
        sections: HTML fragments built with the helpers of this module.
        plotly: Embed plotly.js (pages without figures leave it out).

    Returns:
        The page's HTML.
    """
    script = f'<script type="text/javascript">{_plotlyjs()}</script>' if plotly else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{safe(title)}</title>\n<style>{_CSS}</style>\n{script}\n</head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


def heading(text: str, level: int = 2) -> str:
    """A heading."""
    return f"<h{level}>{safe(text)}</h{level}>"


def paragraph(text: str, css_class: str = "") -> str:
    """A paragraph of text."""
    cls = f' class="{safe(css_class)}"' if css_class else ""
    return f"<p{cls}>{safe(text)}</p>"


def link(text: str, href: str) -> str:
    """A link to a relative path (both escaped)."""
    return f'<a href="{safe(href)}">{safe(text)}</a>'


def download(text: str, file_name: str, data: str, mime: str = "text/csv") -> str:
    """A link that saves ``data`` (embedded in the page as a data: URI) as ``file_name``.

    Nothing is fetched: the file's bytes are percent-encoded into the link itself, so
    the download works offline and under the page's Content-Security-Policy. The
    encoded text holds no quote, ``<`` or ``&``; the file name is escaped.

    Args:
        text: The link's text (raw).
        file_name: The suggested file name (raw).
        data: The file's content.
        mime: Its media type.
    """
    href = f"data:{mime};charset=utf-8," + urllib.parse.quote(data, safe="")
    return f'<a class="download" download="{safe(file_name)}" href="{href}">{safe(text)}</a>'


def cards(items: Sequence[tuple[str, str, str]]) -> str:
    """Headline cards, each (value, label, detail)."""
    body = "".join(
        f'<div class="card"><div class="value">{safe(v)}</div>'
        f'<div class="label">{safe(lab)}</div><div class="detail">{safe(d)}</div></div>'
        for v, lab, d in items
    )
    return f'<section class="cards">{body}</section>'


def table(
    header: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[bool] = ()
) -> str:
    """A table of text cells; columns flagged in ``numeric`` are right-aligned."""
    head = "".join(f"<th>{safe(h)}</th>" for h in header)
    lines = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{safe(c)}</td>'
            if i < len(numeric) and numeric[i]
            else f"<td>{safe(c)}</td>"
            for i, c in enumerate(row)
        )
        lines.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def html_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table whose cells are HTML fragments already built with these helpers."""
    head = "".join(f"<th>{safe(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure(fig: go.Figure, div_id: str) -> str:
    """A figure's container and the script that draws it (plotly.js not included)."""
    div = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=div_id,
        config=PLOTLY_CONFIG,
    )
    return f'<div class="figure">{div}</div>'


def write_page(path: str | os.PathLike[str], html: str) -> Path:
    """Write a page atomically (a temporary file renamed into place).

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_file(path, lambda tmp: tmp.write_text(html, encoding="utf-8"))
