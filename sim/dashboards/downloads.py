"""Tables offered as CSV downloads from a page, the data embedded in the page itself.

Each link is made by :func:`sim.dashboards.page.download` (the one way pages embed a
file: a percent-encoded ``data:`` URL, so no text from the table, however hostile,
appears in the page as markup, and a ``download`` attribute naming the file): clicking it
saves the CSV with no server, no script and no network access, in any browser.
"""

from __future__ import annotations

import pandas as pd

from sim.dashboards import page

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
    return page.download(label, filename, csv_text(table))


def downloads(links: list[str]) -> str:
    """A paragraph of download links (empty ones left out)."""
    shown = [link for link in links if link]
    if not shown:
        return ""
    return '<p class="downloads">Download as CSV: ' + " · ".join(shown) + "</p>"
