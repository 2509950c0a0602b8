"""Simulate one scenario: the run, its matched no-spending counterfactual, and the books.

``simulate`` is what the CLI's ``run`` calls and what a notebook user calls. It
returns a :class:`RunResult` of plain tables; it neither prints nor writes files.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pandas as pd

from sim.model.ledger import MoneySummary
from sim.model.model import InfluenceModel
from sim.model.recorder import MODEL_COLUMNS
from sim.scenario.schema import Scenario

#: From this many people up, ``simulate`` steps the run and its counterfactual at the
#: same time in two threads; below it, where Python's own work dominates, one after the
#: other.
CONCURRENT_FROM = 1_000_000

#: Columns of trajectories.csv, in order: the model's, with the counterfactual's beside them.
TRAJECTORY_COLUMNS = (
    *MODEL_COLUMNS[:4],
    "counterfactual_opinion_mean",
    "counterfactual_favourable_share",
    "attributable_opinion",
    "attributable_favourable_share",
    *MODEL_COLUMNS[4:],
)


@dataclass
class RunResult:
    """Everything one run produced, as plain tables.

    Attributes:
        scenario: The scenario that was run.
        seed: The root seed.
        trajectories: One row per step (see ``TRAJECTORY_COLUMNS``). Its cumulative
            money columns (``disbursed_usd``...) are the model's reporters, floats in
            USD for plotting and quick looks: they cannot hold every cent above about
            USD 10^13. The writer sums them exactly from ``ledger``
            (:func:`sim.output.money_by_step`).
        segments: One row per step and segment, actual and counterfactual.
        outlets: One row per step and outlet: status and reach.
        ledger_columns: The ledger as columns (:meth:`~sim.model.ledger.Ledger.columns`);
            :attr:`ledger` is the same as a table.
        events: Shocks, audits and replacements.
        money: The balanced books, in cents.
        books_balance: The outcome of the end-of-run balance check of the run and its
            counterfactual (a run whose books do not balance raises instead).
        budget_cents: What the funders planned to spend.
        seconds: Wall-clock time of the simulation.
    """

    scenario: Scenario
    seed: int
    trajectories: pd.DataFrame
    segments: pd.DataFrame
    outlets: pd.DataFrame
    ledger_columns: dict[str, object] = field(repr=False)
    events: pd.DataFrame
    money: MoneySummary
    budget_cents: int
    books_balance: bool
    seconds: float = field(default=0.0)

    @functools.cached_property
    def ledger(self) -> pd.DataFrame:
        """Every transfer, one row each: ``step``, ``date``, ``from``, ``to``, ``cents``.

        Also ``kind``; ``cents`` are exact integers. Built on first use, so sweeps that
        only compute metrics never pay for it.
        """
        columns = dict(self.ledger_columns)
        columns["date"] = [d.isoformat() for d in columns["date"]]
        return pd.DataFrame(columns)

    def money_usd(self) -> dict[str, object]:
        """The money summary in USD, as floats (the manifest writes the same keys exactly)."""
        m = self.money
        return {
            "budget_usd": self.budget_cents / 100,
            "disbursed_usd": m.disbursed / 100,
            "leaked_usd": m.leaked / 100,
            "leaked_by_hop_usd": {k: v / 100 for k, v in m.leaked_by_hop.items()},
            "activity_usd": m.activity / 100,
            "for_show_usd": m.for_show / 100,
            "substantive_usd": m.substantive / 100,
            "unspent_usd": m.unspent / 100,
        }


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    progress: Callable[[int], object] | None = None,
) -> RunResult:
    """Run a scenario and its matched no-spending counterfactual.

    Both runs share the seed, hence the network, the initial opinions and every
    random number of the audience; they differ only in that the counterfactual's
    funders disburse nothing. Attributable influence is actual minus counterfactual.
    From ``CONCURRENT_FROM`` people up the two runs step at the same time, in two
    threads (the same results, in about half the time on two cores).

    Args:
        scenario: The validated scenario.
        seed: Root seed; the scenario's ``seed`` when None.
        progress: Called with 1 after each simulated step (2 x steps calls in all).

    Returns:
        The result, with books that balance.

    Raises:
        BooksUnbalancedError: If the money does not add up to the cent.
    """
    seed = scenario.seed if seed is None else seed
    started = time.perf_counter()
    actual = InfluenceModel(scenario, seed)
    baseline = InfluenceModel(scenario, seed, counterfactual=True, network=actual.audience.network)
    if scenario.audience.population >= CONCURRENT_FROM:
        _run_together((actual, baseline), progress)
    else:
        actual.run(progress)
        baseline.run(progress)
    money = actual.ledger.check_books()
    counterfactual_money = baseline.ledger.check_books()
    return RunResult(
        scenario=scenario,
        seed=seed,
        trajectories=_trajectories(actual, baseline),
        segments=_segments(actual, baseline),
        outlets=actual.datacollector.get_table_dataframe("outlets"),
        ledger_columns=actual.ledger.columns(),
        events=pd.DataFrame(actual.events, columns=["step", "date", "kind", "target", "detail"]),
        money=money,
        budget_cents=sum(f.planned_cents for f in actual.funders),
        books_balance=money.balanced and counterfactual_money.balanced,
        seconds=time.perf_counter() - started,
    )


def _run_together(models: tuple[InfluenceModel, ...], progress: Callable[[int], object] | None):
    """Run the models at the same time, one thread each, and wait for all of them.

    Their per-person work runs in compiled loops that release the GIL, so on a machine
    with two cores a run and its counterfactual take little longer than the run alone.
    Each model draws only from its own random streams, so the results do not depend on
    how the threads interleave. Ctrl-C stops every model at the end of its current step.
    """
    lock = threading.Lock()

    def tick(n: int) -> None:
        with lock:
            progress(n)

    with ThreadPoolExecutor(len(models), thread_name_prefix="simulate") as pool:
        futures = [pool.submit(m.run, tick if progress else None) for m in models]
        try:
            for future in futures:
                future.result()
        except BaseException:
            for m in models:
                m.running = False
            raise


def _trajectories(actual: InfluenceModel, baseline: InfluenceModel) -> pd.DataFrame:
    table = actual.datacollector.model_columns()
    cf = baseline.datacollector.model_columns()
    table["counterfactual_opinion_mean"] = cf["opinion_mean"]
    table["counterfactual_favourable_share"] = cf["favourable_share"]
    table["attributable_opinion"] = table["opinion_mean"] - cf["opinion_mean"]
    table["attributable_favourable_share"] = table["favourable_share"] - cf["favourable_share"]
    return pd.DataFrame(table, columns=list(TRAJECTORY_COLUMNS))


def _segments(actual: InfluenceModel, baseline: InfluenceModel) -> pd.DataFrame:
    table = actual.datacollector.table_columns("segments")
    cf = baseline.datacollector.table_columns("segments")
    table["counterfactual_opinion_mean"] = cf["opinion_mean"]
    table["attributable_opinion"] = table["opinion_mean"] - cf["opinion_mean"]
    return pd.DataFrame(table)
