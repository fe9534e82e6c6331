"""Fingerprints change only with FINGERPRINT_VERSION: tests/core/fingerprints-vN.tsv holds the key
of every corpus log (golden cases and the production corpus) under version N.

- A key that differs from the table of the current version fails: a change of the built-in rules
  that moves a crash to another key must raise FINGERPRINT_VERSION (kcrashd/core/fingerprint.py),
  so that stores link old and new keys (docs/grouping.md, "Version migration").
- When the version goes up, the new version's table must be written (`--update-golden` writes the
  table of the current version; it adds new corpus logs and drops removed ones, and never changes
  a key already in a table), and every key of the previous version's table must be the new
  report's fingerprint or one of its `fingerprint_aliases`: history under the old key continues.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kcrashd.core import analyze
from kcrashd.core.fingerprint import CORRUPTED_CULPRIT, FINGERPRINT_VERSION, fingerprint_key, report_key
from kcrashd.core.model import Report
from tests.core.corpus_score import PRODUCTION, production_index
from tests.core.golden import golden_cases

HERE = Path(__file__).resolve().parent


def table_path(version: int) -> Path:
    return HERE / f"fingerprints-v{version}.tsv"


def corpus() -> Iterator[tuple[str, bytes]]:
    """(name, log) of every corpus log."""
    for case in golden_cases():
        yield case.name, case.data()
    for row in production_index():
        yield f"production/{row['file']}", (PRODUCTION / row["file"]).read_bytes()


def read_table(path: Path) -> dict[str, str]:
    rows = [line.split("\t") for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return {name: key for name, key in rows}


def write_table(path: Path, keys: dict[str, str]) -> None:
    head = f"# kcrashd fingerprint version {FINGERPRINT_VERSION}: the key of every corpus log (tests/core/test_fingerprint_table.py)\n"
    path.write_text(head + "".join(f"{name}\t{key}\n" for name, key in sorted(keys.items())))


# Earlier keys a version drops on purpose, each with why (CHANGELOG says so too): version 3 read
# powerpc's fault headers (arch/powerpc/mm/fault.c __bad_page_fault: `BUG: Kernel NULL pointer
# dereference on write at 0x..`, `BUG: Unable to handle kernel data access ...`) with the generic
# `BUG:` row, so its keys hashed the faulting address's class and the syscall layer as culprit;
# version 4 reads them as the null-deref/paging-fault rows with the NIP function. No version-4 report
# can rebuild that title, so these ppc64 crashes start a new history.  Version 3 took s390's stack
# overflow (arch/s390/kernel/traps.c kernel_stack_overflow: `Kernel stack overflow.`, then
# panic("Corrupt kernel stack, can't continue.")) for a bare panic whose title names no function: every
# s390 stack overflow shared that key, so listing it as an alias would merge them all again.  Version 3
# took a driver's `CAM_INFO: ...` notice for an `INFO:` report (events._NEEDS_SIGNATURE): that log holds no
# crash, and a log without a crash has no key to continue; likewise for a log whose only header was
# in a syslog line of another program (normalize.parse_line: only the lines tagged `kernel` are the kernel's).
DROPPED: dict[int, dict[str, str]] = {
    3: {
        "kc3-5183ee783d5fbc7c": "kernel panic: Corrupt kernel stack, can't continue.",
        "kc3-473829a3f8b9caac": "BUG: Kernel NULL pointer dereference on write at ADDR in proc_reg_write",
        "kc3-4ebdf139cbb64434": "BUG: Unable to handle kernel data access on write at ADDR in lab_write",
        "kc3-18d3a7fd2acaa214": "BUG: Unable to handle kernel data access at ADDR in lab_write",
        "kc3-3ff8992d47fc0651": "BUG: Unable to handle kernel data access on write at ADDR in proc_reg_write",
        "kc3-1d21ccffdd22a1ca": "INFO: CAM-ISP: cam_isp_dev_probe: NUM Camera ISP probe complete",
        # another program's syslog line (its tag is not `kernel`) quoting a header: no crash, no key to continue
        "kc3-95f9b2ee05d5c1b7": "a syslog line of a program other than the kernel",
    }
}


# Keys a version drops by a rule rather than one by one: version 7 keys a report whose title names no culprit and
# whose header names no site on its header's words (fingerprint.REPORT_KEYED); version 6 keyed every such report
# of a kind on its title, a key shared by every culprit-less crash of that kind (a false merge, whether or not the
# corpus holds two of them), so it is not listed as an alias (fingerprint.fingerprint_aliases).
def dropped_by_rule(version: int, key: str, report: Report) -> bool:
    """Whether `key` of `version` is one the next version drops by its rule (above)."""
    if version != 6 or report_key(report.title, report.alt_titles) is None:
        return False
    text = fingerprint_key(report.title, report.alt_titles, version=6)
    return text.endswith(CORRUPTED_CULPRIT) and key == "kc6-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def split_keys(old: dict[str, str], reports: dict[str, Report]) -> set[str]:
    """Earlier keys the new version splits: logs that shared one now have different keys. Such a key
    was a false merge, and listing it as an alias would merge them again through the store's
    re-keying, so it is the one kind of key a version may drop."""
    now: dict[str, set[str]] = {}
    for name, key in old.items():
        if key and name in reports:
            now.setdefault(key, set()).add(reports[name].fingerprint)
    return {key for key, keys in now.items() if len(keys) > 1}


def lost_keys(old: dict[str, str], reports: dict[str, Report]) -> dict[str, str]:
    """The keys of an earlier table that the report of the same log neither has nor lists as an
    alias, but for the false merges the new version splits."""
    split = split_keys(old, reports)
    return {
        name: key for name, key in old.items()
        if key and name in reports and key not in split
        and key not in (reports[name].fingerprint, *reports[name].fingerprint_aliases)
    }  # fmt: skip


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    return {name: analyze(data, source=name) for name, data in corpus()}


def test_keys_change_only_with_the_version(reports: dict[str, Report], update_golden: bool) -> None:
    path = table_path(FINGERPRINT_VERSION)
    keys = {name: report.fingerprint for name, report in reports.items()}
    table = read_table(path) if path.exists() else None
    if table is not None:
        changed = {name: (table[name], key) for name, key in keys.items() if name in table and table[name] != key}
        assert not changed, (
            f"fingerprints changed without a FINGERPRINT_VERSION change ({len(changed)}; raise it in "
            f"kcrashd/core/fingerprint.py and list the old keys as aliases): {dict(list(changed.items())[:10])}"
        )
    if update_golden:
        write_table(path, keys)
        return
    assert table is not None, f"{path.name} missing: FINGERPRINT_VERSION went up? run pytest {__file__} --update-golden"
    assert table.keys() == keys.keys(), f"corpus logs added or removed: run pytest {__file__} --update-golden"


def test_the_previous_versions_keys_are_aliases(reports: dict[str, Report]) -> None:
    earlier = sorted(int(p.stem.removeprefix("fingerprints-v")) for p in HERE.glob("fingerprints-v*.tsv"))
    earlier = [v for v in earlier if v < FINGERPRINT_VERSION]
    if not earlier:
        pytest.skip(f"no table of a version before {FINGERPRINT_VERSION}: nothing to migrate from")
    lost = lost_keys(read_table(table_path(earlier[-1])), reports)
    lost = {name: key for name, key in lost.items()
            if key not in DROPPED.get(earlier[-1], {}) and not dropped_by_rule(earlier[-1], key, reports[name])}  # fmt: skip
    assert not lost, f"keys of version {earlier[-1]} that no report lists as an alias ({len(lost)}): {dict(list(lost.items())[:10])}"


def test_the_table_format(tmp_path: Path) -> None:
    """The table is read back as written (the check above cannot pass by reading nothing)."""
    path = tmp_path / "t.tsv"
    write_table(path, {"seed/a": "kc3-0123456789abcdef", "lab/b/console.log": ""})
    assert read_table(path) == {"seed/a": "kc3-0123456789abcdef", "lab/b/console.log": ""}


def test_a_key_no_alias_covers_is_lost(reports: dict[str, Report]) -> None:
    """The migration check on a made-up version-2 table: the version-2 key of `X in corrupted` that
    version 3 lists is covered; a key no version gave is not."""
    old = {"edge/exec-nx": "kc2-" + reports["edge/exec-nx"].fingerprint_aliases[0].split("-", 1)[1],
           "seed/rhel8-sysrq": "kc2-00000000deadbeef"}  # fmt: skip
    assert lost_keys(old, reports) == {"seed/rhel8-sysrq": "kc2-00000000deadbeef"}


def test_a_split_false_merge_may_drop_its_key(reports: dict[str, Report]) -> None:
    """Two logs of different bugs that shared a made-up earlier key: the key is split, not lost; one
    log alone under a key the new version does not list is lost."""
    old = {"edge/exec-nx": "kc2-00000000000000aa", "seed/rhel8-sysrq": "kc2-00000000000000aa",
           "edge/oom-panic": "kc2-00000000000000bb"}  # fmt: skip
    assert split_keys(old, reports) == {"kc2-00000000000000aa"}
    assert lost_keys(old, reports) == {"edge/oom-panic": "kc2-00000000000000bb"}

