"""Calibration files, summaries, distance, seeds, and the calibrate command end to end."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.calibration.load import load_calibration
from sim.calibration.model import TargetDistance, particle_seed
from sim.calibration.posterior import weighted_quantile
from sim.calibration.spec import TargetSpec
from sim.calibration.summaries import SUMMARIES
from sim.cli import main
from sim.run import simulate
from sim.scenario import load_scenario
from sim.sweep.metrics import METRICS

REPO = Path(__file__).resolve().parent.parent
TINY = REPO / "tests" / "calibration" / "tiny.yaml"
SCENARIOS = REPO / "scenarios"
SHIPPED = sorted((SCENARIOS / "calibration").glob("*.yaml"))

GOOD = """\
name: t
base: {base}
set: {{audience.population: 300}}
priors:
  host_state.media_control: {{}}
  intermediaries[*].integrity: {{uniform: [0.1, 0.6]}}
targets:
  youth:
    summary: favourable_share
    args: {{date: 2011-06-01, segment: youth}}
    observed: 0.23
    sample_size: 1000
method: {{population_size: 10, generations: 2}}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cal.yaml"
    path.write_text(text.format(base=SCENARIOS / "azerbaijan_2005_2025.yaml"), encoding="utf-8")
    return path


def test_a_good_file_loads_with_priors_from_ranges(tmp_path):
    cal = load_calibration(write(tmp_path, GOOD))
    media, integrity = cal.priors
    assert media.label == "uniform(0.5, 0.9) [from ranges]"  # the base scenario's range
    assert media.frozen().support() == pytest.approx((0.5, 0.9))
    assert integrity.label == "uniform(0.1, 0.6)"
    (target,) = cal.targets
    assert target.sd == pytest.approx(math.sqrt(0.23 * 0.77 / 1000))


@pytest.mark.parametrize(
    ("change", "where", "says"),
    [
        ("name: t\nbogus: 1\n", "bogus", "unknown field 'bogus'"),
        (
            "  host_state.media_control: {{uniform: [0.9, 0.5]}}\n",
            "priors[host_state.media_control]",
            "low < high",
        ),
        (
            "  host_state.media_control: {{uniform: [0.5, 0.9], beta: {{a: 1, b: 1}}}}\n",
            "priors[host_state.media_control]",
            "at most one",
        ),
        (
            "  host_state.media_control: {{log_uniform: [0, 0.9]}}\n",
            "priors[host_state.media_control]",
            "low > 0",
        ),
        (
            "  host_state.media_control: {{uniform: [0.5, 1.5]}}\n",
            "priors[host_state.media_control]",
            "value 1.5 (the upper end of uniform(0.5, 1.5)) is not valid here",
        ),
        ("  host_state.no_such: {{uniform: [0, 1]}}\n", "priors[host_state.no_such]", "no_such"),
        ("  audience.population: {{}}\n", "priors[audience.population]", "ranges: section"),
        ("  host_state.media_contrl: {{}}\n", "priors[host_state.media_contrl]", "did you mean"),
        (
            "  host_state.media_control: {{normal: {{mean: 0.5, sd: -1}}}}\n",
            "priors[host_state.media_control].normal.sd",
            "greater than 0",
        ),
        ("    summary: favourable_shares\n", "targets[youth].summary", "did you mean"),
        (
            "    args: {{date: 2011-06-01, segmnt: youth}}\n",
            "targets[youth].args.segmnt",
            "unknown",
        ),
        ("    args: {{date: 2011-06-01, segment: yuth}}\n", "targets[youth].args.segment", "youth"),
        ("    args: {{date: 1999-06-01}}\n", "targets[youth].args.date", "simulated period"),
        ("    observed: 1.5\n", "targets[youth]", "observed share in [0, 1]"),
        ("    sd: 0.1\n", "targets[youth]", "exactly one of sd and sample_size"),
        (
            "    summary: event_count\n    args: {{kind: audit}}\n",
            "targets[youth].sample_size",
            "not one: give sd",
        ),
        ("method: {{population_size: 1}}\n", "method.population_size", "greater than or equal"),
        ("method: {{type: mcmc}}\n", "method.type", "abc_smc"),
    ],
)
def test_malformed_files_name_the_file_and_field_and_write_nothing(
    tmp_path, capsys, change, where, says
):
    lines = GOOD.splitlines(keepends=True)
    key = change.split(":")[0]
    replaced = False
    for i, line in enumerate(lines):  # replace the line with the same key, else add
        if line.split(":")[0] == key and not replaced:
            lines[i] = change
            replaced = True
    if key.strip() == "summary" and "args" in change:
        lines = [line for line in lines if not line.startswith("    args:")]
    text = "".join(lines)
    if not replaced:  # a new key: into the section its indentation belongs to
        before = {4: "method:", 2: "  intermediaries"}.get(len(key) - len(key.lstrip()))
        text = text.replace(before, change + before) if before else text + change
    path = write(tmp_path, text)
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err
    assert f"{where}" in err
    assert says in err
    assert "Traceback" not in err
    assert not out.exists()


def test_unreadable_and_non_mapping_files_are_refused(tmp_path, capsys):
    missing = tmp_path / "nope.yaml"
    assert main(["calibrate", str(missing), "--out", str(tmp_path / "o")]) == 2
    assert "cannot read file" in capsys.readouterr().err
    bad = tmp_path / "list.yaml"
    bad.write_text("- 1\n", encoding="utf-8")
    assert main(["calibrate", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "expected a mapping" in capsys.readouterr().err


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_calibrations_load(path):
    cal = load_calibration(path)
    assert cal.priors and cal.targets
    for target in cal.targets:
        assert target.spec.source, f"{target.name} names no source"


def test_the_shipped_calibration_is_found():
    assert "azerbaijan.yaml" in {p.name for p in SHIPPED}


@pytest.fixture(scope="module")
def baseline_run():
    scenario = load_scenario(SCENARIOS / "azerbaijan_2005_2025.yaml", ["audience.population=500"])
    return simulate(scenario, 1)


def summary(summary_name, result, **args):
    s = SUMMARIES[summary_name]
    return s.function(result, s.args.model_validate(args))


def test_summaries_agree_with_the_run_tables(baseline_run):
    r = baseline_run
    assert summary("metric", r, name="share_leaked") == METRICS["share_leaked"].function(r)
    whole = summary("money_share", r, part="leaked")
    assert whole == pytest.approx(METRICS["share_leaked"].function(r), abs=1e-9)
    assert summary("event_count", r, kind="audit") == (r.events["kind"] == "audit").sum()
    # Sputnik Azerbaijan is shut on 2025-06-30: the first monthly step after it is July.
    assert summary("outlet_stop_year", r, outlet="sputnik_az") == pytest.approx(
        2025 + 181 / 365, abs=1e-9
    )
    restricted = summary(
        "outlet_stop_year", r, outlet="sputnik_az", statuses=["shut", "restricted"]
    )
    assert 2025.0 < restricted < 2025.2
    youth = r.segments[(r.segments["segment"] == "youth") & (r.segments["date"] == "2011-06-01")]
    assert summary("favourable_share", r, date="2011-06-15", segment="youth") == float(
        youth["favourable_share"].iloc[0]
    )
    before = summary("money_share", r, end="2014-12-31")
    after = summary("money_share", r, start="2015-01-01")
    assert 0 < before < 1 and 0 < after < 1


def test_the_replacements_summary_counts_the_changes_of_leadership():
    # Audits every year that catch anyone keeping anything, and a replacement shock.
    shock = (
        "shocks=[{type: intermediary_replacement, id: new_curator, date: 2021-06-01, "
        "intermediary: curator, integrity: 0.9}]"
    )
    overrides = [
        "audience.population=200",
        "funders[funder].audit_probability=1",
        "funders[funder].audit_tolerance=0",
        "ngos[language_ngo].integrity=0.3",
        shock,
    ]
    r = simulate(load_scenario(SCENARIOS / "minimal.yaml", overrides), 1)
    e = r.events
    audits = e[e["kind"] == "audit"]
    # Each audit's own line names whoever it replaced: the summary must agree with it.
    named = sum(
        len(d.partition("; replaced ")[2].split(", "))
        for d in audits["detail"]
        if "; replaced " in d
    )
    assert named > 0
    total = summary("replacements", r)
    assert total == named + 1  # and the shock's
    curator = summary("replacements", r, actor_kind="intermediary")
    ngo = summary("replacements", r, actor_kind="ngo", actor="language_ngo")
    assert ngo > 0 and curator + ngo == total
    assert summary("replacements", r, actor="curator") == curator
    shocked = e[(e["kind"] == "replacement") & e["detail"].str.contains("shock new_curator")]
    assert list(shocked["date"]) == ["2021-06-01"]
    first_half = summary("replacements", r, end="2021-06-30")
    assert 0 < first_half < total
    assert first_half + summary("replacements", r, start="2021-07-01") == total
    with pytest.raises(ValueError, match="expected a kind of money holder"):
        summary("replacements", r, actor_kind="funder")


def test_a_replacements_target_must_name_a_holder_of_the_base(tmp_path, capsys):
    text = TINY.read_text(encoding="utf-8").replace(
        "targets:\n",
        "targets:\n  swaps:\n    summary: replacements\n"
        "    args: {actor_kind: ngo, actor: curator}\n    observed: 2\n    sd: 1\n",
    )
    path = tmp_path / "cal.yaml"
    path.write_text(text.replace("../../scenarios/", f"{SCENARIOS}/"), encoding="utf-8")
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "targets[swaps].args.actor: no ngo 'curator' in the base scenario" in err
    assert "it has language_ngo" in err
    assert not (tmp_path / "out").exists()


def test_distance_terms_and_missing_values():
    d = TargetDistance(("a", "b"), (0.1, 2.0), ("squared", "absolute"), (1.0, 3.0))
    assert d({"a": 0.3, "b": 4.0}, {"a": 0.1, "b": 0.0}) == pytest.approx(4.0 + 6.0)
    assert d({"a": math.nan, "b": 0.0}, {"a": 0.1, "b": 0.0}) == math.inf


def test_binomial_sd_keeps_uncertainty_at_zero():
    t = TargetSpec(summary="x", observed=0.0, sample_size=100)
    assert t.standard_deviation() == pytest.approx(math.sqrt(0.005 * 0.995 / 100))


def test_particle_seeds_depend_only_on_root_and_values():
    assert particle_seed(5, [0.1, 0.2]) == particle_seed(5, [0.1, 0.2])
    assert particle_seed(5, [0.1, 0.2]) != particle_seed(5, [0.2, 0.1])
    assert particle_seed(5, [0.1]) < 2**53


def test_weighted_quantile_with_equal_weights_is_the_hazen_quantile():
    import numpy as np

    x = np.random.default_rng(1).normal(size=101)
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        expected = np.quantile(x, q, method="hazen")
        assert float(weighted_quantile(x, np.ones(101), q)) == pytest.approx(expected)
    heavy = np.r_[np.ones(100), 1e6]  # one particle carries almost all the weight
    assert float(weighted_quantile(x, heavy, 0.5)) == pytest.approx(x[-1], abs=1e-3)


# ---------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("cal") / "tiny"
    assert main(["calibrate", str(TINY), "--out", str(out)]) == 0
    return out


def test_calibrate_writes_every_table_and_the_page(tiny):
    manifest = json.loads((tiny / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "calibration"
    assert manifest["generations"] == 3
    posterior = pd.read_parquet(tiny / "posterior.parquet")
    assert len(posterior) == 20
    assert posterior["weight"].sum() == pytest.approx(1.0)
    particles = pd.read_parquet(tiny / "particles.parquet")
    assert sorted(particles["generation"].unique()) == [0, 1, 2]
    diag = pd.read_csv(tiny / "diagnostics.csv")
    assert list(diag["generation"]) == [0, 1, 2]
    assert (diag["epsilon"].iloc[1:].diff().dropna() <= 0).all()  # thresholds shrink
    assert manifest["runs"] == diag["runs"].sum()
    summary = pd.read_csv(tiny / "posterior_summary.csv")
    assert (summary["q05"] <= summary["median"]).all()
    assert (summary["median"] <= summary["q95"]).all()
    predictive = pd.read_csv(tiny / "predictive.csv")
    assert len(predictive) == 5
    assert set(pd.read_csv(tiny / "targets.csv")["target"]) == {"leaked", "favourable_end"}
    html = (tiny / "calibration.html").read_text(encoding="utf-8")
    assert "Bands on this page" in html


def test_the_index_lists_a_calibration_and_report_rerenders_it(tiny, tmp_path):
    from sim.dashboards.index import find_entries, write_index

    folder = tmp_path / "results" / "cal"
    shutil.copytree(tiny, folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["name"] = "Cal <script>alert(1)</script> & co"
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "calibration.html").unlink()
    (entry,) = find_entries(tmp_path / "results")
    assert (entry.kind, entry.path, entry.page) == ("calibration", "cal", None)
    assert entry.title == manifest["name"]
    assert entry.details.startswith(
        f"20 particles x 3 generation(s), {manifest['runs']:,} model runs; "
        f"final epsilon {manifest['final_epsilon']:.4g}, ESS {manifest['final_ess']:.0f}; "
        "2 parameter(s), 2 target(s)"
    )
    assert main(["report", str(folder)]) == 0
    html = (folder / "calibration.html").read_text(encoding="utf-8")
    assert "Bands on this page" in html and "<script>alert" not in html
    index = write_index(tmp_path / "results").read_text(encoding="utf-8")
    assert 'href="cal/calibration.html"' in index
    assert "Cal &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in index
    assert "<script>alert" not in index


def test_report_on_a_damaged_calibration_says_so(tiny, tmp_path, capsys):
    folder = tmp_path / "cal"
    shutil.copytree(tiny, folder)
    (folder / "posterior.parquet").unlink()
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "cannot read the calibration's results" in err and "Traceback" not in err


def test_a_posterior_particle_reruns_exactly_from_its_seed(tiny):
    """Any particle's run can be repeated alone: its values and stored seed suffice."""
    from sim.calibration.model import CalibrationModel, summarise

    cal = load_calibration(TINY)
    model = CalibrationModel.of(cal)
    row = pd.read_parquet(tiny / "posterior.parquet").iloc[0]
    values = [row[p.path] for p in cal.priors]
    assert int(row["seed"]) == particle_seed(cal.spec.seed, values)
    again = summarise(model.run(values), cal.targets)
    assert again["leaked"] == row["simulated:leaked"]


def test_an_existing_folder_is_refused_without_resume(tiny, capsys):
    assert main(["calibrate", str(TINY), "--out", str(tiny)]) == 2
    assert "--resume" in capsys.readouterr().err


def _generations(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            (n,) = con.execute("select count(*) from populations where t >= 0").fetchone()
        return n
    except sqlite3.Error:
        return 0


def test_ctrl_c_is_held_outside_sampling_and_raised_at_once_inside():
    # A Ctrl-C while pyabc writes its history would leave a transaction open (and the
    # process waiting on its lock); outside sampling it is held until the next check.
    from sim.calibration.samplers import held_interrupts

    previous = signal.getsignal(signal.SIGINT)
    with held_interrupts() as interrupts:
        os.kill(os.getpid(), signal.SIGINT)  # outside sampling: held
        time.sleep(0.05)
        assert interrupts.pending
        with pytest.raises(KeyboardInterrupt), interrupts.sampling():
            pytest.fail("a held Ctrl-C must be raised before sampling starts")
        assert not interrupts.pending
        with pytest.raises(KeyboardInterrupt), interrupts.sampling():
            os.kill(os.getpid(), signal.SIGINT)  # inside sampling: at once
            time.sleep(1)
            pytest.fail("not raised")
        interrupts.raise_pending()  # nothing held: nothing raised
    assert signal.getsignal(signal.SIGINT) is previous


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill", "ctrl-c"])
def test_an_interrupted_calibration_resumes_without_losing_generations(tmp_path, how):
    spec = tmp_path / "slow.yaml"
    spec.write_text(
        TINY.read_text(encoding="utf-8")
        .replace("base: ../../scenarios/minimal.yaml", f"base: {SCENARIOS / 'minimal.yaml'}")
        .replace("population_size: 20", "population_size: 30")
        .replace("generations: 3", "generations: 4"),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    command = [sys.executable, str(REPO / "run_sim.py"), "calibrate", str(spec), "--out", str(out)]
    proc = subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    # Interrupt as soon as one generation is stored: three more are left as margin for a
    # loaded machine, where the signal can land some time after the check.
    while _generations(out / "history.db") < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(how)
    _, err = proc.communicate(timeout=60)
    stored = _generations(out / "history.db")
    assert 1 <= stored < 4, "stopped too late to test resuming"
    if how == signal.SIGINT:
        assert proc.returncode == 130
        assert "--resume" in err
    else:
        assert proc.returncode == -signal.SIGKILL
    assert not (out / "manifest.json").exists()
    resumed = subprocess.run(
        [*command, "--resume"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{stored} generation(s) already stored" in resumed.stdout + resumed.stderr
    diag = pd.read_csv(out / "diagnostics.csv")
    assert list(diag["generation"]) == [0, 1, 2, 3]
    if how == signal.SIGINT:
        return  # (the comparison below once is enough)
    # The generations stored before the interruption are kept as they were: the same
    # as an uninterrupted calibration's (one worker: reproducible from the root seed).
    whole = tmp_path / "whole"
    again = subprocess.run(
        [sys.executable, str(REPO / "run_sim.py"), "calibrate", str(spec), "--out", str(whole)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    a = pd.read_parquet(out / "particles.parquet")
    b = pd.read_parquet(whole / "particles.parquet")
    kept = a["generation"] < stored
    assert kept.sum() == 30 * stored
    pd.testing.assert_frame_equal(
        a[kept].drop(columns="particle").reset_index(drop=True),
        b[b["generation"] < stored].drop(columns="particle").reset_index(drop=True),
    )


# ---------------------------------------------------------------------------- recovery


def test_parameter_recovery_from_synthetic_observations(tmp_path):
    """Known values inside the 90% intervals; identifiable ones much narrower than the prior."""
    from sim.calibration.recovery import recover

    truth = {
        "intermediaries[curator].integrity": 0.6,
        "activities[language_course].persuasion": 0.5,
        "funders[funder].initial_belief": 0.8,
    }
    table = recover(SCENARIOS / "calibration" / "recovery_minimal.yaml", truth, tmp_path / "r")
    table = table.set_index("parameter")
    identifiable = ["intermediaries[curator].integrity", "activities[language_course].persuasion"]
    assert table.loc[identifiable, "covered"].all(), table
    # the leaked share pins integrity; the attributable opinion (noisier) pins persuasion less
    assert table.loc[identifiable[0], "width90_vs_prior"] < 0.3
    assert table.loc[identifiable[1], "width90_vs_prior"] < 0.8
    # no target depends on the funder's initial belief: its posterior stays about as wide
    assert table.loc["funders[funder].initial_belief", "width90_vs_prior"] > 0.6


# ---------------------------------------------------------------------------- --posterior


def test_run_with_a_posterior_separates_seed_noise_from_parameter_uncertainty(tiny, tmp_path):
    out = tmp_path / "run"
    args = ["run", str(REPO / "scenarios" / "minimal.yaml"), "--set", "audience.population=300"]
    assert main([*args, "--posterior", str(tiny), "--draws", "4", "--out", str(out)]) == 0
    draws = pd.read_csv(out / "posterior_draws.csv")
    seed_band = draws[draws["band"] == "seed noise"]
    full_band = draws[draws["band"] == "parameters and seed noise"]
    path = "intermediaries[curator].integrity"
    assert seed_band[path].nunique() == 1  # one parameter set, four seeds
    assert list(seed_band["seed"]) == list(full_band["seed"])  # the same seeds in both
    posterior = pd.read_parquet(tiny / "posterior.parquet")
    for value in full_band[path]:  # drawn from the posterior (CSV keeps 12 digits)
        assert (posterior[path] - value).abs().min() < 1e-9
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    median = seed_band[path].iloc[0]
    assert manifest["scenario"]["intermediaries"][0]["integrity"] == pytest.approx(median)
    bands = pd.read_csv(out / "posterior_bands.csv")
    assert set(bands["band"]) == {"seed noise", "parameters and seed noise"}
    page = (out / "uncertainty.html").read_text(encoding="utf-8")
    assert "seed noise only" in page and "parameter uncertainty and seed noise" in page


def test_run_with_a_folder_that_is_not_a_calibration_is_refused(tmp_path, capsys):
    scenario = str(REPO / "scenarios" / "minimal.yaml")
    assert main(["run", scenario, "--posterior", str(tmp_path), "--out", str(tmp_path / "x")]) == 2
    assert "not a calibration's results folder" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_a_finished_calibration_takes_more_generations_on_resume(tmp_path):
    spec = tmp_path / "more.yaml"
    text = TINY.read_text(encoding="utf-8").replace(
        "base: ../../scenarios/minimal.yaml", f"base: {SCENARIOS / 'minimal.yaml'}"
    )
    spec.write_text(text.replace("generations: 3", "generations: 2"), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["calibrate", str(spec), "--out", str(out)]) == 0
    spec.write_text(text, encoding="utf-8")  # now 3 generations
    assert main(["calibrate", str(spec), "--out", str(out), "--resume"]) == 0
    assert list(pd.read_csv(out / "diagnostics.csv")["generation"]) == [0, 1, 2]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [s["generations_after"] for s in manifest["sessions"]] == [2, 3]
    spec.write_text(text.replace("sd: 0.03", "sd: 0.05"), encoding="utf-8")  # another target
    assert main(["calibrate", str(spec), "--out", str(out), "--resume"]) == 2


def test_calibrate_on_local_workers_and_on_a_dask_cluster(tmp_path):
    """Both samplers run; each particle's stored summaries are those of its own seed."""
    from distributed import LocalCluster

    from sim.calibration.model import CalibrationModel, summarise

    cal = load_calibration(TINY)
    model = CalibrationModel.of(cal)
    assert main(["calibrate", str(TINY), "--out", str(tmp_path / "two"), "--workers", "2"]) == 0
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        args = ["--out", str(tmp_path / "dask"), "--scheduler", cluster.scheduler_address]
        assert main(["calibrate", str(TINY), *args]) == 0
    for where in ("two", "dask"):
        posterior = pd.read_parquet(tmp_path / where / "posterior.parquet")
        assert len(posterior) == 20
        row = posterior.iloc[0]
        values = [row[p.path] for p in cal.priors]
        assert summarise(model.run(values), cal.targets)["leaked"] == row["simulated:leaked"]


@pytest.mark.parametrize("workers", [1, 2])
def test_runs_are_reported_while_each_generation_is_sampled(tmp_path, monkeypatch, workers):
    """A generation can take minutes: its runs are counted (in forked workers too) as it goes."""
    from sim.calibration import samplers
    from sim.calibration.engine import run_calibration

    monkeypatch.setattr(samplers, "REPORT_EVERY", 0.005)
    seen, generations = [], []
    run_calibration(
        load_calibration(TINY),
        tmp_path / "cal",
        workers=workers,
        on_runs=seen.append,
        on_generation=generations.append,
    )
    assert len(generations) == 3
    # Each sampling ends with its count; the last one is the last generation's runs.
    assert seen[-1] == generations[-1].runs > 0
    assert max(seen) >= max(g.runs for g in generations)
    # Reports came while sampling, not only when a sampling ended.
    assert len(seen) > 2 * len(generations)
    assert any(0 < n < max(seen) for n in seen)


def test_an_unreachable_scheduler_is_refused_and_nothing_written(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["calibrate", str(TINY), "--out", str(out), "--scheduler", "tcp://127.0.0.1:9"]
    assert main(args) == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err
    assert not out.exists()


def test_every_summary_is_described_and_names_are_unique():
    from sim.calibration.summaries import SummaryArgs, register_summary

    for name, s in SUMMARIES.items():
        assert s.name == name and s.description
        assert issubclass(s.args, SummaryArgs)
    with pytest.raises(ValueError, match="already registered"):
        register_summary("metric", "again", SummaryArgs)(lambda r, a: 0.0)
    with pytest.raises(ValueError, match="must match"):
        register_summary("Bad-Name", "x", SummaryArgs)
