"""The installed package does not need the repository: shipped files are package data.

The slow tests build the wheel from a copy of the checkout, install it with ``--no-deps``
into a fresh virtual environment outside the repository (the dependencies come from the
test's own environment through a ``.pth`` file, which does not pick up the editable
install of ``sim``) and use it from a working directory outside the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

import sim
from sim.classroom import Grid, build_classroom
from sim.classroom.grid import LESSON_SCENARIO
from sim.resources import (
    DOCS_PACKAGE,
    SCENARIOS_PACKAGE,
    model_description,
    shipped_scenario,
    teaching_guide,
)
from sim.scenario import docs as scenario_docs

REPO = Path(__file__).resolve().parents[1]
#: Top-level entries of the checkout that the wheel build does not need (big or unrelated).
NOT_COPIED = {".git", ".venv", "results", "build", "benchmarks", "tests", "node_modules"}
#: The classroom grid built by the installed package (two points: a few seconds).
TINY_GRID = Grid(keep=(0.0, 0.75), show=(0.5,), media=(0.9,))
#: What pip prints when the build requirements (setuptools) cannot be downloaded.
OFFLINE = ("No matching distribution found", "Could not find a version that satisfies")


def _unavailable(reason: str) -> None:
    """Skip, except in CI (CI=true), where a test that cannot run fails instead."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"cannot run in CI: {reason}")
    pytest.skip(reason)


def _env() -> dict[str, str]:
    """The environment for subprocesses: nothing that points Python at the checkout."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"}
    }
    env.update(PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return env


def _run(args: list[str | Path], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _ok(proc: subprocess.CompletedProcess, what: str) -> str:
    assert proc.returncode == 0, (
        f"{what} failed (exit {proc.returncode})\n"
        f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    )
    return proc.stdout


def _sim_packages_on_disk() -> set[str]:
    return {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "sim").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }


def _ignore(folder: str, names: list[str]) -> set[str]:
    skip = {n for n in names if n == "__pycache__" or n.endswith((".egg-info", "_cache"))}
    if Path(folder) == REPO:
        skip |= NOT_COPIED.intersection(names) | {n for n in names if n.startswith(".hypo")}
    return skip


# --- fast checks of the configuration -------------------------------------------------


def test_pyproject_lists_every_package_and_maps_the_shipped_folders():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    missing = _sim_packages_on_disk() - listed
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"
    mapped = setuptools["package-dir"]
    assert mapped == {SCENARIOS_PACKAGE: "scenarios", DOCS_PACKAGE: "docs"}
    for package, folder in mapped.items():
        assert package in listed
        # without it, the mapping does not work in editable installs (setuptools #4943)
        assert (REPO / folder / "__init__.py").is_file()
        assert setuptools["package-data"][package]


def test_shipped_files_are_the_repository_files():
    names = sorted(p.relative_to(REPO / "scenarios") for p in REPO.glob("scenarios/**/*.yaml"))
    assert Path("classroom/lesson.yaml") in names
    assert Path("sweeps/leakage_budget_grid.yaml") in names
    for name in names:
        assert (
            shipped_scenario(name.as_posix()).read_bytes()
            == (REPO / "scenarios" / name).read_bytes()
        )
    assert teaching_guide().read_bytes() == (REPO / "docs" / "teaching.md").read_bytes()
    # the pages embed the limitations of the model description, so it ships too
    assert model_description().read_bytes() == (REPO / "docs" / "ODD.md").read_bytes()
    assert shipped_scenario("classroom/lesson.yaml") == LESSON_SCENARIO
    if Path(sim.__file__).resolve().is_relative_to(REPO):  # the editable install: one copy
        assert LESSON_SCENARIO == REPO / "scenarios" / "classroom" / "lesson.yaml"
        assert teaching_guide() == REPO / "docs" / "teaching.md"


def test_an_unknown_scenario_name_lists_the_shipped_ones():
    with pytest.raises(FileNotFoundError, match=r"nope\.yaml.*classroom/lesson\.yaml"):
        shipped_scenario("nope.yaml")


def test_docs_tool_refuses_to_run_outside_a_checkout(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(scenario_docs, "CHECKOUT", tmp_path)
    monkeypatch.setattr(scenario_docs, "DOC_PATH", tmp_path / "docs" / "scenario-format.md")
    assert scenario_docs.main() == 1
    assert "not a source checkout" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


# --- the wheel, installed in a fresh environment ----------------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    """Build the wheel, install it in a fresh venv; return the venv's paths."""
    root = tmp_path_factory.mktemp("wheel")
    assert not root.resolve().is_relative_to(REPO), f"{root} must lie outside the repository"
    src, wheels, venv, work = root / "src", root / "wheels", root / "venv", root / "work"
    work.mkdir()
    # Build from a copy, so that the build writes nothing (build/, *.egg-info) in the
    # checkout, which others may be using.
    shutil.copytree(REPO, src, ignore=_ignore)
    proc = _run(
        [sys.executable, "-m", "pip", "wheel", src, "--no-deps", "-w", wheels, "-q"],
        cwd=work,
        timeout=900,
    )
    if proc.returncode and any(s in proc.stdout + proc.stderr for s in OFFLINE):
        _unavailable(f"pip cannot download the build requirements:\n{proc.stderr}")
    _ok(proc, "pip wheel")
    (wheel,) = wheels.glob("influence_sim-*.whl")

    proc = _run([sys.executable, "-m", "venv", venv], cwd=work)
    if proc.returncode:
        _unavailable(f"cannot create a virtual environment with pip:\n{proc.stderr}")
    python = venv / "bin" / "python"
    if not python.exists():  # Windows
        python = venv / "Scripts" / "python.exe"
    site = Path(
        _ok(
            _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], work),
            "asking the venv for its site-packages",
        ).strip()
    )
    # The dependencies, already installed here; a directory added by a .pth file does
    # not get its own .pth files processed, so the editable install of sim stays out.
    ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (site / "_influence_sim_test_deps.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")
    proc = _run([python, "-c", "import sim"], cwd=work)
    assert proc.returncode != 0 and "No module named 'sim'" in proc.stderr, (
        "the fresh venv imports sim before the wheel is installed: the test would prove "
        f"nothing\n{proc.stdout}{proc.stderr}"
    )
    _ok(
        _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel], work),
        "pip install of the wheel",
    )
    return {"wheel": wheel, "venv": venv, "python": python, "work": work}


def test_wheel_holds_the_package_and_its_data(installed):
    with zipfile.ZipFile(installed["wheel"]) as wheel:
        names = set(wheel.namelist())
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"sim"}
    for path in (REPO / "sim").rglob("*.py"):
        if "__pycache__" not in path.parts:
            assert path.relative_to(REPO).as_posix() in names
    for path in (REPO / "scenarios").rglob("*.yaml"):
        assert f"sim/_scenarios/{path.relative_to(REPO / 'scenarios').as_posix()}" in names
    shipped_docs = {"sim/_docs/teaching.md", "sim/_docs/ODD.md"}
    assert shipped_docs <= names
    assert not {n for n in names if n.startswith("sim/_docs/") and n.endswith(".md")} - shipped_docs


def test_installed_package_runs_outside_the_repository(installed, tmp_path):
    python, work, venv = installed["python"], installed["work"], installed["venv"].resolve()
    where = json.loads(
        _ok(
            _run(
                [
                    python,
                    "-c",
                    "import json, sim; from sim.resources import shipped_scenario as s; "
                    "print(json.dumps({'sim': sim.__file__, "
                    "'lesson': str(s('classroom/lesson.yaml'))}))",
                ],
                work,
            ),
            "finding the installed package",
        )
    )
    for path in where.values():
        assert Path(path).resolve().is_relative_to(venv), where
        assert not Path(path).resolve().is_relative_to(REPO), where

    cli = python.parent / ("influence-sim.exe" if os.name == "nt" else "influence-sim")
    out = _ok(_run([cli, "validate", where["lesson"]], work), "influence-sim validate")
    assert out.startswith("ok: Classroom lesson")

    pack = tmp_path / "lesson"
    grid = f"Grid(keep={TINY_GRID.keep}, show={TINY_GRID.show}, media={TINY_GRID.media})"
    code = (
        "from sim.classroom.build import build_classroom; from sim.classroom.grid import Grid; "
        f"build_classroom({str(pack)!r}, grid={grid}, workers=1, progress=False)"
    )
    _ok(_run([python, "-c", code], work), "building the classroom pack with the wheel")
    assert sorted(p.name for p in pack.iterdir()) == ["README.txt", "lesson.html", "teaching.md"]
    assert (pack / "teaching.md").read_bytes() == (REPO / "docs" / "teaching.md").read_bytes()
    # the same pack as the checkout builds, byte for byte
    here = build_classroom(tmp_path / "here", grid=TINY_GRID, workers=1, progress=False)
    for name in ("README.txt", "lesson.html"):
        assert (pack / name).read_bytes() == (here.folder / name).read_bytes(), name

    proc = _run([python, "-m", "sim.scenario.docs"], work)
    assert proc.returncode == 1 and "not a source checkout" in proc.stderr, proc.stderr
