"""Run (or resume) an ABC-SMC calibration with pyabc, generation by generation.

pyabc (Schälte et al. 2022, JOSS 7:4304; the algorithm of Toni et al. 2009, J. R. Soc.
Interface 6:187) does the inference: it samples particles from the prior (generation
0) or by perturbing the previous generation's weighted particles with a multivariate
normal kernel, runs the model, keeps particles whose distance to the observations is
at most the generation's epsilon (a quantile of the previous generation's distances)
and reweights them by prior / proposal density. Its SQLite history (``history.db`` in
the results folder) stores every finished generation in one transaction, which is
what resuming reads: a calibration interrupted (Ctrl-C, kill) mid-generation loses
only the unfinished generation; ``--resume`` continues from the last stored one.

Runs go where pyabc's samplers put them: in this process (one worker, the
single-core sampler), on local worker processes (the multicore evaluation-parallel
sampler) or on a Dask cluster (the Dask sampler). Each run's seed depends only on the
root seed and its parameter values (:func:`sim.calibration.model.particle_seed`). With
one worker, NumPy's generator that pyabc draws parameters from is reseeded from the
root seed at the start of each generation, so an uninterrupted calibration gives the
same particles every time (a resumed one keeps its stored generations unchanged, but
the generations after the resume differ from an uninterrupted run's); with
several workers pyabc's dynamic scheduling makes the set of accepted particles depend
on timing, though each particle's run is still reproducible from its values.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.atomic import atomic_file
from sim.calibration.load import Calibration
from sim.calibration.model import (
    SAMPLER_STREAM,
    CalibrationModel,
    TargetDistance,
    parameter_keys,
    stream_seed,
)
from sim.locks import FolderLock, acquire
from sim.sweep.store import to_json_value

#: The pyabc history in a results folder.
HISTORY = "history.db"
#: What the calibration was started with (checked on --resume).
STATE = "calibration.json"


class CalibrationError(ValueError):
    """A results folder that cannot be used (not empty, or holding another calibration)."""


class CalibrationInterrupted(KeyboardInterrupt):
    """Ctrl-C during a calibration; finished generations are stored.

    Attributes:
        generations: Generations stored.
    """

    def __init__(self, generations: int) -> None:
        super().__init__("calibration interrupted")
        self.generations = generations


@dataclass
class Generation:
    """What one finished generation reported (for the progress bar)."""

    t: int
    epsilon: float
    runs: int
    accepted: int
    ess: float


@dataclass
class CalibrationReport:
    """What one session of a calibration did.

    Attributes:
        out_dir: The results folder.
        sampler: Where the runs ran.
        generations_before: Generations stored when the session started.
        generations: Generations stored at the end.
        runs: Model runs in all (every session).
        stop_reason: Why the calibration stopped.
        seconds: Wall-clock time of this session's sampling.
    """

    out_dir: Path
    sampler: str
    generations_before: int
    generations: int = 0
    runs: int = 0
    stop_reason: str = ""
    seconds: float = 0.0
    per_generation: list[Generation] = field(default_factory=list)


#: Method fields that may change on --resume (they change when to stop, not what was done).
MAY_CHANGE = ("generations", "min_epsilon", "max_runs", "predictive_draws")


def _state(calibration: Calibration) -> dict[str, Any]:
    spec = calibration.spec.model_dump(mode="json")
    spec["method"] = {k: v for k, v in spec["method"].items() if k not in MAY_CHANGE}
    return to_json_value(
        {
            "spec": spec,
            "base_scenario": calibration.base_doc,
            "parameters": [p.path for p in calibration.priors],
        }
    )


def open_folder(calibration: Calibration, out: Path, resume: bool) -> tuple[FolderLock, bool]:
    """Lock the results folder and check it; returns the lock and whether it is resumed.

    Raises:
        CalibrationError: If the folder holds something else, or another calibration.
        LockedError: If another process is writing the folder.
    """
    lock = acquire(out)
    try:
        state = out / STATE
        if resume and state.is_file() and (out / HISTORY).is_file():
            stored = json.loads(state.read_text(encoding="utf-8"))
            if stored != _state(calibration):
                keys = [
                    k for k in ("spec", "base_scenario") if stored.get(k) != _state(calibration)[k]
                ]
                raise CalibrationError(
                    f"{out} holds a different calibration ({' and '.join(keys) or 'parameters'} "
                    f"differ from {calibration.path}); use another --out for a new one"
                )
            return lock, True
        if out.exists() and any(
            p.name != ".lock" and not p.name.startswith(".") for p in out.iterdir()
        ):
            hint = "; pass --resume to continue it" if state.is_file() else ""
            raise CalibrationError(f"{out} is not empty{hint}, or choose another --out")
        out.mkdir(parents=True, exist_ok=True)
        atomic_file(
            state,
            lambda p: p.write_text(json.dumps(_state(calibration), indent=2) + "\n", "utf-8"),
        )
        return lock, False
    except BaseException:
        lock.release()
        raise


@contextlib.contextmanager
def make_sampler(workers: int, scheduler: str | None) -> Iterator[tuple[Any, str]]:
    """The pyabc sampler for these options (safe to interrupt), and a description of it."""
    from sim.calibration import samplers

    if scheduler:
        from distributed import Client

        try:
            client = Client(scheduler, timeout=10)
        except (OSError, ValueError) as exc:  # TimeoutError is an OSError
            raise CalibrationError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}"
            ) from None
        try:
            cores = sum(client.ncores().values())
            yield (
                samplers.DaskDistributedSampler(dask_client=client),
                f"Dask cluster at {scheduler} ({cores} cores)",
            )
        finally:
            client.close()
        return
    if workers == 1:
        yield samplers.SingleCoreSampler(), "1 process"
        return
    yield (
        samplers.MulticoreEvalParallelSampler(n_procs=workers),
        f"{workers} local worker processes",
    )


def _quiet_pyabc() -> None:
    """Quieten pyabc, which logs every generation at INFO; our progress bar says the same.

    pyabc sets its logger's level when it is imported, so it is imported first.
    """
    import pyabc  # noqa: F401

    for name in ("ABC", "pyabc", "Sampler", "Epsilon", "Distance", "Acceptor", "History"):
        logging.getLogger(name).setLevel(logging.WARNING)


def run_calibration(
    calibration: Calibration,
    out: Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    on_generation: Callable[[Generation], object] | None = None,
    on_start: Callable[[int, str], object] | None = None,
    on_runs: Callable[[int], object] | None = None,
) -> CalibrationReport:
    """Run the calibration's ABC-SMC in ``out`` (or continue the one stored there).

    Args:
        calibration: From :func:`~sim.calibration.load.load_calibration`.
        out: The results folder (new or empty unless ``resume``).
        workers: Local worker processes (1: in this process).
        scheduler: A Dask scheduler's address; runs there instead of locally.
        resume: Continue the calibration stored in ``out``.
        on_generation: Called after each stored generation.
        on_start: Called with the generations already stored and the sampler's description.
        on_runs: Called with the model runs so far in the generation being sampled, about
            twice a second and when its sampling ends (local samplers only; see
            :mod:`sim.calibration.samplers`).

    Returns:
        The session's report.

    Raises:
        CalibrationInterrupted: On Ctrl-C (finished generations are stored).
    """
    _quiet_pyabc()
    # The sampler first: a cluster that cannot be reached leaves no folder behind.
    from sim.calibration.samplers import held_interrupts

    with make_sampler(workers, scheduler) as (sampler, where), held_interrupts() as interrupts:
        sampler.interrupts, sampler.on_runs = interrupts, on_runs
        lock, resumed = open_folder(calibration, out, resume)
        try:
            return _run(
                calibration,
                out,
                sampler,
                where,
                resumed,
                workers,
                scheduler,
                on_generation,
                on_start,
            )
        finally:
            lock.release()


def _run(
    calibration: Calibration,
    out: Path,
    sampler: Any,
    where: str,
    resumed: bool,
    workers: int,
    scheduler: str | None,
    on_generation: Callable[[Generation], object] | None,
    on_start: Callable[[int, str], object] | None,
) -> CalibrationReport:
    """Build pyabc's ABCSMC on the sampler and run generations until a rule stops them."""
    import pyabc

    method = calibration.method
    keys = parameter_keys(len(calibration.priors))
    prior = pyabc.Distribution(
        **{
            k: pyabc.RV(p.scipy_name, *p.args, **dict(p.kwargs))
            for k, p in zip(keys, calibration.priors, strict=True)
        }
    )
    abc = pyabc.ABCSMC(
        CalibrationModel.of(calibration),
        prior,
        pyabc.distance.FunctionDistance(TargetDistance.of(calibration.targets)),
        population_size=method.population_size,
        eps=pyabc.epsilon.QuantileEpsilon(initial_epsilon=np.inf, alpha=method.epsilon_quantile),
        sampler=sampler,
    )
    db = f"sqlite:///{(out / HISTORY).resolve()}"
    observed = {t.name: t.observed for t in calibration.targets}
    history = abc.load(db, 1) if resumed else abc.new(db, observed)
    done = history.max_t + 1
    report = CalibrationReport(out, where, done)
    if on_start is not None:
        on_start(done, where)
    started = time.perf_counter()
    try:
        report.stop_reason = _loop(abc, calibration, workers, scheduler, report, on_generation)
    except KeyboardInterrupt:
        # Counted in memory rather than read from the history: nothing to wait for. (A
        # Ctrl-C never lands inside a write: see sim.calibration.samplers.)
        raise CalibrationInterrupted(done + len(report.per_generation)) from None
    finally:
        report.seconds = time.perf_counter() - started
    report.generations = history.max_t + 1
    report.runs = int(history.total_nr_simulations)
    return report


def stop_reason(calibration: Calibration, history: Any) -> str | None:
    """Why the stored calibration is finished, or None if it should go on."""
    method = calibration.method
    if history.max_t < 0:
        return None
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    last_eps = float(pops["epsilon"].iloc[-1])
    if history.max_t + 1 >= method.generations:
        return f"reached {method.generations} generations"
    if last_eps <= method.min_epsilon:
        return f"epsilon {last_eps:.4g} reached the minimum {method.min_epsilon:g}"
    if method.max_runs is not None and history.total_nr_simulations >= method.max_runs:
        return f"used the budget of {method.max_runs:,} runs"
    return None


def _loop(
    abc: Any,
    calibration: Calibration,
    workers: int,
    scheduler: str | None,
    report: CalibrationReport,
    on_generation: Callable[[Generation], object] | None,
) -> str:
    """One ``run`` of one generation at a time, until a stopping rule holds."""
    from pyabc.weighted_statistics import effective_sample_size

    history = abc.history
    method = calibration.method
    while True:
        reason = stop_reason(calibration, history)
        if reason is not None:
            return reason
        t = history.max_t + 1
        if workers == 1 and not scheduler:
            np.random.seed(stream_seed(calibration.spec.seed, SAMPLER_STREAM, t) % 2**32)
        before = int(history.total_nr_simulations)
        left = np.inf if method.max_runs is None else method.max_runs
        abc.run(
            minimum_epsilon=method.min_epsilon,
            max_nr_populations=1,
            max_total_nr_simulations=left,
        )
        if history.max_t < t:  # the sampler gave up (no particle accepted)
            return "the sampler stopped without a population"
        pops = history.get_all_populations()
        row = pops[pops["t"] == t].iloc[0]
        w = history.get_weighted_distances(t)["w"].to_numpy()
        g = Generation(
            t=t,
            epsilon=float(row["epsilon"]),
            runs=int(history.total_nr_simulations) - before,
            accepted=int(row["particles"]),
            ess=float(effective_sample_size(w)),
        )
        report.per_generation.append(g)
        if on_generation is not None:
            on_generation(g)
        # A Ctrl-C held while pyabc wrote the generation (see sim.calibration.samplers).
        abc.sampler.interrupts.raise_pending()
