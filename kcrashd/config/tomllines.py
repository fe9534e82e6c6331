"""Where each key of a TOML text is written, so that a configuration error names `file:line`.

Best effort, line by line: table headers (`[a.b]`), arrays of tables (`[[a.b]]`, their entries
numbered from 0 as validation errors number them) and keys (`k = ...`, dotted keys too). Lines
inside multi-line strings may add paths that do not exist; they never hide one that does.
"""

from __future__ import annotations

from pathlib import Path

KeyPath = tuple[str | int, ...]


def split_key(raw: str) -> tuple[str, ...]:
    """`a.b."c"` -> ("a", "b", "c"); best effort (a quoted key holding a dot is split too)."""
    return tuple(part.strip().strip("\"'") for part in raw.split("."))


def key_lines(text: str) -> dict[KeyPath, int]:
    """The line of every table header and key of a TOML text, by path (the first line wins)."""
    lines: dict[KeyPath, int] = {}
    arrays: dict[tuple[str, ...], int] = {}
    table: KeyPath = ()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("[["):
            name = split_key(line[2 : line.find("]]")])
            arrays[name] = arrays.get(name, -1) + 1
            table = (*within_arrays(name[:-1], arrays), name[-1], arrays[name])
        elif line.startswith("["):
            table = within_arrays(split_key(line[1 : line.find("]")]), arrays)
        elif "=" in line and not line.startswith("#"):
            lines.setdefault((*table, *split_key(line.split("=", 1)[0])), number)
            continue
        else:
            continue
        lines.setdefault(table, number)
    return lines


def within_arrays(name: tuple[str, ...], arrays: dict[tuple[str, ...], int]) -> KeyPath:
    """A table name with the current entry of each array of tables it lies in."""
    path: list[str | int] = []
    for depth, part in enumerate(name, 1):
        path.append(part)
        if name[:depth] in arrays:
            path.append(arrays[name[:depth]])
    return tuple(path)


def line_of(lines: dict[KeyPath, int], loc: KeyPath) -> tuple[int, int | None]:
    """How many parts of an error location the file holds, and the line of the deepest one.
    Parts the file cannot hold (a union member's tag, an index into a plain array) are skipped."""
    prefixes = {key[:n] for key in lines for n in range(1, len(key) + 1)}
    path: KeyPath = ()
    depth, line = 0, None
    for part in loc:
        if (*path, part) in prefixes:
            path = (*path, part)
            depth += 1
            line = lines.get(path, line)
    return depth, line


def locate(sources: list[tuple[Path, str]], loc: KeyPath) -> str | None:
    """`file:line` of the setting an error location names: the last file that sets most of it."""
    best: tuple[int, Path, int | None] | None = None
    for file, text in sources:
        depth, line = line_of(key_lines(text), loc)
        if depth and (best is None or depth >= best[0]):
            best = (depth, file, line)
    if best is None:
        return None
    return f"{best[1]}:{best[2]}" if best[2] else str(best[1])
