"""Running sweeps: the same results on every executor, resume after a kill, failures kept."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import psutil
import pyarrow.parquet as pq
import pytest

from sim.run import simulate
from sim.scenario import load_scenario
from sim.sweep import SweepStore, SweepStoreError, load_sweep, run_sweep
from sim.sweep.metrics import resolve_metric
from sim.sweep.store import SUMMARY
from tests.conftest import ROOT
from tests.sweep_helpers import MINIMAL, TINY, committed_runs, write_sweep


def contents(folder) -> pd.DataFrame:
    """The summary table without the one column that may differ: wall-clock time."""
    return SweepStore(folder).read_summary().drop(columns="duration_s")


def test_identical_results_in_process_on_local_workers_and_on_dask(tmp_path):
    from distributed import LocalCluster

    sweep = load_sweep(write_sweep(tmp_path, keep_trajectories=True))
    run_sweep(sweep, tmp_path / "one", workers=1)
    run_sweep(sweep, tmp_path / "two", workers=2)
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        report = run_sweep(sweep, tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert report.complete and report.ok == 8

    reference = contents(tmp_path / "one")
    assert reference["run_id"].tolist() == list(range(8))
    assert (reference["status"] == "ok").all()
    assert reference["final_opinion"].nunique() > 1  # the runs do differ
    for other in ("two", "dask"):
        pd.testing.assert_frame_equal(contents(tmp_path / other), reference, check_exact=True)
        pd.testing.assert_frame_equal(
            SweepStore(tmp_path / other).read_trajectories(),
            SweepStore(tmp_path / "one").read_trajectories(),
            check_exact=True,
        )


def test_a_stored_run_is_the_run_its_row_describes(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, keep_trajectories=True))
    run_sweep(sweep, tmp_path / "out")
    store = SweepStore(tmp_path / "out")
    row = store.read_summary().iloc[5]  # point 2 = (integrity 0.8, media control 0.1), rep 1
    assert (row["point_id"], row["replicate"]) == (2, 1)
    assert row["intermediaries[*].integrity"] == 0.8
    assert row["host_state.media_control"] == 0.1
    overrides = [f"{k}={v}" for k, v in TINY.items()]
    overrides += ["intermediaries[*].integrity=0.8", "host_state.media_control=0.1"]
    result = simulate(load_scenario(MINIMAL, overrides), int(row["seed"]))
    for metric in sweep.spec.metrics:
        assert row[metric] == resolve_metric(metric).function(result)
    stored = store.read_trajectories(run_ids=[5]).drop(columns=["run_id", "point_id", "replicate"])
    pd.testing.assert_frame_equal(stored, result.trajectories, check_dtype=False, check_exact=True)


def test_failing_runs_are_recorded_and_the_others_complete(tmp_path):
    metrics = ["share_leaked", "tests.sweep_helpers:fails_when_open"]
    sweep = load_sweep(write_sweep(tmp_path, metrics=metrics))
    report = run_sweep(sweep, tmp_path / "out")
    assert (report.ok, report.failed, report.complete) == (4, 4, True)
    df = SweepStore(tmp_path / "out").read_summary()
    failed = df[df["status"] == "error"]
    assert sorted(failed["host_state.media_control"]) == [0.1] * 4
    assert failed["error"].str.contains("deliberate failure at media_control=0.1").all()
    assert failed["error"].str.startswith("metric tests.sweep_helpers:fails_when_open").all()
    assert failed["share_leaked"].notna().all()  # the metrics that worked are kept
    assert failed["tests.sweep_helpers:fails_when_open"].isna().all()
    ok = df[df["status"] == "ok"]
    assert ok["error"].isna().all() and (ok["tests.sweep_helpers:fails_when_open"] == 0.9).all()


def test_a_scenario_error_inside_a_run_is_recorded(tmp_path):
    # Shares of one segment varied alone stop summing to 1: a run-time validation error
    # (each value is valid for the field, so the file loads).
    sweep = load_sweep(write_sweep(tmp_path))
    bad = dict(sweep.base_doc)
    bad["audience"] = dict(bad["audience"], segments=[{"id": "everyone", "share": 0.5}])
    broken = type(sweep)(sweep.spec, sweep.path, sweep.base_path, bad)
    report = run_sweep(broken, tmp_path / "out")
    assert (report.ok, report.failed) == (0, 8)
    errors = SweepStore(tmp_path / "out").read_summary()["error"]
    assert errors.str.startswith("ScenarioError:").all() and errors.str.contains("sum").all()


def test_resume_after_a_kill_stores_every_run_exactly_once(tmp_path):
    metrics = ["final_opinion", "tests.sweep_helpers:slow_share_leaked"]
    parameters = {"intermediaries[*].integrity": {"range": [0.1, 0.9], "levels": 12}}
    path = write_sweep(tmp_path, parameters=parameters, replicates=4, metrics=metrics)
    out = tmp_path / "killed"
    code = (
        "from sim.sweep import load_sweep, run_sweep; "
        f"run_sweep(load_sweep({str(path)!r}), {str(out)!r}, workers=2)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if committed_runs(out) >= 5:
                break
            time.sleep(0.02)
        workers = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert len(workers) >= 2 and not alive, "worker processes outlived their parent"
    stored = SweepStore(out).completed_run_ids()
    assert 5 <= len(stored) < 48, "the kill should land mid-sweep"

    report = run_sweep(load_sweep(path), out, resume=True)
    assert report.done_before == len(stored)
    assert report.ok == 48 - len(stored) and report.complete
    resumed = contents(out)
    assert resumed["run_id"].tolist() == list(range(48))  # each run once
    run_sweep(load_sweep(path), tmp_path / "straight")
    pd.testing.assert_frame_equal(resumed, contents(tmp_path / "straight"), check_exact=True)
    assert not list(out.rglob(".*"))  # no temporary file left


def test_a_run_in_two_files_is_read_once(tmp_path):
    # A crash between writing a batch and deleting the single-run files it merged.
    sweep = load_sweep(write_sweep(tmp_path))
    run_sweep(sweep, tmp_path / "out")
    store = SweepStore(tmp_path / "out")
    (batch,) = (tmp_path / "out" / SUMMARY).glob("batch-*.parquet")
    table = pq.read_table(batch)
    pq.write_table(table.slice(3, 1), tmp_path / "out" / SUMMARY / "run-000000003.parquet")
    assert store.completed_run_ids() == set(range(8))
    assert store.read_summary()["run_id"].tolist() == list(range(8))


def test_an_existing_folder_is_refused_without_resume(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path))
    run_sweep(sweep, tmp_path / "out")
    with pytest.raises(SweepStoreError, match="pass --resume"):
        run_sweep(sweep, tmp_path / "out")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(SweepStoreError, match="already holds files"):
        run_sweep(sweep, tmp_path / "other")
    report = run_sweep(sweep, tmp_path / "out", resume=True)  # nothing left to do
    assert (report.done_before, report.ok) == (8, 0)


def test_resume_refuses_a_changed_sweep(tmp_path):
    run_sweep(load_sweep(write_sweep(tmp_path)), tmp_path / "out")
    changed = load_sweep(write_sweep(tmp_path, replicates=3))
    with pytest.raises(SweepStoreError, match="holds a different sweep: replicates differ"):
        run_sweep(changed, tmp_path / "out", resume=True)


def test_seeds_are_common_across_points_unless_asked_otherwise(tmp_path):
    run_sweep(load_sweep(write_sweep(tmp_path)), tmp_path / "common")
    df = contents(tmp_path / "common")
    assert df.groupby("replicate")["seed"].nunique().tolist() == [1, 1]
    run_sweep(load_sweep(write_sweep(tmp_path, seeds="independent")), tmp_path / "independent")
    assert contents(tmp_path / "independent")["seed"].nunique() == 8


def test_manifest_records_the_sweep_and_its_sessions(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path))
    run_sweep(sweep, tmp_path / "out")
    run_sweep(sweep, tmp_path / "out", resume=True)
    manifest = SweepStore(tmp_path / "out").manifest
    assert manifest["design"] == {"type": "grid", "points": 4, "replicates": 2, "runs": 8}
    assert manifest["spec"]["set"] == TINY
    assert manifest["base_scenario"]["audience"]["population"] == 100
    assert set(manifest["versions"]) >= {"python", "mesa", "SALib", "pyarrow"}
    assert [s["ok"] for s in manifest["sessions"]] == [8, 0]
    assert np.isfinite([s["seconds"] for s in manifest["sessions"]]).all()
    assert os.stat(tmp_path / "out" / "sweep.json").st_mode & 0o044  # not private to the user


def test_runs_are_committed_in_batches_by_count_and_by_timer(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path))
    run_sweep(sweep, tmp_path / "done")
    (batch,) = (tmp_path / "done" / SUMMARY).glob("batch-*.parquet")
    rows = pq.read_table(batch).sort_by("run_id").to_pylist()

    def on_disk(root) -> int:
        files = (root / SUMMARY).glob("batch-*.parquet")
        return sum(pq.read_metadata(f).num_rows for f in files)

    # By count: nothing reaches the disk until three runs are held, then all three.
    shutil.copytree(tmp_path / "done", tmp_path / "count")
    for f in (tmp_path / "count" / SUMMARY).iterdir():
        f.unlink()
    store = SweepStore(tmp_path / "count", batch_runs=3, batch_seconds=3600)
    store.write_run(rows[0])
    store.write_run(rows[1])
    assert on_disk(tmp_path / "count") == 0 and store.uncommitted == 2
    store.write_run(rows[2])
    assert on_disk(tmp_path / "count") == 3 and store.uncommitted == 0
    # By timer: a lone run is on disk shortly after it finished, with nothing else arriving.
    store.batch_runs, store.batch_seconds = 100, 0.2
    store.write_run(rows[3])
    deadline = time.monotonic() + 10
    while on_disk(tmp_path / "count") < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert on_disk(tmp_path / "count") == 4 and store.uncommitted == 0
    store.compact()  # this session's two batches become one file
    assert len(list((tmp_path / "count" / SUMMARY).glob("batch-*.parquet"))) == 1
    assert store.completed_run_ids() == {0, 1, 2, 3}
