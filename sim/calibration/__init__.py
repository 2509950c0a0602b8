"""Calibration: which parameter values are consistent with what was observed.

A calibration file (:mod:`sim.calibration.spec`) names a base scenario, priors over
some of its fields and observed targets; :mod:`sim.calibration.engine` runs ABC-SMC
with pyabc (an optional dependency: ``pip install -e '.[calibration]'``) and
:mod:`sim.calibration.output` writes the posterior, its diagnostics and the posterior
predictive check. See docs/calibration.md.
"""
