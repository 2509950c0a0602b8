"""The classroom pack: an offline, interactive lesson on where an influence budget goes.

:func:`build_classroom` runs the lesson scenario over a grid of slider settings and
writes a folder with one self-contained HTML page (see ``docs/teaching.md``).
"""

from sim.classroom.build import DEFAULT_OUT, ClassroomPack, build_classroom, compute_grid
from sim.classroom.grid import FULL_GRID, SMALL_GRID, Grid

__all__ = [
    "DEFAULT_OUT",
    "FULL_GRID",
    "SMALL_GRID",
    "ClassroomPack",
    "Grid",
    "build_classroom",
    "compute_grid",
]
