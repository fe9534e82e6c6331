"""Rust symbol names as people read them: `_RNvMs_NtCs1a_11rust_binder7processNtB4_7Process10update_ref`
-> `<rust_binder::process::Process>::update_ref`.

kallsyms keeps the compiler's v0-mangled names (the Rust symbol-mangling RFC 2603 grammar), so a
Rust kernel's call trace prints them raw, with per-build crate hashes (`Cs1a_`) that would make
every build's culprit different.  Only what a culprit needs is read: crate roots, nested paths,
inherent and trait impls, back-references, references and the basic types; anything else (generic
arguments, arrays, function types) leaves the name as printed.  Nesting is bounded (MAX_DEPTH): a
hostile name cannot recurse without end.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_DEPTH = 24
_BASIC = {
    "a": "i8", "b": "bool", "c": "char", "d": "f64", "e": "str", "f": "f32", "h": "u8", "i": "isize",
    "j": "usize", "l": "i32", "m": "u32", "n": "i128", "o": "u128", "s": "i16", "t": "u16", "u": "()",
    "v": "...", "x": "i64", "y": "u64", "z": "!", "p": "_",
}
_NAMESPACES = {"C": "closure", "S": "shim"}
_BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class _Unreadable(Exception):
    """The name uses a production this reader does not know."""


@dataclass
class _Reader:
    text: str
    pos: int = 0
    depth: int = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        ch = self.peek()
        if not ch:
            raise _Unreadable
        self.pos += 1
        return ch

    def base62(self) -> int:
        """`_` is 0, `<digits>_` is digits + 1."""
        if self.peek() == "_":
            self.pos += 1
            return 0
        value = 0
        while (ch := self.take()) != "_":
            digit = _BASE62.find(ch)
            if digit < 0:
                raise _Unreadable
            value = value * 62 + digit
        return value + 1

    def disambiguator(self) -> None:
        if self.peek() == "s":
            self.pos += 1
            self.base62()

    def ident(self) -> str:
        self.disambiguator()
        if self.peek() == "u":
            raise _Unreadable  # punycode
        start = self.pos
        while self.peek().isdigit():
            self.pos += 1
        if start == self.pos:
            raise _Unreadable
        size = int(self.text[start : self.pos])
        if self.peek() == "_":
            self.pos += 1
        name = self.text[self.pos : self.pos + size]
        if len(name) != size:
            raise _Unreadable
        self.pos += size
        return name


def _back(r: _Reader) -> _Reader:
    """`B<base62>_`: a reader at the offset (of the text after `_R`) of what was already read."""
    target = r.base62()
    if target >= r.pos:
        raise _Unreadable
    return _Reader(r.text, target, r.depth + 1)


def _path(r: _Reader) -> str:
    r.depth += 1
    if r.depth > MAX_DEPTH:
        raise _Unreadable
    tag = r.take()
    if tag == "C":
        return r.ident()
    if tag == "N":
        namespace = r.take()
        parent = _path(r)
        name = r.ident()
        if namespace in _NAMESPACES:
            return f"{parent}::{{{_NAMESPACES[namespace]}}}"
        return f"{parent}::{name}"
    if tag == "M":
        r.disambiguator()
        _path(r)
        return f"<{_type(r)}>"
    if tag in "XY":
        if tag == "X":
            r.disambiguator()
            _path(r)
        self_type = _type(r)
        return f"<{self_type} as {_path(r)}>"
    if tag == "B":
        return _path(_back(r))
    if tag == "I":
        generic = _path(r)
        args = []
        while r.peek() != "E":
            if r.peek() == "L":
                r.pos += 1
                r.base62()
                continue
            args.append(_type(r))
        r.pos += 1
        return f"{generic}<{', '.join(args)}>"
    raise _Unreadable


def _type(r: _Reader) -> str:
    r.depth += 1
    if r.depth > MAX_DEPTH:
        raise _Unreadable
    ch = r.peek()
    if not ch:
        raise _Unreadable
    if ch in _BASIC:
        r.pos += 1
        return _BASIC[ch]
    if ch in "RQ":
        r.pos += 1
        if r.peek() == "L":
            r.pos += 1
            r.base62()
        return ("&" if ch == "R" else "&mut ") + _type(r)
    if ch == "B":
        r.pos += 1
        return _type(_back(r))
    if ch in "CNMXYI":
        return _path(r)
    raise _Unreadable


def readable(name: str) -> str | None:
    """The readable path of a v0-mangled Rust symbol (`_R...`), or None if it is not one this reads."""
    if name.startswith("__cfi_"):
        name = name[6:]
    if not name.startswith("_R") or len(name) > 1024:
        return None
    r = _Reader(name[2:].split(".", 1)[0])
    try:
        return _path(r)
    except (_Unreadable, ValueError):
        return None
