"""Regenerating tests/corpus/lab: every kernel x kind x run variant.

Each case keeps the crashed kernel's serial console log and the dump's
vmcore-dmesg.txt (never the vmcore, which is tens of MB); manifest.json
records what was expected, what came out and how long it took.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .build import Ingredients, Log, cache_root, prepare
from .crash import PAIR, VARIANTS, CrashResult, RunSettings, run_crash
from .errors import LabUnavailable
from .kernels import KernelSpec
from .kinds import Kind
from .vm import MAX_GUESTS, select_accel

MANIFEST = "manifest.json"
ATTEMPTS = 2


def case_name(spec: KernelSpec, kind: Kind, run: int) -> str:
    """One flat folder per case, e.g. deb12-6.1_null-deref_run1."""
    return f"{spec.id}_{kind.name}_run{run}"


def _settings(settings: RunSettings) -> dict[str, Any]:
    """The run's settings as the manifest records them; a named profile adds its boot setup."""
    entry: dict[str, Any] = {"mem": settings.mem, "cpus": settings.cpus, "delay_s": settings.delay}
    if settings.profile != RunSettings.profile:
        entry |= {"profile": settings.profile, "sysctls": list(settings.sysctls),
                  "cmdline": settings.cmdline}  # fmt: skip
    if settings.busy:
        entry["busy_loops"] = settings.busy
    return entry


def _entry(case: str, result: CrashResult, attempts: int) -> dict[str, Any]:
    files = {"console_log": f"{case}/console.log"}
    if result.dmesg is not None:
        files["vmcore_dmesg"] = f"{case}/vmcore-dmesg.txt"
    return {
        "case": case,
        "kind": result.kind,
        "expected_class": result.expected_class,
        "expected_function": result.expected_function,
        "kernel": result.kernel,
        "release": result.release,
        "package_version": result.package_version,
        "arch": result.arch,
        "accel": result.accel,
        "settings": _settings(result.settings),
        "layout": result.layout,
        "kdump": result.kdump,
        "files": files,
        "timings": result.timings,
        "sizes": result.sizes,
        "reproduced": result.reproduced,
        "culprit_in_trace": result.culprit_in_trace,
        "dump_complete": result.dump_complete,
        "attempts": attempts,
        "notes": result.notes,
    }


def _store_logs(result: CrashResult, target: Path) -> None:
    """Replace the case's two logs; other files there (golden expectations) stay."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(result.console_log, target / "console.log")
    dmesg = target / "vmcore-dmesg.txt"
    if result.dmesg is not None:
        shutil.copyfile(result.dmesg, dmesg)
    else:
        dmesg.unlink(missing_ok=True)


def _run_case(
    ing: Ingredients, kind: Kind, run: int, settings: RunSettings, dest: Path, log: Log
) -> dict[str, Any]:
    case = case_name(ing.spec, kind, run)
    result: CrashResult | None = None
    attempts = 0
    scratch_root = cache_root() / "runs"
    scratch_root.mkdir(parents=True, exist_ok=True)
    while attempts < ATTEMPTS:
        attempts += 1
        with tempfile.TemporaryDirectory(prefix="case-", dir=scratch_root) as scratch:
            tmp = Path(scratch)
            try:
                result = run_crash(
                    ing, kind, out_dir=tmp / "dump", logs_dir=tmp / "logs", settings=settings, log=log
                )
            except (LabUnavailable, OSError) as err:
                log(f"{case}: attempt {attempts} could not run: {err}")
                continue
            _store_logs(result, dest / case)
        if result.reproduced:
            break
        log(f"{case}: not reproduced ({'; '.join(result.notes)}), attempt {attempts}")
    if result is None:
        return {
            "case": case,
            "kind": kind.name,
            "expected_class": kind.cls_for(ing.release),
            "expected_function": kind.culprit_for(ing.release),
            "kernel": ing.spec.id,
            "release": ing.release,
            "settings": _settings(settings),
            "files": {},
            "reproduced": False,
            "attempts": attempts,
            "notes": ["the guest could not be run"],
        }
    if not result.reproduced:
        for name in ("console.log", "vmcore-dmesg.txt"):
            (dest / case / name).unlink(missing_ok=True)
        result.notes.append("logs not kept: they do not show the crash")
        entry = _entry(case, result, attempts)
        entry["files"] = {}
        return entry
    t = result.timings
    log(f"{case}: {'ok' if result.reproduced else 'FAILED'} panic {t['boot_to_panic_s']}s "
        f"capture {t['capture_s']}s vmcore {result.sizes['vmcore']} B")  # fmt: skip
    return _entry(case, result, attempts)


def _unsupported(ing: Ingredients, kind: Kind) -> str | None:
    """Why a kind cannot happen on a kernel: its architecture, its release, or its build options."""
    return (
        kind.unsupported_on(ing.spec.arch)
        or kind.unsupported_in(ing.release)
        or kind.unsupported_by(ing.config.read_text())
    )


def kept_regenerations(
    old: list[dict[str, Any]], kernels: list[str], kind_names: list[str], runs: list[int] | None
) -> list[dict[str, Any]]:
    """The earlier regeneration records a new one leaves in place: all but the one for the same kernels, kinds (by
    name) and runs, which it replaces.  A record written before names were kept says only how many kinds it made:
    it stays, since another set of as many kinds would otherwise take its place."""
    return [
        r
        for r in old
        if "kind_names" not in r or (r.get("kernels"), r["kind_names"], r.get("runs")) != (kernels, kind_names, runs)
    ]


def regenerate(
    dest: Path,
    kernels: list[KernelSpec],
    kinds: list[Kind],
    jobs: int = 2,
    log: Log = print,
    variants: int = PAIR,
    only: tuple[int, ...] = (),
) -> list[str]:
    """Rebuild the given cases in dest and merge them into the manifest; return failures.

    variants < PAIR makes only the first ones (run1, ...): slow emulated guests; ``only``
    names the runs to make instead (3: the smp profile).
    """
    wanted = set(only) or set(range(1, min(variants, PAIR) + 1))
    start = time.monotonic()
    dest.mkdir(parents=True, exist_ok=True)
    ingredients = [prepare(spec, log=log) for spec in kernels]
    select_accel(ingredients[0].vmlinuz, cache_root(), log, ingredients[0].spec.profile)
    plan = [
        (ing, kind, index + 1, settings)
        for ing in ingredients
        for kind in kinds
        for index, settings in enumerate(VARIANTS)
        if index + 1 in wanted and not _unsupported(ing, kind)
    ]
    skipped = [
        {"kernel": ing.spec.id, "kind": kind.name, "arch": ing.spec.arch, "reason": reason}
        for ing in ingredients
        for kind in kinds
        if (reason := _unsupported(ing, kind))
    ]
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, MAX_GUESTS))) as pool:
        entries = list(pool.map(lambda job: _run_case(job[0], job[1], job[2], job[3], dest, log), plan))
    elapsed = round(time.monotonic() - start, 1)

    manifest_path = dest / MANIFEST
    old: dict[str, Any] = {}
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text())
    fresh = {e["case"] for e in entries}
    cases = [c for c in old.get("cases", []) if c["case"] not in fresh] + entries
    cases.sort(key=lambda c: c["case"])
    kind_names = sorted(kind.name for kind in kinds)
    runs = kept_regenerations(
        old.get("regenerations", []), [k.id for k in kernels], kind_names, sorted(wanted) if only else None
    )
    record: dict[str, Any] = {
        "kernels": [k.id for k in kernels],
        "kinds": len(kinds),
        "kind_names": kind_names,
        "cases": len(entries),
        "not_reproduced": sum(1 for e in entries if not e["reproduced"]),
        "seconds": elapsed,
        "accel": next((e["accel"] for e in entries if "accel" in e), None),
    }
    record |= {"runs": sorted(wanted)} if only else {"variants": min(variants, PAIR)}
    runs.append(record)
    redone = {(k.id, kind.name) for k in kernels for kind in kinds}
    not_applicable = [n for n in old.get("not_applicable", []) if (n["kernel"], n["kind"]) not in redone]
    manifest = {
        "generator": "python3 -m lab corpus",
        "layout": "rhel",
        "regenerations": runs,
        "not_applicable": sorted(not_applicable + skipped, key=lambda n: (n["kernel"], n["kind"])),
        "cases": cases,
    }
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    failed = [e["case"] for e in entries if not e["reproduced"]]
    log(f"corpus: {len(entries)} cases in {elapsed}s, {len(failed)} not reproduced")
    return failed
