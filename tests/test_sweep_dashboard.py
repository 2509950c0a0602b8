"""The sweep page: figure builders on synthetic tables, and the page in a real browser."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.dashboards.sweep_dashboard import NotASweepError, render_sweep
from sim.dashboards.sweep_figures import (
    heatmap,
    parallel_coordinates,
    response_curves,
    response_table,
    sensitivity_bars,
)
from sim.sweep import load_sweep, run_sweep
from tests.conftest import SCENARIOS
from tests.test_dashboard_browser import assert_clean, browser, plot_data, visit  # noqa: F401

XSS = "<img src=x onerror=alert(1)>"


def runs_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    a = np.repeat([0.0, 0.5, 1.0], 20)
    b = np.tile(np.linspace(0, 1, 30), 2)
    return pd.DataFrame({"a": a, "b": b, "y": 2 * a + 0.01 * rng.standard_normal(60)})


def test_response_table_groups_levels_and_bins_continuous_values():
    t = response_table(runs_frame(), "a", "y")
    assert list(t["x"]) == [0.0, 0.5, 1.0]
    assert list(t["runs"]) == [20, 20, 20]
    assert t["mean"].tolist() == pytest.approx([0.0, 1.0, 2.0], abs=0.01)
    assert (t["low"] <= t["mean"]).all() and (t["mean"] <= t["high"]).all()
    binned = response_table(runs_frame(), "b", "y")
    assert len(binned) == 10 and binned["runs"].sum() == 60
    assert binned["x"].is_monotonic_increasing


def test_response_curves_one_panel_per_parameter_with_escaped_titles():
    runs = runs_frame().rename(columns={"a": XSS})
    fig = response_curves(runs, [XSS, "b"], "y")
    titles = [a.text for a in fig.layout.annotations]
    assert "&lt;img src=x onerror=alert(1)&gt;" in titles and "b" in titles
    means = [t for t in fig.data if t.name == "mean over runs"]
    assert len(means) == 2


def test_heatmap_pivots_the_grid():
    points = pd.DataFrame({"a": [0, 0, 1, 1], "b": [0, 1, 0, 1], "y_mean": [1.0, 2.0, 3.0, 4.0]})
    z = heatmap(points, "a", "b", "y").data[0].z
    assert np.array_equal(np.asarray(z), [[1.0, 3.0], [2.0, 4.0]])


def test_sensitivity_bars_show_both_sobol_indices_with_intervals():
    table = pd.DataFrame(
        {
            "parameter": ["a", "b"],
            "S1": [0.9, 0.0],
            "S1_conf": [0.1, 0.01],
            "ST": [0.95, 0.02],
            "ST_conf": [0.1, 0.01],
        }
    )
    fig = sensitivity_bars(table, "sobol", "y")
    assert [list(t.y) for t in fig.data] == [[0.9, 0.0], [0.95, 0.02]]
    assert list(fig.data[1].error_y.array) == [0.1, 0.01]
    morris = pd.DataFrame(
        {"parameter": ["a"], "mu_star": [2.0], "mu_star_conf": [0.1], "mu": [2.0], "sigma": [0.3]}
    )
    assert [t.name.split(" ")[0] for t in sensitivity_bars(morris, "morris", "y").data] == [
        "mu*",
        "sigma",
    ]


def test_parallel_coordinates_draws_one_line_per_point_without_webgl():
    points = pd.DataFrame(
        {"a": np.arange(12.0), "b": np.arange(12.0)[::-1], "y_mean": np.arange(12.0)}
    )
    fig = parallel_coordinates(points, ["a", "b"], "y", bins=4)
    assert all(t.type == "scatter" for t in fig.data)  # SVG, not parcoords (WebGL)
    assert sum(list(t.x).count(None) for t in fig.data) == 12
    ys = [v for t in fig.data for v in t.y if v is not None]
    assert min(ys) == 0.0 and max(ys) == 1.0


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    """A finished two-parameter grid and a small Sobol' sweep of the minimal scenario."""
    root = tmp_path_factory.mktemp("sweeps")
    common = (
        f"base: {SCENARIOS / 'minimal.yaml'}\nset:\n  audience.population: 200\nseed: 3\n"
        "metrics: [mean_attributable_opinion, share_leaked]\n"
    )
    (root / "grid.yaml").write_text(
        f"name: 'Grid {XSS}'\ndescription: test grid\n{common}"
        "parameters:\n  intermediaries[*].integrity: {values: [0.2, 0.9]}\n"
        "  audience.exposure.effect_per_year: {values: [0.2, 0.8]}\n"
        "design: grid\nreplicates: 2\n",
        encoding="utf-8",
    )
    (root / "sobol.yaml").write_text(
        f"name: Sobol test\ndescription: test sobol\n{common}"
        "parameters:\n  intermediaries[*].integrity: {range: [0.0, 1.0]}\n"
        "  host_state.ngo_restriction: {range: [0.0, 0.9]}\n"
        "design: {type: sobol, samples: 4}\nreplicates: 1\n",
        encoding="utf-8",
    )
    out = {}
    for name in ("grid", "sobol"):
        out[name] = root / f"out-{name}"
        run_sweep(load_sweep(root / f"{name}.yaml"), out[name], workers=1)
        render_sweep(out[name])
    return out


def test_sweep_page_figures_and_refusals(sweeps, tmp_path):
    html = (sweeps["grid"] / "dashboard.html").read_text(encoding="utf-8")
    assert "Grid &lt;img src=x" in html and "<img src=x" not in html
    assert 'id="sweep-heatmap"' in html and 'id="sweep-parallel"' in html
    assert 'id="sweep-sensitivity"' not in html  # grids have no sensitivity indices
    sobol = (sweeps["sobol"] / "dashboard.html").read_text(encoding="utf-8")
    assert 'id="sweep-sensitivity"' in sobol and 'id="sweep-heatmap"' not in sobol
    with pytest.raises(NotASweepError):
        render_sweep(tmp_path)
    with pytest.raises(NotASweepError, match="not recorded"):
        render_sweep(sweeps["grid"], "no_such_metric")


def test_sweep_pages_load_offline_in_a_browser(browser, sweeps):  # noqa: F811
    for name, expected in (
        ("grid", {"sweep-response", "sweep-heatmap", "sweep-parallel"}),
        ("sobol", {"sweep-response", "sweep-sensitivity", "sweep-parallel"}),
    ):
        page, seen = visit(browser, sweeps[name] / "dashboard.html")
        drawn = plot_data(page)
        assert set(drawn) == expected
        assert all(n > 0 for n in drawn.values()), drawn
        assert_clean(seen)
        page.close()


def test_index_lists_sweeps(sweeps):
    from sim.dashboards.index import find_entries

    entries = find_entries(sweeps["grid"].parent)
    kinds = {e.path: (e.kind, e.page) for e in entries}
    assert kinds["out-grid"] == ("sweep", "out-grid/dashboard.html")
    assert kinds["out-sobol"][0] == "sweep"


def test_report_rerenders_a_sweep_page(sweeps):
    from sim.dashboards.report import render_any

    page = sweeps["grid"] / "dashboard.html"
    page.unlink(missing_ok=True)
    assert render_any(sweeps["grid"]) == [page]
    assert page.is_file()


def test_sensitivity_bars_show_rbd_fast_indices_with_intervals():
    table = pd.DataFrame({"parameter": ["a", XSS], "S1": [0.7, 0.1], "S1_conf": [0.05, 0.1]})
    fig = sensitivity_bars(table, "lhs", "y")
    (bar,) = fig.data
    assert list(bar.y) == [0.7, 0.1] and list(bar.error_y.array) == [0.05, 0.1]
    assert "RBD-FAST" in fig.layout.title.text and "<img" not in fig.to_json()


def test_an_lhs_sweep_page_shows_rbd_fast_indices(tmp_path):
    from tests.sweep_helpers import write_sweep

    path = write_sweep(
        tmp_path,
        parameters={
            "intermediaries[*].integrity": {"range": [0.0, 1.0]},
            "host_state.media_control": {"range": [0.0, 1.0]},
        },
        design={"type": "lhs", "samples": 24},
        replicates=1,
        metrics=["tests.sweep_helpers:ranked_outcome"],
    )
    run_sweep(load_sweep(path), tmp_path / "out", workers=1)
    html = render_sweep(tmp_path / "out").read_text(encoding="utf-8")
    assert 'id="sweep-sensitivity"' in html and "RBD-FAST first-order indices" in html


def _download(html: str, name: str) -> pd.DataFrame:
    import io
    import re
    import urllib.parse

    match = re.search(
        rf'download="{re.escape(name)}" href="data:text/csv;charset=utf-8,([^"]*)"', html
    )
    assert match, f"no download link for {name}"
    return pd.read_csv(io.StringIO(urllib.parse.unquote(match.group(1))))


def test_sweep_page_tables_download_as_csv(sweeps):
    from sim.sweep import aggregate

    html = (sweeps["sobol"] / "dashboard.html").read_text(encoding="utf-8")
    points = _download(html, "points.csv")
    expected = aggregate(sweeps["sobol"])
    assert list(points.columns) == list(expected.columns)
    assert np.allclose(
        points.select_dtypes("number"), expected.select_dtypes("number"), equal_nan=True
    )
    metrics = _download(html, "metrics.csv")
    assert metrics["metric"].tolist() == ["mean_attributable_opinion", "share_leaked"]
    indices = _download(html, "sensitivity-mean_attributable_opinion.csv")
    assert list(indices.columns) == ["parameter", "S1", "S1_conf", "ST", "ST_conf"]
    grid = (sweeps["grid"] / "dashboard.html").read_text(encoding="utf-8")
    assert "sensitivity-" not in grid and 'download="points.csv"' in grid
    assert "<img src=x" not in grid  # names inside the embedded CSV are percent-encoded
