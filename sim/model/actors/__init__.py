"""Organisations in the model, one Mesa agent class per kind."""

from sim.model.actors.funder import Funder
from sim.model.actors.host_state import HostState
from sim.model.actors.intermediary import Intermediary
from sim.model.actors.ngo import Ngo
from sim.model.actors.outlet import Outlet

__all__ = ["Funder", "HostState", "Intermediary", "Ngo", "Outlet"]
