#!/usr/bin/env python3
"""The `bundled(python3dist(NAME)) = VERSION` provides of the RPM's bundled variant (EL8/EL9),
one per distribution its private venv carries (Fedora's bundling guidelines).

    bundled-provides.py vendor DIR   from the wheels and sdists scripts/build-rpm.sh downloaded
    bundled-provides.py installed    from what the running interpreter (the venv's) has installed

The spec reads the first as Source2 and compares it with the second in %install, so a list
that does not match the venv fails the build. kcrashd itself and the build tools (pip,
setuptools, wheel; removed from the venv or never installed there) are left out.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

NOT_BUNDLED = {"kcrashd", "pip", "setuptools", "wheel"}
SDIST = re.compile(r"^(?P<name>.+)-(?P<version>[0-9][^-]*)\.(?:tar\.gz|zip)$")


def canonical(name: str) -> str:
    """The python3dist() spelling of a distribution name (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def from_vendor(folder: Path) -> dict[str, str]:
    found = {}
    for path in folder.iterdir():
        if path.name.endswith(".whl"):
            name, version = path.name.split("-")[:2]
        elif (match := SDIST.match(path.name)) is not None:
            name, version = match.group("name"), match.group("version")
        else:
            continue
        found[canonical(name)] = version
    return found


def from_installed() -> dict[str, str]:
    from importlib.metadata import distributions

    return {canonical(d.metadata["Name"]): d.version for d in distributions()}


def provides(found: dict[str, str]) -> list[str]:
    return [f"bundled(python3dist({name})) = {found[name]}" for name in sorted(found) if name not in NOT_BUNDLED]


def main(argv: list[str]) -> int:
    if argv[:1] == ["vendor"] and len(argv) == 2:
        found = from_vendor(Path(argv[1]))
    elif argv == ["installed"]:
        found = from_installed()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print("\n".join(provides(found)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
