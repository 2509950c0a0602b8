"""The analyst tables of a comparison: ``summary.csv`` and ``differences.csv``.

Both are computed from the comparison's saved run folders only, so ``report`` can
rebuild them and a reader can check them against the runs.

``summary.csv`` has one row per scenario and number (:data:`NUMBERS`): the mean over
the scenario's replicates and the 5th to 95th percentile of the replicates (the same
interval as the comparison page, :func:`sim.quantities.replicate_interval`), with how
many runs there were and how many gave a finite value.

``differences.csv`` has one row per scenario after the first (the reference) and per
number: the mean of the differences ``scenario - reference``, a bootstrap confidence
interval of that mean, and two readings of the threshold (0 unless given):

- ``p_mean_above``: the share of bootstrap resamples whose mean difference is above
  the threshold, an estimate of how sure one can be, given these replicates, that the
  average effect exceeds it;
- ``share_runs_above``: the share of the pairs whose own difference is above it, how
  often one run of the scenario beats its twin run of the reference by that much.

Scenario files in a comparison share their seeds (``root``, ``root + 1``, ...), and a
run's random numbers derive from its seed alone, so replicate *k* of every scenario
faces the same random draws (common random numbers). Differences are therefore
*paired* by seed: the difference is taken run by run, and resampling draws pairs.
A result folder given instead of a scenario file is one run with its own seed; when
it shares no seed with the reference the two are compared *unpaired* (difference of
the means, each group resampled on its own).

The bootstrap is the percentile bootstrap of the mean (Efron & Tibshirani 1993,
ch. 13) with :data:`RESAMPLES` resamples and a generator seeded from the comparison's
root seed, the scenario's position and the number's position, so the same comparison
gives the same bytes. With few replicates (the default 10) percentile intervals are
somewhat too narrow; more replicates are the remedy.

Money (:data:`MONEY`) is exact: each run's amount is read as integer cents from its
manifest, and means, percentiles and bootstrap quantiles are computed with exact
fractions of cents and written as decimal USD text rounded half to even to the cent.

Every interval here includes one source of variation only: the replicates' seeds,
at fixed parameters (column ``interval_includes``). With ``compare --posterior`` or
``--prior`` (:func:`comparison_tables`) each row comes twice, with a column ``band``:
``seed noise`` (the runs at the median parameters) and ``parameters and seed noise``
(replicate *k* with parameter set *k* and seed *k*), and ``interval_includes`` says
which.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from sim.atomic import atomic_file
from sim.dashboards.headline import headline
from sim.dashboards.load import RunData
from sim.money import cents_to_text
from sim.output import FLOAT_FORMAT
from sim.quantities import INTERVAL_QUANTILES, replicate_interval

SUMMARY_FILE = "summary.csv"
DIFFERENCES_FILE = "differences.csv"
#: Bootstrap resamples per difference.
RESAMPLES = 10_000
#: Coverage of the bootstrap confidence intervals (the 5th to the 95th percentile).
CONFIDENCE = INTERVAL_QUANTILES[1] - INTERVAL_QUANTILES[0]
#: What every interval of these tables includes (one value while seeds are the only
#: source of variation in a comparison).
SEED_NOISE = "seed noise only (replicates at fixed parameters)"
#: A spawn key of its own for the bootstrap generators (NumPy ``SeedSequence``), so
#: their draws are independent of anything else derived from the same root seed.
_BOOTSTRAP_STREAM = 0x636D70

#: Money numbers, read as exact cents from the run's manifest: (column, manifest key).
MONEY: tuple[tuple[str, str], ...] = (
    ("budget_usd", "budget_usd"),
    ("disbursed_usd", "disbursed_usd"),
    ("leaked_usd", "leaked_usd"),
    ("for_show_usd", "for_show_usd"),
    ("substantive_usd", "substantive_usd"),
    ("unspent_usd", "unspent_usd"),
)
#: The other numbers, from :func:`sim.dashboards.headline.headline`: (name, unit).
RATIOS: tuple[tuple[str, str], ...] = (
    ("leaked_share", "share of disbursed"),
    ("for_show_share", "share of disbursed"),
    ("substantive_share", "share of disbursed"),
    ("unspent_share", "share of disbursed"),
    ("final_opinion", "opinion (-1 to +1)"),
    ("counterfactual_final_opinion", "opinion (-1 to +1)"),
    ("attributable_final", "opinion points"),
    ("attributable_mean", "opinion points"),
    ("reported_final", "opinion points"),
    ("additional_people_final", "people"),
    ("additional_people_mean", "people"),
    ("cost_per_additional_person", "USD per person"),
)
#: Every number of the tables, in order: name -> unit.
NUMBERS: dict[str, str] = {**{name: "USD" for name, _ in MONEY}, **dict(RATIOS)}

SUMMARY_COLUMNS = (
    "scenario",
    "name",
    "metric",
    "unit",
    "runs",
    "n",
    "mean",
    "low",
    "high",
    "interval",
    "interval_includes",
)
DIFFERENCE_COLUMNS = (
    "scenario",
    "reference",
    "metric",
    "unit",
    "pairing",
    "n",
    "mean_difference",
    "ci_low",
    "ci_high",
    "confidence",
    "threshold",
    "p_mean_above",
    "share_runs_above",
    "resamples",
    "interval_includes",
)
_SUMMARY_INTERVAL = "5th to 95th percentile of the runs"


@dataclass(frozen=True)
class Values:
    """One number of every run of one scenario.

    Attributes:
        seeds: The runs' seeds.
        values: One value per run: integer cents for money, floats otherwise.
        money: Whether the values are cents.
    """

    seeds: tuple[int, ...]
    values: tuple[int | float, ...]
    money: bool


def run_values(runs: Sequence[RunData]) -> dict[str, Values]:
    """Every number of :data:`NUMBERS` for each run of one scenario.

    Args:
        runs: The scenario's replicate runs.

    Returns:
        Number name -> its values, one per run in the order given.
    """
    seeds = tuple(r.seed for r in runs)
    cents = [r.money_cents for r in runs]
    heads = [headline(r).as_dict() for r in runs]
    out = {
        name: Values(seeds, tuple(int(c[key]) for c in cents), True)  # type: ignore[call-overload]
        for name, key in MONEY
    }
    for name, _ in RATIOS:
        out[name] = Values(seeds, tuple(float(h[name]) for h in heads), False)
    return out


def summary_table(
    runs: Mapping[str, Sequence[RunData]],
    names: Mapping[str, str],
    includes: str = SEED_NOISE,
) -> pd.DataFrame:
    """``summary.csv``: one row per scenario and number.

    Args:
        runs: Scenario label -> its runs (the reference first).
        names: Scenario label -> its name (raw text).
        includes: What the intervals include (column ``interval_includes``).

    Returns:
        Columns :data:`SUMMARY_COLUMNS`; money as exact decimal USD text.
    """
    rows = []
    for label, scenario_runs in runs.items():
        for metric, vals in run_values(scenario_runs).items():
            finite = _finite(vals.values)
            if vals.money:  # cents are always finite
                stats = [
                    _cents(_exact_mean(finite)),
                    *(_cents(_exact_quantile(finite, q)) for q in INTERVAL_QUANTILES),
                ]
            else:
                stats = [_float_text(v) for v in replicate_interval(finite)]
            rows.append(
                (
                    label,
                    names.get(label, label),
                    metric,
                    NUMBERS[metric],
                    len(vals.values),
                    len(finite),
                    *stats,
                    _SUMMARY_INTERVAL,
                    includes,
                )
            )
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def differences_table(
    runs: Mapping[str, Sequence[RunData]],
    root_seed: int,
    thresholds: Mapping[str, float] | None = None,
    default_threshold: float = 0.0,
    resamples: int = RESAMPLES,
    includes: str = SEED_NOISE,
    stream: tuple[int, ...] = (),
) -> pd.DataFrame:
    """``differences.csv``: each scenario minus the first one, per number.

    Args:
        runs: Scenario label -> its runs; the first is the reference.
        root_seed: The comparison's root seed (seeds the bootstrap).
        thresholds: Number name -> threshold, in the number's unit (USD for money).
        default_threshold: The threshold of the other numbers.
        resamples: Bootstrap resamples.
        includes: What the intervals include (column ``interval_includes``).
        stream: Added to the bootstrap generators' spawn keys (another band's
            resamples are independent of the first's).

    Returns:
        Columns :data:`DIFFERENCE_COLUMNS`; money as exact decimal USD text. Empty
        (with its columns) when there is only one scenario.
    """
    thresholds = dict(thresholds or {})
    labels = list(runs)
    rows = []
    reference = run_values(runs[labels[0]]) if labels else {}
    for i, label in enumerate(labels[1:], start=1):
        for j, (metric, vals) in enumerate(run_values(runs[label]).items()):
            threshold = thresholds.get(metric, default_threshold)
            rng = np.random.default_rng(
                np.random.SeedSequence(root_seed, spawn_key=(_BOOTSTRAP_STREAM, i, j, *stream))
            )
            d = paired_difference(reference[metric], vals, threshold, rng, resamples)
            rows.append(
                (
                    label,
                    labels[0],
                    metric,
                    NUMBERS[metric],
                    d.pairing,
                    d.n,
                    *d.texts(vals.money),
                    CONFIDENCE,
                    threshold,
                    d.p_mean_above,
                    d.share_runs_above,
                    resamples,
                    includes,
                )
            )
    return pd.DataFrame(rows, columns=list(DIFFERENCE_COLUMNS))


def comparison_tables(
    runs: Mapping[str, Sequence[RunData]],
    names: Mapping[str, str],
    root_seed: int,
    thresholds: Mapping[str, float] | None = None,
    default_threshold: float = 0.0,
    parameter_runs: Mapping[str, Sequence[RunData]] | None = None,
    parameter_kind: str = "posterior",
) -> dict[str, pd.DataFrame]:
    """Both tables of a comparison, by file name.

    Without ``parameter_runs`` they are :func:`summary_table` and
    :func:`differences_table` of ``runs``. With them (``compare --posterior`` or
    ``--prior``) every row appears twice, once per band, with a column ``band``
    after ``metric``: ``runs`` (the median parameters, seed noise only) and
    ``parameter_runs`` (replicate *k* with parameter set *k* and seed *k*, parameters
    and seed noise). In the second band ``share_runs_above`` is the share of paired
    draws whose difference is above the threshold: the probability, under parameter
    uncertainty and seed noise, that the scenario beats the reference by more than it.

    Args:
        runs: Scenario label -> its runs (at the median parameters with a source).
        names: Scenario label -> its name.
        root_seed: The comparison's root seed.
        thresholds: Number name -> threshold.
        default_threshold: The other numbers' threshold.
        parameter_runs: Scenario label -> its runs with drawn parameters, or None.
        parameter_kind: ``posterior`` or ``prior``, for ``interval_includes``.
    """
    from sim.calibration.sources import FULL_BAND, SEED_BAND, interval_includes

    summary = summary_table(runs, names)
    diffs = differences_table(runs, root_seed, thresholds, default_threshold)
    if parameter_runs is None:
        return {SUMMARY_FILE: summary, DIFFERENCES_FILE: diffs}
    full = interval_includes(parameter_kind)
    summary_full = summary_table(parameter_runs, names, full)
    diffs_full = differences_table(
        parameter_runs, root_seed, thresholds, default_threshold, includes=full, stream=(1,)
    )
    return {
        SUMMARY_FILE: _with_band(summary, summary_full, SEED_BAND, FULL_BAND),
        DIFFERENCES_FILE: _with_band(diffs, diffs_full, SEED_BAND, FULL_BAND),
    }


def _with_band(first: pd.DataFrame, second: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """The two tables one after the other, with a ``band`` column after ``metric``."""
    at = list(first.columns).index("metric") + 1
    out = []
    for table, band in ((first, a), (second, b)):
        table = table.copy()
        table.insert(at, "band", band)
        out.append(table)
    return pd.concat(out, ignore_index=True)


@dataclass(frozen=True)
class Difference:
    """One scenario minus the reference, for one number.

    Attributes:
        pairing: ``"paired by seed"`` or ``"unpaired"`` (no seed in common).
        n: Pairs used (paired), or runs of the two together (unpaired).
        mean: Mean difference (a Fraction of cents for money), None without data.
        low: Lower bound of the bootstrap interval of the mean.
        high: Upper bound.
        p_mean_above: Share of the resamples whose mean difference is above the
            threshold (NaN without data).
        share_runs_above: Share of the pairs whose difference is above the threshold
            (NaN when unpaired or without data).
    """

    pairing: str
    n: int
    mean: Fraction | float | None
    low: Fraction | float | None
    high: Fraction | float | None
    p_mean_above: float
    share_runs_above: float

    def texts(self, money: bool) -> tuple[str, str, str]:
        """Mean, low and high as written: exact cents for money, 12 digits otherwise."""
        return tuple(  # type: ignore[return-value]
            "" if v is None else (_cents(v) if money else _float_text(float(v)))
            for v in (self.mean, self.low, self.high)
        )


def paired_difference(
    reference: Values,
    other: Values,
    threshold: float,
    rng: np.random.Generator,
    resamples: int = RESAMPLES,
) -> Difference:
    """Mean difference ``other - reference`` with its percentile bootstrap interval.

    Runs are paired by seed when the two share any seed; pairs where either value is
    not finite are left out. Without a common seed the difference of the means is
    used, each group resampled on its own.

    Args:
        reference: The reference scenario's values.
        other: The other scenario's values.
        threshold: In the number's unit (USD for money).
        rng: The bootstrap's generator.
        resamples: Bootstrap resamples.

    Returns:
        The difference (exact fractions of cents for money).
    """
    scale = 100 if other.money else 1
    limit = Fraction(str(threshold)) * scale if other.money else threshold
    ref = dict(zip(reference.seeds, reference.values, strict=True))
    common = [s for s in other.seeds if s in ref]
    if common:
        mine = dict(zip(other.seeds, other.values, strict=True))
        diffs = _finite([mine[s] - ref[s] for s in common if _ok(mine[s]) and _ok(ref[s])])
        if not diffs:
            return Difference("paired by seed", 0, None, None, None, math.nan, math.nan)
        values = np.asarray(diffs, dtype=object if other.money else float)
        idx = rng.integers(0, len(diffs), size=(resamples, len(diffs)))
        sums = values[idx].sum(axis=1)
        means = _means(sums, len(diffs), other.money)
        above = sum(1 for d in diffs if d > limit) / len(diffs)
        mean = _exact_mean(diffs) if other.money else float(np.mean(diffs))
        pairing, n = "paired by seed", len(diffs)
    else:
        a, b = _finite(reference.values), _finite(other.values)
        if not a or not b:
            return Difference("unpaired", len(a) + len(b), None, None, None, math.nan, math.nan)
        dtype = object if other.money else float
        va, vb = np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype)
        sa = va[rng.integers(0, len(a), size=(resamples, len(a)))].sum(axis=1)
        sb = vb[rng.integers(0, len(b), size=(resamples, len(b)))].sum(axis=1)
        means = _means(sb, len(b), other.money) - _means(sa, len(a), other.money)
        above = math.nan
        mean = _exact_mean(b) - _exact_mean(a) if other.money else float(np.mean(b) - np.mean(a))
        pairing, n = "unpaired", len(a) + len(b)
    if other.money:
        low, high = (_exact_quantile(list(means), q) for q in INTERVAL_QUANTILES)
    else:
        low, high = (float(v) for v in np.quantile(means.astype(float), INTERVAL_QUANTILES))
    p_above = float(np.mean([m > limit for m in means]))
    return Difference(pairing, n, mean, low, high, p_above, above)


def parse_thresholds(texts: Sequence[str]) -> tuple[float, dict[str, float]]:
    """Read ``--threshold`` options: ``X`` (every number) or ``METRIC=X`` (one number).

    Args:
        texts: The options as given; a later one overrides an earlier one.

    Returns:
        The default threshold (0 unless a bare ``X`` is given) and the per-number ones.

    Raises:
        ValueError: For an unknown number or a value that is not a finite number.

    >>> parse_thresholds(["0.001", "disbursed_usd=1000000"])
    (0.001, {'disbursed_usd': 1000000.0})
    """
    default, per_metric = 0.0, {}
    for text in texts:
        name, sep, raw = text.rpartition("=")
        name = name.strip()
        if sep and name not in NUMBERS:
            raise ValueError(
                f"--threshold {text}: unknown number '{name}'; expected one of "
                + ", ".join(NUMBERS)
            )
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise ValueError(f"--threshold {text}: expected a finite number, found '{raw}'")
        if sep:
            per_metric[name] = value
        else:
            default = value
    return default, per_metric


def write_tables(
    folder: str | os.PathLike[str],
    runs: Mapping[str, Sequence[RunData]],
    names: Mapping[str, str],
    root_seed: int,
    thresholds: Mapping[str, float] | None = None,
    default_threshold: float = 0.0,
) -> list[Path]:
    """Write ``summary.csv`` and ``differences.csv`` into ``folder``, each atomically.

    Returns:
        The files written.
    """
    folder = Path(folder)
    tables = comparison_tables(runs, names, root_seed, thresholds, default_threshold)
    return [
        atomic_file(folder / name, lambda tmp, t=table: write_csv(t, tmp))
        for name, table in tables.items()
    ]


def write_csv(table: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a table as the comparison's CSV files are written (LF, 12 significant digits)."""
    table.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def csv_text(table: pd.DataFrame) -> str:
    """The text :func:`write_csv` would write."""
    return table.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


# --- exact arithmetic on cents -----------------------------------------------------------


def _ok(value: float) -> bool:
    return isinstance(value, int) or math.isfinite(value)


def _finite(values: Sequence[int | float]) -> list[int | float]:
    return [v for v in values if _ok(v)]


def _exact_mean(cents: Sequence[int]) -> Fraction:
    return Fraction(sum(cents), len(cents))


def _exact_quantile(values: Sequence[int | Fraction], q: float) -> Fraction:
    """NumPy's default (linear) quantile, computed exactly."""
    ordered = sorted(Fraction(v) for v in values)
    position = Fraction(str(q)) * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


def _means(sums: np.ndarray, n: int, money: bool) -> np.ndarray:
    if money:
        return np.asarray([Fraction(int(s), n) for s in sums], dtype=object)
    return sums.astype(float) / n


def _float_text(value: float) -> str:
    """A float as the CSV files write one (empty for NaN: no finite value).

    >>> _float_text(0.1 + 0.2), _float_text(math.nan), _float_text(-math.inf)
    ('0.3', '', '-inf')
    """
    if math.isnan(value):
        return ""
    return FLOAT_FORMAT % value


def _cents(value: Fraction | int) -> str:
    """Exact cents (a fraction of them) as decimal USD text, rounded half to even."""
    return cents_to_text(round(Fraction(value)))
