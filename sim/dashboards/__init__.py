"""Offline plotly dashboards: one page per run, side-by-side scenario comparisons.

Everything here reads saved result folders (see :mod:`sim.output`); the model knows
nothing about it. The pages embed plotly.js and fetch nothing, so they open by
double-click without a network. Modules:

- :mod:`~sim.dashboards.load`: read run and comparison folders;
- :mod:`~sim.dashboards.palette`, :mod:`~sim.dashboards.style`, :mod:`~sim.dashboards.text`:
  colours, the common look, escaping and number formats;
- :mod:`~sim.dashboards.figures`, :mod:`~sim.dashboards.sankey`,
  :mod:`~sim.dashboards.markers`, :mod:`~sim.dashboards.headline`: the run figures;
- :mod:`~sim.dashboards.aggregate`, :mod:`~sim.dashboards.compare_figures`: replicates
  and their summaries (the comparison folders themselves are run and written by
  :mod:`sim.compare`);
- :mod:`~sim.dashboards.page`, :mod:`~sim.dashboards.run_dashboard`,
  :mod:`~sim.dashboards.compare_dashboard`, :mod:`~sim.dashboards.index`: the pages;
- :mod:`~sim.dashboards.caveat`: the caveat box every page carries;
- :mod:`~sim.dashboards.images`: PNG and SVG through kaleido and a local Chromium;
- :mod:`~sim.dashboards.results`: the kinds of result folder (run, comparison, sweep,
  calibration, decomposition), registered in one place for the index and ``report``;
- :mod:`~sim.dashboards.render`: a run's or comparison's page and its images;
- :mod:`~sim.dashboards.report`: what the command line calls.
"""

from sim.dashboards.load import NotAResultError, load_run
from sim.dashboards.report import render_any, render_comparison_folder, render_run

__all__ = [
    "NotAResultError",
    "load_run",
    "render_any",
    "render_comparison_folder",
    "render_run",
]
