"""The calibration page in a real browser (Chromium via Playwright, offline).

It must load without console errors, draw every figure with data, show the line
saying what its bands include, and show hostile text from the calibration file
(its name, a target's name and source) as text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from tests.test_dashboard_browser import assert_clean, browser, plot_data, visit

__all__ = ["browser"]  # the fixture, reused

REPO = Path(__file__).resolve().parent.parent
HOSTILE = "Cal <img src=x onerror=alert(1)>"
TARGET = "<b onmouseover=alert(3)>end</b>"


@pytest.fixture(scope="module")
def calibration(tmp_path_factory):
    root = tmp_path_factory.mktemp("calpage")
    spec = root / "hostile.yaml"
    text = (REPO / "tests" / "calibration" / "tiny.yaml").read_text(encoding="utf-8")
    text = (
        text.replace(
            "base: ../../scenarios/minimal.yaml", f"base: {REPO / 'scenarios' / 'minimal.yaml'}"
        )
        .replace("name: Tiny calibration", f"name: '{HOSTILE}'")
        .replace("  favourable_end:", f"  '{TARGET}':")
        .replace(
            "    sample_size: 500", "    sample_size: 500\n    source: '<script>alert(2)</script>'"
        )
    )
    spec.write_text(text, encoding="utf-8")
    out = root / "out"
    assert main(["calibrate", str(spec), "--out", str(out)]) == 0
    return out


def test_calibration_page_draws_every_figure_and_says_what_bands_include(browser, calibration):
    page, seen = visit(browser, calibration / "calibration.html")
    drawn = plot_data(page)
    assert set(drawn) == {"marginals", "pairs", "predictive", "paths-0", "diagnostics"}
    assert all(n > 0 for n in drawn.values()), drawn
    body = page.inner_text("body")
    assert "Bands on this page" in body
    assert "parameter uncertainty and seed noise" in body
    assert page.locator("p.story").first.is_visible()
    assert HOSTILE in body
    assert TARGET in body
    assert "<script>alert(2)</script>" in body
    assert page.locator("img").count() == 0
    svg_text = " ".join(page.locator("svg text").all_text_contents())
    assert TARGET in svg_text  # plotly shows the target's name literally
    assert_clean(seen)
    page.close()
