"""pytest plugin: ``crash_lab``, real kernel panics with real kdump dumps.

Load it with ``pytest_plugins = ["tests.lab.fixture"]`` (root conftest) or by
importing its names into a conftest. Tests that boot guests should carry the
``lab`` marker; they are slow (about 20-60 s per crash under TCG).

When this machine cannot run the lab (not root, QEMU or a tool missing, the
kernel cannot be fetched or the module not built) the fixture skips with a
one-line reason; it never passes silently.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[2]
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from lab.build import Ingredients, prepare  # noqa: E402
from lab.crash import CrashResult, RunSettings, run_crash  # noqa: E402
from lab.errors import LabUnavailable  # noqa: E402
from lab.kernels import DEFAULT_KERNEL, kernel_named  # noqa: E402
from lab.kinds import kind_named  # noqa: E402
from lab.vm import QEMU  # noqa: E402

__all__ = ["CrashLab", "CrashResult", "crash_lab", "pytest_configure"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "lab: boots real kernels under QEMU and crashes them (slow, needs root)"
    )


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:300] if text else type(err).__name__


class CrashLab:
    """Crashes guests on demand; one instance per test session."""

    def __init__(self, logs_root: Path) -> None:
        self._logs_root = logs_root
        self._ingredients: dict[str, Ingredients] = {}
        self._count = 0

    def ingredients(self, kernel: str = DEFAULT_KERNEL) -> Ingredients:
        """Fetch/build (or reuse from the cache) what a kernel needs; skip if impossible."""
        spec = kernel_named(kernel)
        if spec.id not in self._ingredients:
            try:
                self._ingredients[spec.id] = prepare(spec, log=lambda _msg: None)
            except (LabUnavailable, OSError) as err:
                pytest.skip(f"crash lab unavailable: {_one_line(err)}")
        return self._ingredients[spec.id]

    def crash(
        self,
        kind: str,
        out_dir: Path,
        layout: str = "rhel",
        mem: str = "1G",
        cpus: int = 1,
        delay: float = 1.0,
        vmcore: bool = True,
        dmesg: bool = True,
        kernel: str = DEFAULT_KERNEL,
        dump_path: str = "",
        logs_dir: Path | None = None,
    ) -> CrashResult:
        """Crash a guest; its capture kernel writes the dump directory into out_dir.

        out_dir plays the guest's /var/crash (plus dump_path below it); console
        logs go to logs_dir (a fresh folder by default), never into out_dir.
        """
        ing = self.ingredients(kernel)
        self._count += 1
        logs = logs_dir or self._logs_root / f"{self._count:03d}-{kind}"
        return run_crash(
            ing,
            kind_named(kind),
            out_dir=Path(out_dir),
            logs_dir=logs,
            settings=RunSettings(mem=mem, cpus=cpus, delay=delay),
            layout=layout,
            vmcore=vmcore,
            dmesg=dmesg,
            dump_path=dump_path,
            log=lambda _msg: None,
        )


@pytest.fixture(scope="session")
def crash_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrashLab]:
    """The crash lab, or a skip saying why this machine cannot run it."""
    if os.geteuid() != 0:
        pytest.skip("crash lab needs root (9p dumps owned by root, apt downloads)")
    if not shutil.which(QEMU):
        pytest.skip(f"crash lab unavailable: {QEMU} not found (apt-get install qemu-system-x86)")
    yield CrashLab(tmp_path_factory.mktemp("crash-lab-logs"))
