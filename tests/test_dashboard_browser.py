"""The pages in a real browser: Debian's Chromium driven by Playwright, offline.

Each page must load without console errors or uncaught exceptions, draw data in
every figure, request nothing but local files, and show hostile scenario text as
text. Skipped when Chromium or Playwright is missing, except in CI, where that fails.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from sim.cli import main
from sim.dashboards.index import write_index
from tests.conftest import SCENARIOS, require_browser

XSS = "Test <img src=x onerror=alert(1)>"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]
LOCAL_SCHEMES = ("file", "data", "blob", "about")


@pytest.fixture(scope="module")
def browser():
    path = require_browser()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed; CI must run the browser tests")
        pytest.skip("playwright is not installed (bash setup.sh test)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A results folder with a small baseline run, a hostile run, a comparison, an index."""
    root = tmp_path_factory.mktemp("browser") / "results"
    small = ["--set", "audience.population=2000"]
    baseline = SCENARIOS / "azerbaijan_2005_2025.yaml"
    assert main(["run", str(baseline), "--out", str(root / "baseline"), *small]) == 0
    hostile = root.parent / "hostile.yaml"
    hostile.write_text(
        f"extends: {SCENARIOS / 'minimal.yaml'}\n"
        f"name: '{XSS}'\n"
        "description: 'A <script>alert(2)</script> description'\n"
        "ngos:\n  - id: language_ngo\n    name: '<b onmouseover=alert(3)>NGO</b>'\n"
        "shocks:\n  - {id: news, type: sentiment, date: 2021-05-05, segments: [all],\n"
        "     delta: -0.1, label: '<img src=y onerror=alert(4)>'}\n",
        encoding="utf-8",
    )
    assert main(["run", str(hostile), "--out", str(root / "hostile"), *small]) == 0
    compare = [str(SCENARIOS / "minimal.yaml"), str(hostile), "--replicates", "2"]
    assert main(["compare", *compare, "--out", str(root / "comparison"), *small]) == 0
    write_index(root)
    return root


def visit(browser, path: Path):
    """Open a page; return it with the console errors, dialogs and foreign requests seen."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = {"errors": [], "dialogs": [], "foreign": []}
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))

    def dialog(d):
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.on(
        "request",
        lambda r: (
            None if urlparse(r.url).scheme in LOCAL_SCHEMES else seen["foreign"].append(r.url)
        ),
    )
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(300)
    return page, seen


def plot_data(page) -> dict[str, int]:
    """Figure id -> number of traces plotly drew in it."""
    return page.evaluate(
        "Object.fromEntries(Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".map(e => [e.id, (e.data || []).length]))"
    )


def assert_clean(seen):
    assert seen["errors"] == []
    assert seen["dialogs"] == []
    assert seen["foreign"] == []


def test_run_dashboard_loads_offline_with_every_figure_drawn(browser, results):
    page, seen = visit(browser, results / "baseline" / "dashboard.html")
    drawn = plot_data(page)
    assert set(drawn) == {
        "opinion",
        "influence",
        "money-flow",
        "money-over-time",
        "segment-influence",
        "segment-opinion",
        "outlet-reach",
    }
    assert all(n > 0 for n in drawn.values()), drawn
    assert page.locator("#money-flow .sankey-node").count() > 5
    assert page.locator("#opinion .scatterlayer .trace").count() == 2
    body = page.inner_text("body")
    assert "Azerbaijan 2005-2025 (historical baseline)" in body
    assert "Sputnik Azerbaijan raided and shut down" in body
    assert page.locator("aside.caveat").is_visible()
    page.locator("aside.caveat summary").click()  # the embedded limitations open
    assert page.locator("aside.caveat li").first.is_visible()
    assert_clean(seen)
    page.close()


def test_comparison_page_loads_offline(browser, results):
    page, seen = visit(browser, results / "comparison" / "comparison.html")
    drawn = plot_data(page)
    assert set(drawn) == {"trajectories", "differences", "segments", "money"}
    assert all(n > 0 for n in drawn.values()), drawn
    assert page.locator("aside.caveat").is_visible()
    assert "seed noise only" in page.locator("aside.caveat").inner_text()
    assert_clean(seen)
    page.close()


@pytest.mark.parametrize("name", ["summary.csv", "differences.csv"])
def test_comparison_page_downloads_its_tables_offline(browser, results, name):
    page, seen = visit(browser, results / "comparison" / "comparison.html")
    link = page.locator(f"a[download='{name}']")
    assert link.count() == 1
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == name
    saved = Path(download.path()).read_text(encoding="utf-8")
    assert saved == (results / "comparison" / name).read_text(encoding="utf-8")
    # the hostile scenario's name travels as data, literally, and the page is untouched
    if name == "summary.csv":
        assert XSS in saved
    else:
        assert "paired by seed" in saved
    assert page.locator("img").count() == 0
    assert_clean(seen)
    page.close()


def test_index_links_every_page(browser, results):
    page, seen = visit(browser, results / "index.html")
    hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.href)")
    targets = {Path(unquote(urlparse(h).path)) for h in hrefs}
    assert targets == {
        results / "baseline" / "dashboard.html",
        results / "hostile" / "dashboard.html",
        results / "comparison" / "comparison.html",
    }
    assert all(t.is_file() for t in targets)
    assert_clean(seen)
    page.close()


@pytest.mark.parametrize(
    "page_path", ["hostile/dashboard.html", "comparison/comparison.html", "index.html"]
)
def test_hostile_scenario_text_is_shown_as_text(browser, results, page_path):
    page, seen = visit(browser, results / page_path)
    page.mouse.move(640, 450)
    assert XSS in page.inner_text("body")
    assert page.locator("img").count() == 0
    assert page.locator("script").evaluate_all(
        "els => els.every(e => !e.textContent.includes('alert(2)'))"
    )
    if page_path != "index.html":
        # Plotly draws the hostile strings as SVG text too, literally.
        svg_text = " ".join(page.locator("svg text").all_text_contents())
        shown = {
            "hostile/dashboard.html": "onmouseover=alert(3)>NGO</b>",
            "comparison/comparison.html": XSS,
        }
        assert shown[page_path] in svg_text
    if page_path == "hostile/dashboard.html":
        # The shock marker's hover text carries the hostile label, shown literally.
        page.hover("#opinion g.annotation")
        page.wait_for_timeout(200)
        hover = " ".join(page.locator("#opinion .hoverlayer text").all_text_contents())
        assert "<img src=y onerror=alert(4)>" in hover
    assert seen["dialogs"] == []
    assert_clean(seen)
    page.close()
