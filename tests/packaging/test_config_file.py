"""etc/kcrashd/kcrashd.toml: equal to the built-in defaults and naming every setting."""

from __future__ import annotations

import re
import tomllib
import types
import typing
from typing import Any

from pydantic import BaseModel

from kcrashd.config import Config, load_config
from tests.packaging.conftest import REPO

SHIPPED = REPO / "etc/kcrashd/kcrashd.toml"


def model_class(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds directly (a nested table), or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def list_of_models(annotation: Any) -> bool:
    """list[Model] or list[Annotated[A | B, ...]]: written as [[table]] entries."""
    if typing.get_origin(annotation) is not list:
        return False
    (item,) = typing.get_args(annotation)
    if typing.get_origin(item) is typing.Annotated:
        item = typing.get_args(item)[0]
    members = typing.get_args(item) if typing.get_origin(item) in (typing.Union, types.UnionType) else (item,)
    return all(model_class(m) is not None for m in members)


def missing_settings(model: type[BaseModel], table: dict[str, Any], text: str, prefix: str) -> list[str]:
    """Every field of the model, recursively, that the file does not name."""
    missing: list[str] = []
    for name, field in model.model_fields.items():
        dotted = f"{prefix}{name}"
        nested = model_class(field.annotation)
        if nested is not None:
            if not isinstance(table.get(name), dict):
                missing.append(f"[{dotted}]")
            else:
                missing.extend(missing_settings(nested, table[name], text, dotted + "."))
        elif list_of_models(field.annotation):
            # none by default: a commented example table shows the shape
            if name not in table and not re.search(rf"^#\s*\[\[{re.escape(dotted)}\]\]", text, re.M):
                missing.append(f"[[{dotted}]]")
        elif name not in table:
            missing.append(dotted)
    return missing


def unknown_keys(model: type[BaseModel], table: dict[str, Any], prefix: str = "") -> list[str]:
    extra = [f"{prefix}{k}" for k in table if k not in model.model_fields]
    for name, field in model.model_fields.items():
        nested = model_class(field.annotation)
        if nested is not None and isinstance(table.get(name), dict):
            extra.extend(unknown_keys(nested, table[name], f"{prefix}{name}."))
    return extra


def test_shipped_file_equals_defaults() -> None:
    data = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))
    assert Config.model_validate(data) == Config()
    assert load_config(SHIPPED) == Config()


def test_shipped_file_names_every_setting() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert missing_settings(Config, data, text, "") == []
    assert unknown_keys(Config, data) == []


def test_every_setting_has_a_comment() -> None:
    """Each key line follows a comment line or another key of the same commented group."""
    lines = SHIPPED.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^[A-Za-z_]+\s*=", line):
            before = number - 1
            while before >= 0 and re.match(r"^[A-Za-z_]+\s*=", lines[before]):
                before -= 1
            assert before >= 0 and lines[before].startswith("#"), f"line {number + 1}: {line}"


def test_the_walk_finds_a_missing_setting() -> None:
    """The check above can fail: drop one nested key and it is reported."""
    text = SHIPPED.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    del data["sources"]["settle_seconds"]
    assert missing_settings(Config, data, text, "") == ["sources.settle_seconds"]
