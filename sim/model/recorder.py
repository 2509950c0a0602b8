"""What a run records each step, kept in preallocated arrays until the end.

Mesa's ``DataCollector`` appends a Python dict per table row and calls a reporter per
column each step; at study sizes (10^4 people, a step well under a millisecond) that
was a fifth of the step. :class:`StepRecorder` writes each step's numbers into NumPy
arrays sized for the whole run and builds the tables once, when asked. It answers the
read side of the DataCollector (``get_model_vars_dataframe``, ``get_table_dataframe``,
``model_vars``), so code written for Mesa reads it unchanged: its visualisation
components, and ``mesa.batch_run``, which also reads three bookkeeping attributes of the
DataCollector (Mesa 3.5; tests/test_registries.py runs it).

Money is recorded as exact integer cents (cumulative, by ledger kind); the USD columns
of the model table are derived from them when the table is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.model.ledger import KINDS

if TYPE_CHECKING:
    from sim.model.model import InfluenceModel

#: Cumulative money columns of the model table and the ledger kinds each one sums;
#: ``unspent_usd`` is what remains (disbursed minus leaked minus spent).
MONEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "disbursed_usd": ("disbursement",),
    "leaked_usd": ("leak",),
    "for_show_usd": ("for_show",),
    "substantive_usd": ("substantive",),
    "activity_usd": ("for_show", "substantive"),
    "unspent_usd": (),
}
#: Opinion columns of the model table (whole population), in output order.
OPINION_COLUMNS = ("opinion_mean", "favourable_share", "reach_share", "reported_influence")
#: Columns of the per-step model table, in output order.
MODEL_COLUMNS = ("step", "date", *OPINION_COLUMNS, *MONEY_COLUMNS)
#: Columns of the per-step tables, in output order.
TABLE_COLUMNS = {
    "segments": ("step", "date", "segment", *OPINION_COLUMNS),
    "outlets": ("step", "date", "outlet", "status", "reach_share"),
}


class StepRecorder:
    """One row per step (and per segment, and per outlet), in arrays sized for the run.

    Each step only copies the step's raw numbers (per segment: the sum of opinions, the
    number of favourable people, the number reached and the reported shift; the
    cumulative cents by ledger kind) into their rows; shares and means are divided out
    when a table is built.

    Args:
        dates: Start date of every step of the run.
        segments: Segment ids, in model order.
        outlets: Outlet ids, in model order.
        segment_sizes: Simulated people per segment.
        real_sizes: Real people per segment.
        real_population: Real people in all.
    """

    def __init__(
        self,
        dates: list,
        segments: list[str],
        outlets: list[str],
        segment_sizes: np.ndarray,
        real_sizes: np.ndarray,
        real_population: float,
    ) -> None:
        n, k = len(dates), len(segments)
        self.dates = [d.isoformat() for d in dates]
        self.segments = list(segments)
        self.outlets = list(outlets)
        self.segment_sizes = segment_sizes
        self.real_sizes = real_sizes
        self.real_population = real_population
        self.rows = 0
        self.sums = np.zeros((n, k))
        self.above = np.zeros((n, k), dtype=np.int64)
        self.reached = np.zeros((n, k), dtype=np.int64)
        self.reported = np.zeros((n, k))
        self.cents = np.zeros((n, len(KINDS)), dtype=np.int64)
        self.outlet_reach = np.zeros((n, len(outlets)))
        self.outlet_status: list[list[str]] = []

    def collect(self, model: InfluenceModel) -> None:
        """Record the step the model has just completed."""
        a, row = model.audience, self.rows
        a.opinion_summary(model.spec.audience.favourable_threshold, self.sums[row], self.above[row])
        self.reached[row] = a.reached
        reported = self.reported[row]  # the funders' reported shifts, summed
        for funder in model.funders_by_id.values():
            reported += funder.reported_shift
        self.cents[row] = model.ledger.totals()
        outlets = model.outlets_by_id.values()
        self.outlet_reach[row] = [o.reach_share for o in outlets]
        self.outlet_status.append([o.status for o in outlets])
        self.rows += 1

    def opinions(self) -> np.ndarray:
        """The model table's opinion columns (:data:`OPINION_COLUMNS`), one row per step."""
        n = self.rows
        size = int(self.segment_sizes.sum())
        out = np.empty((n, len(OPINION_COLUMNS)))
        out[:, 0] = self.sums[:n].sum(axis=1) / size
        out[:, 1] = self.above[:n].sum(axis=1) / size
        out[:, 2] = self.reached[:n].sum(axis=1) / size
        out[:, 3] = np.minimum(1.0, self.reported[:n].sum(axis=1) / self.real_population)
        return out

    def segment_opinions(self) -> np.ndarray:
        """The segments table's opinion columns: shape (steps, segments, columns)."""
        n = self.rows
        out = np.empty((n, len(self.segments), len(OPINION_COLUMNS)))
        out[:, :, 0] = self.sums[:n] / self.segment_sizes
        out[:, :, 1] = self.above[:n] / self.segment_sizes
        out[:, :, 2] = self.reached[:n] / self.segment_sizes
        out[:, :, 3] = np.minimum(1.0, self.reported[:n] / self.real_sizes)
        return out

    # -- what mesa.batch_run reads from a DataCollector ---------------------------------------
    @property
    def model_vars(self) -> dict[str, list]:
        """Column -> values of the model table, one per recorded step (as in Mesa)."""
        return {c: v.tolist() for c, v in self.get_model_vars_dataframe().items()}

    @property
    def _collection_steps(self) -> list[int]:
        return list(range(1, self.rows + 1))

    _agent_records: dict = {}  # noqa: RUF012 (read-only: this model has no agent reporters)
    _agenttype_records: dict = {}  # noqa: RUF012

    def money_cents(self) -> dict[str, np.ndarray]:
        """The cumulative money columns at each recorded step, in exact integer cents."""
        total = dict(zip(KINDS, self.cents[: self.rows].T, strict=True))
        out = {col: sum(total[k] for k in kinds) for col, kinds in MONEY_COLUMNS.items() if kinds}
        out["unspent_usd"] = out["disbursed_usd"] - out["leaked_usd"] - out["activity_usd"]
        return out

    def model_columns(self) -> dict[str, np.ndarray | list]:
        """The model table as columns (:data:`MODEL_COLUMNS`), one value per step."""
        n = self.rows
        table = {"step": np.arange(1, n + 1, dtype=np.int64), "date": self.dates[:n]}
        table |= dict(zip(OPINION_COLUMNS, self.opinions().T, strict=True))
        table |= {col: cents / 100 for col, cents in self.money_cents().items()}
        return table

    def table_columns(self, name: str) -> dict[str, np.ndarray | list]:
        """The ``segments`` or ``outlets`` table as columns (:data:`TABLE_COLUMNS`).

        Raises:
            KeyError: For any other table name.
        """
        n = self.rows
        if name == "segments":
            values = self.segment_opinions().reshape(-1, len(OPINION_COLUMNS))
            table = self._keys(n, "segment", self.segments)
            table |= dict(zip(OPINION_COLUMNS, values.T, strict=True))
        elif name == "outlets":
            table = self._keys(n, "outlet", self.outlets)
            table["status"] = [s for row in self.outlet_status[:n] for s in row]
            table["reach_share"] = self.outlet_reach[:n].ravel()
        else:
            raise KeyError(f"no table '{name}'; the tables are {', '.join(TABLE_COLUMNS)}")
        return table

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """The model table: one row per step (Mesa's DataCollector method name)."""
        return pd.DataFrame(self.model_columns(), columns=list(MODEL_COLUMNS))

    def get_table_dataframe(self, name: str) -> pd.DataFrame:
        """The ``segments`` or ``outlets`` table (Mesa's DataCollector method name).

        Raises:
            KeyError: For any other table name.
        """
        return pd.DataFrame(self.table_columns(name), columns=list(TABLE_COLUMNS[name]))

    def _keys(self, n: int, key: str, ids: list[str]) -> dict[str, object]:
        """The step, date and id columns of a table with one row per step and id."""
        k = len(ids)
        return {
            "step": np.repeat(np.arange(1, n + 1, dtype=np.int64), k),
            "date": [d for d in self.dates[:n] for _ in range(k)],
            key: ids * n,
        }
