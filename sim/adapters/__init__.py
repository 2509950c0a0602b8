"""Adapters to tools researchers already use (optional dependencies, imported lazily).

- :mod:`sim.adapters.ema`: an EMA Workbench ``Model`` from a scenario and field paths
  (needs the ``analysis`` extra: ``pip install 'influence-sim[analysis]'``).

Mesa's own tools need no adapter: see ``docs/mesa.md``.
"""
