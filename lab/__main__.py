"""Command line of the crash lab: ``python3 -m lab {build,kinds,crash,corpus,summary}``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from .build import prepare
from .crash import LAYOUTS, PAIR, VARIANTS, RunSettings, run_crash
from .errors import LabUnavailable
from .kernels import DEFAULT_KERNEL, KERNELS, kernel_named
from .kinds import KINDS, kind_named
from .vm import install_signal_handlers

REPO = Path(__file__).resolve().parent.parent


def _log(message: str) -> None:
    print(f"lab: {message}", file=sys.stderr, flush=True)


def cmd_build(args: argparse.Namespace) -> int:
    for name in args.kernel or [DEFAULT_KERNEL]:
        start = time.monotonic()
        ing = prepare(kernel_named(name), log=_log)
        _log(f"{ing.spec.id}: {ing.release} {ing.version} ready in {ing.root} "
             f"({time.monotonic() - start:.1f}s)")  # fmt: skip
    return 0


def cmd_kinds(args: argparse.Namespace) -> int:
    for kind in KINDS:
        dump = "dump" if kind.dump_possible else "console only"
        print(f"{kind.name:16} {kind.cls:16} {kind.culprit:32} {dump}")
    return 0


def cmd_crash(args: argparse.Namespace) -> int:
    kind = kind_named(args.kind)
    spec = kernel_named(args.kernel)
    reason = kind.unsupported_on(spec.arch)
    if reason:
        _log(f"error: {kind.name} cannot happen on {spec.arch}: {reason}")
        return 2
    ing = prepare(spec, log=_log)
    reason = kind.unsupported_in(ing.release) or kind.unsupported_by(ing.config.read_text())
    if reason:
        _log(f"error: {kind.name} cannot happen on {spec.id}: {reason}")
        return 2
    out = Path(args.out or f"lab-out/{kind.name}-{time.strftime('%Y%m%d-%H%M%S')}").resolve()
    settings = RunSettings(mem=args.mem, cpus=args.cpus, delay=args.delay)
    result = run_crash(
        ing,
        kind,
        out_dir=out,
        logs_dir=out,
        settings=settings,
        layout=args.layout,
        vmcore=not args.no_vmcore,
        dmesg=not args.no_dmesg,
        kdump=not args.no_kdump,
        dump_path=args.dump_path,
        log=_log,
    )
    entry = result.manifest_entry()
    (out / "result.json").write_text(json.dumps(entry, indent=1) + "\n")
    print(json.dumps(entry, indent=1))
    return 0 if result.reproduced else 1


def cmd_corpus(args: argparse.Namespace) -> int:
    from .corpus import regenerate

    kernels = [kernel_named(k) for k in (args.kernel or [k.id for k in KERNELS[:1]])]
    kinds = [kind_named(k) for k in args.kind] if args.kind else list(KINDS)
    failed = regenerate(
        Path(args.dest).resolve(),
        kernels,
        kinds,
        jobs=args.jobs,
        log=_log,
        variants=args.runs,
        only=tuple(args.run or ()),
    )
    return 1 if failed else 0


def _column(cases: list[dict[str, Any]], key: str, sub: str, scale: float = 1.0) -> str:
    values = [(c.get(key) or {}).get(sub) for c in cases]
    return "/".join("-" if v is None else f"{float(v) / scale:.1f}" for v in values)


def cmd_summary(args: argparse.Namespace) -> int:
    """One line per kernel and kind of a corpus manifest: what reproduced, how fast, how big."""
    manifest = json.loads((Path(args.dest) / "manifest.json").read_text())
    rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for case in manifest["cases"]:
        rows.setdefault((case["kernel"], case["kind"]), []).append(case)
    columns = [
        ("panic s", "timings", "boot_to_panic_s", 1.0),
        ("capture s", "timings", "capture_s", 1.0),
        ("console kB", "sizes", "console_log", 1e3),
        ("dmesg kB", "sizes", "vmcore_dmesg", 1e3),
        ("vmcore MB", "sizes", "vmcore", 1e6),
    ]
    print(f"{'kernel':12} {'kind':16} ok   " + " ".join(f"{c[0]:12}" for c in columns))
    for (kernel, kind), cases in sorted(rows.items()):
        ok = sum(1 for c in cases if c.get("reproduced"))
        cells = " ".join(f"{_column(cases, key, sub, scale):12}" for _, key, sub, scale in columns)
        print(f"{kernel:12} {kind:16} {ok}/{len(cases)}  {cells}")
    for run in manifest.get("regenerations", []):
        print(f"regenerated {', '.join(run['kernels'])}: {run['cases']} cases in {run['seconds']} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="fetch the kernel and build module + initramfs")
    build.add_argument("--kernel", action="append", help="kernel id or suite (repeatable)")
    build.set_defaults(func=cmd_build)

    kinds = sub.add_parser("kinds", help="list the crash kinds")
    kinds.set_defaults(func=cmd_kinds)

    crash = sub.add_parser("crash", help="crash one guest and save its dump")
    crash.add_argument("kind", help="crash kind (see 'kinds')")
    crash.add_argument("--kernel", default=DEFAULT_KERNEL)
    crash.add_argument("--mem", default="1G")
    crash.add_argument("--cpus", type=int, default=1)
    crash.add_argument("--delay", type=float, default=1.0, help="seconds before the trigger")
    crash.add_argument("--layout", choices=LAYOUTS, default="rhel")
    crash.add_argument("--out", help="output folder (default lab-out/<kind>-<time>)")
    crash.add_argument("--dump-path", default="var/crash",
                       help="kdump path inside --out (default var/crash)")  # fmt: skip
    crash.add_argument("--no-vmcore", action="store_true", help="save the log only")
    crash.add_argument("--no-dmesg", action="store_true", help="save the vmcore only")
    crash.add_argument("--no-kdump", action="store_true", help="console log only")
    crash.set_defaults(func=cmd_crash)

    corpus = sub.add_parser("corpus", help="regenerate tests/corpus/lab")
    corpus.add_argument("--kernel", action="append", help="kernel id or suite (repeatable)")
    corpus.add_argument("--kind", action="append", help="only these kinds (repeatable)")
    corpus.add_argument("--dest", default=str(REPO / "tests" / "corpus" / "lab"))
    corpus.add_argument("--jobs", type=int, default=2, help="guests at a time (max 2)")
    corpus.add_argument(
        "--runs",
        type=int,
        choices=range(1, PAIR + 1),
        default=PAIR,
        help="only the first N runs of the pair (default both)",
    )
    corpus.add_argument(
        "--run",
        type=int,
        action="append",
        choices=range(1, len(VARIANTS) + 1),
        help="only this run (repeatable; 3: the smp profile, 4 vCPUs and all-CPU backtraces; 4: smp with every CPU busy)",
    )
    corpus.set_defaults(func=cmd_corpus)

    summary = sub.add_parser("summary", help="table of a corpus manifest")
    summary.add_argument("--dest", default=str(REPO / "tests" / "corpus" / "lab"))
    summary.set_defaults(func=cmd_summary)

    args = parser.parse_args(argv)
    install_signal_handlers()
    try:
        return int(args.func(args))
    except (LabUnavailable, KeyError) as err:
        _log(f"error: {err}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
