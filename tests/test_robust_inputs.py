"""Nothing a user types can crash, hang or silently corrupt a run.

Bad input of every kind (impossible dates, deep nesting, files that block, weights
that make the money split loop forever, degenerate values) is refused before the
model runs, with one line naming the file, the field, what was expected and what
was found; and money is exact in every file written, up to the schema's largest
amount. The single-defect scenarios live in ``tests/malformed/`` (run by
``tests/test_scenario_loading.py``); these tests cover ``--set``, sweep files,
files that must not be opened, the writer and the money columns.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.dashboards.headline import headline
from sim.dashboards.load import load_run
from sim.model.ledger import split_cents
from sim.money import manifest_money_cents, text_to_cents
from sim.output import MONEY_COLUMNS, NonFiniteOutputError, write_run
from sim.run import simulate
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.safe_yaml import MAX_FILE_BYTES
from sim.sweep.load import load_sweep

REPO = Path(__file__).resolve().parents[1]
MALFORMED = Path(__file__).resolve().parent / "malformed"
BASE = MALFORMED / "valid" / "base.yaml"


def base_doc() -> dict:
    return yaml.safe_load(BASE.read_text(encoding="utf-8"))


def write_yaml(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI, expect exit status 2 and a clean error; return stderr."""
    assert main(argv) == 2
    _, err = capsys.readouterr()
    assert err.startswith("error: ")
    assert "Traceback" not in err
    return err


# ---------------------------------------------------------------------------- --set


@pytest.mark.parametrize(
    ("assignment", "path", "fragment"),
    [
        ("time.start=2021-02-29", "time.start", "day value is outside expected range"),
        ("time.end=2018-13-01", "time.end", "month value is outside expected range"),
        ("time.start=0000-01-01", "time.start", "greater than or equal to 1900-01-01"),
        ("time.end=9999-12-31", "time.end", "less than or equal to 2200-12-31; found 9999-12-31"),
        ("shocks[crash].date=2021-02-29", "shocks[crash].date", "day value is outside"),
        ("name=" + "[" * 20_000 + "]" * 20_000, "--set name", "nested more than 64 levels"),
        ("funders[funder].allocation.curator=.inf", "allocation.curator", "finite number"),
        ("funders[funder].allocation.curator=1e308", "allocation.curator", "less than or equal"),
        ("audience.population=10", "audience.network.mean_degree", "less than the population"),
        ("audience.real_population=1999", "audience.real_population", "at least the simulated"),
        ("activities[reception].cost_usd=1e-300", "cost_usd", "greater than or equal to 0.01"),
        ("seed=" + "9" * 5000, "--set seed", "Exceeds the limit (4300 digits)"),
    ],
)
def test_bad_set_values_are_refused_by_validate_and_run(
    assignment: str, path: str, fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = refused(["validate", str(BASE), "--set", assignment], capsys)
    assert "base.yaml" in err and path in err and fragment in err
    assert len(err.splitlines()) == 2  # the heading and one problem
    assert max(map(len, err.splitlines())) < 400  # what was found is shortened
    out = tmp_path / "out"
    refused(["run", str(BASE), "--no-dashboard", "--out", str(out), "--set", assignment], capsys)
    assert not out.exists()


# ---------------------------------------------------------------------------- files


@pytest.mark.parametrize(
    "name",
    sorted(
        p.name
        for p in MALFORMED.glob("*.yaml")
        if p.name.startswith(
            ("date_", "deeply", "alias_", "huge_", "mean_degree", "small_world", "allocation_")
        )
        or p.name.startswith(("activity_", "yearly_", "extends_device", "real_population"))
    ),
)
def test_run_refuses_new_corpus_files_and_writes_nothing(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    err = refused(["run", str(MALFORMED / name), "--no-dashboard", "--out", str(out)], capsys)
    assert name in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_are_refused_without_blocking(tmp_path: Path) -> None:
    """A FIFO (or /proc/kmsg) as a scenario or a base would block forever if opened."""
    _fifo(tmp_path / "pipe.yaml")
    (tmp_path / "child.yaml").write_text("extends: pipe.yaml\nname: x\n", encoding="utf-8")
    code = textwrap.dedent(
        f"""
        import sys
        from sim.scenario import ScenarioError, load_scenario
        for name in ("pipe.yaml", "child.yaml"):
            try:
                load_scenario({str(tmp_path)!r} + "/" + name)
            except ScenarioError as exc:
                print(exc.render())
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "pipe.yaml: 1 problem(s)\n  - cannot read file: not a regular file" in proc.stdout
    assert "child.yaml: 1 problem(s)\n  - extends: not a regular file:" in proc.stdout


@pytest.mark.parametrize("target", ["/proc/kmsg", "/dev/zero", "/dev/stdin", "/proc/self/mem"])
def test_system_files_are_never_read(target: str, tmp_path: Path) -> None:
    if not Path(target).exists():
        pytest.skip(f"{target} does not exist here")
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {target}\nname: x\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "run_sim.py", "validate", str(child)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {child}: 1 problem(s)\n  - extends: ")
    assert "Traceback" not in proc.stderr


def test_files_over_the_size_limit_are_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(big)
    assert str(info.value.problems[0]) == (
        f"cannot read file: {MAX_FILE_BYTES + 3:,} bytes; at most 10 MiB is read"
    )
    child = tmp_path / "child.yaml"
    child.write_text("extends: big.yaml\nname: x\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert info.value.source == str(child)
    (problem,) = info.value.problems
    assert problem.path == "extends"
    assert "at most 10 MiB is read" in problem.message


def test_extends_with_unusable_names(tmp_path: Path) -> None:
    for name, fragment in [("a\0b.yaml", "not a usable file name"), ("x" * 5000, "")]:
        doc = base_doc()
        doc["extends"] = name
        with pytest.raises(ScenarioError) as info:
            load_scenario(write_yaml(tmp_path / "child.yaml", doc))
        (problem,) = info.value.problems
        assert problem.path == "extends"
        assert fragment in problem.message
        assert len(problem.message) < 400


# ---------------------------------------------------------------------------- sweep files


def _sweep(tmp_path: Path, extra: str = "", set_: str = "audience.population: 300") -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(
        f"name: s\ndescription: d\nbase: {BASE}\nset: {{{set_}}}\n"
        "parameters:\n  intermediaries[*].integrity: {range: [0.0, 1.0], levels: 2}\n"
        "design: grid\nreplicates: 1\n" + extra,
        encoding="utf-8",
    )
    return path


def test_sweep_files_get_the_same_protection(tmp_path: Path) -> None:
    assert load_sweep(_sweep(tmp_path)).runs == 2
    cases = [
        ({"set_": "time.end: 2021-02-29"}, "day value is outside expected range"),
        ({"set_": "time.end: 9999-01-01"}, "less than or equal to 2200-12-31"),
        ({"extra": "seed: " + "[" * 20_000 + "]" * 20_000 + "\n"}, "nested more than"),
        ({"set_": "audience.population: 10"}, "less than the population"),
    ]
    for change, fragment in cases:
        with pytest.raises(ScenarioError) as info:
            load_sweep(_sweep(tmp_path, **change))
        assert fragment in info.value.render()
        assert "Traceback" not in info.value.render()
    path = _sweep(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8").replace(str(BASE), "/dev/null"), encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    assert str(info.value.problems[0]) == "base: not a regular file: /dev/null"


# ---------------------------------------------------------------------------- split_cents


@pytest.mark.parametrize(
    "weights", [[math.inf, 1.0], [math.nan, 1.0], [1e308, 1e308], [0.0, 0.0], [-1.0, 2.0]]
)
def test_split_cents_refuses_weights_it_cannot_use(weights: list[float]) -> None:
    with pytest.raises(ValueError, match="finite non-negative weights"):
        split_cents(10**15, weights)


def test_split_cents_still_splits_extreme_finite_weights() -> None:
    parts = split_cents(10**17 + 7, [1e-300, 1e6, 3.0])
    assert sum(parts) == 10**17 + 7


# ---------------------------------------------------------------------------- the writer


@pytest.fixture(scope="module")
def small_result(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("small")
    doc = base_doc()
    doc["audience"]["population"] = 200
    return simulate(load_scenario(write_yaml(folder / "small.yaml", doc)), 1)


@pytest.mark.parametrize("value", [math.nan, math.inf])
@pytest.mark.parametrize("column", ["opinion_mean", "reported_influence"])
def test_writer_refuses_non_finite_values(
    small_result, column: str, value: float, tmp_path: Path
) -> None:
    broken = small_result.trajectories.copy()
    broken.loc[broken.index[-1], column] = value
    result = type(small_result)(**{**vars(small_result), "trajectories": broken})
    out = tmp_path / "out"
    with pytest.raises(NonFiniteOutputError, match=column):
        write_run(result, out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_manifest_is_strict_json(small_result, tmp_path: Path) -> None:
    folder = write_run(small_result, tmp_path / "run")
    text = (folder / "manifest.json").read_text(encoding="utf-8")

    def no_constants(name: str) -> None:
        raise AssertionError(f"non-standard JSON constant {name}")

    doc = json.loads(text, parse_constant=no_constants)
    assert doc["money"]["disbursed_usd"] == small_result.money.disbursed / 100


# ---------------------------------------------------------------------------- exact money


def _kind_cents(ledger: pd.DataFrame, kinds: tuple[str, ...], upto: int) -> int:
    rows = ledger[ledger["kind"].isin(kinds) & (ledger["step"] <= upto)]
    return sum(text_to_cents(a) for a in rows["amount_usd"])


@pytest.mark.parametrize(
    "budget",
    [
        {"total_usd": 1e13},  # the schema's largest amount
        {"yearly_usd": {2020: 9999999999999.99, 2021: 1e13, 2022: 9876543210987.65}},
    ],
    ids=["total_1e13", "yearly_3e13"],
)
def test_every_written_money_value_equals_the_ledger_to_the_cent(
    budget: dict, tmp_path: Path
) -> None:
    doc = base_doc()
    doc["audience"]["population"] = 200
    doc["funders"][0]["budget"] = budget
    result = simulate(load_scenario(write_yaml(tmp_path / "rich.yaml", doc)), 5)
    m = result.money
    assert m.disbursed > 2**53 // 100  # beyond what a float in USD holds to the cent
    folder = write_run(result, tmp_path / "run")

    # ledger.csv: every amount exact, and the totals by kind are the books'.
    ledger = pd.read_csv(folder / "ledger.csv", dtype={"amount_usd": str})
    assert [text_to_cents(a) for a in ledger["amount_usd"]] == result.ledger["cents"].tolist()

    # trajectories.csv: the cumulative money columns, at every step, from the ledger.
    t = pd.read_csv(folder / "trajectories.csv", dtype=dict.fromkeys(MONEY_COLUMNS, str))
    last = int(t["step"].iloc[-1])
    for _, row in t.iterrows():
        step = int(row["step"])
        expected = {
            col: _kind_cents(ledger, kinds, step) for col, kinds in MONEY_COLUMNS.items() if kinds
        }
        expected["unspent_usd"] = (
            expected["disbursed_usd"] - expected["leaked_usd"] - expected["activity_usd"]
        )
        assert {col: text_to_cents(row[col]) for col in MONEY_COLUMNS} == expected
        assert all(len(row[col].rpartition(".")[2]) == 2 for col in MONEY_COLUMNS)
    final = {col: text_to_cents(t[col].iloc[-1]) for col in MONEY_COLUMNS}
    assert final == {
        "disbursed_usd": m.disbursed,
        "leaked_usd": m.leaked,
        "for_show_usd": m.for_show,
        "substantive_usd": m.substantive,
        "activity_usd": m.activity,
        "unspent_usd": m.unspent,
    }
    assert last == len(result.trajectories)

    # manifest.json: every amount exact, read as decimal text.
    money = manifest_money_cents((folder / "manifest.json").read_text(encoding="utf-8"))
    assert money == {
        "budget_usd": result.budget_cents,
        "disbursed_usd": m.disbursed,
        "leaked_usd": m.leaked,
        "leaked_by_hop_usd": m.leaked_by_hop,
        "activity_usd": m.activity,
        "for_show_usd": m.for_show,
        "substantive_usd": m.substantive,
        "unspent_usd": m.unspent,
    }
    assert sum(money["leaked_by_hop_usd"].values()) == m.leaked

    # The dashboards read the same folder: exact cents, and floats for the headline.
    run = load_run(folder)
    assert run.money_cents == money
    assert run.ledger["cents"].sum() == result.ledger["cents"].sum()
    h = headline(run)
    assert h.disbursed_usd == pytest.approx(m.disbursed / 100, rel=1e-15)
    assert h.leaked_share == pytest.approx(m.leaked / m.disbursed)
    assert np.isfinite(run.trajectories["disbursed_usd"]).all()
