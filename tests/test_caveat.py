"""Every page carries the caveat box: what its bands include, ASSUMED, the limitations.

The pages are built from tiny results (the minimal scenario with a few hundred
people); the classroom page's box is checked in tests/test_classroom.py.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from sim.compare import run_comparison
from sim.dashboards import caveat
from sim.dashboards.compare_dashboard import render_comparison
from sim.dashboards.decomposition import render_decomposition
from sim.dashboards.index import write_index
from sim.dashboards.run_dashboard import render_run_dashboard
from sim.dashboards.sweep_dashboard import render_sweep
from sim.dashboards.text import safe
from sim.decompose import DECOMPOSITION_FILE, decompose, write_decomposition
from sim.output import write_run
from sim.run import simulate
from sim.scenario import load_scenario
from sim.sweep.load import load_sweep
from sim.sweep.runner import run_sweep
from tests.conftest import ROOT, SCENARIOS

MINIMAL = SCENARIOS / "minimal.yaml"
SMALL = ["audience.population=200"]


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """One page of each kind, written outside the checkout."""
    root = tmp_path_factory.mktemp("caveat")
    scenario = load_scenario(MINIMAL, SMALL)
    run = write_run(simulate(scenario, 1), root / "run")
    cmp_ = run_comparison([MINIMAL, MINIMAL], root / "cmp", replicates=2, overrides=SMALL)
    dec = write_decomposition(decompose(scenario, [1]), root / "dec")
    (root / "sweep.yaml").write_text(
        f"name: tiny\nbase: {MINIMAL}\nset:\n  audience.population: 200\nseed: 3\n"
        "metrics: [final_opinion]\n"
        "parameters:\n  intermediaries[*].integrity: {values: [0.2, 0.9]}\n"
        "design: grid\nreplicates: 1\n",
        encoding="utf-8",
    )
    run_sweep(load_sweep(root / "sweep.yaml"), root / "sweep", workers=1)
    return {
        "run": render_run_dashboard(run),
        "comparison": render_comparison(cmp_),
        "decomposition": render_decomposition(dec),
        "sweep": render_sweep(root / "sweep"),
        "index": write_index(root),
    }


BANDS = {
    "run": caveat.BANDS_SINGLE_RUN,
    "comparison": caveat.BANDS_SEED_NOISE,
    "decomposition": caveat.BANDS_SEED_NOISE,
    "sweep": caveat.BANDS_SWEEP,
    "index": caveat.BANDS_INDEX,
}


@pytest.mark.parametrize("kind", list(BANDS))
def test_every_page_has_one_caveat_box(pages, kind):
    html = pages[kind].read_text(encoding="utf-8")
    assert html.count('<aside class="caveat"') == 1
    box = html[html.index('<aside class="caveat"') : html.index("</aside>")]
    assert safe(BANDS[kind]) in box
    assert "ASSUMED" in box and "section 9 of docs/ODD.md" in box
    assert "<details><summary>The model&#39;s limitations</summary>" in box
    assert "aside.caveat" in html  # styled
    # near the top: before the first figure or table
    first = min(i for i in (html.find('class="figure"'), html.find("<table")) if i >= 0)
    assert html.index('<aside class="caveat"') < first
    # outside the checkout there is no file to link to
    assert "ODD.md#" not in box


def test_the_box_embeds_every_limitation_of_the_odd():
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    section = odd[odd.index(caveat.LIMITATIONS_HEADING) :]
    section = section[: section.index("\n---")]
    bullets = [line for line in section.splitlines() if line.startswith("- ")]
    items = caveat.limitation_items()
    assert len(items) == len(bullets) >= 5
    titles = re.findall(r"^- \*\*(.+?)\*\*", section, re.M)
    for title, item in zip(titles, items, strict=True):
        assert item.startswith(f"<strong>{safe(title)}</strong>")
    assert not any("$" in i or "**" in i for i in items)


def test_inside_the_checkout_the_box_links_to_the_limitations_section():
    page_folder = ROOT / "results" / "some-run"
    href = caveat.limitations_href(page_folder)
    path, _, anchor = href.partition("#")
    assert path == "../../docs/ODD.md"
    assert (page_folder / path).resolve() == (ROOT / "docs" / "ODD.md").resolve()
    # the anchor is GitHub's slug of the heading, so a renumbered section fails here
    heading = caveat.LIMITATIONS_HEADING.lstrip("#").strip()
    slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
    assert anchor == slug == "9-limitations"
    assert caveat.LIMITATIONS_HEADING in (ROOT / "docs" / "ODD.md").read_text().splitlines()
    box = caveat.caveat_box("x", page_folder)
    assert 'href="../../docs/ODD.md#9-limitations"' in box
    assert caveat.limitations_href(Path("/")) is None


def test_a_run_page_with_its_decomposition_says_what_those_intervals_include(pages, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(pages["run"].parent, run)
    shutil.copy(pages["decomposition"].parent / DECOMPOSITION_FILE, run / DECOMPOSITION_FILE)
    html = render_run_dashboard(run).read_text(encoding="utf-8")
    assert safe(caveat.BANDS_DECOMPOSED_RUN) in html
    assert safe(caveat.BANDS_DECOMPOSED_RUN) not in pages["run"].read_text(encoding="utf-8")


def test_the_page_text_is_escaped():
    box = caveat.caveat_box("<b>bands</b> & more")
    assert "<b>" not in box and "&lt;b&gt;bands&lt;/b&gt; &amp; more" in box
