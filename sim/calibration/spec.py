"""The calibration file format: a pydantic schema, checked as strictly as scenarios are.

A calibration names a base scenario, the fields to infer (a prior over each), the
observations to match (targets, each with its uncertainty and the summary function
that computes the same quantity from a run), and the inference method with its
budget. :func:`sim.calibration.load.load_calibration` reads a file and checks it
against this schema, the summary registry and the base scenario.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Finite = Annotated[float, Field(allow_inf_nan=False)]
#: Most model runs one calibration may make.
MAX_RUNS = 10_000_000


class _Strict(BaseModel):
    """Unknown keys are errors; values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NormalPrior(_Strict):
    """A normal distribution."""

    mean: Finite = Field(description="Mean.")
    sd: Finite = Field(gt=0, description="Standard deviation.")


class TruncatedNormalPrior(_Strict):
    """A normal distribution cut to [low, high] (its shape inside unchanged)."""

    mean: Finite = Field(description="Mean of the untruncated normal.")
    sd: Finite = Field(gt=0, description="Standard deviation of the untruncated normal.")
    low: Finite = Field(description="Lowest value.")
    high: Finite = Field(description="Highest value.")

    @model_validator(mode="after")
    def _ordered(self) -> TruncatedNormalPrior:
        if not self.low < self.high:
            raise ValueError(f"needs low < high; found [{self.low:g}, {self.high:g}]")
        return self


class BetaPrior(_Strict):
    """A beta distribution, stretched from [0, 1] to [low, high]."""

    a: Finite = Field(gt=0, description="First shape parameter (alpha).")
    b: Finite = Field(gt=0, description="Second shape parameter (beta).")
    low: Finite = Field(default=0.0, description="Lowest value.")
    high: Finite = Field(default=1.0, description="Highest value.")

    @model_validator(mode="after")
    def _ordered(self) -> BetaPrior:
        if not self.low < self.high:
            raise ValueError(f"needs low < high; found [{self.low:g}, {self.high:g}]")
        return self


_KINDS = ("uniform", "log_uniform", "normal", "truncated_normal", "beta")


class PriorSpec(_Strict):
    """The prior of one field: at most one of the kinds.

    Nothing given (``path: {}`` or ``path:``): uniform over the base scenario's
    ``ranges:`` entry for that path (log-uniform when the range says ``log``).
    """

    uniform: tuple[Finite, Finite] | None = Field(
        default=None, description="[low, high]: uniform between them."
    )
    log_uniform: tuple[Finite, Finite] | None = Field(
        default=None, description="[low, high], low > 0: uniform in the logarithm."
    )
    normal: NormalPrior | None = Field(default=None, description="A normal distribution.")
    truncated_normal: TruncatedNormalPrior | None = Field(
        default=None, description="A normal distribution cut to [low, high]."
    )
    beta: BetaPrior | None = Field(default=None, description="A beta distribution.")

    @model_validator(mode="after")
    def _at_most_one(self) -> PriorSpec:
        given = [k for k in _KINDS if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(
                f"give at most one of {', '.join(_KINDS)} (none: the base scenario's "
                f"range); found {', '.join(given)}"
            )
        for kind in ("uniform", "log_uniform"):
            bounds = getattr(self, kind)
            if bounds is not None and not bounds[0] < bounds[1]:
                raise ValueError(f"{kind} needs low < high; found [{bounds[0]:g}, {bounds[1]:g}]")
        if self.log_uniform is not None and self.log_uniform[0] <= 0:
            raise ValueError(f"log_uniform needs low > 0; found {self.log_uniform[0]:g}")
        return self

    @property
    def kind(self) -> str | None:
        """Which kind this is (None: from the base scenario's range)."""
        return next((k for k in _KINDS if getattr(self, k) is not None), None)


class TargetSpec(_Strict):
    """One observation and how to compare a run with it."""

    summary: str = Field(description="The summary function (see sim/calibration/summaries.py).")
    args: dict[str, Any] = Field(
        default_factory=dict, description="The summary function's arguments."
    )
    observed: Finite = Field(description="The observed value.")
    sd: Finite | None = Field(
        default=None, gt=0, description="The observation's standard deviation (its uncertainty)."
    )
    sample_size: int | None = Field(
        default=None,
        ge=1,
        description="For a share: the survey's sample size; the standard deviation is then "
        "the binomial one, sqrt(p (1 - p) / n) with p the observed share.",
    )
    distance: Literal["squared", "absolute"] = Field(
        default="squared",
        description="This target's term of the distance, with z = (simulated - observed) / sd: "
        "squared, z^2 (as a Gaussian log-likelihood); absolute, |z| (less swayed by one "
        "badly missed target).",
    )
    weight: Finite = Field(default=1.0, gt=0, description="Multiplies this target's term.")
    source: str = Field(default="", description="Where the observation comes from.")

    @model_validator(mode="after")
    def _one_uncertainty(self) -> TargetSpec:
        if (self.sd is None) == (self.sample_size is None):
            raise ValueError("give exactly one of sd and sample_size")
        if self.sample_size is not None and not 0 <= self.observed <= 1:
            raise ValueError(
                f"sample_size needs an observed share in [0, 1]; found {self.observed:g}"
            )
        return self

    def standard_deviation(self) -> float:
        """The observation's standard deviation.

        With a sample size n, the binomial one; the share is kept at least 1/(2n) from
        0 and 1, so that an observed 0% still carries uncertainty.

        >>> TargetSpec(summary="x", observed=0.5, sample_size=100).standard_deviation()
        0.05
        """
        if self.sd is not None:
            return self.sd
        n = self.sample_size
        assert n is not None
        p = min(max(self.observed, 0.5 / n), 1 - 0.5 / n)
        return math.sqrt(p * (1 - p) / n)


class MethodSpec(_Strict):
    """The inference method and its budget."""

    type: Literal["abc_smc"] = Field(
        default="abc_smc",
        description="abc_smc: approximate Bayesian computation by sequential Monte Carlo "
        "(pyabc's ABCSMC: adaptive epsilon, multivariate normal perturbation kernel).",
    )
    population_size: int = Field(
        default=200, ge=2, le=100_000, description="Accepted particles per generation."
    )
    generations: int = Field(default=8, ge=1, le=1000, description="Most generations.")
    min_epsilon: Finite = Field(
        default=0.0,
        ge=0,
        description="Stop once a generation's epsilon (distance threshold) is at or below "
        "this. The distance is a sum of squared z-scores by default, so about the number of "
        "targets means 'within one standard deviation each'.",
    )
    max_runs: int | None = Field(
        default=None, ge=1, le=MAX_RUNS, description="Stop after this many model runs in all."
    )
    epsilon_quantile: Finite = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="Each generation's epsilon is this quantile of the previous "
        "generation's weighted distances (0.5: the median).",
    )
    predictive_draws: int = Field(
        default=50,
        ge=0,
        le=10_000,
        description="Posterior predictive runs after the last generation (parameter sets "
        "drawn from the posterior, one seed each).",
    )


class CalibrationSpec(_Strict):
    """A calibration file."""

    name: str = Field(min_length=1, max_length=200, description="Calibration name.")
    description: str = Field(default="", description="What the calibration asks.")
    base: str = Field(min_length=1, description="Base scenario file, relative to this file.")
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="Fixed changes to the base, path -> value (as run --set PATH=VALUE).",
    )
    priors: dict[str, PriorSpec | None] = Field(
        min_length=1,
        description="Field path (as in --set, [*] for every item) -> its prior; empty: "
        "uniform over the base scenario's range for that path.",
    )
    targets: dict[str, TargetSpec] = Field(
        min_length=1, description="Target name -> observation, uncertainty and summary."
    )
    method: MethodSpec = Field(default_factory=MethodSpec, description="Method and budget.")
    seed: int = Field(
        default=0,
        ge=0,
        le=2**63 - 1,
        description="Root seed: the sampler's draws and every run's seed derive from it.",
    )
