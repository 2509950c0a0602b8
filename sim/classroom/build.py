"""Build the classroom pack: run the grid, then write the lesson folder atomically.

The folder holds ``lesson.html`` (everything inside: plotly.js, the precomputed runs,
the page's script), a short ``README.txt`` for the teacher and, when the repository's
``docs/teaching.md`` is there, a copy of the lesson plan.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from sim.atomic import atomic_directory
from sim.classroom.grid import FULL_GRID, LESSON_SCENARIO, SEED, Grid, point_overrides, run_point
from sim.classroom.page import decomposition_sentence, lesson_page
from sim.dashboards.page import write_page
from sim.decompose import decompose
from sim.resources import teaching_guide
from sim.scenario import load_scenario
from sim.sweep.execute import Job, make_executor, run_all

#: Where ``run_sim.py classroom`` writes by default.
DEFAULT_OUT = Path("results") / "classroom"
PAGE_NAME = "lesson.html"
_TEACHING = teaching_guide()

_README = """\
Where did the $100 million go? - a classroom lesson on "balalaika diplomacy"

Open lesson.html by double-clicking it. It works in any recent browser (Chrome,
Edge, Firefox, Safari), with no internet connection and nothing to install:
everything it needs is inside that one file.

teaching.md is the 45-minute lesson plan (open it in any text editor).

Made with influence-sim: {points} precomputed runs of "{scenario}", seed {seed}.
"""


@dataclass(frozen=True)
class ClassroomPack:
    """What :func:`build_classroom` wrote.

    Attributes:
        folder: The lesson folder.
        page: The lesson page inside it.
        points: Number of precomputed runs.
        seconds: Wall-clock time of the build.
    """

    folder: Path
    page: Path
    points: int
    seconds: float


def compute_grid(
    grid: Grid = FULL_GRID,
    scenario: str | os.PathLike[str] = LESSON_SCENARIO,
    seed: int = SEED,
    workers: int = 2,
    progress: bool = True,
    scheduler: str | None = None,
) -> list[dict[str, Any]]:
    """Run every point of the grid (books are checked by every run).

    The points run on an executor of :mod:`sim.sweep.execute`; the result does not
    depend on which.

    Args:
        grid: The slider values.
        scenario: The lesson scenario file.
        seed: One seed for every point.
        workers: Local worker processes (1 or less runs in this process).
        progress: Show a progress bar on stderr.
        scheduler: Address of a Dask scheduler (``tcp://HOST:PORT``) to run the points
            on instead (``workers`` is then ignored).

    Returns:
        One dict per point (see :func:`sim.classroom.grid.run_point`), in
        :meth:`Grid.points` order.

    Raises:
        RunFailedError: If a point's run fails or its worker is lost (the lesson needs
            every point).
        ExecutorError: If the executor cannot start (e.g. an unreachable scheduler).
    """
    path = str(Path(scenario).resolve())
    base = load_scenario(path)
    jobs = [
        Job(
            n,
            f"the grid point keep={keep:g}, show={show:g}, media={media:g}",
            run_point,
            (path, point_overrides(base, keep, show, media), seed, (keep, show, media)),
        )
        for n, (keep, show, media) in enumerate(grid.points())
    ]
    bar = tqdm(total=len(jobs), desc="classroom grid", unit="run", disable=not progress)
    try:
        with make_executor(max(1, workers), scheduler) as executor:
            return run_all(executor, jobs, "the classroom grid", progress=bar.update)
    finally:
        bar.close()


def build_classroom(
    out: str | os.PathLike[str] = DEFAULT_OUT,
    grid: Grid = FULL_GRID,
    scenario: str | os.PathLike[str] = LESSON_SCENARIO,
    seed: int = SEED,
    workers: int | None = None,
    progress: bool = True,
) -> ClassroomPack:
    """Build the lesson folder: the grid's runs, and the decomposition of the lesson's case.

    Args:
        out: The folder to write (replaced as a whole if it exists).
        grid: The slider values to precompute.
        scenario: The lesson scenario file.
        seed: One seed for every point.
        workers: Worker processes; default two (or one on a single-core machine).
        progress: Show a progress bar on stderr.

    Returns:
        What was written.
    """
    started = time.perf_counter()
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    points = compute_grid(grid, scenario, seed, workers, progress)
    lesson = load_scenario(scenario)
    name = lesson.name
    dates = _dates(scenario)
    with make_executor(max(1, workers)) as executor:
        gap = decompose(lesson, [seed], executor, ["final_attributable_opinion"])
    html = lesson_page(grid, points, dates, decomposition_sentence(gap.summary()))
    with atomic_directory(out, PAGE_NAME) as tmp:
        write_page(tmp / PAGE_NAME, html)
        (tmp / "README.txt").write_text(
            _README.format(points=len(points), scenario=name, seed=seed), encoding="utf-8"
        )
        if _TEACHING.is_file():
            shutil.copyfile(_TEACHING, tmp / "teaching.md")
    folder = Path(out).resolve()
    return ClassroomPack(
        folder=folder,
        page=folder / PAGE_NAME,
        points=len(points),
        seconds=time.perf_counter() - started,
    )


def _dates(scenario: str | os.PathLike[str]) -> list[str]:
    from sim.model.clock import step_dates

    return [d.isoformat() for d in step_dates(load_scenario(scenario).time)]
