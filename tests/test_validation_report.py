"""The validation report (``python -m sim.validation``) and the voter-model anchors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from sim.dashboards.images import find_browser
from sim.validation import opinion
from sim.validation.common import Spread, agreement
from sim.validation.report import ANCHORS, FIGURES, MARKER, PAGE

ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------------- the report


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, str]:
    """Run ``python -m sim.validation --quick`` once (about half a minute on 2 cores)."""
    if find_browser() is None:
        pytest.skip("the report's figures need Chromium or Chrome")
    out = tmp_path_factory.mktemp("validation")
    done = subprocess.run(
        [sys.executable, "-m", "sim.validation", "--quick", "--out", str(out), "--no-progress"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, out, done.stdout


def test_quick_report_has_one_section_per_anchor(quick_report):
    rc, out, stdout = quick_report
    text = (out / PAGE).read_text(encoding="utf-8")
    headings = re.findall(r"^## (\d+)\. (.+)$", text, flags=re.MULTILINE)
    assert [title for _, title in headings] == [a.title for a in ANCHORS]
    assert [int(n) for n, _ in headings] == list(range(1, len(ANCHORS) + 1))
    verdicts = re.findall(r"^\*\*Result: (PASS|FAIL)\*\*$", text, flags=re.MULTILINE)
    assert len(verdicts) == len(ANCHORS)
    for marker in ("What is checked.", "Source.", "Tolerance.", "Seeds.", "Measured."):
        assert text.count(marker) >= len(ANCHORS) - verdicts.count("FAIL")
    # The exit status says whether every anchor passed.
    assert (rc == 0) == ("FAIL" not in verdicts)
    assert f"{len(verdicts) - verdicts.count('FAIL')} of {len(ANCHORS)} anchors pass" in stdout


def test_quick_report_header_names_commit_date_machine_and_time(quick_report):
    _, out, _ = quick_report
    text = (out / PAGE).read_text(encoding="utf-8")
    assert re.search(r"^\| commit \| `[0-9a-f]{40}(\+dirty)?` \|$", text, flags=re.MULTILINE)
    assert re.search(r"^\| date \| \d{4}-\d\d-\d\d \d\d:\d\d UTC \|$", text, flags=re.MULTILINE)
    assert re.search(r"^\| machine \| .+ CPUs", text, flags=re.MULTILINE)
    assert re.search(r"^\| run time \| [\d.]+ (s|min)", text, flags=re.MULTILINE)
    assert "quick" in text


def test_quick_report_figures_exist(quick_report):
    _, out, _ = quick_report
    text = (out / PAGE).read_text(encoding="utf-8")
    images = re.findall(rf"\]\(({FIGURES}/[\w-]+\.png)\)", text)
    assert len(images) >= len(ANCHORS)
    for image in images:
        path = out / image
        assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", image
    results = json.loads((out / FIGURES / MARKER).read_text())
    assert set(results["anchors"]) == {a.key for a in ANCHORS}
    assert results["passed"] == all(a["passed"] for a in results["anchors"].values())
    assert not list(out.glob(".*partial*"))  # nothing left behind by the atomic writes


# ---------------------------------------------------------------------------- voter anchors


def test_exit_probability_on_a_regular_graph_equals_the_initial_share():
    results = opinion.regular_exit(shares=(0.2, 0.8), n_people=40, degree=6, n_runs=300)
    for r in results:
        assert r.unfinished == 0
        assert r.predicted == r.initial_share
        assert r.passed, (r.measured, r.predicted, r.tolerance)


def test_exit_probability_on_a_heterogeneous_graph_is_degree_weighted():
    """Opinion 1 on the hubs wins more often than its head count says, as predicted."""
    hubs, periphery = opinion.heterogeneous_exit(n_people=100, n_runs=300)
    assert hubs.degree_weighted_share > hubs.initial_share + 0.08
    assert periphery.degree_weighted_share < periphery.initial_share - 0.08
    for r in (hubs, periphery):
        assert r.passed, (r.measured, r.predicted, r.tolerance)
        # ... and the plain share, the regular-graph prediction, is rejected.
        assert abs(r.measured - r.initial_share) > r.tolerance


def test_consensus_time_on_the_complete_graph_grows_linearly():
    result = opinion.consensus_time(sizes=(16, 32, 64), n_runs=150)
    assert result.unfinished == 0
    assert all(np.diff(result.mean_sweeps) > 0)
    assert result.passed, (result.slope, result.slope_se)


def test_exit_check_fails_when_the_measurement_is_off():
    good = opinion.ExitProbability("x", 0.5, 0.5, 150, 300, 0, 10.0, 0.5)
    off = opinion.ExitProbability("x", 0.5, 0.5, 100, 300, 0, 10.0, 0.5)
    stuck = opinion.ExitProbability("x", 0.5, 0.5, 150, 300, 1, 10.0, 0.5)
    assert good.passed and not off.passed and not stuck.passed


def test_random_graph_is_connected_and_heterogeneous():
    indptr, indices, degree = opinion.random_graph(200, 4.0, seed=3)
    n = degree.size
    adj = sp.csr_array((np.ones(indices.size), indices, indptr), shape=(n, n))
    assert connected_components(adj, directed=False)[0] == 1
    assert degree.min() >= 1 and degree.max() >= 2 * degree.mean()
    ring_ptr, _ = opinion.ring_lattice(30, 6)
    assert set(np.diff(ring_ptr)) == {6}


def test_loglog_slope_recovers_a_power_law():
    n = np.array([10.0, 20.0, 40.0, 80.0])
    t = 3.0 * n**1.5
    slope, _ = opinion._loglog_slope(n, t, 0.01 * t)
    assert slope == pytest.approx(1.5)


def test_agreement_uses_the_standard_error_of_the_difference():
    a, b = [1.0, 1.2, 0.8, 1.0], [1.1, 1.3, 0.9, 1.1]
    check = agreement("q", a, b, k=3.0)
    se = np.sqrt(np.var(a, ddof=1) / 4 + np.var(b, ddof=1) / 4)
    assert check.tolerance == pytest.approx(3 * se)
    assert check.passed
    assert not agreement("q", a, [v + 1.0 for v in b]).passed
    assert Spread((1.0, 3.0)).se == pytest.approx(1.0)
