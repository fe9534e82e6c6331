"""systemd/kcrashd-metrics.conf.example: a drop-in systemd accepts over the shipped unit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.packaging.conftest import REPO, unit_root  # noqa: F401  (the fixture)
from tests.packaging.test_units import verify

DROPIN = REPO / "systemd" / "kcrashd-metrics.conf.example"


def install(root: Path, text: str) -> None:
    target = root / "etc/systemd/system/kcrashd.service.d/metrics.conf"
    target.parent.mkdir(parents=True)
    target.write_text(text)


def test_metrics_dropin_verifies_clean(unit_root: Path) -> None:  # noqa: F811
    install(unit_root, DROPIN.read_text())
    result = verify(unit_root)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


@pytest.mark.parametrize("bad", ["IPAddressAlow=localhost", "IPAddressAllow=192.0.2.300"])
def test_a_broken_dropin_fails_verify(unit_root: Path, bad: str) -> None:  # noqa: F811
    install(unit_root, DROPIN.read_text().replace("IPAddressAllow=localhost", bad))
    result = verify(unit_root)
    assert result.returncode != 0 and "metrics.conf:9" in result.stderr
