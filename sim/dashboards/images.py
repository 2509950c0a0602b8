"""Static PNG and SVG copies of figures, for papers, via kaleido and a local Chromium.

Kaleido 1.x drives a Chrome-family browser that is already installed (through the
choreographer package); it does not bundle one. :func:`find_browser` picks the browser
explicitly: the ``BROWSER_PATH`` environment variable if set (the variable
choreographer itself honours), else the first of the usual Chromium and Chrome
names on ``PATH``, else the usual install locations. The path is handed to kaleido,
and MathJax is switched off so that kaleido's page loads nothing from the network
(plotly.js comes from the installed plotly package).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import plotly.graph_objects as go

#: Executable names tried on PATH, in order.
BROWSER_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
)
#: Install locations tried when nothing is on PATH.
BROWSER_PATHS = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)
FORMATS = ("png", "svg")
WIDTH = 1100
PNG_SCALE = 2

INSTALL_HINT = (
    "static images need Chromium or Chrome. Install it with your package manager "
    "(Debian/Ubuntu: 'sudo apt-get install chromium'), or point BROWSER_PATH at an "
    "installed Chrome-family browser, then try again"
)


class BrowserNotFoundError(RuntimeError):
    """Raised when no Chromium or Chrome can be found for static images."""


def find_browser() -> str | None:
    """The Chromium or Chrome executable to use, or None if there is none."""
    explicit = os.environ.get("BROWSER_PATH")
    if explicit:
        return explicit if _is_exe(explicit) else None
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found and _is_exe(found):
            return found
    return next((p for p in BROWSER_PATHS if _is_exe(p)), None)


def require_browser() -> str:
    """The browser for static images.

    Raises:
        BrowserNotFoundError: If there is none, saying what to install.
    """
    found = find_browser()
    if found:
        return found
    where = os.environ.get("BROWSER_PATH")
    prefix = f"BROWSER_PATH={where} is not an executable; " if where else ""
    raise BrowserNotFoundError(prefix + INSTALL_HINT)


def export_images(
    figures: dict[str, go.Figure],
    folder: str | os.PathLike[str],
    formats: Iterable[str] = FORMATS,
    browser: str | None = None,
) -> list[Path]:
    """Write every figure as ``<id>.<format>`` into ``folder``.

    Args:
        figures: Figure id -> figure.
        folder: Where to write (created).
        formats: Any of ``png``, ``svg``, ``pdf``.
        browser: The browser executable; found with :func:`find_browser` when None.

    Returns:
        The files written.

    Raises:
        BrowserNotFoundError: If no browser is found.
    """
    import kaleido  # imported here: only --images needs it

    browser = browser or require_browser()
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    jobs, paths = [], []
    for fid, fig in figures.items():
        height = int(fig.layout.height or 500)
        for fmt in formats:
            path = out / f"{fid}.{fmt}"
            opts = {"format": fmt, "width": WIDTH, "height": height}
            if fmt == "png":
                opts["scale"] = PNG_SCALE
            jobs.append({"fig": fig, "path": path, "opts": opts})
            paths.append(path)
    kaleido.write_fig_from_object_sync(
        jobs, kopts={"path": browser, "mathjax": False}, cancel_on_error=True
    )
    return paths


def _is_exe(path: str) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)
