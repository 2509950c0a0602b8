"""The influence-gap decomposition: where did the influence go?

The actual programme is compared with an *ideal* one that has the same money but no
leakage, no spending for show, no host-state filtering and no shocks. Each of these
four *factors* (:data:`FACTORS`) is a scenario transformation that turns it off.
Turning off every subset of them gives 2**4 = 16 combinations; each is run with the
same seeds (common random numbers), and the difference between the ideal and the
actual outcome is split among the factors with the Shapley value (Shapley 1953), the
only split that is symmetric, gives nothing to a factor that never matters, and adds
up exactly to the gap (Shorrocks 2013 discusses its use in decomposition analysis).

A factor's contribution is the average, over every order in which the factors could
be turned off, of the gain in the outcome when it is turned off. With ``v(S)`` the
outcome with the factors in ``S`` turned off and ``n`` factors::

    phi_i = sum over S not containing i of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S))

so that ``sum_i phi_i = v(all) - v(none) = ideal - actual`` for every replicate.

The outcomes are sweep metrics (:mod:`sim.sweep.metrics`), by default the final
attributable opinion, the attributable opinion averaged over the run and the final
attributable favourable share. Runs go through the sweep executors
(:mod:`sim.sweep.execute`): in this process, on local processes or on a Dask cluster,
with the same results; each worker sends back only those few numbers. Combinations
whose scenarios are identical (a factor with nothing to remove, such as the shocks of
a scenario without any) are run once and give their factor exactly zero.

Tables (long format; see ``docs/decomposition.md``):

- the decomposition (``decomposition.csv``): ``metric``, ``replicate``, ``seed``,
  ``term``, ``value``; the terms are ``actual``, one per factor (its Shapley
  contribution) and ``ideal``;
- the summary (``decomposition_summary.csv``): per metric and term the mean over the
  replicates, its 90% interval and, for factors, the share of the gap;
- the combinations (``combinations.csv``): every combination's outcome per replicate.

With parameter uncertainty (``decompose --posterior DIR`` or ``--prior FILE``) the
decomposition is done twice with the same seeds: at the median parameters, and with
one drawn scenario per replicate (``per_replicate``: replicate *k* of every
combination uses parameter set *k* and seed *k*); :func:`with_bands` stacks the two
tables with a first column ``band``, and :func:`summarise` summarises each band.

This module neither prints nor draws; the page is built by
:mod:`sim.dashboards.decomposition` from the saved tables.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.atomic import atomic_directory, atomic_file
from sim.model.kinds import ACTOR_KINDS, Role, kinds_with_role, sections
from sim.output import FLOAT_FORMAT, git_commit, versions
from sim.quantities import replicate_interval, share_of_gap
from sim.run import simulate
from sim.scenario import Scenario, validate_document
from sim.sweep.execute import Executor, Job, make_executor, run_all
from sim.sweep.metrics import resolve_metric

#: The decomposition table, in a decomposition folder and (with ``run --decompose``)
#: in a run folder.
DECOMPOSITION_FILE = "decomposition.csv"
#: The summary table; it also marks a decomposition folder (see :mod:`sim.atomic`).
SUMMARY_FILE = "decomposition_summary.csv"
#: Every combination's outcome per replicate.
COMBINATIONS_FILE = "combinations.csv"
#: The folder's manifest.
MANIFEST_FILE = "manifest.json"
#: The terms of the decomposition table that are not factors.
ACTUAL, IDEAL, GAP = "actual", "ideal", "gap"
#: Columns of the decomposition table and of the summary.
TABLE_COLUMNS = ("metric", "replicate", "seed", "term", "value")
SUMMARY_COLUMNS = ("metric", "term", "mean", "low", "high", "share_of_gap", "replicates")
#: The outcomes decomposed unless told otherwise (names of sweep metrics).
DEFAULT_METRICS = (
    "final_attributable_opinion",
    "mean_attributable_opinion",
    "final_attributable_favourable_share",
)
#: Replicates unless told otherwise.
DEFAULT_REPLICATES = 5
#: Seeds are kept inside the scenario format's range.
#: What needs every run, in error messages.
_PURPOSE = "the decomposition"


class DecompositionError(ValueError):
    """A factor that cannot be turned off in a scenario, or a bad request."""


@dataclass(frozen=True)
class Factor:
    """One reason why the actual programme falls short of the ideal one.

    Attributes:
        name: Its name in tables and on the command line (``leakage``).
        label: A short label for figures and tables (plain text).
        description: What turning it off means, in plain words.
        remove: The scenario transformation that turns it off; it keeps the budget.
    """

    name: str
    label: str
    description: str
    remove: Callable[[Scenario], Scenario]


# --- the scenario transformations --------------------------------------------------------

#: Fields that make money leak, with the value at which nothing leaks: any actor entry
#: (intermediaries, NGOs, outlets, funders' replacements) or shock that has one.
_LEAK_FREE: dict[str, float] = {"skim_rate": 0.0, "integrity": 1.0, "replacement_integrity": 1.0}
#: Host-state controls that filter the programme's reach, and their value when off.
_FILTERS_OFF: dict[str, float] = {"media_control": 0.0, "ngo_restriction": 0.0}


def _entries(doc: dict[str, Any], section: str) -> list[dict[str, Any]]:
    """The entries of a scenario section: a list's items, or the one entry it holds."""
    value = doc.get(section)
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [e for e in value if isinstance(e, dict)]
    return []


def _actor_entries(doc: dict[str, Any], *roles: Role) -> list[dict[str, Any]]:
    """The entries of every registered actor kind (of the given roles, or all)."""
    kinds = kinds_with_role(*roles) if roles else tuple(ACTOR_KINDS.values())
    return [e for kind in kinds for e in _entries(doc, kind.section.name)]


def _set_present(entry: dict[str, Any], values: Mapping[str, float]) -> None:
    """Set each field of ``values`` that ``entry`` has (and that is set)."""
    for key, value in values.items():
        if entry.get(key) is not None:
            entry[key] = value


def _no_leakage(doc: dict[str, Any], _: str) -> None:
    """Nobody keeps money: no skimming, full integrity, honest replacements."""
    for entry in (*_actor_entries(doc), *_entries(doc, "shocks")):
        _set_present(entry, _LEAK_FREE)


def _no_for_show(doc: dict[str, Any], name: str) -> None:
    """Every grantee is genuine and runs only substantive activities."""
    catalogue = {
        a["id"]: a for s in sections() if s.namespace == "activity" for a in _entries(doc, s.name)
    }
    substantive = [i for i, a in catalogue.items() if not a.get("for_show", False)]
    for entry in _actor_entries(doc, "grantee"):
        if "genuine" in entry:
            entry["genuine"] = True
        mix = entry.get("activities")
        if not isinstance(mix, dict):
            continue
        kept = {a: w for a, w in mix.items() if a in catalogue and not catalogue[a]["for_show"]}
        if not kept:
            if not substantive:
                raise DecompositionError(
                    f"scenario '{name}': spending for show cannot be turned off: "
                    f"'{entry.get('id')}' runs only events for show and the activity "
                    "catalogue has no substantive activity (for_show: false) to run instead"
                )
            kept = dict.fromkeys(substantive, 1.0)
        entry["activities"] = kept


def _no_host_filtering(doc: dict[str, Any], _: str) -> None:
    """The host state filters nothing, from the start and after policy shocks."""
    for entry in (*_actor_entries(doc, "host"), *_entries(doc, "shocks")):
        _set_present(entry, _FILTERS_OFF)


def _no_shocks(doc: dict[str, Any], _: str) -> None:
    """No dated events at all."""
    doc["shocks"] = []


def _transformed(
    scenario: Scenario, edit: Callable[[dict[str, Any], str], None], what: str
) -> Scenario:
    """Apply ``edit`` to the scenario's document and validate the result.

    Raises:
        DecompositionError: If the factor cannot be turned off in this scenario.
        RuntimeError: If the edit changed the funders' budgets (a programming error:
            every factor keeps the money).
    """
    doc = scenario.model_dump(mode="json")
    budgets = [e.get("budget") for e in _actor_entries(doc, "funder")]
    edit(doc, scenario.name)
    if [e.get("budget") for e in _actor_entries(doc, "funder")] != budgets:
        raise RuntimeError(f"turning off {what} changed the budget of '{scenario.name}'")
    return validate_document(doc, f"{scenario.name} (without {what})")


def remove_leakage(scenario: Scenario) -> Scenario:
    """The scenario with nobody along the chain keeping money.

    Every actor entry's ``skim_rate`` becomes 0 and its ``integrity`` 1 (so
    intermediaries keep nothing whatever the audits), funders replace caught
    intermediaries with people of integrity 1, and so do
    ``intermediary_replacement`` shocks.
    """
    return _transformed(scenario, _no_leakage, "leakage")


def remove_for_show(scenario: Scenario) -> Scenario:
    """The scenario with no money spent on events done for show.

    Every NGO becomes genuine and keeps only its substantive activities, in the same
    relative weights; one with none runs the catalogue's substantive activities in
    equal weights.

    Raises:
        DecompositionError: If an NGO needs substantive activities and the catalogue
            has none.
    """
    return _transformed(scenario, _no_for_show, "spending for show")


def remove_host_filtering(scenario: Scenario) -> Scenario:
    """The scenario with a host state that filters nothing.

    ``media_control`` and ``ngo_restriction`` become 0, at the start and in every
    ``host_policy`` shock that sets them; the stance and the shocks stay.
    """
    return _transformed(scenario, _no_host_filtering, "host filtering")


def remove_shocks(scenario: Scenario) -> Scenario:
    """The scenario without any shock."""
    return _transformed(scenario, _no_shocks, "shocks")


#: The factors, in the order of every table and figure.
FACTORS: tuple[Factor, ...] = (
    Factor(
        "leakage",
        "Leakage",
        "money kept along the chain: nobody keeps any (every intermediary's, NGO's and "
        "outlet's integrity 1 and skim rate 0; caught people replaced by honest ones)",
        remove_leakage,
    ),
    Factor(
        "for_show",
        "Spending for show",
        "events staged for the report: every NGO is genuine and runs only substantive "
        "activities, in the same relative weights",
        remove_for_show,
    ),
    Factor(
        "host_filtering",
        "Host filtering",
        "the host state's media control and NGO restrictions, at the start and in later "
        "policy changes (its stance stays)",
        remove_host_filtering,
    ),
    Factor(
        "shocks",
        "Shocks",
        "every dated event: sentiment shocks, policy changes, closures, bans, budget cuts",
        remove_shocks,
    ),
)


def factor_names(factors: Sequence[Factor] = FACTORS) -> tuple[str, ...]:
    """The factors' names, in order."""
    return tuple(f.name for f in factors)


def combination_name(removed: Iterable[str]) -> str:
    """A combination's name: the factors turned off, joined by ``+``, or ``none``.

    >>> combination_name(["leakage", "shocks"])
    'leakage+shocks'
    >>> combination_name([])
    'none'
    """
    names = list(removed)
    return "+".join(names) if names else "none"


def combinations(
    scenario: Scenario, factors: Sequence[Factor] = FACTORS
) -> dict[frozenset[str], Scenario]:
    """The scenario with every subset of the factors turned off.

    Args:
        scenario: The actual programme.
        factors: The factors.

    Returns:
        Frozen set of factors turned off -> scenario, from none (the actual programme)
        to all (the ideal one), subsets in order of size then of ``factors``.

    Raises:
        DecompositionError: If a factor cannot be turned off.
    """
    singles = {f.name: f.remove(scenario) for f in factors}  # each factor's errors first
    out: dict[frozenset[str], Scenario] = {}
    for size in range(len(factors) + 1):
        for subset in itertools.combinations(factors, size):
            current = scenario
            for f in subset:
                current = singles[f.name] if size == 1 else f.remove(current)
            out[frozenset(f.name for f in subset)] = current
    return out


# --- the Shapley decomposition ---------------------------------------------------------


def shapley_values(
    value: Mapping[frozenset[str], float], players: Sequence[str]
) -> dict[str, float]:
    """Shapley values of a game given by its value on every subset of players.

    Args:
        value: Subset -> value (every subset of ``players``, including the empty one).
        players: The players.

    Returns:
        Player -> Shapley value; the values add up to ``value[all] - value[none]``.

    >>> v = {frozenset(): 0.0, frozenset("a"): 1.0, frozenset("b"): 2.0, frozenset("ab"): 5.0}
    >>> shapley_values(v, ["a", "b"])
    {'a': 2.0, 'b': 3.0}
    """
    n = len(players)
    weights = [math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)]
    out: dict[str, float] = {}
    for player in players:
        others = [p for p in players if p != player]
        total = 0.0
        for k in range(n):
            for subset in itertools.combinations(others, k):
                without = frozenset(subset)
                total += weights[k] * (value[without | {player}] - value[without])
        out[player] = total
    return out


def measure(scenario: Scenario, seed: int, metrics: Sequence[str]) -> dict[str, float]:
    """Run a scenario (and its counterfactual) and return only the metrics asked for.

    This is what each worker does, so only a few numbers travel back.
    """
    result = simulate(scenario, seed)
    return {name: float(resolve_metric(name).function(result)) for name in metrics}


@dataclass(frozen=True)
class Decomposition:
    """The influence-gap decomposition of one scenario.

    Attributes:
        scenario: The actual programme.
        seeds: The replicates' seeds (every combination uses all of them).
        factors: The factors' names, in order.
        metrics: The outcomes decomposed (sweep metric names), in order.
        combinations: Every combination's outcome: ``replicate``, ``seed``,
            ``combination`` (see :func:`combination_name`), ``metric``, ``value``.
        table: The decomposition (columns :data:`TABLE_COLUMNS`).
        runs: Distinct runs simulated (identical combinations run once).
        seconds: Wall-clock time.
    """

    scenario: Scenario
    seeds: tuple[int, ...]
    factors: tuple[str, ...]
    metrics: tuple[str, ...]
    combinations: pd.DataFrame
    table: pd.DataFrame
    runs: int
    seconds: float

    def summary(self) -> pd.DataFrame:
        """Mean, 90% interval and share of the gap per metric and term (:func:`summarise`)."""
        return summarise(self.table)


def planned_runs(
    scenario: Scenario,
    replicates: int,
    factors: Sequence[Factor] = FACTORS,
    per_replicate: Sequence[Scenario] | None = None,
) -> int:
    """How many runs :func:`decompose` will simulate (identical combinations run once).

    Args:
        scenario: The actual programme.
        replicates: Seeds per combination.
        factors: The factors.
        per_replicate: As for :func:`decompose` (then ``replicates`` is its length).

    Raises:
        DecompositionError: If a factor cannot be turned off.
    """
    if per_replicate is not None:
        return sum(len(_distinct(combinations(s, factors))) for s in per_replicate)
    return replicates * len(_distinct(combinations(scenario, factors)))


def with_bands(seed_noise: Decomposition, parameters: Decomposition) -> Decomposition:
    """Two decompositions of one scenario as one, with a ``band`` column first.

    Args:
        seed_noise: At fixed (median) parameters; its rows get band ``seed noise``.
        parameters: With parameter set *k* at replicate *k*; band ``parameters and
            seed noise``.

    Returns:
        The first decomposition with both tables stacked (:func:`summarise` then
        summarises each band), the runs and the time added up.
    """
    from sim.calibration.sources import FULL_BAND, SEED_BAND

    def stacked(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([a.assign(band=SEED_BAND), b.assign(band=FULL_BAND)], ignore_index=True)[
            ["band", *a.columns]
        ]

    return dataclasses.replace(
        seed_noise,
        table=stacked(seed_noise.table, parameters.table),
        combinations=stacked(seed_noise.combinations, parameters.combinations),
        runs=seed_noise.runs + parameters.runs,
        seconds=seed_noise.seconds + parameters.seconds,
    )


def _distinct(combos: Mapping[frozenset[str], Scenario]) -> dict[str, list[frozenset[str]]]:
    """Group the combinations whose scenarios are identical (key: the scenario's JSON)."""
    groups: dict[str, list[frozenset[str]]] = {}
    for removed, s in combos.items():
        groups.setdefault(s.model_dump_json(), []).append(removed)
    return groups


def decompose(
    scenario: Scenario,
    seeds: Sequence[int],
    executor: Executor | None = None,
    metrics: Sequence[str] = DEFAULT_METRICS,
    *,
    factors: Sequence[Factor] = FACTORS,
    progress: Callable[[int], object] | None = None,
    per_replicate: Sequence[Scenario] | None = None,
) -> Decomposition:
    """Run every combination of factors with every seed and decompose the gap.

    Args:
        scenario: The actual programme.
        seeds: One seed per replicate; every combination uses the same seeds.
        executor: An executor inside its ``with`` block; None runs in this process.
        metrics: Names of sweep metrics to decompose.
        factors: The factors (default :data:`FACTORS`).
        progress: Called with 1 after each run.
        per_replicate: One actual programme per replicate (e.g. with parameter set
            *k* drawn from a posterior), used instead of ``scenario`` for every
            combination of that replicate; ``scenario`` still names the result.

    Returns:
        The decomposition; its tables do not depend on the executor.

    Raises:
        DecompositionError: If there are no seeds, a metric is unknown or a factor
            cannot be turned off (before anything runs).
        ExecutorError: If the executor cannot start.
        RunFailedError: If a run fails or its worker is lost.
    """
    started = time.perf_counter()
    seeds = tuple(seeds)
    metrics = tuple(metrics)
    if not seeds:
        raise DecompositionError("the decomposition needs at least one seed")
    if not metrics:
        raise DecompositionError("the decomposition needs at least one metric")
    for name in metrics:
        try:
            resolve_metric(name)
        except (KeyError, ImportError) as exc:
            raise DecompositionError(f"unknown metric '{name}' ({exc})") from None
    if per_replicate is not None and len(per_replicate) != len(seeds):
        raise DecompositionError(
            f"{len(per_replicate)} scenarios for {len(seeds)} replicates; give one per seed"
        )
    jobs: list[Job] = []
    keys: list[tuple[int, list[frozenset[str]]]] = []  # per job: replicate, combinations
    if per_replicate is None:
        combos = combinations(scenario, factors)
        for members in _distinct(combos).values():  # identical combinations run once
            turned_off = combination_name(_ordered(members[0], factors))
            for r, seed in enumerate(seeds):
                name = f"the run of '{scenario.name}' (turned off: {turned_off}) with seed {seed}"
                jobs.append(Job(len(jobs), name, measure, (combos[members[0]], seed, metrics)))
                keys.append((r, members))
    else:
        every = [combinations(s, factors) for s in per_replicate]  # every error first
        combos = every[0]
        for r, (seed, mine) in enumerate(zip(seeds, every, strict=True)):
            for members in _distinct(mine).values():
                turned_off = combination_name(_ordered(members[0], factors))
                name = (
                    f"the run of '{scenario.name}' (turned off: {turned_off}) with parameter "
                    f"set {r} and seed {seed}"
                )
                jobs.append(Job(len(jobs), name, measure, (mine[members[0]], seed, metrics)))
                keys.append((r, members))
    if executor is None:
        with make_executor(1) as own:
            values = run_all(own, jobs, _PURPOSE, progress)
    else:
        values = run_all(executor, jobs, _PURPOSE, progress)
    # outcome[(replicate, combination)] -> metric -> value
    outcome: dict[tuple[int, frozenset[str]], dict[str, float]] = {}
    for (r, members), measured in zip(keys, values, strict=True):
        for removed in members:
            outcome[(r, removed)] = measured
    names = factor_names(factors)
    everything = frozenset(names)
    combo_rows, rows = [], []
    for metric in metrics:
        for r, seed in enumerate(seeds):
            v = {removed: outcome[(r, removed)][metric] for removed in combos}
            for removed in combos:
                combo_rows.append(
                    (r, seed, combination_name(_ordered(removed, factors)), metric, v[removed])
                )
            phi = shapley_values(v, names)
            rows.append((metric, r, seed, ACTUAL, v[frozenset()]))
            rows.extend((metric, r, seed, f, phi[f]) for f in names)
            rows.append((metric, r, seed, IDEAL, v[everything]))
    return Decomposition(
        scenario=scenario,
        seeds=seeds,
        factors=names,
        metrics=metrics,
        combinations=pd.DataFrame(
            combo_rows, columns=["replicate", "seed", "combination", "metric", "value"]
        ),
        table=pd.DataFrame(rows, columns=list(TABLE_COLUMNS)),
        runs=len(jobs),
        seconds=time.perf_counter() - started,
    )


def _ordered(removed: frozenset[str], factors: Sequence[Factor]) -> list[str]:
    return [f.name for f in factors if f.name in removed]


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Summarise a decomposition table over its replicates.

    Args:
        table: A decomposition table (columns :data:`TABLE_COLUMNS`), as
            :func:`decompose` makes it or as read back from ``decomposition.csv``.

    Returns:
        Columns :data:`SUMMARY_COLUMNS`: per metric, the terms in the table's order
        (``actual``, the factors, ``ideal``) then ``gap`` (ideal minus actual, per
        replicate): the mean over the replicates and its 90% interval
        (:func:`sim.quantities.replicate_interval`); for the factors, the share of the
        mean gap (:func:`sim.quantities.share_of_gap`), which adds up to 1 over the
        factors; NaN for the other terms. A table with a ``band`` column (see
        :func:`with_bands`) is summarised band by band, the column kept first.
    """
    if "band" in table.columns:
        parts = [
            summarise(part.drop(columns="band")).assign(band=band)
            for band, part in table.groupby("band", sort=False)
        ]
        return pd.concat(parts, ignore_index=True)[["band", *SUMMARY_COLUMNS]]
    rows = []
    for metric, per_metric in table.groupby("metric", sort=False):
        wide = per_metric.pivot(index="replicate", columns="term", values="value")
        gap = wide[IDEAL] - wide[ACTUAL]
        gap_mean = replicate_interval(list(gap))[0]
        for term in pd.unique(per_metric["term"]):
            mean, low, high = replicate_interval(list(wide[term]))
            part = math.nan if term in (ACTUAL, IDEAL) else share_of_gap(mean, gap_mean)
            rows.append((metric, term, mean, low, high, part, len(wide)))
        mean, low, high = replicate_interval(list(gap))
        rows.append((metric, GAP, mean, low, high, math.nan, len(wide)))
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


# --- files -------------------------------------------------------------------------------


def _csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def write_table(decomposition: Decomposition, folder: str | os.PathLike[str]) -> Path:
    """Write ``decomposition.csv`` into an existing folder (atomically), e.g. a run's.

    Returns:
        The file written.
    """
    path = Path(folder) / DECOMPOSITION_FILE
    return atomic_file(path, lambda tmp: _csv(decomposition.table, tmp))


def write_decomposition(
    decomposition: Decomposition,
    out: str | os.PathLike[str],
    *,
    source: str | None = None,
    overrides: Sequence[str] = (),
    parameters: Mapping[str, Any] | None = None,
) -> Path:
    """Write a decomposition folder (without its page), replacing it atomically.

    Files: ``decomposition.csv``, ``decomposition_summary.csv``, ``combinations.csv``
    and ``manifest.json`` (scenario, seeds, factors with their descriptions, metrics,
    versions, git commit).

    Args:
        decomposition: The decomposition.
        out: The folder (an earlier decomposition folder there is replaced).
        source: The scenario file, for the manifest.
        overrides: The ``--set`` overrides applied to it, for the manifest.
        parameters: With ``--posterior`` or ``--prior``: the source, the median and
            every drawn set (:meth:`sim.calibration.sources.Plan.manifest`).

    Returns:
        The folder.

    Raises:
        OccupiedError: If ``out`` holds something else than an earlier decomposition.
    """
    d = decomposition
    described = {f.name: f for f in FACTORS}
    manifest = {
        "kind": "decomposition",
        "scenario_name": d.scenario.name,
        "scenario_file": source,
        "overrides": list(overrides),
        "root_seed": d.seeds[0],
        "replicates": len(d.seeds),
        "seeds": list(d.seeds),
        "factors": [
            {
                "name": name,
                "label": described[name].label if name in described else name,
                "description": described[name].description if name in described else "",
            }
            for name in d.factors
        ],
        "metrics": [{"name": m, "description": resolve_metric(m).description} for m in d.metrics],
        "combinations": 2 ** len(d.factors),
        "runs": d.runs,
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "run_seconds": round(d.seconds, 3),
        "versions": versions(),
        "git_commit": git_commit(),
        "scenario": d.scenario.model_dump(mode="json"),
    }
    if parameters is not None:
        manifest["parameters"] = dict(parameters)
    with atomic_directory(out, SUMMARY_FILE) as tmp:
        _csv(d.table, tmp / DECOMPOSITION_FILE)
        _csv(d.summary(), tmp / SUMMARY_FILE)
        _csv(d.combinations, tmp / COMBINATIONS_FILE)
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return Path(out).resolve()
