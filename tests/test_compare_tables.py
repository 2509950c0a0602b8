"""The analyst tables of ``compare``: ``summary.csv`` and ``differences.csv``.

The numbers are checked against a plain recomputation from the run folders (the
manifests' money text and ``trajectories.csv``), not through the module's helpers.
"""

from __future__ import annotations

import decimal
import json
import math
import re
import shutil
from fractions import Fraction
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.compare import run_comparison
from sim.compare_tables import (
    DIFFERENCES_FILE,
    RESAMPLES,
    SUMMARY_FILE,
    Values,
    csv_text,
    differences_table,
    paired_difference,
    parse_thresholds,
    summary_table,
)
from sim.dashboards.compare_dashboard import comparison_page, load_comparison
from sim.money import text_to_cents
from sim.output import write_run
from sim.run import simulate
from tests.conftest import SCENARIOS, SMALL, make_scenario

SEEDS = [11, 12, 13]
#: The bootstrap's spawn key, as documented in sim/compare_tables.py.
STREAM = 0x636D70


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """SMALL against an honest SMALL (3 paired replicates) and a lone result folder."""
    root = tmp_path_factory.mktemp("tables")
    base = root / "small.yaml"
    base.write_text(yaml.safe_dump(SMALL), encoding="utf-8")
    honest = root / "honest.yaml"
    honest.write_text(
        yaml.safe_dump(
            {
                "extends": "small.yaml",
                "name": "Honest <b>curator</b>",
                "intermediaries": [{"id": "cur", "integrity": 1.0}],
            }
        ),
        encoding="utf-8",
    )
    lone = write_run(simulate(make_scenario({"name": "lone"}), 99), root / "lone")
    return run_comparison(
        [base, honest, lone],
        root / "cmp",
        replicates=len(SEEDS),
        seed=SEEDS[0],
        thresholds={"attributable_final": 0.0005},
    )


def _runs(folder, label):
    doc = json.loads((folder / "comparison.json").read_text())
    entry = next(e for e in doc["scenarios"] if e["label"] == label)
    return [folder / r for r in entry["runs"]]


def _money(run, key):
    """Exact cents of a manifest's money entry, read as decimal text."""
    doc = json.loads((run / "manifest.json").read_text(), parse_float=decimal.Decimal)
    return int(doc["money"][key] * 100)


def _plain(run):
    """The numbers a reader would compute from one run folder by hand."""
    t = pd.read_csv(run / "trajectories.csv")
    manifest = json.loads((run / "manifest.json").read_text())
    money = manifest["money"]
    pop = manifest["scenario"]["audience"]["real_population"]
    return {
        "seed": manifest["seed"],
        "leaked_usd": _money(run, "leaked_usd"),
        "disbursed_usd": _money(run, "disbursed_usd"),
        "leaked_share": money["leaked_usd"] / money["disbursed_usd"],
        "final_opinion": t["opinion_mean"].iloc[-1],
        "attributable_final": t["attributable_opinion"].iloc[-1],
        "attributable_mean": t["attributable_opinion"].mean(),
        "additional_people_mean": (t["attributable_favourable_share"] * pop).mean(),
    }


def _read(path):
    return pd.read_csv(path, dtype={"mean": str, "low": str, "high": str})


def test_summary_matches_the_run_folders(folder):
    summary = _read(folder / SUMMARY_FILE)
    assert set(summary["scenario"]) == {"small", "honest", "lone"}
    for label in ("small", "honest", "lone"):
        plain = [_plain(r) for r in _runs(folder, label)]
        rows = summary[summary["scenario"] == label].set_index("metric")
        assert (rows["runs"] == len(plain)).all()
        for metric in ("leaked_share", "final_opinion", "attributable_final", "attributable_mean"):
            values = [p[metric] for p in plain]
            row = rows.loc[metric]
            assert float(row["mean"]) == pytest.approx(np.mean(values), rel=1e-10, abs=1e-15)
            assert float(row["low"]) == pytest.approx(np.quantile(values, 0.05), abs=1e-12)
            assert float(row["high"]) == pytest.approx(np.quantile(values, 0.95), abs=1e-12)
        # money: exact cents, the mean rounded half to even to the cent
        for metric in ("leaked_usd", "disbursed_usd"):
            cents = [p[metric] for p in plain]
            row = rows.loc[metric]
            assert row["unit"] == "USD"
            assert text_to_cents(row["mean"]) == round(Fraction(sum(cents), len(cents)))
            assert text_to_cents(row["low"]) >= min(cents)
            assert text_to_cents(row["high"]) <= max(cents)
    assert (summary["interval_includes"].str.startswith("seed noise only")).all()
    assert summary.loc[summary["scenario"] == "honest", "name"].iloc[0] == "Honest <b>curator</b>"


def test_paired_differences_match_a_recomputation(folder):
    text = {"mean_difference": str, "ci_low": str, "ci_high": str}
    diffs = pd.read_csv(folder / DIFFERENCES_FILE, dtype=text)
    honest = diffs[diffs["scenario"] == "honest"].set_index("metric")
    assert (honest["reference"] == "small").all()
    assert (honest["pairing"] == "paired by seed").all()
    base = {p["seed"]: p for p in map(_plain, _runs(folder, "small"))}
    other = {p["seed"]: p for p in map(_plain, _runs(folder, "honest"))}
    assert sorted(base) == sorted(other) == SEEDS  # common random numbers: same seeds

    # leaked money: exact cents, run by run
    leaked = [other[s]["leaked_usd"] - base[s]["leaked_usd"] for s in SEEDS]
    assert all(d < 0 for d in leaked)  # an honest curator keeps nothing
    row = honest.loc["leaked_usd"]
    assert text_to_cents(row["mean_difference"]) == round(Fraction(sum(leaked), len(leaked)))
    assert min(leaked) <= text_to_cents(row["ci_low"]) <= text_to_cents(row["ci_high"])
    assert text_to_cents(row["ci_high"]) <= max(leaked)
    assert row["p_mean_above"] == 0 and row["share_runs_above"] == 0

    # attributable influence, with its own threshold; the bootstrap recomputed by hand
    d = np.array([other[s]["attributable_final"] - base[s]["attributable_final"] for s in SEEDS])
    row = honest.loc["attributable_final"]
    assert row["threshold"] == 0.0005
    assert int(row["n"]) == 3 and int(row["resamples"]) == RESAMPLES
    assert float(row["mean_difference"]) == pytest.approx(d.mean(), rel=1e-10)
    j = list(honest.index).index("attributable_final")
    rng = np.random.default_rng(np.random.SeedSequence(SEEDS[0], spawn_key=(STREAM, 1, j)))
    means = d[rng.integers(0, 3, size=(RESAMPLES, 3))].mean(axis=1)
    low, high = np.quantile(means, [0.05, 0.95])
    assert float(row["ci_low"]) == pytest.approx(low, rel=1e-9)
    assert float(row["ci_high"]) == pytest.approx(high, rel=1e-9)
    assert row["p_mean_above"] == pytest.approx(np.mean(means > 0.0005))
    assert row["share_runs_above"] == pytest.approx(np.mean(d > 0.0005))
    assert row["confidence"] == pytest.approx(0.9)
    assert row["threshold"] == 0.0005
    assert honest.loc["final_opinion", "threshold"] == 0  # the default elsewhere


def test_a_result_folder_without_a_common_seed_is_compared_unpaired(folder):
    diffs = pd.read_csv(folder / DIFFERENCES_FILE)
    lone = diffs[diffs["scenario"] == "lone"].set_index("metric")
    assert (lone["pairing"] == "unpaired").all()
    assert lone["share_runs_above"].isna().all()
    base = [p["final_opinion"] for p in map(_plain, _runs(folder, "small"))]
    (mine,) = [p["final_opinion"] for p in map(_plain, _runs(folder, "lone"))]
    assert lone.loc["final_opinion", "mean_difference"] == pytest.approx(mine - np.mean(base))
    assert int(lone.loc["final_opinion", "n"]) == 4


def test_tables_are_reproducible_bytes_and_listed_in_the_manifest(folder):
    doc = json.loads((folder / "comparison.json").read_text())
    tables = doc["tables"]
    assert tables["summary"] == SUMMARY_FILE and tables["differences"] == DIFFERENCES_FILE
    assert tables["reference"] == "small" and tables["thresholds"] == {"attributable_final": 0.0005}
    assert tables["intervals_include"].startswith("seed noise only")
    c = load_comparison(folder)
    names = {e["label"]: e["name"] for e in doc["scenarios"]}
    again = summary_table(c.runs, names)
    assert csv_text(again) == (folder / SUMMARY_FILE).read_text()
    again = differences_table(c.runs, doc["root_seed"], tables["thresholds"], tables["threshold"])
    assert csv_text(again) == (folder / DIFFERENCES_FILE).read_text()


def test_money_differences_stay_exact_beyond_float_precision():
    big = 10**17  # USD 10^15: floats lose cents here
    ref = Values((1, 2, 3), (big + 1, big + 2, big + 4), True)
    other = Values((1, 2, 3), (big + 2, big + 4, big + 7), True)
    rng = np.random.default_rng(0)
    d = paired_difference(ref, other, 0.0, rng, resamples=200)
    assert d.mean == Fraction(1 + 2 + 3, 3)
    assert d.texts(True)[0] == "0.02"
    assert Fraction(1) <= d.low <= d.high <= Fraction(3)
    assert d.p_mean_above == 1.0 and d.share_runs_above == 1.0


def test_non_finite_pairs_are_left_out():
    ref = Values((1, 2, 3), (1.0, math.inf, 2.0), False)
    other = Values((1, 2, 3), (2.0, 5.0, math.nan), False)
    d = paired_difference(ref, other, 0.0, np.random.default_rng(0), resamples=50)
    assert d.n == 1 and d.mean == 1.0 and d.low == d.high == 1.0


def test_parse_thresholds_errors():
    assert parse_thresholds([]) == (0.0, {})
    assert parse_thresholds(["0.1", "final_opinion=-0.2"]) == (0.1, {"final_opinion": -0.2})
    with pytest.raises(ValueError, match="unknown number 'nope'"):
        parse_thresholds(["nope=1"])
    with pytest.raises(ValueError, match="expected a finite number, found 'abc'"):
        parse_thresholds(["abc"])
    with pytest.raises(ValueError, match="found 'inf'"):
        parse_thresholds(["final_opinion=inf"])


def test_compare_cli_threshold_errors_exit_2_before_running(tmp_path, capsys):
    out = tmp_path / "c"
    argv = ["compare", str(SCENARIOS / "minimal.yaml"), "--out", str(out)]
    assert main([*argv, "--threshold", "leak=0.1"]) == 2
    err = capsys.readouterr().err
    assert "unknown number 'leak'" in err and "Traceback" not in err
    assert not out.exists()


def test_compare_cli_writes_both_tables(tmp_path, capsys):
    out = tmp_path / "c"
    minimal = str(SCENARIOS / "minimal.yaml")
    argv = ["compare", minimal, minimal, "--replicates", "2", "--out", str(out)]
    argv += ["--set", "audience.population=200", "--threshold", "0.01"]
    assert main(argv) == 0
    assert "tables: summary.csv, differences.csv" in capsys.readouterr().out
    diffs = pd.read_csv(out / DIFFERENCES_FILE)
    assert (diffs["threshold"] == 0.01).all()
    floats = diffs[diffs["unit"] != "USD"].dropna(subset=["mean_difference"])
    assert (floats["mean_difference"].astype(float) == 0).all()  # the same scenario twice


def test_a_comparison_without_tables_gets_them_computed_on_its_page(folder, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(folder, old)
    for name in (SUMMARY_FILE, DIFFERENCES_FILE):
        (old / name).unlink()
    html = comparison_page(load_comparison(old))
    for name in (SUMMARY_FILE, DIFFERENCES_FILE):
        m = re.search(rf'download="{name}" href="data:text/csv;charset=utf-8,([^"]*)"', html)
        assert unquote(m.group(1)) == (folder / name).read_text(encoding="utf-8")
