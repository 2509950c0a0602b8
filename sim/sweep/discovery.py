"""Scenario discovery on a stored sweep: where in the parameter space does a condition hold?

Given a condition on a metric, such as ``mean_attributable_opinion > 0.01`` (parsed by
:func:`parse_condition`, never evaluated as code), every stored run is a case of
interest or not, and:

- **PRIM** (the Patient Rule Induction Method, Friedman & Fisher 1999, as used for
  scenario discovery by Bryant & Lempert 2010) peels the parameter space into a box
  that holds many cases of interest (coverage: the share of all cases of interest
  inside the box) at a high rate (density: the share of the runs in the box that are
  cases of interest). The whole peeling trajectory is kept; the chosen box is the
  densest one whose coverage is at least ``min_coverage`` (0.5 by default, ASSUMED: a
  common compromise; pick another box from the trajectory with ``box=``). Each limit
  of the chosen box has a quasi-p-value (Bryant & Lempert's one-sided binomial test of
  whether the limit matters; small is significant).
- A **classification tree** (CART, Breiman et al. 1984, scikit-learn's
  ``DecisionTreeClassifier``) splits the runs into a few leaves, each a conjunction of
  parameter conditions with its number of runs and share of cases of interest.
- **Feature scores** (extra-trees importances, Geurts et al. 2006) rank the parameters
  for every recorded metric.

PRIM and the feature scores come from the EMA Workbench's analysis modules
(``ema_workbench.analysis.prim`` and ``.feature_scoring``), installed with the optional
extra ``analysis`` (``pip install 'influence-sim[analysis]'``); the tree from
scikit-learn, which the EMA Workbench brings along.
"""

from __future__ import annotations

import operator
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.sweep.analysis import Source, open_sweep, parameter_names
from sim.sweep.seeds import analysis_seed

#: Comparison operators a condition may use.
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_CONDITION = re.compile(
    r"^\s*(?P<metric>[A-Za-z_][\w.:]*)\s*(?P<op>>=|<=|>|<)\s*"
    r"(?P<value>[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*$"
)
#: Default share of the cases of interest the chosen PRIM box must hold.
MIN_COVERAGE = 0.5
#: Quasi-p-value below which a box's limit counts as significant.
SIGNIFICANCE = 0.05
#: Depth of the classification tree.
TREE_DEPTH = 3
INSTALL_HINT = "pip install 'influence-sim[analysis]' (or: bash setup.sh test)"


class DiscoveryError(ValueError):
    """A condition or sweep that scenario discovery cannot work with; says why."""


@dataclass(frozen=True)
class Condition:
    """A condition on a metric: ``metric op threshold``.

    Attributes:
        metric: The metric's name.
        op: One of :data:`OPERATORS`.
        threshold: The number compared with.
    """

    metric: str
    op: str
    threshold: float

    @property
    def text(self) -> str:
        """The condition as written: ``mean_attributable_opinion > 0.01``."""
        return f"{self.metric} {self.op} {self.threshold:g}"

    def holds(self, values: pd.Series) -> np.ndarray:
        """Whether each value meets the condition."""
        return np.asarray(OPERATORS[self.op](values.to_numpy(float), self.threshold), bool)


def parse_condition(text: str, metrics: list[str] | None = None) -> Condition:
    """Read ``METRIC OP NUMBER`` (OP one of ``> >= < <=``); nothing is evaluated.

    Args:
        text: The condition.
        metrics: The metrics it may name (None: any).

    Raises:
        DiscoveryError: Naming what is wrong.

    >>> parse_condition("final_attributable_opinion > 0.01").text
    'final_attributable_opinion > 0.01'
    """
    match = _CONDITION.match(text or "")
    if match is None:
        raise DiscoveryError(
            f"condition '{text}' is not of the form METRIC OP NUMBER, with OP one of "
            f"{', '.join(OPERATORS)} (for example 'mean_attributable_opinion > 0.01')"
        )
    metric = match["metric"]
    if metrics is not None and metric not in metrics:
        from sim.scenario.errors import did_you_mean

        raise DiscoveryError(
            f"condition '{text}': metric '{metric}' was not recorded"
            f"{did_you_mean(metric, metrics)}; recorded: {', '.join(metrics)}"
        )
    return Condition(metric, match["op"], float(match["value"]))


@dataclass(frozen=True)
class Discovery:
    """What scenario discovery found.

    Attributes:
        condition: The condition.
        runs: Runs used (stored, with a finite value of the metric).
        cases: Runs where the condition holds.
        trajectory: PRIM's peeling trajectory, one row per box: ``box``, ``step``
            (``peel``, or ``drop`` for a box made by dropping restrictions that are not
            significant from the chosen one), ``coverage``, ``density``, ``mass`` (share
            of runs inside), ``restricted`` (number of parameters limited), ``runs``,
            ``cases``.
        chosen: The chosen box's row in ``trajectory``.
        peeled: The box chosen on the peeling trajectory, before restrictions that
            are not significant were dropped (equal to ``chosen`` if none were).
        box: The chosen box's limits, one row per restricted parameter: ``parameter``,
            ``low``, ``high``, ``qp_low``, ``qp_high`` (quasi-p-values of the limits;
            NaN for a limit at the edge of the sampled range).
        tree: The tree's leaves: ``rule``, ``runs``, ``cases``, ``share``.
        tree_accuracy: Share of runs the tree classifies right.
        scores: Feature scores: one row per parameter, one column per metric.
    """

    condition: Condition
    runs: int
    cases: int
    trajectory: pd.DataFrame
    chosen: int
    peeled: int
    box: pd.DataFrame
    tree: pd.DataFrame
    tree_accuracy: float
    scores: pd.DataFrame


def _ema() -> tuple[Any, Any]:
    try:
        with warnings.catch_warnings():  # the workbench warns about optional extras
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import feature_scoring, prim
    except ImportError as exc:
        raise DiscoveryError(
            f"scenario discovery needs the EMA Workbench ({exc}); install it with {INSTALL_HINT}"
        ) from None
    return prim, feature_scoring


def discover(
    source: Source,
    condition: str | Condition,
    *,
    min_coverage: float = MIN_COVERAGE,
    box: int | None = None,
    peel_alpha: float = 0.05,
    simplify: bool = True,
    tree_depth: int = TREE_DEPTH,
) -> Discovery:
    """Scenario discovery for a condition on a sweep's runs (see the module's description).

    Args:
        source: A sweep folder or store.
        condition: ``METRIC OP NUMBER`` text, or a parsed condition.
        min_coverage: The chosen box is the densest with at least this coverage.
        box: Choose this box of the trajectory instead.
        peel_alpha: Share of the runs PRIM peels off at each step.
        simplify: Drop the chosen box's restrictions whose quasi-p-values are all at
            least :data:`SIGNIFICANCE` (the box with them dropped is added to the
            trajectory and chosen).
        tree_depth: Depth of the classification tree.

    Returns:
        The trajectory, the chosen box, the tree and the feature scores.

    Raises:
        DiscoveryError: For a bad condition, a condition that holds in all or none of the
            runs, a missing optional extra or a box number off the trajectory.
    """
    store = open_sweep(source)
    if isinstance(condition, str):
        condition = parse_condition(condition, store.metrics)
    if not 0 < min_coverage <= 1:
        raise DiscoveryError(f"min_coverage must be in (0, 1]; found {min_coverage}")
    names = parameter_names(store)
    summary = store.read_summary()
    x_all = _features(summary, names, store.parameter_kinds)
    values = summary[condition.metric].replace([np.inf, -np.inf], np.nan)
    use = values.notna().to_numpy()
    x, y = x_all[use].reset_index(drop=True), condition.holds(values[use])
    cases = int(y.sum())
    if cases == 0 or cases == len(y):
        what = "none" if cases == 0 else "all"
        raise DiscoveryError(
            f"'{condition.text}' holds in {what} of the {len(y)} runs with a finite "
            f"{condition.metric}: nothing to separate (choose another threshold)"
        )
    prim, feature_scoring = _ema()
    found = _prim(prim, x, y, peel_alpha)
    trajectory = _trajectory(found)
    chosen = _choose(trajectory, min_coverage) if box is None else box
    if not 0 <= chosen < len(trajectory):
        raise DiscoveryError(f"box {chosen} is not on the trajectory (0 to {len(trajectory) - 1})")
    peeled, peeling = chosen, len(trajectory)
    if simplify:
        chosen = _simplify(found, chosen, x)
        trajectory = _trajectory(found)
    trajectory.insert(1, "step", ["peel"] * peeling + ["drop"] * (len(trajectory) - peeling))
    seed = analysis_seed(int(store.manifest["spec"]["seed"])) % 2**32
    tree, accuracy = classification_tree(x, y, tree_depth, seed)
    scores = _scores(feature_scoring, x_all, summary, store.metrics, seed)
    return Discovery(
        condition,
        len(y),
        cases,
        trajectory,
        chosen,
        peeled,
        _limits(found, chosen, x),
        tree,
        accuracy,
        scores,
    )


def _features(summary: pd.DataFrame, names: list[str], kinds: dict[str, str]) -> pd.DataFrame:
    """The parameter columns, text and yes/no values as categories."""
    x = summary[names].copy()
    for name in names:
        if kinds.get(name) in ("string", "bool"):
            x[name] = x[name].astype(str).astype("category")
        else:
            x[name] = x[name].astype(float)
    return x


def _prim(prim: Any, x: pd.DataFrame, y: np.ndarray, peel_alpha: float) -> Any:
    """Run the EMA Workbench's PRIM; its box, with the peeling trajectory."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = prim.Prim(x, y.astype(int), peel_alpha=peel_alpha)
        return finder.find_box()


def _trajectory(found: Any) -> pd.DataFrame:
    raw = found.peeling_trajectory.reset_index(drop=True)
    return pd.DataFrame(
        {
            "box": raw["id"].astype(int),
            "coverage": raw["coverage"].astype(float),
            "density": raw["density"].astype(float),
            "mass": raw["mass"].astype(float),
            "restricted": raw["res_dim"].astype(int),
            "runs": raw["n"].astype(int),
            "cases": raw["k"].astype(int),
        }
    )


def _limits(found: Any, i: int, x: pd.DataFrame) -> pd.DataFrame:
    """Box ``i``'s restricted parameters: limits and quasi-p-values."""
    initial, lims = found.box_lims[0], found.box_lims[i]
    rows = []
    for name in x.columns:
        if str(x[name].dtype) == "category":
            kept, every = set(lims[name].iloc[0]), set(initial[name].iloc[0])
            if kept != every:
                rows.append(_limit_row(name, ", ".join(sorted(map(str, kept))), "", found, i))
            continue
        low, high = lims[name].iloc[0], lims[name].iloc[1]
        if low != initial[name].iloc[0] or high != initial[name].iloc[1]:
            rows.append(_limit_row(name, float(low), float(high), found, i))
    return pd.DataFrame(rows, columns=["parameter", "low", "high", "qp_low", "qp_high"])


def _simplify(found: Any, chosen: int, x: pd.DataFrame) -> int:
    """Drop box ``chosen``'s limits that are not significant; the simplified box's row.

    Restrictions whose quasi-p-values are all at least :data:`SIGNIFICANCE` are dropped
    with the workbench's ``drop_restriction`` (each drop adds a box to the trajectory);
    the quasi-p-values of the box left are computed afresh and the step repeated until
    every restriction left is significant (at least one is always kept).
    """
    box = chosen
    for _ in range(x.shape[1]):
        limits = _limits(found, box, x)
        qp = limits[["qp_low", "qp_high"]]
        weak = limits.loc[(qp.isna() | (qp >= SIGNIFICANCE)).all(axis=1), "parameter"].tolist()
        if not weak or len(weak) == len(limits):
            return box
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in weak:
                found.drop_restriction(name, i=box)
                box = len(found.box_lims) - 1
    return box


def _limit_row(name: str, low: Any, high: Any, found: Any, i: int) -> list[Any]:
    qp = found.p_values[i].get(name, [np.nan, np.nan])
    qp = [np.nan if v is None or v == -1 else float(v) for v in qp]
    return [name, low, high, *qp]


def _choose(trajectory: pd.DataFrame, min_coverage: float) -> int:
    """The densest box with at least ``min_coverage`` (the first box if none has it)."""
    eligible = trajectory[trajectory["coverage"] >= min_coverage - 1e-12]
    if eligible.empty:
        return 0
    best = eligible["density"].max()
    return int(eligible[eligible["density"] >= best - 1e-12].index[-1])


def classification_tree(
    x: pd.DataFrame, y: np.ndarray, depth: int = TREE_DEPTH, seed: int = 0
) -> tuple[pd.DataFrame, float]:
    """A CART tree of the condition; its leaves as rules.

    Args:
        x: Parameter values, one row per run (categories are one-hot encoded).
        y: Whether each run meets the condition.
        depth: Most splits from the root to a leaf.
        seed: Seed of the tree's tie-breaking.

    Returns:
        The leaves (``rule``, ``runs``, ``cases``, ``share``; largest share first) and
        the share of runs classified right.
    """
    from sklearn.tree import DecisionTreeClassifier

    encoded = pd.get_dummies(x, prefix_sep=" = ", dtype=float)
    leaf = max(1, int(0.05 * len(y)))
    model = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=leaf, random_state=seed)
    model.fit(encoded.to_numpy(), y)
    tree = model.tree_
    columns = list(encoded.columns)
    rows = []

    def walk(node: int, rules: list[str]) -> None:
        if tree.children_left[node] == tree.children_right[node]:  # a leaf
            n = int(tree.n_node_samples[node])
            share = (
                float(tree.value[node][0][list(model.classes_).index(True)])
                if (True in model.classes_)
                else 0.0
            )
            rows.append([" and ".join(rules) or "all runs", n, round(share * n), share])
            return
        name, cut = columns[tree.feature[node]], float(tree.threshold[node])
        if " = " in name and name not in x.columns:  # a one-hot category
            rules_left, rules_right = [f"not {name}"], [name]
        else:
            rules_left, rules_right = [f"{name} <= {cut:.4g}"], [f"{name} > {cut:.4g}"]
        walk(tree.children_left[node], rules + rules_left)
        walk(tree.children_right[node], rules + rules_right)

    walk(0, [])
    leaves = pd.DataFrame(rows, columns=["rule", "runs", "cases", "share"])
    leaves = leaves.sort_values(["share", "runs"], ascending=[False, False], ignore_index=True)
    accuracy = float((model.predict(encoded.to_numpy()) == y).mean())
    return leaves, accuracy


def _scores(
    feature_scoring: Any,
    x: pd.DataFrame,
    summary: pd.DataFrame,
    metrics: list[str],
    seed: int,
) -> pd.DataFrame:
    """Extra-trees feature scores of every parameter for every metric with a spread."""
    encoded = x.copy()
    for name in encoded.columns:
        if str(encoded[name].dtype) == "category":
            encoded[name] = encoded[name].cat.codes.astype(float)
    out = {}
    for metric in metrics:
        values = summary[metric].replace([np.inf, -np.inf], np.nan)
        use = values.notna().to_numpy()
        if use.sum() < 10 or np.ptp(values[use]) == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores, _ = feature_scoring.get_ex_feature_scores(
                encoded[use].reset_index(drop=True),
                values[use].to_numpy(float),
                mode=feature_scoring.RuleInductionType.REGRESSION,
                random_state=seed,
            )
        out[metric] = scores.iloc[:, 0]
    table = pd.DataFrame(out).reindex(list(x.columns))
    table.index.name, table.columns.name = "parameter", None
    return table
