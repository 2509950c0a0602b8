"""Checks of the whole model: leakage anchors, invariances, dose-response, funder learning.

Every function here returns numbers (no printing, no files). Each check comes as a
``*_plan`` function returning a :class:`~sim.validation.common.Plan` of independent runs
(what the validation report runs in parallel) and a function of the same name without the
suffix that runs the plan in this process.

- :func:`olken` and :func:`reinikka_svensson`: the two field studies of
  :mod:`sim.validation.corruption`, over many seeds, with the leaked share of each year
  for the Reinikka & Svensson figure.
- :func:`step_length`: the baseline with weekly against monthly steps.
- :func:`population_size`: the baseline at two population sizes.
- :func:`dose_response`: influence against one lever at a time, common random numbers.
- :func:`funder_learning`: a complacent funder (reports hide the whole shortfall) against
  an informed one (honest reports), step by step.

The headline numbers of a run (:func:`summarise`) are: ``final_attributable_opinion``
and ``mean_attributable_opinion`` (actual minus the no-spending counterfactual, at the
last step and averaged over the steps, which is a time average whatever the step
length), ``final_opinion_mean``, ``final_favourable_share``,
``final_attributable_favourable_share``, ``mean_attributable_favourable_share`` and
``leaked_share`` (leaked over disbursed, exact cents).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.model import InfluenceModel
from sim.resources import shipped_scenario
from sim.run import RunResult, simulate
from sim.scenario import Scenario, load_scenario
from sim.validation.common import Agreement, Call, Plan, Spread, agreement
from sim.validation.corruption import (
    REINIKKA_SVENSSON,
    leaked_share,
    olken_audit_experiment,
    reinikka_svensson_campaign,
)

#: The historical baseline and its clean-money counterfactual (shipped scenario names).
BASELINE = "azerbaijan_2005_2025.yaml"
CLEAN_MONEY = "clean_money.yaml"

#: Headline numbers of a run, in display order, with their labels.
QUANTITIES: dict[str, str] = {
    "final_attributable_opinion": "attributable opinion, final",
    "mean_attributable_opinion": "attributable opinion, mean over the run",
    "final_opinion_mean": "opinion mean, final",
    "final_favourable_share": "favourable share, final",
    "final_attributable_favourable_share": "attributable favourable share, final",
    "mean_attributable_favourable_share": "attributable favourable share, mean",
    "leaked_share": "share leaked",
}

#: Quantities compared by the invariance checks.
INVARIANT = (
    "final_attributable_opinion",
    "mean_attributable_opinion",
    "final_opinion_mean",
    "final_favourable_share",
    "leaked_share",
)

#: Standard errors of the difference allowed by the invariance checks.
INVARIANCE_K = 3.0


def summarise(result: RunResult) -> dict[str, float]:
    """The headline numbers of a run (see the module docstring)."""
    t = result.trajectories
    money = result.money
    return {
        "final_attributable_opinion": float(t["attributable_opinion"].iloc[-1]),
        "mean_attributable_opinion": float(t["attributable_opinion"].mean()),
        "final_opinion_mean": float(t["opinion_mean"].iloc[-1]),
        "final_favourable_share": float(t["favourable_share"].iloc[-1]),
        "final_attributable_favourable_share": float(t["attributable_favourable_share"].iloc[-1]),
        "mean_attributable_favourable_share": float(t["attributable_favourable_share"].mean()),
        "leaked_share": money.leaked / money.disbursed if money.disbursed else math.nan,
        "seconds": result.seconds,
    }


def run_summary(
    scenario_name: str, overrides: tuple[str, ...], seed: int, trajectory: bool = False
) -> dict[str, object]:
    """Load a shipped scenario with overrides, run it, and return its headline numbers.

    Args:
        scenario_name: Path relative to the shipped scenarios folder.
        overrides: ``--set`` style assignments.
        seed: Root seed.
        trajectory: Also return the attributable-opinion trajectory (for figures).

    Returns:
        :func:`summarise` of the run; with ``trajectory``, also ``date`` (ISO text per
        step) and ``attributable_opinion`` (per step).
    """
    scenario = load_scenario(shipped_scenario(scenario_name), list(overrides))
    result = simulate(scenario, seed)
    out: dict[str, object] = dict(summarise(result))
    if trajectory:
        t = result.trajectories
        out["date"] = [str(d) for d in t["date"]]
        out["attributable_opinion"] = [float(v) for v in t["attributable_opinion"]]
    return out


def _spreads(rows: Sequence[dict[str, float]]) -> dict[str, Spread]:
    return {q: Spread(tuple(r[q] for r in rows)) for q in QUANTITIES}


# ---------------------------------------------------------------------------- field studies

#: Olken (2007): the drop of missing expenditure, in shares, and its tolerance.
OLKEN_DROP, OLKEN_TOLERANCE = 0.08, 0.03
#: Reinikka & Svensson (2004): capture in 1995 and its tolerance; the bound for 2001.
RS_BEFORE, RS_BEFORE_TOLERANCE, RS_AFTER_BELOW = 0.80, 0.05, 0.20
#: Years of the Reinikka & Svensson scenario.
RS_YEARS = tuple(range(1991, 2002))


@dataclass(frozen=True)
class OlkenResult:
    """Leaked share with audits at 4% and 100% a year, per seed.

    Attributes:
        control: Leaked share at 4%.
        treatment: Leaked share at 100%.
        drop: Control minus treatment.
    """

    control: Spread
    treatment: Spread
    drop: Spread

    @property
    def passed(self) -> bool:
        """Whether the mean drop is within OLKEN_DROP +- OLKEN_TOLERANCE."""
        return abs(self.drop.mean - OLKEN_DROP) <= OLKEN_TOLERANCE


def olken_plan(seeds: Sequence[int] = tuple(range(1, 33))) -> Plan[OlkenResult]:
    """Plan of :func:`olken`: one call of the corruption module per seed."""
    calls = tuple(
        Call(olken_audit_experiment, ((s,),), f"the Olken experiment, seed {s}", 0.1) for s in seeds
    )

    def reduce(values: list) -> OlkenResult:
        parts = {k: tuple(v[k].values[0] for v in values) for k in ("control", "treatment")}
        drop = tuple(c - t for c, t in zip(parts["control"], parts["treatment"], strict=True))
        return OlkenResult(Spread(parts["control"]), Spread(parts["treatment"]), Spread(drop))

    return Plan(calls, reduce)


def olken(seeds: Sequence[int] = tuple(range(1, 33))) -> OlkenResult:
    """Olken (2007): audits from 4% to 100% cut missing expenditure by about 8 points.

    Runs :func:`sim.validation.corruption.olken_audit_experiment` (scenario
    ``validation/olken_2007.yaml``) once per seed.
    """
    return olken_plan(seeds).run()


def reinikka_svensson_years(seed: int) -> dict[str, object]:
    """Capture per year in the Reinikka & Svensson scenario, and the module's check.

    Args:
        seed: Root seed.

    Returns:
        ``years`` (leaked share of each year's disbursement, 1991-2001) and ``before`` /
        ``after`` from :func:`sim.validation.corruption.reinikka_svensson_campaign`.
    """
    result = simulate(load_scenario(shipped_scenario(REINIKKA_SVENSSON)), seed)
    campaign = reinikka_svensson_campaign((seed,))
    return {
        "years": {y: leaked_share(result, y) for y in RS_YEARS},
        "before": campaign["before"].values[0],
        "after": campaign["after"].values[0],
    }


@dataclass(frozen=True)
class ReinikkaSvenssonResult:
    """Capture before and after the publication campaign.

    Attributes:
        before: Leaked share of the 1995 disbursement, per seed.
        after: Leaked share of the 2001 disbursement, per seed.
        years: Leaked share of each year's disbursement, per seed.
    """

    before: Spread
    after: Spread
    years: dict[int, Spread]

    @property
    def passed(self) -> bool:
        """Whether capture is RS_BEFORE +- tolerance in 1995 and below RS_AFTER_BELOW in 2001."""
        return (
            abs(self.before.mean - RS_BEFORE) <= RS_BEFORE_TOLERANCE
            and self.after.mean < RS_AFTER_BELOW
        )


def reinikka_svensson_plan(
    seeds: Sequence[int] = tuple(range(1, 33)),
) -> Plan[ReinikkaSvenssonResult]:
    """Plan of :func:`reinikka_svensson`: one run per seed."""
    calls = tuple(
        Call(reinikka_svensson_years, (s,), f"the Reinikka & Svensson scenario, seed {s}", 0.1)
        for s in seeds
    )

    def reduce(values: list) -> ReinikkaSvenssonResult:
        return ReinikkaSvenssonResult(
            Spread(tuple(v["before"] for v in values)),
            Spread(tuple(v["after"] for v in values)),
            {y: Spread(tuple(v["years"][y] for v in values)) for y in RS_YEARS},
        )

    return Plan(calls, reduce)


def reinikka_svensson(seeds: Sequence[int] = tuple(range(1, 33))) -> ReinikkaSvenssonResult:
    """Reinikka & Svensson (2004): capture ~80% in 1995, under 20% in 2001 after publication."""
    return reinikka_svensson_plan(seeds).run()


# ---------------------------------------------------------------------------- invariances


@dataclass(frozen=True)
class Invariance:
    """Two settings of the baseline compared quantity by quantity.

    Attributes:
        label_a: The first setting.
        label_b: The second setting.
        a: Headline numbers per seed under the first setting.
        b: Headline numbers per seed under the second.
        checks: One agreement per compared quantity (:data:`INVARIANT`).
        seconds_a: Mean wall-clock seconds of a run (with its counterfactual), first setting.
        seconds_b: The same for the second.
        trajectory_a: Mean attributable-opinion trajectory of the first setting (dates,
            values) over its first few seeds, for the figure.
        trajectory_b: The same for the second.
    """

    label_a: str
    label_b: str
    a: dict[str, Spread]
    b: dict[str, Spread]
    checks: tuple[Agreement, ...]
    seconds_a: float
    seconds_b: float
    trajectory_a: tuple[tuple[str, ...], tuple[float, ...]]
    trajectory_b: tuple[tuple[str, ...], tuple[float, ...]]

    @property
    def passed(self) -> bool:
        """Whether every quantity agrees within its tolerance."""
        return all(c.passed for c in self.checks)


def _mean_trajectory(rows: list[dict]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    dates = tuple(rows[0]["date"])
    values = np.mean([r["attributable_opinion"] for r in rows], axis=0)
    return dates, tuple(float(v) for v in values)


def _invariance_plan(
    label_a: str,
    overrides_a: tuple[str, ...],
    seeds_a: Sequence[int],
    cost_a: float,
    label_b: str,
    overrides_b: tuple[str, ...],
    seeds_b: Sequence[int],
    cost_b: float,
    trajectory_seeds: int,
) -> Plan[Invariance]:
    calls = [
        Call(
            run_summary,
            (BASELINE, overrides, s, n < trajectory_seeds),
            f"the baseline ({label}), seed {s}",
            cost,
        )
        for label, overrides, seeds, cost in (
            (label_a, overrides_a, seeds_a, cost_a),
            (label_b, overrides_b, seeds_b, cost_b),
        )
        for n, s in enumerate(seeds)
    ]
    na, nb = len(seeds_a), len(seeds_b)

    def reduce(values: list) -> Invariance:
        rows_a, rows_b = values[:na], values[na : na + nb]
        ta, tb = rows_a[:trajectory_seeds], rows_b[:trajectory_seeds]
        checks = tuple(
            agreement(
                q,
                [r[q] for r in rows_a],
                [r[q] for r in rows_b],
                k=INVARIANCE_K,
            )
            for q in INVARIANT
        )
        return Invariance(
            label_a,
            label_b,
            _spreads(rows_a),
            _spreads(rows_b),
            checks,
            float(np.mean([r["seconds"] for r in rows_a])),
            float(np.mean([r["seconds"] for r in rows_b])),
            _mean_trajectory(ta),
            _mean_trajectory(tb),
        )

    return Plan(tuple(calls), reduce)


def step_length_plan(
    population: int = 20_000,
    seeds: Sequence[int] = tuple(range(1, 25)),
    overrides: tuple[str, ...] = (),
) -> Plan[Invariance]:
    """Plan of :func:`step_length`."""
    pop = (f"audience.population={population}", *overrides)
    unit = population / 20_000
    return _invariance_plan(
        "weekly steps",
        (*pop, "time.step=week"),
        seeds,
        2.0 * unit + 0.8,
        "monthly steps",
        (*pop, "time.step=month"),
        seeds,
        0.7 * unit + 0.2,
        trajectory_seeds=4,
    )


def step_length(
    population: int = 20_000,
    seeds: Sequence[int] = tuple(range(1, 25)),
    overrides: tuple[str, ...] = (),
) -> Invariance:
    """The baseline with weekly against monthly steps, same seeds.

    Each quantity of :data:`INVARIANT` must agree within :data:`INVARIANCE_K` standard
    errors of the difference of the two means (from the seed-to-seed spread).

    Args:
        population: Simulated people.
        seeds: Root seeds (the same for both step lengths).
        overrides: Further ``--set`` assignments for both (e.g. a diagnostic run
            without peer influence, ``audience.peer.rule=none``).

    Returns:
        The comparison (weekly first).
    """
    return step_length_plan(population, seeds, overrides).run()


def population_size_plan(
    small: int = 20_000,
    large: int = 1_000_000,
    seeds_small: Sequence[int] = tuple(range(1, 25)),
    seeds_large: Sequence[int] = tuple(range(1, 7)),
) -> Plan[Invariance]:
    """Plan of :func:`population_size`."""
    return _invariance_plan(
        f"{small:,} people",
        (f"audience.population={small}",),
        seeds_small,
        0.7 * small / 20_000 + 0.2,
        f"{large:,} people",
        (f"audience.population={large}",),
        seeds_large,
        0.7 * large / 20_000 + 0.2,
        trajectory_seeds=2,
    )


def population_size(
    small: int = 20_000,
    large: int = 1_000_000,
    seeds_small: Sequence[int] = tuple(range(1, 25)),
    seeds_large: Sequence[int] = tuple(range(1, 7)),
) -> Invariance:
    """The baseline (monthly) at two population sizes.

    Tolerances as in :func:`step_length`.

    Returns:
        The comparison (small population first).
    """
    return population_size_plan(small, large, seeds_small, seeds_large).run()


# ---------------------------------------------------------------------------- dose-response


@dataclass(frozen=True)
class Lever:
    """One lever of the dose-response curves.

    Attributes:
        key: Short name (figure file names).
        label: What it is, for the axis.
        scenario: Shipped scenario it is applied to.
        values: The lever's values (the curve's points).
        expected: ``+1`` if the mechanism implies attributable opinion rises with the
            lever, ``-1`` if it falls, ``0`` for no expected direction.
        mechanism: Why, in words.
        log_x: Whether to draw the axis on a log scale.
    """

    key: str
    label: str
    scenario: str
    values: tuple[float, ...]
    expected: int
    mechanism: str
    log_x: bool = False


#: Budget factors: log-spaced x0.25 .. x4.
BUDGET_FACTORS = tuple(float(f) for f in np.round(2.0 ** np.linspace(-2, 2, 7), 4))

LEVERS: tuple[Lever, ...] = (
    Lever(
        "budget",
        "budget (multiple of USD 100 million)",
        BASELINE,
        BUDGET_FACTORS,
        +1,
        "more money buys more contacts (with saturating returns)",
        log_x=True,
    ),
    Lever(
        "for_show",
        "NGOs' for-show share of spending (clean money)",
        CLEAN_MONEY,
        (0.0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9),
        -1,
        "money moved from lasting, persuasive work to fleeting events",
    ),
    Lever(
        "media_control",
        "host media control (also in the 2022 shock)",
        BASELINE,
        (0.0, 0.25, 0.5, 0.75, 0.9, 0.95),
        -1,
        "the host filters more of the outlet's reach",
    ),
    Lever(
        "audit",
        "yearly audit probability",
        BASELINE,
        (0.0, 0.03, 0.1, 0.25, 0.5, 1.0),
        +1,
        "audits deter skimming (and replace the greediest), so more money reaches work",
    ),
    Lever(
        "backlash",
        "exposure backlash",
        BASELINE,
        (0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
        -1,
        "messages far from a person's view push them away more strongly",
    ),
)
LEVERS_BY_KEY = {lever.key: lever for lever in LEVERS}


def lever_overrides(lever: str, value: float, base: Scenario) -> tuple[str, ...]:
    """The ``--set`` assignments that put a lever at a value.

    Args:
        lever: A key of :data:`LEVERS_BY_KEY`.
        value: The lever's value.
        base: The scenario the lever is applied to, as loaded (for budgets and mixes).

    Returns:
        The assignments.

    Raises:
        ValueError: For an unknown lever.
    """
    from sim.classroom.grid import activity_mix

    if lever == "budget":
        out = []
        for f in base.funders:
            if f.budget.total_usd is None:
                raise ValueError(f"funder {f.id} has no total_usd for the budget lever")
            out.append(f"funders[{f.id}].budget.total_usd={f.budget.total_usd * value!r}")
        return tuple(out)
    if lever == "for_show":
        out = []
        for ngo in base.ngos:
            mix = {a: w for a, w in activity_mix(base, ngo.id, value).items() if w > 0}
            out.append(f"ngos[{ngo.id}].genuine=true")
            out.append(f"ngos[{ngo.id}].activities={json.dumps(mix)}")
        return tuple(out)
    if lever == "media_control":
        shocks = [s.id for s in base.shocks if getattr(s, "media_control", None) is not None]
        return (
            f"host_state.media_control={value!r}",
            *(f"shocks[{s}].media_control={value!r}" for s in shocks),
        )
    if lever == "audit":
        return (f"funders[*].audit_probability={value!r}",)
    if lever == "backlash":
        return (f"audience.exposure.backlash={value!r}",)
    raise ValueError(f"unknown lever {lever!r}; expected one of {tuple(LEVERS_BY_KEY)}")


@dataclass(frozen=True)
class Curve:
    """A dose-response curve.

    Attributes:
        lever: The lever.
        points: Per value of the lever, the headline numbers over the seeds.
        differences: Per consecutive pair of values, the paired (same seed) difference
            of each quantity, next minus previous.
        direction: Per quantity with an expected direction, its verdict (see
            :func:`direction_verdict`).
        seeds: The seeds (the same at every point: common random numbers).
    """

    lever: Lever
    points: tuple[dict[str, Spread], ...]
    differences: tuple[dict[str, Spread], ...]
    direction: dict[str, str]
    seeds: tuple[int, ...]

    @property
    def passed(self) -> bool:
        """Whether the mean attributable opinion does not go against the expected direction.

        A curve that is flat within noise passes (it is monotone up to noise); the
        report says so.
        """
        return self.direction.get("mean_attributable_opinion") != REVERSED


#: Quantities whose direction is checked on every curve, and the sign they share with
#: the lever's expected effect on attributable opinion.
DIRECTION_QUANTITIES = {"mean_attributable_opinion": 1, "final_attributable_opinion": 1}
#: Standard errors within which a step against the expected direction counts as noise.
DIRECTION_K = 2.0


#: Verdicts of :func:`direction_verdict`.
HOLDS, WITHIN_NOISE, REVERSED = "holds", "within noise", "reversed"


def direction_verdict(differences: Sequence[Spread], sign: int, k: float = DIRECTION_K) -> str:
    """Whether a curve moves in direction ``sign``, up to noise.

    A step between consecutive points, or the whole curve (the sum of the steps, first
    point to last), that goes against ``sign`` by more than ``k`` standard errors of its
    paired difference makes the curve :data:`REVERSED`. Otherwise the direction
    :data:`HOLDS` if the whole curve goes the expected way by more than ``k`` standard
    errors, and the curve is :data:`WITHIN_NOISE` (flat at this many seeds) if not.

    Args:
        differences: Paired differences of consecutive points, over the seeds.
        sign: ``+1`` (rising) or ``-1`` (falling).
        k: Standard errors.

    Returns:
        One of :data:`HOLDS`, :data:`WITHIN_NOISE`, :data:`REVERSED`.

    >>> up = [Spread((0.1, 0.12, 0.11)), Spread((0.0, 0.001, -0.001))]
    >>> direction_verdict(up, +1), direction_verdict(up, -1)
    ('holds', 'reversed')
    >>> direction_verdict([Spread((0.01, -0.01, 0.001))], +1)
    'within noise'
    """
    total = Spread(tuple(np.sum([d.values for d in differences], axis=0)))
    for d in (*differences, total):
        if sign * d.mean < -k * d.se:
            return REVERSED
    return HOLDS if sign * total.mean > k * total.se else WITHIN_NOISE


def dose_response_plan(
    levers: Sequence[Lever] = LEVERS,
    seeds: Sequence[int] = tuple(range(1, 9)),
    population: int = 20_000,
) -> Plan[list[Curve]]:
    """Plan of :func:`dose_response`."""
    bases = {lever.scenario: load_scenario(shipped_scenario(lever.scenario)) for lever in levers}
    calls = []
    for lever in levers:
        for value in lever.values:
            overrides = (
                f"audience.population={population}",
                *lever_overrides(lever.key, value, bases[lever.scenario]),
            )
            calls += [
                Call(
                    run_summary,
                    (lever.scenario, overrides, s),
                    f"{lever.key}={value:g}, seed {s}",
                    0.7 * population / 20_000 + 0.2,
                )
                for s in seeds
            ]

    def reduce(values: list) -> list[Curve]:
        curves, at = [], 0
        n = len(seeds)
        for lever in levers:
            rows = []
            for _ in lever.values:
                rows.append(values[at : at + n])
                at += n
            points = tuple(_spreads(r) for r in rows)
            diffs = tuple(
                {
                    q: Spread(tuple(b[q] - a[q] for a, b in zip(prev, nxt, strict=True)))
                    for q in QUANTITIES
                }
                for prev, nxt in itertools.pairwise(rows)
            )
            direction = {
                q: direction_verdict([d[q] for d in diffs], lever.expected * s)
                for q, s in DIRECTION_QUANTITIES.items()
                if lever.expected
            }
            if lever.key == "audit":
                direction["leaked_share"] = direction_verdict(
                    [d["leaked_share"] for d in diffs], -1
                )
            curves.append(Curve(lever, points, diffs, direction, tuple(seeds)))
        return curves

    return Plan(tuple(calls), reduce)


def dose_response(
    levers: Sequence[Lever] = LEVERS,
    seeds: Sequence[int] = tuple(range(1, 9)),
    population: int = 20_000,
) -> list[Curve]:
    """Headline numbers against one lever at a time (see :data:`LEVERS`).

    Every point uses the same seeds (common random numbers), so two points differ only
    by the lever; the direction check uses paired differences.

    Args:
        levers: The levers (with their values).
        seeds: Root seeds.
        population: Simulated people.

    Returns:
        One curve per lever.
    """
    return dose_response_plan(levers, seeds, population).run()


# ---------------------------------------------------------------------------- funder learning

#: Window (inclusive years) over which beliefs and allocations are averaged: after the
#: ramp-up and before the 2025 restructuring resets the beliefs.
LEARNING_WINDOW = (2008, 2024)
#: Complacent beliefs must average at least this much.
COMPLACENT_BELIEF = 0.9
#: Informed beliefs must average within this of the delivered share.
INFORMED_GAP = 0.05


def funder_trace(scenario_name: str, overrides: tuple[str, ...], seed: int) -> dict[str, object]:
    """Step a model and record each funder's beliefs and disbursements per step.

    Args:
        scenario_name: Shipped scenario.
        overrides: ``--set`` assignments.
        seed: Root seed.

    Returns:
        ``dates`` (ISO text per step), and per intermediary id (the first funder's
        allocation): ``belief`` (after the step's review), ``delivered`` (delivered over
        planned contacts in the step's report, NaN when nothing was planned) and
        ``cents`` (disbursed to it in the step).
    """
    scenario = load_scenario(shipped_scenario(scenario_name), list(overrides))
    model = InfluenceModel(scenario, seed)
    funder = next(iter(model.funders_by_id.values()))
    ids = list(funder.spec.allocation)
    account = {i: model.intermediaries_by_id[i].account for i in ids}
    dates: list[str] = []
    belief: dict[str, list[float]] = {i: [] for i in ids}
    delivered: dict[str, list[float]] = {i: [] for i in ids}
    cents: dict[str, list[int]] = {i: [] for i in ids}
    seen = 0
    while model.running:
        model.step()
        dates.append(model.dates[model.steps - 1].isoformat())
        rows = model.ledger.rows[seen:]
        seen = len(model.ledger.rows)
        for i in ids:
            belief[i].append(float(funder.belief[i]))
            report = model.intermediaries_by_id[i].last_report
            delivered[i].append(
                report.delivered / report.planned if report.planned > 0 else math.nan
            )
            cents[i].append(
                sum(
                    r.cents
                    for r in rows
                    if r.kind == "disbursement"
                    and r.source == funder.account
                    and r.destination == account[i]
                )
            )
    return {"dates": dates, "belief": belief, "delivered": delivered, "cents": cents}


@dataclass(frozen=True)
class FunderRun:
    """Per-step beliefs and allocations of one setting, averaged over seeds.

    Attributes:
        label: The setting.
        dates: Step dates.
        belief: Intermediary -> mean belief per step.
        delivered: Intermediary -> mean delivered share per step.
        allocation: Intermediary -> mean share of the step's disbursement.
        window_belief: Intermediary -> belief averaged over :data:`LEARNING_WINDOW`.
        window_delivered: Intermediary -> delivered share averaged over the window.
        window_allocation: Intermediary -> share of the window's disbursement.
    """

    label: str
    dates: tuple[str, ...]
    belief: dict[str, tuple[float, ...]]
    delivered: dict[str, tuple[float, ...]]
    allocation: dict[str, tuple[float, ...]]
    window_belief: dict[str, float]
    window_delivered: dict[str, float]
    window_allocation: dict[str, float]


@dataclass(frozen=True)
class FunderLearning:
    """A complacent against an informed funder.

    Attributes:
        complacent: Reports hide the whole shortfall (``report_inflation`` 1).
        informed: Honest reports (``report_inflation`` 0).
        planned: Intermediary -> the funder's planned allocation share.
        seeds: The seeds.
    """

    complacent: FunderRun
    informed: FunderRun
    planned: dict[str, float]
    seeds: tuple[int, ...]

    @property
    def best(self) -> str:
        """The intermediary delivering the largest share (informed run, window)."""
        return max(self.informed.window_delivered, key=self.informed.window_delivered.get)

    @property
    def checks(self) -> dict[str, bool]:
        """The three expectations, each true or false."""
        c, i = self.complacent, self.informed
        return {
            "complacent beliefs stay near 1": all(
                b >= COMPLACENT_BELIEF for b in c.window_belief.values()
            ),
            "informed beliefs follow the delivered share": all(
                abs(i.window_belief[k] - i.window_delivered[k]) <= INFORMED_GAP
                for k in i.window_belief
            ),
            "informed money shifts toward the channel that delivers": (
                i.window_allocation[self.best] > c.window_allocation[self.best]
            ),
        }

    @property
    def passed(self) -> bool:
        """Whether every expectation holds."""
        return all(self.checks.values())


def _nanmean(rows: Sequence[Sequence[float]]) -> np.ndarray:
    """Mean over the rows of each column, ignoring NaN (NaN where a column has no value)."""
    a = np.asarray(rows, dtype=float)
    count = np.sum(~np.isnan(a), axis=0)
    total = np.nansum(a, axis=0)
    return np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0)


def _funder_run(label: str, traces: list[dict]) -> FunderRun:
    dates = tuple(traces[0]["dates"])
    ids = list(traces[0]["belief"])
    years = np.array([int(d[:4]) for d in dates])
    window = (years >= LEARNING_WINDOW[0]) & (years <= LEARNING_WINDOW[1])
    belief = {i: np.mean([t["belief"][i] for t in traces], axis=0) for i in ids}
    delivered = {i: _nanmean([t["delivered"][i] for t in traces]) for i in ids}
    cents = {i: np.array([t["cents"][i] for t in traces], dtype=float) for i in ids}
    total = sum(cents.values())
    with np.errstate(invalid="ignore", divide="ignore"):
        allocation = {i: _nanmean(cents[i] / total) for i in ids}
    window_total = sum(float(cents[i][:, window].sum()) for i in ids)
    return FunderRun(
        label,
        dates,
        {i: tuple(map(float, v)) for i, v in belief.items()},
        {i: tuple(map(float, v)) for i, v in delivered.items()},
        {i: tuple(map(float, v)) for i, v in allocation.items()},
        {i: float(belief[i][window].mean()) for i in ids},
        {i: float(_nanmean(delivered[i][window][:, None])[0]) for i in ids},
        {i: float(cents[i][:, window].sum()) / window_total for i in ids},
    )


def funder_learning_plan(
    seeds: Sequence[int] = tuple(range(1, 9)), population: int = 20_000
) -> Plan[FunderLearning]:
    """Plan of :func:`funder_learning`."""
    pop = f"audience.population={population}"
    settings = (
        ("complacent (report_inflation 1)", (pop, "intermediaries[*].report_inflation=1.0")),
        ("informed (report_inflation 0)", (pop, "intermediaries[*].report_inflation=0.0")),
    )
    cost = 0.4 * population / 20_000 + 0.2
    calls = tuple(
        Call(funder_trace, (BASELINE, overrides, s), f"{label}, seed {s}", cost)
        for label, overrides in settings
        for s in seeds
    )
    base = load_scenario(shipped_scenario(BASELINE))
    alloc = base.funders[0].allocation
    planned = {k: v / sum(alloc.values()) for k, v in alloc.items()}

    def reduce(values: list) -> FunderLearning:
        n = len(seeds)
        return FunderLearning(
            _funder_run(settings[0][0], values[:n]),
            _funder_run(settings[1][0], values[n:]),
            planned,
            tuple(seeds),
        )

    return Plan(calls, reduce)


def funder_learning(
    seeds: Sequence[int] = tuple(range(1, 9)), population: int = 20_000
) -> FunderLearning:
    """The baseline with reports that hide the whole shortfall against honest ones.

    Expected: with inflated reports the funder's beliefs stay near 1 (at least
    :data:`COMPLACENT_BELIEF` on average over :data:`LEARNING_WINDOW`, audits aside) and
    the money follows the planned split; with honest reports each belief follows the
    share the channel delivers (within :data:`INFORMED_GAP` on average) and the money
    shifts toward the channel that delivers most.

    Args:
        seeds: Root seeds.
        population: Simulated people.

    Returns:
        Both settings, averaged over the seeds.
    """
    return funder_learning_plan(seeds, population).run()
