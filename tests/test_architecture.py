"""The map of docs/architecture.md, held to the code: every import of a kcrashd module points the
way the table allows, only the store part speaks SQL, and no function in kcrashd/ is over 60 lines
(docstring included)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "kcrashd"
MAX_LINES = 60

# Which part each module belongs to: the longest matching prefix wins (docs/architecture.md, "The parts").
# Each part is a folder of kcrashd/ (FOLDERS); only the modules named here live at the package's root.
PARTS = {
    "kcrashd": "model",
    "kcrashd.core": "core",
    "kcrashd.model": "model",
    "kcrashd.config": "settings",
    "kcrashd.triage": "triage",
    "kcrashd.sources": "sources",
    "kcrashd.store": "store",
    "kcrashd.sinks": "sinks",
    "kcrashd.daemon": "daemon",
    "kcrashd.cli": "cli",
    "kcrashd.__main__": "cli",
    "kcrashd.pipeline": "pipeline",
    "kcrashd.retriage": "pipeline",
}

# Which parts each part may import (docs/architecture.md, "Which way imports point"), itself included.
BELOW = ("core", "model", "settings")
ALLOWED = {
    "core": {"core"},
    "model": {"core", "model"},
    "settings": {"core", "model", "settings"},
    "triage": {*BELOW, "triage"},
    "sources": {*BELOW, "sources"},
    "store": {*BELOW, "store"},
    "sinks": {*BELOW, "store", "sinks"},
    "pipeline": {*BELOW, "triage", "sources", "store", "sinks", "pipeline"},
    "daemon": {*BELOW, "triage", "sources", "store", "sinks", "pipeline", "daemon"},
    "cli": {*BELOW, "triage", "sources", "store", "sinks", "pipeline", "daemon", "cli"},
}

# Functions still over the limit, to be split by their owners: this list only shrinks (a function
# that fits is an error until it is taken off the list).
TOO_LONG = {
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    best = max((prefix for prefix in PARTS if module == prefix or module.startswith(prefix + ".")), key=len)
    return PARTS[best]


def imports_of(tree: ast.AST) -> list[tuple[int, str]]:
    """Every kcrashd module imported anywhere in the file (TYPE_CHECKING and function level too)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.split(".")[0] == "kcrashd":
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "kcrashd"]
    return found


def wrong_way(source: str, module: str) -> list[str]:
    """The imports of one module's source that point where the table does not allow."""
    part = part_of(module)
    return [
        f"{module}:{line} ({part}) imports {target} ({part_of(target)})"
        for line, target in imports_of(ast.parse(source))
        if part_of(target) not in ALLOWED[part]
    ]


def long_functions(source: str, relative: str) -> dict[str, int]:
    """`file:Class.function` -> lines, for every function over MAX_LINES (def line to last line)."""
    found: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (child.end_lineno or child.lineno) - child.lineno + 1
                if lines > MAX_LINES:
                    found[f"{relative}:{prefix}{child.name}"] = lines
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")

    visit(ast.parse(source), "")
    return found


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_part() -> None:
    """A new module is placed in the table (and in the doc), not left to the package's part."""
    unplaced = [
        module for module in map(module_name, sources())
        if module != "kcrashd" and not any(module == p or module.startswith(p + ".") for p in PARTS if p != "kcrashd")
    ]  # fmt: skip
    assert not unplaced, f"modules missing from PARTS (and docs/architecture.md): {unplaced}"


def test_imports_point_the_way_the_map_allows() -> None:
    bad = [err for path in sources() for err in wrong_way(path.read_text(), module_name(path))]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("kcrashd.core.model", "from kcrashd.store.database import Store"),
        ("kcrashd.store.database", "import kcrashd.pipeline"),
        ("kcrashd.config.settings", "from kcrashd.sinks.alerting.outbox import enqueue"),
        ("kcrashd.sinks.alerting.policy", "if TYPE_CHECKING:\n    from kcrashd.daemon.service import Daemon"),
        ("kcrashd.sources.units", "def f():\n    from kcrashd.sinks.journal import MESSAGE_ID"),
    ],
)
def test_a_wrong_way_import_is_caught(module: str, source: str) -> None:
    assert wrong_way(source, module)


def test_functions_fit_in_60_lines() -> None:
    found: dict[str, int] = {}
    for path in sources():
        found |= long_functions(path.read_text(), str(path.relative_to(PACKAGE)))
    new = {name: lines for name, lines in found.items() if name not in TOO_LONG}
    assert not new, f"functions over {MAX_LINES} lines: {new}"
    fixed = TOO_LONG - found.keys()
    assert not fixed, f"now within {MAX_LINES} lines: take them off TOO_LONG: {sorted(fixed)}"


def test_the_length_check_counts_the_docstring() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES - 2))  # def + docstring + body = 60
    fits = f'def f():\n    """Doc."""\n{body}\n'
    assert long_functions(fits, "m.py") == {}
    assert long_functions(fits.replace('"""Doc."""', '"""Doc.\n\n    More."""'), "m.py") == {"m.py:f": MAX_LINES + 2}


# Class names defined twice in kcrashd/, to be renamed by their owners: this list only shrinks.
SHARED_NAMES = {"Event": 2}  # core/model.py (a survived event) and core/events.py (a report's lines)


def test_class_names_are_unique() -> None:
    """Two unrelated classes with one name (there were two `Sender`s and two `Outcome`s) make
    readers and grep guess which is meant."""
    seen: dict[str, list[str]] = {}
    for path in sources():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                seen.setdefault(node.name, []).append(str(path.relative_to(PACKAGE)))
    twice = {name: len(paths) for name, paths in seen.items() if len(paths) > 1}
    assert twice == SHARED_NAMES, {name: seen[name] for name in twice.keys() ^ SHARED_NAMES.keys()}


SQL_CALLS = {"execute", "executemany", "executescript"}


def under_type_checking(tree: ast.AST) -> set[ast.AST]:
    """The statements inside `if TYPE_CHECKING:` blocks (imports there are type hints only)."""
    hidden: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            hidden |= {inner for stmt in node.body for inner in ast.walk(stmt)}
    return hidden


def sql_uses(source: str) -> list[str]:
    """Where a module runs SQL: a call of `.execute(` and its siblings, or `sqlite3` imported
    other than for type hints."""
    tree = ast.parse(source)
    hints = under_type_checking(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
            found.append(f"{node.lineno}: .{node.func.attr}(")
        elif node in hints:
            continue
        elif isinstance(node, ast.Import) and any(alias.name == "sqlite3" for alias in node.names):
            found.append(f"{node.lineno}: import sqlite3")
        elif isinstance(node, ast.ImportFrom) and node.module == "sqlite3":
            found.append(f"{node.lineno}: from sqlite3 import")
    return found


def test_only_the_store_speaks_sql() -> None:
    """One store: the state database is read and written through the store part's modules only
    (docs/architecture.md, "The parts"); no module elsewhere runs SQL or imports sqlite3 but for
    type hints."""
    found = {
        module: uses for path in sources()
        if part_of(module := module_name(path)) != "store" and (uses := sql_uses(path.read_text()))
    }  # fmt: skip
    assert not found, f"SQL outside the store part: {found}"


@pytest.mark.parametrize(
    ("source", "speaks"),
    [
        ('def f(conn):\n    conn.execute("SELECT 1")', True),
        ("def f(conn):\n    conn.executescript(DDL)", True),
        ("import sqlite3", True),
        ("from sqlite3 import Connection", True),
        ("if TYPE_CHECKING:\n    import sqlite3", False),
        ("from kcrashd.store.alert_tables import OutboxLeases\nleases.claim([], 0.0, 0.0, 0.0)", False),
    ],
)
def test_sql_outside_the_store_is_caught(source: str, speaks: bool) -> None:
    assert bool(sql_uses(source)) is speaks


# The folder of each part under kcrashd/ ("" = the package's root, where only the pipeline lives,
# beside the package itself and `python -m kcrashd`'s __main__, AT_ROOT whatever their part).
FOLDERS = {
    "core": "core",
    "model": "model",
    "settings": "config",
    "triage": "triage",
    "sources": "sources",
    "store": "store",
    "sinks": "sinks",
    "pipeline": "",
    "daemon": "daemon",
    "cli": "cli",
}
AT_ROOT = {"kcrashd", "kcrashd.__main__"}


def misplaced(module: str, where: str) -> bool:
    """Whether a module, in folder `where` of kcrashd/ ("" = the root), is outside its part's folder."""
    folder = FOLDERS[part_of(module)]
    if module in AT_ROOT:
        return where != ""
    return where != folder and not (folder and where.startswith(folder + "/"))


def test_each_part_lives_in_its_folder() -> None:
    """The folders show the parts: a module sits in the folder of the part PARTS gives it."""
    found = [
        f"{module} ({part_of(module)}) belongs in kcrashd/{FOLDERS[part_of(module)]}"
        for path in sources()
        if misplaced(module := module_name(path), "/".join(path.relative_to(PACKAGE).parts[:-1]))
    ]
    assert not found, found


@pytest.mark.parametrize(
    ("module", "where", "wrong"),
    [
        ("kcrashd.store.database", "store", False),
        ("kcrashd.sinks.alerting.targets.webhook", "sinks/alerting/targets", False),
        ("kcrashd.pipeline", "", False),
        ("kcrashd.__main__", "", False),
        ("kcrashd.daemon.service", "", True),  # a daemon module left at the root
        ("kcrashd.cli.database", "store", True),  # PARTS says cli, the file is in store/
    ],
)
def test_a_module_outside_its_folder_is_caught(module: str, where: str, wrong: bool) -> None:
    assert misplaced(module, where) is wrong
