#!/usr/bin/env python3
"""Triage speed and memory: corpus throughput, typical and real logs, 32 MiB and 1 GiB logs, start-up.

Prints numbers only (no assertions). `--startup`: only the start-up of `kcrashd analyze`.  Targets: >= 1,500 files/s over the dev corpus in one process,
a 512 KiB real log and a typical 100 KiB-1 MiB log < 20 ms, a 32 MiB log made of real corpus logs
(every header of it searched) < 1 s and < 100 MiB peak RSS, start-up to first report < 0.3 s.
The whole `kcrashd analyze` command over 747 files, -j 1 and -j 2: bench/analyze_parallel.py.
Results and how they were taken: docs/performance.md.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT / "tests" / "corpus" / "syzkaller"
SEED = (ROOT / "tests" / "corpus" / "seed" / "rhel8-sysrq.log").read_bytes()
NOISE = b"[ 1234.567890] e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: None\n"


def corpus_logs() -> list[bytes]:
    out = []
    for line in (CORPUS / "index.jsonl").read_text().splitlines():
        c = json.loads(line)
        raw = (CORPUS / c["file"]).read_bytes()
        out.append(raw[c["log_offset"] : c["log_end_offset"]].replace(b"\r", b""))
    return out


def real_logs() -> list[bytes]:
    """Every real log of the corpus: the syzkaller slices, the crash lab's logs, seed and edge cases."""
    out = corpus_logs()
    out += [p.read_bytes() for p in sorted((ROOT / "tests" / "corpus" / "lab").glob("*/*")) if not p.name.endswith(".json")]
    for folder in ("seed", "edge"):
        out += [p.read_bytes() for p in sorted((ROOT / "tests" / "corpus" / folder).glob("*.log"))]
    return out


def real_log_of(size: int, logs: list[bytes]) -> bytes:
    """About `size` bytes of real logs back to back (each ends in its own crash), in corpus order."""
    parts, total = [], 0
    while total < size:
        for log in logs:
            parts.append(log if log.endswith(b"\n") else log + b"\n")
            total += len(parts[-1])
            if total >= size:
                break
    return b"".join(parts)


# The child's own peak: VmHWM (ru_maxrss carries the parent's peak over fork and exec on Linux).
_PEAK = "print(next(int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmHWM')))"


def real_512k() -> None:
    """A 512 KiB real log: the lab's boot logs up to their first report header, then a lab crash."""
    from kcrashd.core import analyze
    from kcrashd.core.signatures import HEADERS

    lab = sorted((ROOT / "tests" / "corpus" / "lab").glob("*/console.log"))
    crash = lab[0].read_bytes()
    # The lab's boot logs up to their first report header, back to back, then one lab crash.
    boots = [log[: min((i for h in HEADERS if (i := log.find(h.encode())) >= 0), default=len(log))] for log in
             (p.read_bytes() for p in lab)]
    boot = real_log_of(512 * 1024 - len(crash), [b[: b.rfind(b"\n") + 1] for b in boots if b.count(b"\n") > 1])
    real512 = boot[: boot.rfind(b"\n", 0, 512 * 1024 - len(crash)) + 1] + crash
    walls, cpus = [], []
    for _ in range(7):
        t0, c0 = time.perf_counter(), time.process_time()
        report = analyze(real512)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    print(f"real log {len(real512) // 1024} KiB (lab boot logs, then a lab crash): best {min(walls) * 1000:.1f} ms wall, "
          f"{min(cpus) * 1000:.1f} ms CPU, {report.title!r}")



def big_logs() -> None:
    """32 MiB of real logs (in memory, through read_log), 32 MiB of noise, a 1 GiB sparse log."""
    with tempfile.TemporaryDirectory() as tmp:
        big32 = Path(tmp) / "32m.log"
        big32.write_bytes(real_log_of(32 * 1024 * 1024, real_logs()))
        code32 = (
            f"import resource,time,sys; sys.path.insert(0, {str(ROOT)!r})\n"
            "from kcrashd.core import analyze\n"
            f"d=open({str(big32)!r},'rb').read(); t=time.perf_counter(); c=time.process_time(); r=analyze(d)\n"
            "print(f'{time.perf_counter()-t:.3f}', r.function, f'{time.process_time()-c:.3f}')\n"
            + _PEAK
        )
        out = subprocess.run([sys.executable, "-c", code32], capture_output=True, text=True, check=True).stdout.split()
        print(
            f"32 MiB of real corpus logs, whole in memory (core only): {out[0]} s wall, {out[2]} s CPU, "
            f"function {out[1]}, peak RSS {int(out[3]) / 1024:.0f} MiB"
        )
        code32r = (
            f"import resource,time,sys; sys.path.insert(0, {str(ROOT)!r})\n"
            "from kcrashd.core import analyze; from kcrashd.sources.logfile import read_log\n"
            f"t=time.perf_counter(); c=time.process_time(); r=analyze(read_log({str(big32)!r}))\n"
            "print(f'{time.perf_counter()-t:.3f}', r.function, f'{time.process_time()-c:.3f}', len(r.unread))\n"
            + _PEAK
        )
        out = subprocess.run([sys.executable, "-c", code32r], capture_output=True, text=True, check=True).stdout.split()
        print(f"32 MiB of real corpus logs via read_log (whole file searched, windows analysed): {out[0]} s wall, "
              f"{out[2]} s CPU, function {out[1]}, {out[3]} unread entries, peak RSS {int(out[4]) / 1024:.0f} MiB")
        big32n = Path(tmp) / "32m-noise.log"
        with open(big32n, "wb") as f:
            f.write(NOISE * (32 * 1024 * 1024 // len(NOISE)))
            f.write(SEED)
        out = subprocess.run([sys.executable, "-c", code32r.replace(str(big32), str(big32n))], capture_output=True,
                             text=True, check=True).stdout.split()
        print(f"32 MiB of one noise line then a crash, via read_log: {out[0]} s wall, function {out[1]}, "
              f"peak RSS {int(out[4]) / 1024:.0f} MiB")

        big1g = Path(tmp) / "1g.log"
        with open(big1g, "wb") as f:
            f.write(b"[    0.000000] Linux version 6.1.0-27-amd64\n")
            f.truncate(1024**3)
            f.seek(1024**3)
            f.write(b"\n" + SEED)
        code1g = code32r.replace(str(big32), str(big1g))
        out = subprocess.run([sys.executable, "-c", code1g], capture_output=True, text=True, check=True).stdout.split()
        print(f"1 GiB sparse log via read_log (holes skipped): {out[0]} s, function {out[1]}, "
              f"peak RSS {int(out[4]) / 1024:.0f} MiB")


def child(code: str) -> tuple[float, int]:
    """Run code in a fresh interpreter; (wall seconds, its peak RSS in KiB)."""
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    return wall, int(r.stdout.strip().splitlines()[-1])


def main() -> None:
    if "--startup" in sys.argv[1:]:  # only the start-up of `kcrashd analyze`
        startup()
        return
    from kcrashd.core import analyze

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times grow with it, CPU times do not)")
    logs = corpus_logs()
    analyze(logs[0])
    total = sum(len(x) for x in logs)
    # Best of 3 passes; wall and CPU time (a loaded machine inflates wall time, not CPU time).
    walls, cpus = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        for data in logs:
            analyze(data)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    dt, ct = min(walls), min(cpus)
    print(
        f"corpus: {len(logs)} logs, {total / 1e6:.1f} MB, best of 3: {dt:.3f} s wall = {len(logs) / dt:.0f} files/s, "
        f"{ct:.3f} s CPU = {len(logs) / ct:.0f} files/s"
    )

    for size in (100 * 1024, 1024 * 1024):
        data = NOISE * (size // len(NOISE)) + SEED
        walls, cpus = [], []
        for _ in range(7):
            t0, c0 = time.perf_counter(), time.process_time()
            analyze(data)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        print(f"typical log {size // 1024} KiB: best {min(walls) * 1000:.1f} ms wall, {min(cpus) * 1000:.1f} ms CPU")

    real_512k()

    big_logs()

    startup()
    print(f"this process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def startup() -> None:
    """`kcrashd analyze` of the example folder, best of 5 runs (wall and CPU), with its modules'
    bytecode cached as an installed package has it (kept out of the tree: PYTHONPYCACHEPREFIX;
    a source tree run with PYTHONDONTWRITEBYTECODE=1 compiles every kcrashd module at each start),
    then without that cache; then the start-up of a triage worker as the daemon spawns it
    (`python -m kcrashd.triage.worker`, importing the core, here with its input closed at once)."""
    exe = ROOT / ".venv" / "bin" / "kcrashd"
    example = ROOT / "examples" / "127.0.0.1-2020-04-28-01:31:54"
    cmd = [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ["-m", "kcrashd"]), "analyze", str(example)]
    worker = [sys.executable, "-m", "kcrashd.triage.worker"]
    with tempfile.TemporaryDirectory(prefix="kcrashd-pycache-") as cache, \
            tempfile.TemporaryDirectory(prefix="kcrashd-nocache-") as empty:  # fmt: skip
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPATH": str(ROOT)}
        cached = base | {"PYTHONPYCACHEPREFIX": cache}
        # A copy of the package without its __pycache__, never written to: every kcrashd module is
        # compiled at each start (the standard library's and pydantic's bytecode stays cached).
        shutil.copytree(ROOT / "kcrashd", Path(empty) / "kcrashd", ignore=shutil.ignore_patterns("__pycache__"))
        uncached = base | {"PYTHONPATH": empty, "PYTHONDONTWRITEBYTECODE": "1"}
        subprocess.run(cmd, capture_output=True, check=True, env=cached, cwd=ROOT)  # writes the bytecode
        runs = (
            ("kcrashd analyze", "bytecode cached", cmd, cached),
            ("kcrashd analyze", "no bytecode cache for kcrashd", cmd, uncached),
            ("a spawned triage worker", "bytecode cached", worker, cached),
        )
        for what, label, command, env in runs:
            walls, cpus = [], []
            for _ in range(5):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.perf_counter()
                where = env["PYTHONPATH"]  # python -m puts the working directory first on the path
                subprocess.run(command, capture_output=True, check=True, env=env, stdin=subprocess.DEVNULL, cwd=where)
                walls.append(time.perf_counter() - t0)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            print(f"start-up ({what}, best of 5, {label}): {min(walls):.3f} s wall "
                  f"(median {sorted(walls)[2]:.3f} s), {min(cpus):.3f} s CPU; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
