"""Parameter uncertainty in run, compare and decompose: ``--posterior DIR`` and ``--prior FILE``.

Replicate k uses seed k and parameter set k (drawn from a calibration's posterior or
a calibration file's priors), the same set for every scenario or combination; a
second ensemble at the median parameters keeps the seed-noise band.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.calibration.sources import (
    FULL_BAND,
    SEED_BAND,
    PriorSource,
    load_posterior,
    load_prior,
    plan,
)
from sim.cli import main
from sim.compare_tables import DIFFERENCE_COLUMNS, SUMMARY_COLUMNS

REPO = Path(__file__).resolve().parent.parent
MINIMAL = REPO / "scenarios" / "minimal.yaml"
INTEGRITY = "intermediaries[curator].integrity"
PERSUASION = "activities[language_course].persuasion"
SMALL = ["--set", "audience.population=300"]

#: A calibration file of the minimal scenario: wide priors on two fields that matter.
CALIBRATION = """\
name: Uncertainty test
base: {base}
set: {{audience.population: 300}}
seed: 5
priors:
  {integrity}: {{uniform: [0.2, 0.9]}}
  {persuasion}: {{uniform: [0.1, 0.9]}}
targets:
  leaked:
    summary: metric
    args: {{name: share_leaked}}
    observed: 0.3
    sd: 0.03
method: {{population_size: 10, generations: 2, predictive_draws: 2}}
"""


def write_calibration(where: Path) -> Path:
    """Write the test calibration file (two priors over the minimal scenario) in ``where``."""
    cal = where / "cal.yaml"
    cal.write_text(
        CALIBRATION.format(base=MINIMAL, integrity=INTEGRITY, persuasion=PERSUASION),
        encoding="utf-8",
    )
    return cal


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The calibration file, a second scenario (a bigger budget, a name to escape)."""
    where = tmp_path_factory.mktemp("uncertainty")
    cal = write_calibration(where)
    text = MINIMAL.read_text(encoding="utf-8")
    bigger = where / "bigger.yaml"
    bigger.write_text(
        text.replace("total_usd: 1000000 ", "total_usd: 3000000 ").replace(
            "name: Minimal example", "name: Bigger <b>budget</b>"
        ),
        encoding="utf-8",
    )
    assert "3000000" in bigger.read_text(encoding="utf-8")
    return cal, bigger


@pytest.fixture(scope="module")
def posterior(files, tmp_path_factory):
    """A finished (small) calibration's folder."""
    out = tmp_path_factory.mktemp("cal") / "posterior"
    assert main(["calibrate", str(files[0]), "--out", str(out)]) == 0
    return out


# ---------------------------------------------------------------------------- sources


def test_prior_draws_are_reproducible_and_do_not_depend_on_how_many(files):
    source = load_prior(files[0])
    assert isinstance(source, PriorSource)
    assert source.paths == (INTEGRITY, PERSUASION)
    assert source.median() == pytest.approx({INTEGRITY: 0.55, PERSUASION: 0.5})
    five, again = source.draw(5), load_prior(files[0]).draw(5)
    assert five == again
    assert source.draw(3) == five[:3]
    values = [d[INTEGRITY] for d in source.draw(200)]
    assert 0.2 <= min(values) < 0.3 and 0.8 < max(values) <= 0.9  # the whole prior
    assert len(set(values)) == 200


def test_posterior_draws_come_from_the_particles(posterior):
    source = load_posterior(posterior)
    particles = pd.read_parquet(posterior / "posterior.parquet")
    drawn = source.draw(6)
    assert drawn == source.draw(6)
    for d in drawn:
        match = particles[(particles[INTEGRITY] == d[INTEGRITY])]
        assert len(match) >= 1 and match[PERSUASION].iloc[0] == d[PERSUASION]
    p = plan(source, 4)
    assert p.draws == tuple(source.draw(4))
    assert p.manifest()["kind"] == "posterior"


# ---------------------------------------------------------------------------- compare


def compare(files, out: Path, *flags: str, replicates: int = 3) -> int:
    return main(
        [
            "compare",
            str(MINIMAL),
            str(files[1]),
            *SMALL,
            "--replicates",
            str(replicates),
            "--out",
            str(out),
            "--threshold",
            "attributable_final=0.0002",
            *flags,
        ]
    )


@pytest.fixture(scope="module")
def compared(files, posterior, tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "with-posterior"
    assert compare(files, out, "--posterior", str(posterior)) == 0
    return out


def test_compare_with_a_posterior_writes_both_bands(compared, posterior):
    summary = pd.read_csv(compared / "summary.csv")
    assert list(summary.columns) == [*SUMMARY_COLUMNS[:3], "band", *SUMMARY_COLUMNS[3:]]
    assert list(pd.unique(summary["band"])) == [SEED_BAND, FULL_BAND]
    full = summary[summary["band"] == FULL_BAND]
    assert full["interval_includes"].str.startswith("parameters and seed noise").all()
    seed = summary[summary["band"] == SEED_BAND]
    assert seed["interval_includes"].str.startswith("seed noise only").all()
    assert (summary["runs"] == 3).all()
    diffs = pd.read_csv(compared / "differences.csv")
    assert list(diffs.columns) == [*DIFFERENCE_COLUMNS[:3], "band", *DIFFERENCE_COLUMNS[3:]]
    row = diffs[(diffs["metric"] == "attributable_final") & (diffs["band"] == FULL_BAND)].iloc[0]
    assert row["threshold"] == 0.0002 and row["pairing"] == "paired by seed"
    assert 0.0 <= row["share_runs_above"] <= 1.0

    doc = json.loads((compared / "comparison.json").read_text(encoding="utf-8"))
    p = doc["parameters"]
    assert p["kind"] == "posterior" and p["source"] == str(posterior)
    assert p["paths"] == [INTEGRITY, PERSUASION]
    assert len(p["draws"]) == 3
    assert doc["tables"]["intervals_include"][1].startswith("parameters and seed noise")


def run_values(folder: Path) -> tuple[int, float, float]:
    """A run folder's seed and the two calibrated values in its resolved scenario."""
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    s = m["scenario"]
    return m["seed"], s["intermediaries"][0]["integrity"], s["activities"][0]["persuasion"]


def test_replicate_k_uses_the_same_drawn_set_and_seed_in_every_scenario(compared):
    doc = json.loads((compared / "comparison.json").read_text(encoding="utf-8"))
    draws = doc["parameters"]["draws"]
    median = doc["parameters"]["median"]
    a, b = doc["scenarios"]
    for k, (ra, rb) in enumerate(zip(a["parameter_runs"], b["parameter_runs"], strict=True)):
        va, vb = run_values(compared / ra), run_values(compared / rb)
        assert va == vb  # common random numbers and common parameters
        assert va == (doc["seeds"][k], draws[k][INTEGRITY], draws[k][PERSUASION])
        record = json.loads((compared / ra / "parameters.json").read_text(encoding="utf-8"))
        assert record["band"] == FULL_BAND and record["replicate"] == k
        expected = {INTEGRITY: draws[k][INTEGRITY], PERSUASION: draws[k][PERSUASION]}
        assert record["values"] == expected
    for run in a["runs"] + b["runs"]:  # the seed-noise band: the median parameters
        _, integrity, persuasion = run_values(compared / run)
        assert (integrity, persuasion) == (median[INTEGRITY], median[PERSUASION])


def test_the_comparison_page_shows_both_bands_and_says_so(compared):
    html = (compared / "comparison.html").read_text(encoding="utf-8")
    assert "How to read these results." in html
    assert "Two bands: &#39;seed noise&#39;" in html
    assert "Summary with parameter uncertainty" in html
    assert "share of paired draws" in html
    assert "Bigger <b>budget</b>" not in html and "Bigger &lt;b&gt;budget&lt;/b&gt;" in html


def test_the_two_band_figures_are_among_the_comparison_figures(compared):
    """So ``--images`` exports them too; they have no shock markers, so no shock key."""
    import datetime as dt

    from sim.dashboards.compare_dashboard import comparison_figures, load_comparison
    from sim.dashboards.markers import Shock
    from sim.dashboards.render import _with_shock_keys

    c = load_comparison(compared)
    figs = comparison_figures(c)
    assert {"bands-0", "bands-1"} <= set(figs)
    assert "attributable opinion (90% bands)" in figs["bands-0"].layout.title.text
    day = pd.Timestamp(dt.date(2021, 6, 1))
    keyed = _with_shock_keys(figs, [Shock(1, "s", "sentiment", day, day, "a shock")])
    count = {fid: len(fig.layout.annotations) for fid, fig in figs.items()}
    assert len(keyed["bands-0"].layout.annotations) == count["bands-0"]
    assert len(keyed["trajectories"].layout.annotations) == count["trajectories"] + 1


def test_prior_draws_make_the_same_bytes_twice_on_any_executor_and_a_wider_band(files, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert compare(files, one, "--prior", str(files[0]), replicates=4) == 0
    # again, on two local worker processes: the same bytes
    assert compare(files, two, "--prior", str(files[0]), "--workers", "2", replicates=4) == 0
    for name in ("summary.csv", "differences.csv"):
        assert (one / name).read_bytes() == (two / name).read_bytes()
    docs = [json.loads((o / "comparison.json").read_text(encoding="utf-8")) for o in (one, two)]
    assert docs[0]["parameters"] == docs[1]["parameters"]
    assert docs[0]["parameters"]["kind"] == "prior"
    # integrity (prior 0.2 to 0.9) drives the money kept along the chain: the band with
    # parameter uncertainty is wider than seed noise alone
    summary = pd.read_csv(one / "summary.csv")
    rows = summary[(summary["metric"] == "leaked_share") & (summary["scenario"] == "minimal")]
    width = {r["band"]: r["high"] - r["low"] for _, r in rows.iterrows()}
    assert width[FULL_BAND] >= width[SEED_BAND]
    assert width[FULL_BAND] > 0.05


def test_compare_without_the_flags_keeps_its_columns(files, tmp_path):
    out = tmp_path / "plain"
    assert compare(files, out, replicates=2) == 0
    assert list(pd.read_csv(out / "summary.csv").columns) == list(SUMMARY_COLUMNS)
    assert list(pd.read_csv(out / "differences.csv").columns) == list(DIFFERENCE_COLUMNS)
    doc = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert "parameters" not in doc and "parameter_runs" not in doc["scenarios"][0]
    assert not (out / "runs" / "minimal" / "draws").exists()


# ---------------------------------------------------------------------------- bad input


def test_a_folder_that_is_not_a_calibration_is_refused(files, tmp_path, capsys):
    out = tmp_path / "out"
    assert compare(files, out, "--posterior", str(tmp_path)) == 2
    assert "not a calibration's results folder" in capsys.readouterr().err
    args = ["decompose", str(MINIMAL), *SMALL, "--posterior", str(tmp_path), "--out", str(out)]
    assert main(args) == 2
    assert "not a calibration's results folder" in capsys.readouterr().err
    assert not out.exists()


def test_a_path_the_scenario_lacks_is_refused_before_any_run(files, tmp_path, capsys):
    other = REPO / "scenarios" / "azerbaijan_2005_2025.yaml"  # no intermediary 'curator'
    out = tmp_path / "out"
    common = ["--set", "audience.population=300", "--prior", str(files[0]), "--out", str(out)]
    for argv in (
        ["compare", str(MINIMAL), str(other), "--replicates", "2", *common],
        ["decompose", str(other), "--replicates", "2", *common],
        ["run", str(other), "--draws", "2", *common],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert str(other) in err and f"--prior {INTEGRITY}" in err and "curator" in err
        assert not out.exists()


def test_a_missing_prior_file_or_a_saved_run_is_refused(files, tmp_path, capsys):
    out = tmp_path / "out"
    assert compare(files, out, "--prior", str(tmp_path / "nope.yaml")) == 2
    assert "no such calibration file" in capsys.readouterr().err
    run = tmp_path / "run"
    assert main(["run", str(MINIMAL), *SMALL, "--out", str(run), "--no-dashboard"]) == 0
    argv = ["compare", str(MINIMAL), str(run), *SMALL, "--out", str(out)]
    assert main([*argv, "--prior", str(files[0])]) == 2
    assert "saved run folder" in capsys.readouterr().err
    assert not out.exists()


def test_scenarios_that_differ_in_a_calibrated_field_are_refused(files, tmp_path, capsys):
    honest = tmp_path / "honest.yaml"
    text = MINIMAL.read_text(encoding="utf-8")
    honest.write_text(text.replace("integrity: 0.5 ", "integrity: 0.95 "), encoding="utf-8")
    out = tmp_path / "out"
    argv = ["compare", str(MINIMAL), str(honest), *SMALL, "--out", str(out)]
    assert main([*argv, "--prior", str(files[0])]) == 2
    err = capsys.readouterr().err
    assert f"--prior {INTEGRITY}: this scenario has 0.95" in err
    assert "would lose that difference" in err
    assert not out.exists()


# ---------------------------------------------------------------------------- decompose


@pytest.fixture(scope="module")
def decomposed(files, tmp_path_factory):
    out = tmp_path_factory.mktemp("dec") / "with-prior"
    argv = ["decompose", str(MINIMAL), *SMALL, "--replicates", "3", "--seed", "4"]
    assert main([*argv, "--prior", str(files[0]), "--out", str(out)]) == 0
    return out


def test_decompose_with_a_prior_gives_both_bands(decomposed):
    table = pd.read_csv(decomposed / "decomposition.csv")
    assert table.columns[0] == "band"
    assert list(pd.unique(table["band"])) == [SEED_BAND, FULL_BAND]
    summary = pd.read_csv(decomposed / "decomposition_summary.csv")
    assert list(pd.unique(summary["band"])) == [SEED_BAND, FULL_BAND]
    for band, part in summary.groupby("band"):
        gap = part[(part["term"] == "gap") & (part["metric"] == "final_attributable_opinion")]
        assert len(gap) == 1 and gap["replicates"].iloc[0] == 3, band
    m = json.loads((decomposed / "manifest.json").read_text(encoding="utf-8"))
    assert m["parameters"]["kind"] == "prior" and len(m["parameters"]["draws"]) == 3
    html = (decomposed / "decomposition.html").read_text(encoding="utf-8")
    assert "Two bands: &#39;seed noise&#39;" in html and "the same for every combination" in html
    assert "Both bands" in html


def test_decompose_replicate_k_runs_the_drawn_set_k(decomposed, files, tmp_path):
    """The actual programme at replicate k equals a plain run with set k and seed k."""
    from sim.run import simulate
    from sim.scenario import load_scenario

    m = json.loads((decomposed / "manifest.json").read_text(encoding="utf-8"))
    table = pd.read_csv(decomposed / "decomposition.csv")
    actual = table[
        (table["band"] == FULL_BAND)
        & (table["term"] == "actual")
        & (table["metric"] == "final_attributable_opinion")
    ]
    for draw, (_, row) in zip(m["parameters"]["draws"][:2], actual.iterrows(), strict=False):
        sets = [f"{p}={draw[p]!r}" for p in (INTEGRITY, PERSUASION)]
        scenario = load_scenario(MINIMAL, ["audience.population=300", *sets])
        result = simulate(scenario, int(row["seed"]))
        expected = float(result.trajectories["attributable_opinion"].iloc[-1])
        assert row["value"] == pytest.approx(expected, rel=1e-9, abs=1e-15)
    # the seed-noise band runs at the prior median
    seeds = table[(table["band"] == SEED_BAND)]
    assert list(pd.unique(seeds["seed"])) == [4, 5, 6]


# ---------------------------------------------------------------------------- run --prior


def test_run_with_a_prior_writes_the_two_bands_and_says_so(files, tmp_path):
    out = tmp_path / "run"
    argv = ["run", str(MINIMAL), *SMALL, "--prior", str(files[0]), "--draws", "3"]
    assert main([*argv, "--out", str(out)]) == 0
    draws = pd.read_csv(out / "posterior_draws.csv")
    assert set(draws["band"]) == {SEED_BAND, FULL_BAND}
    full = draws[draws["band"] == FULL_BAND]
    expected = load_prior(files[0]).draw(3)
    assert list(full[INTEGRITY]) == pytest.approx([d[INTEGRITY] for d in expected])
    html = (out / "uncertainty.html").read_text(encoding="utf-8")
    assert "How to read these results." in html and "the calibration&#39;s priors" in html
    dashboard = (out / "dashboard.html").read_text(encoding="utf-8")
    assert "uncertainty.html beside this page shows the band of seed noise" in dashboard
