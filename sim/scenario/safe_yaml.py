"""Reading what a user typed as YAML: safe, bounded, and failing only in known ways.

Scenario files, sweep files, their ``extends`` bases and ``--set`` values all go
through here. Nothing a file holds can run code (the safe loader builds no objects),
block (only regular files are read, never a FIFO, a device or a file under ``/proc``),
exhaust memory (files are at most :data:`MAX_FILE_BYTES`; documents at most
:data:`MAX_DEPTH` levels deep and :data:`MAX_VALUES` values once aliases are expanded)
or escape as anything but :class:`yaml.YAMLError` (an impossible date such as
``2021-02-29`` is kept as its text, for the schema to refuse with the field's path).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

#: Largest scenario or sweep file read, in bytes.
MAX_FILE_BYTES = 10 * 2**20
#: Deepest nesting of mappings and lists accepted (scenarios need fewer than 10 levels).
MAX_DEPTH = 64
#: Most values a document may hold once its aliases are expanded (a "billion laughs" guard).
MAX_VALUES = 1_000_000
#: Pseudo-file systems whose "regular" files may block or never end.
_SYSTEM_FOLDERS = (Path("/proc"), Path("/sys"), Path("/dev"))


class UnreadableFileError(Exception):
    """A file that cannot be read as a scenario or sweep file; the message says why."""


class SafeUniqueLoader(yaml.SafeLoader):
    """The safe loader (no object construction from tags) refusing duplicate mapping keys.

    Plain PyYAML keeps the last of two equal keys silently, so a value stated twice
    would quietly lose one of them. A value PyYAML cannot build (an integer of thousands
    of digits) becomes a :class:`yaml.constructor.ConstructorError` with its line, and
    an impossible date stays text (see :meth:`construct_yaml_timestamp`).
    """

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Build one value; a value Python refuses becomes a YAML error at its line."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            text = str(node.value) if isinstance(node, yaml.ScalarNode) else node.tag
            shown = text if len(text) <= 40 else f"{text[:40]}... ({len(text):,} characters)"
            why = str(exc).partition(";")[0]  # not Python's advice on raising its limits
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read value '{shown}': {why}", node.start_mark
            ) from None

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date or timestamp; an impossible one (``2021-02-29``) stays its text.

        The schema then refuses the text where a date is expected, naming the field.
        """
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing a key stated twice (``<<`` merge keys excepted)."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<' merge keys may legitimately be overridden
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable: the base constructor reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"duplicate key '{key}'",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


SafeUniqueLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", SafeUniqueLoader.construct_yaml_timestamp
)


def load_text(text: str) -> Any:
    """Parse YAML text with :class:`SafeUniqueLoader` and check its size and shape.

    Args:
        text: The YAML text.

    Returns:
        The document (plain dicts, lists and scalars).

    Raises:
        yaml.YAMLError: On anything wrong with it, including nesting too deep for the
            parser, a structure that contains itself, or too many values.
    """
    try:
        doc = yaml.load(text, Loader=SafeUniqueLoader)  # a SafeLoader: builds no objects
    except RecursionError:
        raise yaml.YAMLError(f"nested more than {MAX_DEPTH} levels deep") from None
    check_shape(doc)
    return doc


def check_shape(doc: Any) -> None:
    """Refuse a document nested too deeply, containing itself, or too large once expanded.

    Aliases make a document a graph: each distinct list or mapping is visited once, and
    the expanded size is counted with what each shared part holds.

    Raises:
        yaml.YAMLError: Saying which limit was passed.
    """
    depth: dict[int, int] = {}
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(doc, False)]
    while stack:
        node, done = stack.pop()
        if not isinstance(node, dict | list):
            continue
        key = id(node)
        children = [
            c
            for c in (node.values() if isinstance(node, dict) else node)
            if isinstance(c, dict | list)
        ]
        scalars = len(node) - len(children)
        if done:
            on_path.discard(key)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            size[key] = 1 + scalars + sum(size[id(c)] for c in children)
            if depth[key] > MAX_DEPTH:
                raise yaml.YAMLError(f"nested more than {MAX_DEPTH} levels deep")
            if size[key] > MAX_VALUES:
                raise yaml.YAMLError(
                    f"holds more than {MAX_VALUES:,} values once its aliases are expanded"
                )
            continue
        if key in size:
            continue
        if key in on_path:
            raise yaml.YAMLError("an alias refers to a mapping or list that contains it")
        on_path.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in on_path:
                raise yaml.YAMLError("an alias refers to a mapping or list that contains it")
            if id(child) not in size:
                stack.append((child, False))


def file_problem(path: Path) -> str | None:
    """Why a file cannot be read as a scenario or sweep file, or None if it looks readable.

    Only regular files of at most :data:`MAX_FILE_BYTES` outside ``/proc``, ``/sys`` and
    ``/dev`` are read: a FIFO, a device or a kernel file could block forever or never end.

    Args:
        path: The file.

    Returns:
        A short reason (``"no such file"``, ``"not a regular file"``...), or None.
    """
    try:
        resolved = path.resolve()
        info = resolved.stat()
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    except (ValueError, RuntimeError) as exc:  # a NUL byte in the name, a symlink loop
        return f"not a usable file name ({exc})"
    if stat.S_ISDIR(info.st_mode):
        return "a folder, not a file"
    if not stat.S_ISREG(info.st_mode) or any(resolved.is_relative_to(p) for p in _SYSTEM_FOLDERS):
        return "not a regular file"
    if info.st_size > MAX_FILE_BYTES:
        return f"{info.st_size:,} bytes; at most {MAX_FILE_BYTES // 2**20} MiB is read"
    return None


def read_text(path: Path) -> str:
    """Read a scenario or sweep file's text, if :func:`file_problem` allows it.

    The file is opened without blocking and read up to the size limit, so a file that
    changes into something else between the check and the read cannot hang or flood.

    Args:
        path: The file.

    Returns:
        Its text.

    Raises:
        UnreadableFileError: Saying why it cannot be read.
    """
    problem = file_problem(path)
    if problem is not None:
        raise UnreadableFileError(problem)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise UnreadableFileError("not a regular file")
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UnreadableFileError(exc.strerror or type(exc).__name__) from None
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFileError(f"more than {MAX_FILE_BYTES // 2**20} MiB; at most that is read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableFileError("file is not UTF-8 text") from None
