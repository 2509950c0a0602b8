"""Organisations in the model, one module per kind.

Each module defines a kind's scenario entry, its Mesa agent and registers the kind
(:func:`sim.model.kinds.register_actor`). Importing this package imports every module
in it, so a new kind is one new module here; within a role, kinds act in the
alphabetical order of their module names (NGOs before outlets).
"""

import importlib
import pkgutil

from sim.model.actors.funder import Funder
from sim.model.actors.host_state import HostState
from sim.model.actors.intermediary import Intermediary
from sim.model.actors.ngo import Ngo
from sim.model.actors.outlet import Outlet

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["Funder", "HostState", "Intermediary", "Ngo", "Outlet"]
