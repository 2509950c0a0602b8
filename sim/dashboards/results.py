"""The kinds of result folder, registered in one place.

Each kind says how to recognise its folders, how to describe one in the results index
(title, one line of details, its page) and how to re-render its page. The index
(:mod:`sim.dashboards.index`) lists every folder of a registered kind; ``run_sim.py
report`` (:func:`sim.dashboards.report.render_any`) re-renders any of them. A new kind of
result is added to :data:`KINDS` and nowhere else.

Kinds are tried in order and the first that recognises a folder takes it: a sweep
(``sweep.json``), a comparison (``comparison.json``), a calibration (a manifest of kind
``calibration``, or the ``calibration.json`` of one not finished yet), a decomposition
(a manifest of kind ``decomposition``), a run (a manifest and every run table).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.calibration.engine import STATE as CALIBRATION_STATE
from sim.calibration.output import KIND as CALIBRATION_KIND
from sim.dashboards.calibration import PAGE as CALIBRATION_PAGE
from sim.dashboards.calibration import render_calibration
from sim.dashboards.compare_dashboard import PAGE as COMPARISON_PAGE
from sim.dashboards.decomposition import PAGE as DECOMPOSITION_PAGE
from sim.dashboards.decomposition import render_decomposition
from sim.dashboards.load import COMPARISON_FILE, NotAResultError, is_run_folder
from sim.dashboards.render import render_comparison_folder, render_run
from sim.dashboards.run_dashboard import DASHBOARD as RUN_PAGE
from sim.dashboards.sweep_dashboard import DASHBOARD as SWEEP_PAGE
from sim.dashboards.sweep_dashboard import render_sweep
from sim.dashboards.text import share, signed
from sim.output import MANIFEST
from sim.quantities import share_of_disbursed
from sim.sweep.store import MANIFEST as SWEEP_MANIFEST

DECOMPOSITION_KIND = "decomposition"


class ImagesNotAvailableError(NotAResultError):
    """``--images`` asked of a kind of result whose figures are not exported."""


@dataclass(frozen=True)
class Entry:
    """One result folder found under the results folder.

    Attributes:
        kind: The kind's name (``"run"``, ``"comparison"``...).
        path: Its folder, relative to the results folder (POSIX style).
        title: Scenario or file name(s), raw text.
        created: Creation time (ISO 8601, UTC) or "".
        details: One line of numbers or settings, raw text.
        page: The page to link to, relative to the results folder, or None.
    """

    kind: str
    path: str
    title: str
    created: str
    details: str
    page: str | None


@dataclass(frozen=True)
class Described:
    """What a kind says about one of its folders (without where it lies)."""

    title: str
    created: str
    details: str


@dataclass(frozen=True)
class ResultKind:
    """A kind of result folder.

    Attributes:
        name: Shown in the index's Kind column.
        plural: For sentences listing the kinds.
        recognises: Whether a folder (and the names of the files in it) is one.
        describe: Its title, creation time and details, from its files; raises
            ``OSError``, ``ValueError``, ``KeyError`` or ``TypeError`` when unreadable.
        page: Its page's file name.
        render: Re-render its page (``images``: also its figures as PNG and SVG).
    """

    name: str
    plural: str
    recognises: Callable[[Path, set[str]], bool]
    describe: Callable[[Path], Described]
    page: str
    render: Callable[[Path, bool], list[Path]]

    def entry(self, folder: Path, rel: str) -> Entry:
        """The index entry of one of its folders (``rel``: relative to the results folder)."""
        try:
            d = self.describe(folder)
        except (OSError, ValueError, KeyError, TypeError):
            d = Described(f"(unreadable {self.name} files)", "", "")
        page = f"{rel}/{self.page}" if (folder / self.page).is_file() else None
        return Entry(self.name, rel, d.title, d.created, d.details, page)


def _json(path: Path) -> dict[str, Any]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict):
        raise TypeError(f"{path}: not a JSON object")
    return doc


def _manifest_kind(folder: Path, files: set[str]) -> str | None:
    """The ``kind`` field of the folder's manifest, or None."""
    if MANIFEST not in files:
        return None
    try:
        kind = _json(folder / MANIFEST).get("kind")
    except (OSError, ValueError, TypeError):
        return None
    return kind if isinstance(kind, str) else None


# -- runs -----------------------------------------------------------------------------------


def _describe_run(folder: Path) -> Described:
    m = _json(folder / MANIFEST)
    money, final = m["money"], m["final"]
    disbursed = float(money["disbursed_usd"])
    leaked = share_of_disbursed(float(money["leaked_usd"]), disbursed)
    for_show = share_of_disbursed(float(money["for_show_usd"]), disbursed)
    details = (
        f"seed {m.get('seed')}; leaked {share(leaked)}, "
        f"for show {share(for_show)}; attributable "
        f"{signed(final['attributable_opinion'])}, reported "
        f"{signed(final['reported_influence'])}"
    )
    return Described(str(m.get("scenario_name", "")), str(m.get("created_utc", "")), details)


def _render_run(folder: Path, images: bool) -> list[Path]:
    return render_run(folder, images=images)  # load_run says what is missing, if anything


# -- comparisons ----------------------------------------------------------------------------


def _describe_comparison(folder: Path) -> Described:
    m = _json(folder / COMPARISON_FILE)
    names = [str(s.get("name", s.get("label", ""))) for s in m["scenarios"]]
    details = f"{m.get('replicates')} replicates per scenario file, seeds from " + str(
        m.get("root_seed")
    )
    return Described(" vs ".join(names), str(m.get("created_utc", "")), details)


def _render_comparison(folder: Path, images: bool) -> list[Path]:
    return render_comparison_folder(folder, images=images)


# -- sweeps ---------------------------------------------------------------------------------


def _describe_sweep(folder: Path) -> Described:
    m = _json(folder / SWEEP_MANIFEST)
    design = m["design"]
    details = f"{design['type']} design, {design['points']} points x {m['spec']['replicates']}"
    details += " replicate(s)"
    return Described(str(m.get("name", "")), str(m.get("created_utc", "")), details)


def _render_sweep(folder: Path, images: bool) -> list[Path]:
    _no_images("sweep", folder, images)
    return [render_sweep(folder)]  # the first metric, no discovery: see sweep-report


# -- calibrations ---------------------------------------------------------------------------


def _is_calibration(folder: Path, files: set[str]) -> bool:
    return CALIBRATION_STATE in files or _manifest_kind(folder, files) == CALIBRATION_KIND


def _describe_calibration(folder: Path) -> Described:
    if not (folder / MANIFEST).is_file():  # started, not finished (or interrupted)
        state = _json(folder / CALIBRATION_STATE)
        return Described(
            str(state["spec"].get("name", "")),
            "",
            "not finished: continue it with run_sim.py calibrate FILE --out FOLDER --resume",
        )
    m = _json(folder / MANIFEST)
    eps, ess = m.get("final_epsilon"), m.get("final_ess")
    details = (
        f"{m['method']['population_size']} particles x {m['generations']} generation(s), "
        f"{m['runs']:,} model runs; final epsilon "
        f"{'n/a' if eps is None else f'{float(eps):.4g}'}, ESS "
        f"{'n/a' if ess is None else f'{float(ess):.0f}'}; {len(m['parameters'])} "
        f"parameter(s), {len(m['targets'])} target(s)"
    )
    return Described(str(m.get("name", "")), str(m.get("created_utc", "")), details)


def _render_calibration(folder: Path, images: bool) -> list[Path]:
    _no_images("calibration", folder, images)
    if _manifest_kind(folder, {MANIFEST}) != CALIBRATION_KIND:
        raise NotAResultError(
            f"{folder}: the calibration is not finished (no {MANIFEST}); continue it with "
            f"run_sim.py calibrate FILE --out {folder} --resume"
        )
    try:
        return [render_calibration(folder)]
    except (OSError, ValueError, KeyError) as exc:  # a table missing or damaged
        raise NotAResultError(f"{folder}: cannot read the calibration's results ({exc})") from exc


# -- decompositions -------------------------------------------------------------------------


def _describe_decomposition(folder: Path) -> Described:
    m = _json(folder / MANIFEST)
    factors = ", ".join(str(f["name"]) for f in m["factors"])
    details = (
        f"{m['combinations']} combinations of {factors} x {m['replicates']} replicate(s), "
        f"{m['runs']} distinct runs"
    )
    return Described(str(m.get("scenario_name", "")), str(m.get("created_utc", "")), details)


def _render_decomposition(folder: Path, images: bool) -> list[Path]:
    _no_images("decomposition", folder, images)
    return [render_decomposition(folder)]


def _no_images(kind: str, folder: Path, images: bool) -> None:
    if images:
        raise ImagesNotAvailableError(
            f"{folder}: --images is available for runs and comparisons, not for a {kind}; "
            "its page offers plotly's own PNG download on every figure"
        )


#: Every kind of result folder, in the order they are tried.
KINDS: tuple[ResultKind, ...] = (
    ResultKind(
        "sweep",
        "sweeps",
        lambda _, files: SWEEP_MANIFEST in files,
        _describe_sweep,
        SWEEP_PAGE,
        _render_sweep,
    ),
    ResultKind(
        "comparison",
        "comparisons",
        lambda _, files: COMPARISON_FILE in files,
        _describe_comparison,
        COMPARISON_PAGE,
        _render_comparison,
    ),
    ResultKind(
        "calibration",
        "calibrations",
        _is_calibration,
        _describe_calibration,
        CALIBRATION_PAGE,
        _render_calibration,
    ),
    ResultKind(
        "decomposition",
        "decompositions",
        lambda folder, files: _manifest_kind(folder, files) == DECOMPOSITION_KIND,
        _describe_decomposition,
        DECOMPOSITION_PAGE,
        _render_decomposition,
    ),
    ResultKind(
        "run",
        "runs",
        lambda folder, files: MANIFEST in files and is_run_folder(folder),
        _describe_run,
        RUN_PAGE,
        _render_run,
    ),
)


def kind_of(folder: str | os.PathLike[str], files: set[str] | None = None) -> ResultKind | None:
    """The kind of result ``folder`` holds, or None.

    Args:
        folder: The folder.
        files: The names of the files in it, when the caller has listed them already.
    """
    folder = Path(folder)
    if files is None:
        files = {p.name for p in folder.iterdir() if p.is_file()} if folder.is_dir() else set()
    return next((k for k in KINDS if k.recognises(folder, files)), None)


def kinds_sentence() -> str:
    """``runs, comparisons, ... and decompositions``: every kind, for page text."""
    names = [k.plural for k in KINDS]
    return ", ".join(names[:-1]) + " and " + names[-1]
