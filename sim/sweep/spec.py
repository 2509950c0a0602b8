"""The sweep file format: a pydantic schema, checked as strictly as scenarios are.

A sweep names a base scenario, the fields to vary (with a range, a list of values
or a distribution each), an experimental design, the number of replicates, a root
seed and the metrics to record. :func:`sim.sweep.load.load_sweep` reads a file and
checks it against this schema and against the base scenario.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.sweep.metrics import DEFAULT_METRICS
from sim.sweep.samplers import DESIGNS

#: The design names, from the registry (so a name without a sampler cannot validate).
DesignName = Literal[tuple(DESIGNS)]  # type: ignore[valid-type]
#: Most runs one sweep may make (points x replicates).
MAX_RUNS = 10_000_000
# PyYAML reads '2.0e7' (no sign in the exponent) as text; such values are numbers.
_FLOAT_TEXT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$")
Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Strict(BaseModel):
    """Unknown keys are errors; values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Normal(_Strict):
    """A normal distribution, optionally truncated to ``truncate``."""

    mean: Finite = Field(description="Mean.")
    sd: Finite = Field(gt=0, description="Standard deviation.")


class LogNormal(_Strict):
    """A log-normal distribution: the logarithm of the value is normal."""

    median: Finite = Field(gt=0, description="Median (exp of the log's mean).")
    sigma: Finite = Field(gt=0, description="Standard deviation of the natural log.")


class Triangular(_Strict):
    """A triangular distribution on [low, high] peaking at ``mode``."""

    low: Finite = Field(description="Lowest value.")
    mode: Finite = Field(description="Most likely value.")
    high: Finite = Field(description="Highest value.")

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError("needs low <= mode <= high and low < high")
        return self


_KINDS = ("range", "values", "normal", "lognormal", "triangular")


class Linear(_Strict):
    """A target set to ``scale x variable + offset`` (``{}``: the variable's value)."""

    scale: Finite = Field(default=1.0, description="Factor on the variable's value.")
    offset: Finite = Field(default=0.0, description="Added after scaling.")


class Entries(_Strict):
    """A mapping field set as a whole, one expression per key (e.g. activity weights)."""

    entries: dict[str | int, str] = Field(
        min_length=1, description="Key -> expression of the variables (and base)."
    )
    drop_zero: bool = Field(
        default=False,
        description="Leave out keys whose value is 0 (for weights that must be positive).",
    )


#: What a linked target or a derived field is set to: an expression, a linear
#: transformation of the variable, or a mapping of expressions.
Target = str | Linear | Entries


class ParameterSpec(_Strict):
    """One varied field.

    Exactly one of ``range``, ``values``, ``normal``, ``lognormal`` and ``triangular``.
    """

    range: tuple[Finite, Finite] | None = Field(
        default=None, description="[low, high]: uniform between them (log-uniform with log)."
    )
    log: bool = Field(default=False, description="With range: uniform in the logarithm.")
    levels: int | None = Field(
        default=None,
        ge=2,
        le=10_000,
        description="With range, in a grid: number of evenly spaced values (default: the "
        "design's levels).",
    )
    values: list[Any] | None = Field(
        default=None, min_length=1, description="A list of values, equally likely."
    )
    normal: Normal | None = Field(default=None, description="A normal distribution.")
    lognormal: LogNormal | None = Field(default=None, description="A log-normal distribution.")
    triangular: Triangular | None = Field(default=None, description="A triangular distribution.")
    truncate: tuple[Finite, Finite] | None = Field(
        default=None, description="With normal or lognormal: [low, high] to draw within."
    )
    integer: bool = Field(default=False, description="Round drawn values to whole numbers.")
    sets: dict[str, Target] | None = Field(
        default=None,
        description="Makes the key a variable's name (not a field path): field path -> how "
        "the variable sets it: {} (its value), {scale, offset}, an expression of the "
        "variables and base (the field's value in the base scenario), or {entries, "
        "drop_zero} for a whole mapping. {} sets nothing directly (for variables used "
        "only in derived).",
    )

    @field_validator("values")
    @classmethod
    def _numbers_from_text(cls, values: list[Any] | None) -> list[Any] | None:
        if values is None:
            return None
        return [float(v) if isinstance(v, str) and _FLOAT_TEXT.match(v) else v for v in values]

    @model_validator(mode="after")
    def _one_kind(self) -> ParameterSpec:
        given = [k for k in _KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ValueError(f"give exactly one of {', '.join(_KINDS)}; found {found}")
        kind = given[0]
        if self.range is not None:
            low, high = self.range
            if not low < high:
                raise ValueError(f"range needs low < high; found [{low:g}, {high:g}]")
            if self.log and low <= 0:
                raise ValueError("a log range needs low > 0")
        if kind != "range" and (self.log or self.levels is not None):
            raise ValueError("'log' and 'levels' apply to a range only")
        if kind == "values" and self.integer:
            raise ValueError("'integer' applies to a range or a distribution only")
        if self.truncate is not None:
            if kind not in ("normal", "lognormal"):
                raise ValueError("'truncate' applies to normal and lognormal only")
            if not self.truncate[0] < self.truncate[1]:
                raise ValueError("truncate needs low < high")
        return self

    @property
    def kind(self) -> str:
        """Which of range, values, normal, lognormal, triangular this is."""
        return next(k for k in _KINDS if getattr(self, k) is not None)

    @property
    def bounded(self) -> bool:
        """Whether every value lies in a finite interval."""
        return self.kind in ("range", "values", "triangular") or self.truncate is not None


class DesignSpec(_Strict):
    """Which points of the parameter space to run."""

    type: DesignName = Field(
        description="; ".join(f"{d.name}: {d.description}" for d in DESIGNS.values()) + "."
    )
    samples: int | None = Field(
        default=None,
        ge=1,
        le=MAX_RUNS,
        description="random, lhs: points; sobol: base samples N (a power of 2; N x (D + 2) "
        "points, N x (2D + 2) with second_order); morris: trajectories (N x (D + 1) points).",
    )
    levels: int = Field(
        default=4,
        ge=2,
        le=10_000,
        description="grid: values per range (a parameter's own levels wins); morris: grid levels.",
    )
    second_order: bool = Field(
        default=False, description="sobol: also sample for second-order indices."
    )
    path: str | None = Field(
        default=None,
        min_length=1,
        description="file: the CSV file of points, relative to the sweep file (a header "
        "row of parameter names, one row per point).",
    )
    points: tuple[tuple[Any, ...], ...] | None = Field(
        default=None,
        exclude=True,
        description="file: the points read from path when the sweep is loaded (not "
        "written in a sweep file; design.parquet records them).",
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"type": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _samples(self) -> DesignSpec:
        listed = DESIGNS[self.type].listed
        if self.points is not None:
            raise ValueError("'points' are read from the file at 'path'; give 'path' instead")
        if listed:
            if self.path is None:
                raise ValueError(f"a {self.type} design needs 'path': the CSV file of points")
            if self.samples is not None:
                raise ValueError(f"a {self.type} design runs the points listed; remove 'samples'")
            return self
        if self.path is not None:
            raise ValueError("'path' applies to a file design only")
        if self.type == "grid" and self.samples is not None:
            raise ValueError(
                "a grid's size comes from the parameters' levels and values; remove 'samples'"
            )
        if self.type != "grid" and self.samples is None:
            raise ValueError(f"a {self.type} design needs 'samples'")
        if self.type == "sobol" and self.samples & (self.samples - 1):
            raise ValueError(f"sobol needs samples to be a power of 2; found {self.samples}")
        if self.second_order and self.type != "sobol":
            raise ValueError("'second_order' applies to sobol only")
        return self


class SweepSpec(_Strict):
    """A sweep file."""

    name: str = Field(min_length=1, max_length=200, description="Sweep name.")
    description: str = Field(default="", description="What the sweep asks.")
    base: str = Field(min_length=1, description="Base scenario file, relative to the sweep file.")
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="Fixed changes to the base, path -> value (as run --set PATH=VALUE).",
    )
    parameters: dict[str, ParameterSpec] = Field(
        default_factory=dict,
        description="Field path (as in --set, [*] for every item) -> what to vary; or "
        "'from_ranges' (the same as from_ranges: true).",
    )
    from_ranges: bool = Field(
        default=False,
        description="Vary every entry of the base scenario's ranges section, uniform (or "
        "log-uniform) over its range, besides any parameters given.",
    )
    derived: dict[str, str | Entries] = Field(
        default_factory=dict,
        description="Field path -> an expression of the variables (and base), or "
        "{entries, drop_zero}: fields computed at every point from the variables.",
    )
    design: DesignSpec = Field(description="The experimental design.")

    @model_validator(mode="before")
    @classmethod
    def _ranges_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("parameters") == "from_ranges":
            return {**data, "parameters": {}, "from_ranges": True}
        return data

    @model_validator(mode="after")
    def _some_parameters(self) -> SweepSpec:
        if not self.parameters and not self.from_ranges:
            raise ValueError("give at least one parameter, or parameters: from_ranges")
        return self

    replicates: int = Field(default=1, ge=1, le=100_000, description="Runs (seeds) per point.")
    seed: int = Field(
        default=0,
        ge=0,
        le=2**63 - 1,
        description="Root seed: designs and run seeds derive from it.",
    )
    seeds: Literal["common", "independent"] = Field(
        default="common",
        description="common: replicate r has the same seed at every point; independent: every "
        "run its own seed.",
    )
    metrics: list[str] = Field(
        default=list(DEFAULT_METRICS),
        min_length=1,
        description="Scalar outcomes recorded per run: registered names or module:function.",
    )
    keep_trajectories: bool = Field(
        default=False, description="Also store every run's trajectories table."
    )
    run_time_limit_s: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="Seconds one run may take; a run still going then is stopped and stored "
        "as failed, and the sweep goes on. None (the default): no limit.",
    )
