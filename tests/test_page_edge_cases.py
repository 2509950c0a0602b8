"""Every page in a real browser with hostile text and with degenerate runs.

Hostile text: markup that plotly or the browser would interpret (a link, bold,
italics, a span, a line break, an image, a script, quotes and an ampersand) in every
field a user writes: scenario names and descriptions, display names of every actor,
segment names, shock labels, sweep names and sweep parameter values. Each page must
show the text literally and create no element from it, run no script, open no dialog.

Degenerate runs: a zero budget, a single step, names of 200 characters, no NGOs, no
outlets, a sweep whose runs all failed. Each page must draw without a console error
or an uncaught exception, with a note where a figure has nothing to show.

Skipped when Chromium or Playwright is missing, except in CI, where that fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.dashboards.decomposition import render_decomposition
from sim.dashboards.index import write_index
from sim.dashboards.sweep_dashboard import render_sweep
from sim.sweep import load_sweep, run_sweep
from tests.conftest import SCENARIOS
from tests.test_dashboard_browser import assert_clean, browser, plot_data, visit  # noqa: F401

#: Markup that plotly (``<a>``, ``<b>``, ``<i>``, ``<span>``, ``<br>``) or the browser
#: would interpret, plus characters that must survive escaping.
INJECT = (
    '<a href="https://example.com/x">L</a><b>B</b><i>I</i><span style="color:red">S</span>'
    "<br><img src=x onerror=alert(1)><script>alert(2)</script> & \"q\" 'a'"
)
#: Fragments of INJECT that must never reach plotly unescaped.
RAW = ('<a href="https://example.com', "<b>B</b>", "<i>I</i>", '<span style="color:red"', "<img")
SMALL = ["--set", "audience.population=200"]
LONG = ("A scenario with a very long name that goes on " * 5)[:199] + "!"


def scenario(path: Path, **fields) -> Path:
    """Write a scenario extending minimal.yaml with ``fields``."""
    doc = {"extends": str(SCENARIOS / "minimal.yaml"), **fields}
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def hostile_fields(tag: str) -> dict:
    """Every user-written text field of a small scenario, set to hostile markup."""
    text = f"{tag} {INJECT}"
    return {
        "name": text[:200],
        "description": f"description {INJECT}",
        "funders": [
            {
                "id": "funder",
                "name": f"funder {INJECT}",
                "budget": {"total_usd": 1_000_000},
                "allocation": {"curator": 1},
            }
        ],
        "intermediaries": [
            {
                "id": "curator",
                "name": f"curator {INJECT}",
                "integrity": 0.5,
                "grantees": ["language_ngo", "tv"],
            }
        ],
        "activities": [
            {
                "id": "language_course",
                "name": f"course {INJECT}",
                "cost_usd": 2000,
                "reach": {"everyone": 25},
                "persuasion": 0.5,
                "for_show": False,
            }
        ],
        "ngos": [
            {"id": "language_ngo", "name": f"ngo {INJECT}", "activities": {"language_course": 1}}
        ],
        "outlets": [
            {
                "id": "tv",
                "name": f"outlet {INJECT}",
                "reach": {"everyone": 0.2},
                "running_cost_usd_per_year": 100_000,
            }
        ],
        "audience": {
            "population": 200,
            "real_population": 100_000,
            "segments": [{"id": "everyone", "name": f"segment {INJECT}", "share": 1.0}],
        },
        "shocks": [
            {
                "id": "news",
                "type": "sentiment",
                "date": "2020-03-05",
                "segments": ["all"],
                "delta": -0.1,
                "label": f"shock {INJECT}",
            }
        ],
    }


def long_fields() -> dict:
    """200-character names for the scenario, every actor, the segment and a shock."""
    fields = hostile_fields("long")
    for section in ("funders", "intermediaries", "activities", "ngos", "outlets"):
        for item in fields[section]:
            item["name"] = LONG
    fields["audience"]["segments"][0]["name"] = LONG
    fields["shocks"][0]["label"] = LONG
    return {**fields, "name": LONG, "description": LONG}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Runs, comparisons, sweeps and a decomposition, hostile and degenerate, indexed."""
    root = tmp_path_factory.mktemp("edge") / "results"
    src = root.parent
    hostile = scenario(src / "hostile.yaml", **hostile_fields("run"))
    hostile2 = scenario(src / "hostile2.yaml", **hostile_fields("other"))
    runs = {
        "hostile": [str(hostile)],
        "zero": [str(SCENARIOS / "minimal.yaml"), "--set", "funders[0].budget.total_usd=0"],
        "single": [str(SCENARIOS / "minimal.yaml"), "--set", "time.end=2020-01-31"],
        "long": [str(scenario(src / "long.yaml", **long_fields()))],
        "no-ngos": [
            str(
                scenario(
                    src / "no_ngos.yaml",
                    intermediaries=[{"id": "curator", "integrity": 0.5, "grantees": ["tv"]}],
                    ngos=[],
                    outlets=[
                        {"id": "tv", "reach": {"everyone": 0.2}, "running_cost_usd_per_year": 1e5}
                    ],
                )
            )
        ],
        "no-outlets": [str(SCENARIOS / "minimal.yaml")],
    }
    for name, args in runs.items():
        assert main(["run", *args, "--out", str(root / name), *SMALL]) == 0, name
    long2 = scenario(src / "long2.yaml", **{**long_fields(), "name": LONG[:-1] + "?"})
    for name, files in (
        ("compare-hostile", [hostile, hostile2]),
        ("compare-long", [src / "long.yaml", long2]),
    ):
        args = [*map(str, files), "--replicates", "2", "--out", str(root / name), *SMALL]
        assert main(["compare", *args]) == 0, name
    zero = ["--set", "funders[0].budget.total_usd=0"]
    compare_zero = [str(SCENARIOS / "minimal.yaml"), str(SCENARIOS / "minimal.yaml"), *zero]
    args = [*compare_zero, "--replicates", "1", "--out", str(root / "compare-zero"), *SMALL]
    assert main(["compare", *args]) == 0
    short = ["--set", "time.end=2020-06-30", "--replicates", "1"]
    assert main(["decompose", str(hostile), *short, "--out", str(root / "decomposition")]) == 0
    manifest = root / "decomposition" / "manifest.json"
    m = json.loads(manifest.read_text(encoding="utf-8"))
    for f in m["factors"]:
        f["label"] = f"{f['label']} {INJECT}"
        f["description"] = f"{f.get('description', '')} {INJECT}"
    manifest.write_text(json.dumps(m), encoding="utf-8")
    render_decomposition(root / "decomposition")
    base = {
        "base": str(SCENARIOS / "minimal.yaml"),
        "set": {"audience.population": 100, "time.end": "2020-06-30"},
        "seed": 3,
        "replicates": 1,
        "design": "grid",
    }
    sweeps = {
        "sweep-hostile": {
            "name": f"sweep {INJECT}",
            "description": f"description {INJECT}",
            "parameters": {
                "name": {"values": [f"one {INJECT}", f"two {INJECT}"]},
                "host_state.media_control": {"values": [0.1, 0.9]},
            },
            "metrics": ["final_opinion", "share_leaked"],
        },
        "sweep-failed": {
            "name": "all failed",
            "parameters": {
                "host_state.media_control": {"values": [0.1, 0.2]},
                "intermediaries[*].integrity": {"values": [0.3, 0.6]},
            },
            "metrics": ["tests.sweep_helpers:fails_when_open"],
        },
    }
    for name, fields in sweeps.items():
        path = src / f"{name}.yaml"
        path.write_text(yaml.safe_dump({**base, **fields}), encoding="utf-8")
        run_sweep(load_sweep(path), root / name, workers=1)
        render_sweep(root / name)
    write_index(root)
    return root


PAGES = {
    "hostile": "hostile/dashboard.html",
    "compare-hostile": "compare-hostile/comparison.html",
    "sweep-hostile": "sweep-hostile/dashboard.html",
    "decomposition": "decomposition/decomposition.html",
    "index": "index.html",
}


def plotly_strings(page) -> list[str]:
    """Every string in every figure's data and layout, as handed to plotly."""
    return page.evaluate(
        """() => {
          const out = [];
          const walk = v => {
            if (typeof v === 'string') { out.push(v); }
            else if (Array.isArray(v)) { v.forEach(walk); }
            else if (v && typeof v === 'object') { Object.values(v).forEach(walk); }
          };
          document.querySelectorAll('.js-plotly-plot').forEach(e => {
            walk(e.data); walk(e.layout);
          });
          return out;
        }"""
    )


@pytest.mark.parametrize("name", list(PAGES))
def test_hostile_text_is_shown_literally_everywhere(browser, results, name):  # noqa: F811
    page, seen = visit(browser, results / PAGES[name])
    page.mouse.move(640, 450)
    # No element made from the injected markup, in HTML or in plotly's SVG.
    # (Downloads embed their CSV text, hostile names included, as a data: URI: that
    # is data, percent-encoded, not a link made from the markup.)
    links = page.eval_on_selector_all(
        "a:not([download])", "els => els.map(e => e.getAttribute('href'))"
    )
    assert not [h for h in links if "example.com" in (h or "")]
    downloads = page.eval_on_selector_all("a[download]", "els => els.map(e => e.href)")
    assert all(h.startswith("data:text/csv;charset=utf-8,") for h in downloads)
    assert not [h for h in downloads if any(c in h for c in "<>\"' ")]
    assert page.locator("img").count() == 0
    assert page.locator("b, i, span[style*='color:red']").count() == 0
    bold = page.eval_on_selector_all(
        "svg tspan",
        "els => els.filter(e => /bold|italic/.test(e.getAttribute('style') || ''))"
        ".map(e => e.textContent)",
    )
    assert not [t for t in bold if t in ("B", "I")]
    scripts = page.eval_on_selector_all("script", "els => els.map(e => e.textContent)")
    assert "alert(2)" not in [s.strip() for s in scripts]
    # The text is there, literally, in the page and in the figures.
    body = page.inner_text("body")
    assert INJECT in body
    if name != "index":
        # Figures may cut long names (with an ellipsis); what they show is literal.
        svg = " ".join(page.locator("svg text").all_text_contents())
        assert (INJECT[:45] if name == "hostile" else INJECT[:15]) in svg
        leaked = [s for s in plotly_strings(page) if any(r in s for r in RAW)]
        assert leaked == []
    assert_roomy_plots(page)
    assert_clean(seen)
    page.close()


def assert_roomy_plots(page):
    """No plot area squeezed by long text around it (legends, ticks, titles)."""
    areas = page.eval_on_selector_all(
        ".js-plotly-plot .nsewdrag",
        "els => els.map(e => [e.closest('.js-plotly-plot').id, e.getBBox().width,"
        " e.getBBox().height])",
    )
    small = [a for a in areas if a[1] < 150 or a[2] < 80]
    assert small == [], small
    # Legend entries and Sankey labels stay inside their figure, and labels apart.
    boxes = page.eval_on_selector_all(
        ".js-plotly-plot .legendtext, .js-plotly-plot .sankey-node .node-label",
        """els => els.map(e => {
          const r = e.getBoundingClientRect();
          const f = e.closest('.js-plotly-plot').getBoundingClientRect();
          return {text: e.textContent, label: e.classList.contains('node-label'),
                  x: r.left, y: r.top, w: r.width, h: r.height, right: f.right};
        }).filter(b => b.w > 0)""",
    )
    outside = [b["text"] for b in boxes if b["x"] + b["w"] > b["right"] + 1]
    assert outside == [], outside
    labels = [b for b in boxes if b["label"]]
    clashes = [
        (a["text"], b["text"])
        for i, a in enumerate(labels)
        for b in labels[i + 1 :]
        if a["x"] + 1 < b["x"] + b["w"]
        and b["x"] + 1 < a["x"] + a["w"]
        and a["y"] + 1 < b["y"] + b["h"]
        and b["y"] + 1 < a["y"] + a["h"]
    ]
    assert clashes == [], clashes


def test_hostile_sweep_values_are_escaped_in_ticks_and_hover(browser, results):  # noqa: F811
    page, seen = visit(browser, results / PAGES["sweep-hostile"])
    ticks = page.locator("#sweep-response .xaxislayer-above text").all_text_contents()
    assert [t for t in ticks if t.startswith("one <a href=")]
    hovers = []
    for panel in ("xy", "x2y2"):
        page.hover(
            f"#sweep-response .subplot.{panel} .scatterlayer .trace:last-child .point",
            force=True,
        )
        page.wait_for_timeout(200)
        hovers += page.locator("#sweep-response .hoverlayer text").all_text_contents()
    assert any(f"value one {INJECT}" in h or f"value two {INJECT}" in h for h in hovers), hovers
    assert page.locator("svg a").count() == 0
    assert_clean(seen)
    page.close()


EDGE_PAGES = {
    "zero": ("zero/dashboard.html", "money-flow"),
    "single": ("single/dashboard.html", None),
    "long": ("long/dashboard.html", None),
    "no-ngos": ("no-ngos/dashboard.html", None),
    "no-outlets": ("no-outlets/dashboard.html", None),
    "compare-long": ("compare-long/comparison.html", None),
    "compare-zero": ("compare-zero/comparison.html", None),
    "sweep-failed": ("sweep-failed/dashboard.html", None),
    "index": ("index.html", None),
}


@pytest.mark.parametrize("name", list(EDGE_PAGES))
def test_degenerate_runs_render_without_errors(browser, results, name):  # noqa: F811
    path, empty = EDGE_PAGES[name]
    page, seen = visit(browser, results / path)
    page.wait_for_timeout(300)
    body = page.inner_text("body")
    assert "Something went wrong" not in body
    assert "went wrong" not in " ".join(page.locator("svg text").all_text_contents())
    for fid in plot_data(page):
        box = page.locator(f"#{fid} .main-svg").first.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, fid
    assert_roomy_plots(page)
    if empty:
        note = " ".join(page.locator(f"#{empty} svg text").all_text_contents())
        assert "Nothing to show" in note
    if name == "compare-long":  # names equal up to the cut stay apart
        bars = page.evaluate("document.getElementById('money').data[0].x")
        assert len(set(bars)) == 2, bars
    if name == "sweep-failed":
        assert "Nothing to show" in body or "failed" in body
    assert_clean(seen)
    page.close()
