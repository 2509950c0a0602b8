"""Pages made with --prior in a real browser (Chromium via Playwright, offline).

The comparison, the decomposition and a run's uncertainty page must load without
console errors, draw every figure, show in the visible caveat box that their bands
include parameters as well as seed noise, and show a hostile scenario name as text.
"""

from __future__ import annotations

import pytest

from sim.cli import main
from tests.test_dashboard_browser import assert_clean, browser, plot_data, visit
from tests.test_parameter_uncertainty import MINIMAL, write_calibration

__all__ = ["browser"]  # the fixture, reused

HOSTILE = "Bigger <img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    root = tmp_path_factory.mktemp("prior-pages")
    cal = write_calibration(root)
    other = root / "other.yaml"
    text = MINIMAL.read_text(encoding="utf-8")
    other.write_text(
        text.replace("total_usd: 1000000 ", "total_usd: 3000000 ").replace(
            "name: Minimal example", f"name: '{HOSTILE}'"
        ),
        encoding="utf-8",
    )
    small = ["--set", "audience.population=300", "--prior", str(cal)]
    compare = ["compare", str(MINIMAL), str(other), "--replicates", "3", *small]
    assert main([*compare, "--out", str(root / "cmp")]) == 0
    decompose = ["decompose", str(MINIMAL), "--replicates", "2", *small]
    assert main([*decompose, "--out", str(root / "dec")]) == 0
    run = ["run", str(MINIMAL), "--draws", "3", *small]
    assert main([*run, "--out", str(root / "run")]) == 0
    return {
        "comparison": root / "cmp" / "comparison.html",
        "decomposition": root / "dec" / "decomposition.html",
        "uncertainty": root / "run" / "uncertainty.html",
    }


@pytest.mark.parametrize("which", ["comparison", "decomposition", "uncertainty"])
def test_the_page_says_what_its_bands_include(browser, pages, which):
    page, seen = visit(browser, pages[which])
    drawn = plot_data(page)
    assert drawn and all(n > 0 for n in drawn.values()), drawn
    box = page.locator("aside.caveat")
    assert box.is_visible()
    said = box.inner_text()
    assert "seed noise" in said and "prior" in said, said
    if which == "comparison":
        assert {"bands-0", "bands-1"} <= set(drawn)
        assert page.get_by_text(HOSTILE).first.is_visible()
    assert_clean(seen)
    page.close()
