"""Organisations in the model, one module per kind.

Each module defines a kind's scenario entry, its Mesa agent and registers the kind
(:func:`sim.model.kinds.register_actor`). Importing this package registers them all;
within a role, kinds act in the order they are imported here.
"""

from sim.model.actors.funder import Funder
from sim.model.actors.host_state import HostState
from sim.model.actors.intermediary import Intermediary
from sim.model.actors.ngo import Ngo
from sim.model.actors.outlet import Outlet

__all__ = ["Funder", "HostState", "Intermediary", "Ngo", "Outlet"]
