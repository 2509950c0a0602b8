"""Files shipped with the package: the scenarios, the lesson plan and the model description.

The repository's top-level ``scenarios/`` folder and ``docs/teaching.md`` are package
data. ``pyproject.toml`` maps those folders into the package as :data:`SCENARIOS_PACKAGE`
and :data:`DOCS_PACKAGE` (``[tool.setuptools.package-dir]``; the ``__init__.py`` in each
folder makes that mapping work in editable installs too), so:

- a wheel (``pip install influence-sim``) carries them inside ``sim/``;
- an editable install (``bash setup.sh``, ``pip install -e .``) reads them where they
  are in the checkout, so there is one copy of each file.

Code reads them through this module, never relative to the repository::

    from sim.resources import shipped_scenario

    path = shipped_scenario("azerbaijan_2005_2025.yaml")  # a pathlib.Path
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path, PurePosixPath

#: The package that holds the repository's ``scenarios/`` folder.
SCENARIOS_PACKAGE = "sim._scenarios"
#: The package that holds the repository's ``docs/`` folder (only ``teaching.md`` and
#: ``ODD.md`` ship).
DOCS_PACKAGE = "sim._docs"
#: The lesson plan's file name in :data:`DOCS_PACKAGE`.
TEACHING_GUIDE = "teaching.md"
#: The model description's file name in :data:`DOCS_PACKAGE` (the pages quote its
#: limitations).
MODEL_DESCRIPTION = "ODD.md"


def scenarios_folder() -> Path:
    """Return the folder of the shipped scenarios.

    Scenario files name other files relative to themselves (``extends:
    ../azerbaijan_2005_2025.yaml``), so the folder keeps the layout of the
    repository's ``scenarios/``, subfolders included.

    Returns:
        The folder (the checkout's ``scenarios/`` in an editable install).

    Raises:
        ModuleNotFoundError: If the installation predates the package data.
        RuntimeError: If the package is not on the file system (e.g. in a zip file).
    """
    return _folder(SCENARIOS_PACKAGE)


def shipped_scenario(relative_name: str) -> Path:
    """Return the path of a shipped scenario file.

    Args:
        relative_name: The file's path relative to the repository's ``scenarios/``
            folder, with ``/`` separators: ``"minimal.yaml"``,
            ``"classroom/lesson.yaml"``, ``"sweeps/leakage_budget_grid.yaml"``.

    Returns:
        The file's path.

    Raises:
        FileNotFoundError: If no shipped scenario has that name (the message lists
            those that do).
    """
    folder = scenarios_folder()
    path = folder.joinpath(*PurePosixPath(relative_name).parts)
    if not path.is_file():
        names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.yaml"))
        raise FileNotFoundError(
            f"no shipped scenario '{relative_name}'; shipped: {', '.join(names)}"
        )
    return path


def teaching_guide() -> Path:
    """Return the path of the classroom lesson plan (the repository's ``docs/teaching.md``).

    Returns:
        The file's path. It is not checked: the classroom pack copies the file only when
        it is there.

    Raises:
        ModuleNotFoundError: If the installation predates the package data.
        RuntimeError: If the package is not on the file system (e.g. in a zip file).
    """
    return _folder(DOCS_PACKAGE) / TEACHING_GUIDE


def model_description() -> Path:
    """Return the path of the model description (the repository's ``docs/ODD.md``).

    Returns:
        The file's path (not checked: callers do without it when it is missing).

    Raises:
        ModuleNotFoundError: If the installation predates the package data.
        RuntimeError: If the package is not on the file system (e.g. in a zip file).
    """
    return _folder(DOCS_PACKAGE) / MODEL_DESCRIPTION


def _folder(package: str) -> Path:
    try:
        root = files(package)
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"{package} is missing: this installation of influence-sim predates its "
            "package data; reinstall it (bash setup.sh, or pip install -e . in the checkout)",
            name=package,
        ) from exc
    if not isinstance(root, Path):
        raise RuntimeError(f"{package} is not a folder on disk ({root!r}); install it unzipped")
    return root
