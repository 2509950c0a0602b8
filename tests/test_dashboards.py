"""Dashboards: loading, figure builders, Sankey flows, aggregation, pages, index, CLI.

Everything runs on small saved results made once per session (the SMALL scenario of
conftest, with shocks added), so the figures are checked against real output files.
"""

from __future__ import annotations

import json
import math
import os
import re
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.compare import classify, run_comparison
from sim.dashboards import aggregate, compare_figures, figures, palette, text
from sim.dashboards.compare_dashboard import (
    Comparison,
    comparison_figures,
    comparison_page,
    load_comparison,
    shares_twin,
)
from sim.dashboards.headline import headline
from sim.dashboards.images import BrowserNotFoundError, export_images, find_browser
from sim.dashboards.index import find_entries, write_index
from sim.dashboards.load import NotAResultError, load_run
from sim.dashboards.markers import add_shock_markers, run_shocks
from sim.dashboards.page import CSP
from sim.dashboards.report import render_any, update_index
from sim.dashboards.run_dashboard import headline_cards, run_figures, run_page
from sim.dashboards.sankey import flow_totals, sankey_figure
from sim.output import write_run
from sim.quantities import money_flows
from sim.run import simulate
from sim.sweep.seeds import replicate_seeds
from tests.conftest import SCENARIOS, SMALL, make_scenario, require_browser

#: Three shocks: two in the same month (one marker), one shutting the outlet down.
SHOCKS = {
    "shocks": [
        {
            "id": "bad_news",
            "type": "sentiment",
            "date": "2020-06-15",
            "segments": ["all"],
            "delta": -0.1,
            "label": "Bad news",
        },
        {
            "id": "tv_closed",
            "type": "outlet_shutdown",
            "outlet": "tv",
            "date": "2021-03-10",
            "label": "TV closed",
        },
        {
            "id": "cool",
            "type": "host_policy",
            "date": "2021-03-14",
            "stance": -0.2,
            "label": "Relations cool",
        },
    ]
}
XSS = "Test <img src=x onerror=alert(1)>"


@pytest.fixture(scope="session")
def saved(tmp_path_factory):
    """A saved run of SMALL with shocks, and one of the minimal scenario (no outlets)."""
    root = tmp_path_factory.mktemp("dash")
    small = write_run(simulate(make_scenario(SHOCKS), 3), root / "small")
    from sim.scenario import load_scenario

    minimal = load_scenario(SCENARIOS / "minimal.yaml", ["audience.population=300"])
    plain = write_run(simulate(minimal, 1), root / "minimal")
    return {"small": small, "minimal": plain, "root": root}


@pytest.fixture(scope="session")
def run(saved):
    return load_run(saved["small"])


# -- palette and text -------------------------------------------------------------------


def test_colour_map_gives_distinct_stable_colours_in_order():
    m = palette.colour_map(["a", "b", "a", "c"])
    assert list(m) == ["a", "b", "c"]
    assert len(set(m.values())) == 3
    assert m == palette.colour_map(["a", "b", "c"])
    assert palette.categorical(len(palette.CATEGORICAL)) == palette.categorical(0)


def test_scenario_colours_avoid_the_money_colours_for_the_first_few():
    money = {palette.MONEY[k] for k in ("leaked", "for_show", "substantive")}
    assert not money & set(palette.CATEGORICAL[:4])


def test_with_alpha():
    assert palette.with_alpha("#D55E00", 0.5) == "rgba(213,94,0,0.5)"


def test_safe_escapes_markup():
    assert text.safe(XSS) == "Test &lt;img src=x onerror=alert(1)&gt;"
    # Quotes as numeric entities: plotly decodes those, but shows "&quot;" literally.
    assert text.safe("a\"b&c'd") == "a&#34;b&amp;c&#39;d"
    assert text.shorten("x" * 70, 60) == "x" * 59 + "…"
    assert text.shorten("short", 60) == "short"


def test_empty_sankey_is_a_note_not_a_zero_flow_diagram():
    import pandas as pd

    from sim.dashboards.sankey import sankey_figure

    flows = pd.DataFrame(
        {
            "source": ["funder:f"],
            "target": ["intermediary:i"],
            "kind": ["disbursement"],
            "cents": [0],
        }
    )
    fig = sankey_figure(flows, {}, "Where the money went")
    assert not [t for t in fig.data if t.type == "sankey"]
    assert fig.layout.annotations[0].text.startswith("Nothing to show")


def test_number_formats():
    assert text.usd(99_639_639.64) == "$99.6 million"
    assert text.usd(2149.3) == "$2,149"
    assert text.usd(math.nan) == "n/a"
    assert text.share(0.809) == "81%"
    assert text.share(0.088) == "8.8%"
    assert text.signed(0.00074) == "+0.0007"


# -- loading --------------------------------------------------------------------------------


def test_load_run_adds_cents_and_dates(run):
    assert run.ledger["cents"].dtype == np.int64
    disbursed = run.ledger.loc[run.ledger["kind"] == "disbursement", "cents"].sum()
    assert disbursed == round(run.money["disbursed_usd"] * 100)
    assert pd.api.types.is_datetime64_any_dtype(run.trajectories["date"])
    assert run.segment_ids == ["young", "old"]


def test_load_run_explains_what_is_wrong(tmp_path):
    with pytest.raises(NotAResultError, match="no such folder"):
        load_run(tmp_path / "nope")
    (tmp_path / "trajectories.csv").write_text("step\n1\n")
    with pytest.raises(NotAResultError, match=r"missing manifest\.json.*ledger\.csv"):
        load_run(tmp_path)


# -- shocks ---------------------------------------------------------------------------------


def test_every_applied_shock_is_numbered_in_date_order(run):
    shocks = run_shocks(run)
    assert [(s.number, s.id) for s in shocks] == [
        (1, "bad_news"),
        (2, "tv_closed"),
        (3, "cool"),
    ]
    assert [s.label for s in shocks] == ["Bad news", "TV closed", "Relations cool"]
    assert shocks[1].step_date == shocks[2].step_date == pd.Timestamp("2021-03-01")


def test_markers_one_per_step_with_every_shock_labelled(run):
    shocks = run_shocks(run)
    fig = figures.opinion_figure(run, shocks)
    markers = [a for a in fig.layout.annotations if a.hovertext]
    assert [a.text for a in markers] == ["<b>1</b>", "<b>2–3</b>"]
    hover = " ".join(a.hovertext for a in markers)
    for s in shocks:
        assert f"{s.number}. {s.date:%Y-%m-%d}" in hover
        assert s.label in hover
    assert "outlet shut down: TV closed" in hover
    assert len(fig.layout.shapes) == 2  # one dotted line per marker


def test_crowded_markers_are_stacked_not_overlapping(run):
    shocks = run_shocks(run)
    fig = figures.opinion_figure(run, [])
    height = fig.layout.height
    # Three steps a week apart on a two-year axis: closer than a marker is wide.
    spread = [
        type(s)(s.number, s.id, s.kind, s.date, pd.Timestamp(f"2021-01-0{1 + 3 * i}"), s.label)
        for i, s in enumerate(shocks)
    ]
    add_shock_markers(fig, spread)
    shifts = sorted(a.yshift for a in fig.layout.annotations if a.hovertext)
    assert len(set(shifts)) == 3
    assert fig.layout.height > height  # the figure grows instead of squeezing the plot


def test_shock_text_is_escaped_in_hover(run):
    shocks = run_shocks(run)
    evil = [type(shocks[0])(1, "x", "sentiment", shocks[0].date, shocks[0].step_date, XSS)]
    fig = figures.opinion_figure(run, evil)
    hover = next(a.hovertext for a in fig.layout.annotations if a.hovertext)
    assert "<img" not in hover and "&lt;img src=x" in hover


# -- run figures ------------------------------------------------------------------------------


def test_run_figures_have_titles_axes_with_units_and_data(run):
    figs = run_figures(run)
    assert list(figs) == [
        "opinion",
        "influence",
        "money-over-time",
        "money-flow",
        "segment-influence",
        "segment-opinion",
        "outlet-reach",
    ]
    for fid, fig in figs.items():
        assert fig.layout.title.text, fid
        assert len(fig.data) > 0, fid
        if fid != "money-flow":
            assert re.search(r"\(.+\)", fig.layout.yaxis.title.text), fid  # a unit
            assert fig.layout.xaxis.title.text == "Date"


def test_opinion_and_influence_traces(run):
    shocks = run_shocks(run)
    op = figures.opinion_figure(run, shocks)
    assert [t.name for t in op.data] == [
        "With the programme (actual)",
        "Without any spending (counterfactual)",
    ]
    assert list(op.data[1].y) == list(run.trajectories["counterfactual_opinion_mean"])
    inf = figures.influence_figure(run, shocks)
    names = [t.name for t in inf.data]
    assert names == ["Reported to the funder", "Actually bought (actual minus counterfactual)"]
    assert list(inf.data[1].y) == list(run.trajectories["attributable_opinion"])
    assert "mean opinion" in op.layout.yaxis.title.text.lower()


def test_segment_figures_one_colour_per_segment(run):
    shocks = run_shocks(run)
    seg = figures.segment_opinion_figure(run, shocks)
    assert [t.name for t in seg.data] == [
        "young: actual",
        "young: without spending",
        "old: actual",
        "old: without spending",
    ]
    assert seg.data[0].line.color == seg.data[1].line.color
    assert seg.data[0].line.color != seg.data[2].line.color
    infl = figures.segment_influence_figure(run, shocks)
    young, old = seg.data[0].line.color, seg.data[2].line.color
    assert [t.line.color for t in infl.data] == [young, young, old, old]
    assert [t.name for t in infl.data] == ["young", "young: reported", "old", "old: reported"]
    assert [t.line.dash for t in infl.data] == ["solid", "dot", "solid", "dot"]
    segs = run.segments
    reported = segs[segs["segment"] == "old"]["reported_influence"]
    assert list(infl.data[3].y) == list(reported)
    assert reported.iloc[-1] > 0  # the reports claimed something in every funded segment


def test_money_over_time_layers_add_up_to_disbursed(run):
    fig = figures.money_over_time_figure(run, [])
    layers = [t for t in fig.data if t.stackgroup]
    assert [t.name.split(" (")[0] for t in layers] == [
        "Leaked",
        "Spent for show",
        "Spent on substantive work",
        "Not yet spent",
    ]
    stacked = np.sum([np.asarray(t.y) for t in layers], axis=0)
    total = next(t for t in fig.data if not t.stackgroup)
    np.testing.assert_allclose(stacked, np.asarray(total.y), rtol=0, atol=1e-6)
    assert fig.layout.yaxis.title.text == "Cumulative USD (million)"


def test_outlet_reach_shows_the_shutdown(run):
    fig = figures.outlet_reach_figure(run, run_shocks(run))
    (trace,) = fig.data
    dates = pd.to_datetime(pd.Series(trace.x))
    reach = pd.Series(trace.y)
    assert reach[dates < "2021-03-01"].max() > 0
    assert (reach[dates >= "2021-03-01"] == 0).all()
    assert "shut" in list(trace.customdata)


def test_no_outlet_figure_without_outlets(saved):
    plain = load_run(saved["minimal"])
    assert figures.outlet_reach_figure(plain, []) is None
    assert "outlet-reach" not in run_figures(plain)


# -- Sankey -----------------------------------------------------------------------------------


def test_sankey_flows_sum_to_the_ledger_and_manifest(run):
    flows = money_flows(run.ledger)
    totals = flow_totals(flows)
    money = run.money
    cents = {k: round(v * 100) for k, v in money.items() if isinstance(v, float)}
    assert totals["disbursement"] == cents["disbursed_usd"]
    assert totals["leak"] == cents["leaked_usd"]
    assert totals["for_show"] == cents["for_show_usd"]
    assert totals["substantive"] == cents["substantive_usd"]
    assert totals.get("unspent", 0) == cents["unspent_usd"]
    ledger_by_kind = run.ledger.groupby("kind")["cents"].sum()
    for kind, total in ledger_by_kind.items():
        assert totals[kind] == total


def test_sankey_every_holder_passes_on_what_it_receives(run):
    flows = money_flows(run.ledger)
    inflow = flows.groupby("target")["cents"].sum()
    outflow = flows.groupby("source")["cents"].sum()
    holders = [a for a in inflow.index if a.startswith(("intermediary:", "ngo:", "outlet:"))]
    assert holders
    for h in holders:
        assert inflow[h] == outflow[h], h


def test_sankey_figure_links_match_flows_and_colour_leaks_apart(run):
    flows = money_flows(run.ledger)
    fig = sankey_figure(flows, run.scenario, "t")
    link = fig.data[0].link
    assert sum(link.value) == pytest.approx(flows["cents"].sum() / 100, abs=0.01)
    labels = [lab.replace("<br>", " ") for lab in fig.data[0].node.label]
    by_kind: dict[str, set[str]] = {}
    for kind, colour in zip(link.customdata, link.color, strict=True):
        by_kind.setdefault(kind, set()).add(colour)
    assert by_kind["leaked"].isdisjoint(by_kind["spent for show"])
    assert by_kind["leaked"].isdisjoint(by_kind["spent on substantive work"])
    leak_value = sum(v for v, k in zip(link.value, link.customdata, strict=True) if k == "leaked")
    assert leak_value == pytest.approx(run.money["leaked_usd"], abs=0.01)
    assert any(lab.startswith("Leaked: kept by intermediaries") for lab in labels)
    assert any("(for show)" in lab for lab in labels)
    assert any("(substantive)" in lab for lab in labels)


def test_sankey_shows_unspent_balances(run):
    flows = money_flows(run.ledger)
    if run.money["unspent_usd"] == 0:
        pytest.skip("nothing unspent in this run")
    fig = sankey_figure(flows, run.scenario, "t")
    assert any(lab.startswith("Unspent") for lab in fig.data[0].node.label)


def test_sankey_escapes_names(run):
    scenario = json.loads(json.dumps(run.scenario))
    scenario["ngos"][0]["name"] = XSS
    fig = sankey_figure(money_flows(run.ledger), scenario, "t")
    labels = " ".join(lab.replace("<br>", " ") for lab in fig.data[0].node.label)
    assert "<img" not in labels and "&lt;img src=x onerror=alert(1)&gt;" in labels
    hover = " ".join(fig.data[0].node.customdata)
    assert "<img" not in hover and "&lt;img src=x onerror=alert(1)&gt;" in hover


def test_sankey_puts_every_end_of_the_money_in_the_last_column(run):
    fig = sankey_figure(money_flows(run.ledger), run.scenario, "t")
    node, link = fig.data[0].node, fig.data[0].link
    payers = set(link.source)
    for i, x in enumerate(node.x):
        assert (x > 0.99) == (i not in payers), node.label[i]


# -- headline numbers -------------------------------------------------------------------------


def test_headline_matches_the_manifest(run):
    h = headline(run)
    money = run.money
    assert h.budget_usd == money["budget_usd"]
    assert h.disbursed_usd == money["disbursed_usd"]
    assert h.leaked_share == pytest.approx(money["leaked_usd"] / money["disbursed_usd"])
    assert h.for_show_share == pytest.approx(money["for_show_usd"] / money["disbursed_usd"])
    assert h.attributable_final == pytest.approx(run.manifest["final"]["attributable_opinion"])
    assert h.reported_final == pytest.approx(run.manifest["final"]["reported_influence"])
    extra = run.trajectories["attributable_favourable_share"].mean() * 100_000
    assert h.additional_people_mean == pytest.approx(extra)
    if extra > 0:
        assert h.cost_per_additional_person == pytest.approx(money["disbursed_usd"] / extra)


def test_cost_is_infinite_when_nobody_is_won(run):
    t = run.trajectories.assign(attributable_favourable_share=0.0)
    flat = type(run)(**{**run.__dict__, "trajectories": t})
    assert headline(flat).cost_per_additional_person == math.inf
    assert headline_cards(headline(flat))[-1][0] == "none bought"


# -- pages ------------------------------------------------------------------------------------


def _outside_plotlyjs(page: str) -> str:
    """The page without the embedded plotly.js library."""
    start = page.index('<script type="text/javascript">')
    end = page.index("</script>", start)
    return page[:start] + page[end:]


def test_run_page_is_self_contained_and_escaped(run):
    scenario_name = run.manifest["scenario_name"]
    evil = type(run)(**{**run.__dict__, "manifest": {**run.manifest, "scenario_name": XSS}})
    page = run_page(evil)
    assert page.count("Plotly.newPlot") == 7
    assert len(page) > 3_000_000  # plotly.js is inline
    rest = _outside_plotlyjs(page)
    assert "<script src" not in rest and "<link" not in rest
    assert "http://" not in rest and "https://" not in rest
    assert CSP in rest
    assert "<img" not in rest
    assert "Test &lt;img src=x onerror=alert(1)&gt;" in rest
    assert scenario_name not in rest


def test_run_page_lists_the_shocks_and_headline(run):
    page = _outside_plotlyjs(run_page(run))
    for label in ("Bad news", "TV closed", "Relations cool"):
        assert label in page
    assert "Cost per additional favourable person" in page
    assert text.share(headline(run).leaked_share) in page


# -- aggregation ------------------------------------------------------------------------------


def test_band_mean_and_percentiles():
    frame = pd.DataFrame({1: [0.0, 10.0], 2: [1.0, 20.0], 3: [2.0, 30.0]}, index=["a", "b"])
    b = aggregate.band(frame)
    assert list(b["mean"]) == [1.0, 20.0]
    assert b.loc["a", "low"] == pytest.approx(0.1)  # 5% between 0 and 1
    assert b.loc["a", "high"] == pytest.approx(1.9)
    assert b.loc["b", "high"] == pytest.approx(29.0)


def test_differences_pair_by_seed_or_use_all_pairs():
    base = pd.DataFrame({1: [1.0], 2: [2.0]})
    other = pd.DataFrame({2: [5.0], 1: [3.0]})
    d = aggregate.differences(base, other)
    assert dict(d.iloc[0]) == {2: 3.0, 1: 2.0}
    unpaired = aggregate.differences(base, pd.DataFrame({7: [4.0]}))
    assert sorted(unpaired.iloc[0]) == [2.0, 3.0]


def test_interval_ignores_undefined_values():
    m, lo, hi = aggregate.interval(pd.Series([1.0, np.nan, 3.0]))
    assert m == 2.0 and lo == pytest.approx(1.1) and hi == pytest.approx(2.9)
    assert all(math.isnan(v) for v in aggregate.interval(pd.Series([np.nan])))


# -- comparison -------------------------------------------------------------------------------


def test_replicate_seeds():
    assert replicate_seeds(7, 3) == [7, 8, 9]
    assert replicate_seeds(2**63 - 1, 2) == [2**63 - 1, 0]
    with pytest.raises(ValueError, match="at least 1"):
        replicate_seeds(0, 0)


@pytest.fixture(scope="session")
def comparison(saved):
    root = saved["root"]
    base = root / "small.yaml"
    base.write_text(yaml.safe_dump({**SMALL, **SHOCKS}), encoding="utf-8")
    honest = root / "honest.yaml"
    honest.write_text(
        yaml.safe_dump(
            {
                "extends": "small.yaml",
                "name": XSS,
                "intermediaries": [{"id": "cur", "integrity": 1.0}],
            }
        ),
        encoding="utf-8",
    )
    out = run_comparison([base, honest, saved["minimal"]], root / "cmp", replicates=2, seed=11)
    return out


def test_comparison_folder_layout_and_common_seeds(comparison):
    doc = json.loads((comparison / "comparison.json").read_text())
    assert doc["seeds"] == [11, 12]
    runs = {e["label"]: e["runs"] for e in doc["scenarios"]}
    assert runs["small"] == ["runs/small/seed-11", "runs/small/seed-12"]
    assert runs["honest"] == ["runs/honest/seed-11", "runs/honest/seed-12"]
    assert runs["minimal"] == ["runs/minimal/seed-1"]  # a result folder: one replicate
    for folder in [*runs["small"], *runs["honest"]]:
        assert (comparison / folder / "manifest.json").is_file()
    seeds = {
        json.loads((comparison / f / "manifest.json").read_text())["seed"] for f in runs["small"]
    }
    assert seeds == {11, 12}


def test_comparison_figures_bands_and_differences(comparison):
    c = load_comparison(comparison)
    figs = comparison_figures(c)
    assert list(figs) == ["trajectories", "differences", "segments", "money"]
    traj = figs["trajectories"]
    means = [t for t in traj.data if t.fill is None]
    assert len(means) == 3 * len(compare_figures.TRAJECTORY_PANELS)
    first = next(t for t in means if t.yaxis == "y")  # mean opinion of the baseline
    small_runs = c.runs["small"]
    expected = np.mean([r.trajectories["opinion_mean"] for r in small_runs], axis=0)
    np.testing.assert_allclose(np.asarray(first.y, dtype=float), expected)
    # one colour per scenario, the same in every panel
    colours = {t.legendgroup: t.line.color for t in means}
    for t in means:
        assert t.line.color == colours[t.legendgroup]
    assert len(set(colours.values())) == 3
    diff = figs["differences"]
    assert {t.legendgroup for t in diff.data} == {"honest", "minimal"}
    money = figs["money"]
    assert [t.name for t in money.data] == [name for _, name, _ in compare_figures.MONEY_BARS]


def test_identical_difference_panels_are_merged_when_the_twin_is_shared(comparison):
    c = load_comparison(comparison)
    # a result folder with its own seed: no pairing, so both panels stay, explained
    assert not shares_twin(c)
    html = comparison_page(c)
    assert "twin runs differ" in html
    rows = {t.yaxis for t in comparison_figures(c)["differences"].data}
    assert len(rows) == len(compare_figures.DIFFERENCE_PANELS)
    # SMALL and its honest variant share the no-spending twin seed by seed: merged
    keep = ("small", "honest")
    manifest = {
        **c.manifest,
        "scenarios": [e for e in c.manifest["scenarios"] if e["label"] in keep],
    }
    pair = Comparison(c.folder, manifest, {k: c.runs[k] for k in keep})
    assert shares_twin(pair)
    for a, b in zip(pair.runs["small"], pair.runs["honest"], strict=True):
        x = b.trajectories["opinion_mean"] - a.trajectories["opinion_mean"]
        y = b.trajectories["attributable_opinion"] - a.trajectories["attributable_opinion"]
        np.testing.assert_allclose(x, y, atol=1e-12)  # identical by construction
    diff = comparison_figures(pair)["differences"]
    assert len({t.yaxis for t in diff.data}) == len(compare_figures.SHARED_TWIN_PANELS)
    assert "shown as one panel" in comparison_page(pair)


def test_segment_panel_matches_the_segment_tables(comparison):
    c = load_comparison(comparison)
    fig = comparison_figures(c)["segments"]
    first = [t for t in fig.data if t.yaxis == "y"]  # influence bought at the end
    assert [t.legendgroup for t in first] == ["small", "honest", "minimal"]
    assert list(first[0].x) == ["young", "old", "everyone"]
    last = [
        r.segments[r.segments["segment"] == "young"]["attributable_opinion"].iloc[-1]
        for r in c.runs["small"]
    ]
    assert first[0].y[0] == pytest.approx(np.mean(last))
    assert math.isnan(first[2].y[0])  # the minimal scenario has no 'young' segment


def test_comparison_page_embeds_its_tables_as_downloads(comparison):
    html = comparison_page(load_comparison(comparison))
    for name in ("summary.csv", "differences.csv"):
        m = re.search(rf'download="{name}" href="data:text/csv;charset=utf-8,([^"]*)"', html)
        assert m, name
        assert unquote(m.group(1)) == (comparison / name).read_text(encoding="utf-8")
    assert "Mean difference (90% bootstrap CI)" in html


def test_comparison_page_escapes_scenario_names(comparison):
    page = _outside_plotlyjs(comparison_page(load_comparison(comparison)))
    assert "<img" not in page
    assert "Test &lt;img src=x onerror=alert(1)&gt;" in page
    assert "Cost per additional favourable person" in page


def test_classify_refuses_comparisons_and_missing_paths(comparison, tmp_path):
    with pytest.raises(NotAResultError, match="is a comparison"):
        classify([comparison])
    with pytest.raises(NotAResultError, match="no such scenario file or result folder"):
        classify([tmp_path / "missing.yaml"])
    with pytest.raises(NotAResultError, match="not a run's result folder"):
        classify([tmp_path])
    labels = [i.label for i in classify([SCENARIOS / "minimal.yaml", SCENARIOS / "minimal.yaml"])]
    assert labels == ["minimal", "minimal-2"]


def test_report_rerenders_a_comparison(comparison):
    written = render_any(comparison)
    assert written == [comparison / "comparison.html"]
    assert "Plotly.newPlot" in written[0].read_text()


# -- index ------------------------------------------------------------------------------------


def test_index_lists_runs_and_comparisons_but_not_replicates(saved, comparison):
    entries = find_entries(saved["root"])
    kinds = {(e.kind, e.path) for e in entries}
    assert ("run", "small") in kinds and ("run", "minimal") in kinds
    assert ("comparison", "cmp") in kinds
    assert not any(e.path.startswith("cmp/") for e in entries)
    index = write_index(saved["root"]).read_text()
    assert 'href="cmp/comparison.html"' in index
    assert "Test &lt;img src=x onerror=alert(1)&gt;" in index and "<img" not in index
    assert "Plotly" not in index


def test_index_only_updated_for_folders_inside_results(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    assert update_index(tmp_path / "elsewhere", results) is None
    assert update_index(results / "a-run", results) == (results / "index.html").resolve()


# -- static images ----------------------------------------------------------------------------


def test_images_png_and_svg(run, tmp_path):
    browser = require_browser()
    figs = {"opinion": figures.opinion_figure(run, run_shocks(run))}
    written = export_images(figs, tmp_path / "img", browser=browser)
    assert sorted(p.name for p in written) == ["opinion.png", "opinion.svg"]
    png, svg = tmp_path / "img" / "opinion.png", tmp_path / "img" / "opinion.svg"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert "<svg" in svg.read_text()[:500] and "Audience opinion" in svg.read_text()


def test_missing_browser_is_a_clear_error(run, tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    assert find_browser() is None
    with pytest.raises(BrowserNotFoundError, match="apt-get install chromium"):
        export_images({"x": figures.opinion_figure(run, [])}, tmp_path / "img")


# -- command line -----------------------------------------------------------------------------


def test_run_writes_a_dashboard_unless_told_not_to(tmp_path, capsys):
    args = ["run", str(SCENARIOS / "minimal.yaml"), "--set", "audience.population=200"]
    assert main([*args, "--out", str(tmp_path / "with")]) == 0
    assert (tmp_path / "with" / "dashboard.html").is_file()
    assert "page: " in capsys.readouterr().out
    assert main([*args, "--out", str(tmp_path / "without"), "--no-dashboard"]) == 0
    assert not (tmp_path / "without" / "dashboard.html").exists()
    assert main(["report", str(tmp_path / "without")]) == 0
    assert (tmp_path / "without" / "dashboard.html").is_file()


def test_run_under_results_writes_the_index(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(SCENARIOS / "minimal.yaml"), "--set", "audience.population=200"]) == 0
    index = (tmp_path / "results" / "index.html").read_text()
    assert 'href="minimal-seed0/dashboard.html"' in index
    assert "index: results/index.html" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "{tmp}/missing"], "no such folder"),
        (["report", "{tmp}"], "not a run's result folder"),
        (["compare", "{tmp}/missing.yaml"], "no such scenario file or result folder"),
        (["compare", "{minimal}", "--replicates", "0"], "at least 1"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, argv, message):
    argv = [a.format(tmp=tmp_path, minimal=SCENARIOS / "minimal.yaml") for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_compare_refuses_a_comparison_folder(comparison, capsys):
    assert main(["compare", str(comparison)]) == 2
    assert "is a comparison" in capsys.readouterr().err


def test_images_without_a_browser_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    argv = ["run", str(SCENARIOS / "minimal.yaml"), "--set", "audience.population=200"]
    assert main([*argv, "--out", str(tmp_path / "r"), "--images"]) == 2
    assert "apt-get install chromium" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()  # refused before running


def test_compare_cli_end_to_end(tmp_path, capsys):
    out = tmp_path / "c"
    argv = [
        "compare",
        str(SCENARIOS / "minimal.yaml"),
        str(SCENARIOS / "minimal.yaml"),
        "--replicates",
        "2",
        "--set",
        "audience.population=200",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    assert (out / "comparison.html").is_file()
    doc = json.loads((out / "comparison.json").read_text())
    assert [e["label"] for e in doc["scenarios"]] == ["minimal", "minimal-2"]
    assert doc["overrides"] == ["audience.population=200"]
    # identical scenarios with common seeds: the paired differences are exactly zero
    c = load_comparison(out)
    diff = aggregate.differences(
        aggregate.replicate_frame(c.runs["minimal"], "opinion_mean"),
        aggregate.replicate_frame(c.runs["minimal-2"], "opinion_mean"),
    )
    assert (diff.to_numpy() == 0).all()
    assert os.path.basename(str(out)) in capsys.readouterr().out
