"""The scenario file format: schema, loading, overrides and error messages."""

from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import load_scenario, validate_document
from sim.scenario.schema import Scenario

__all__ = ["Problem", "Scenario", "ScenarioError", "load_scenario", "validate_document"]
