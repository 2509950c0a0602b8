"""Tables offered as CSV downloads from a page, the data embedded in the page itself.

A link's ``href`` is a ``data:text/csv`` URL holding the whole table, base64-encoded
(so no text from the table, however hostile, appears in the page as such), with the
``download`` attribute naming the file: clicking it saves the CSV with no server, no
script and no network access, in any browser.
"""

from __future__ import annotations

import base64

import pandas as pd

from sim.dashboards.text import safe

#: Most rows a table embedded in a page may have (larger ones are not offered).
MAX_ROWS = 20_000


def csv_text(table: pd.DataFrame) -> str:
    """A table as CSV text: header, one line per row, numbers at full precision."""
    return table.to_csv(index=False, lineterminator="\n")


def csv_link(table: pd.DataFrame, filename: str, label: str) -> str:
    """A download link holding the table as CSV (empty text for a table too large).

    Args:
        table: The table.
        filename: The name the browser saves it under (``points.csv``).
        label: The link's text.
    """
    if len(table) > MAX_ROWS:
        return ""
    data = base64.b64encode(csv_text(table).encode("utf-8")).decode("ascii")
    href = f"data:text/csv;charset=utf-8;base64,{data}"
    return f'<a class="download" download="{safe(filename)}" href="{href}">{safe(label)}</a>'


def downloads(links: list[str]) -> str:
    """A paragraph of download links (empty ones left out)."""
    shown = [link for link in links if link]
    if not shown:
        return ""
    return '<p class="downloads">Download as CSV: ' + " · ".join(shown) + "</p>"
