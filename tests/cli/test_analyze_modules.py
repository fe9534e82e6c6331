"""Start-up of `kcrashd analyze`: what analysing one log (or -j 1) must not load.

Every module imported is start-up time paid by each `kcrashd analyze` (the target is < 0.3 s to
the first report). The times are measured by bench/triage.py --startup (docs/performance.md);
this test only names what must stay out, so a regression shows in CI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "127.0.0.1-2020-04-28-01:31:54"

# Module -> why `kcrashd analyze FILE` does without it.
NOT_FOR_ONE_LOG = {
    "pydantic": "the report model: its text is printed from the JSON the core writes (core/report_record.py)",
    "kcrashd.triage.pool": "the worker pool: only with more than one PATH and more than one job",
    "kcrashd.core.operator_rules": "the grouping rules' models: only with --config",
    "kcrashd.core.rule_application": "applying grouping rules: only with --config",
    "kcrashd.config.settings": "the configuration: only with --config or a vmcore to read",
    "logging": "the pool's logger",
    "subprocess": "workers and makedumpfile only",
    "ctypes": "a worker's parent-death signal only",
    "sqlite3": "the state database is not read",
    "requests": "no alert is sent",
    "_hashlib": "OpenSSL's hashes: the interpreter's own SHA-256 gives the same fingerprints",
}

# Print the kcrashd analyze output to stderr, then the loaded modules as JSON on stdout (a None
# entry of sys.modules is a module refused, e.g. `_hashlib` by kcrashd.cli.builtin_hashes).
LAUNCHER = """
import contextlib, json, sys
from kcrashd.cli import main
with contextlib.redirect_stdout(sys.stderr):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(k for k, v in sys.modules.items() if v is not None)}))
"""


def loaded_by(*args: str) -> tuple[int, set[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, "analyze", *args], capture_output=True, text=True, timeout=120, check=True, cwd=REPO
    )
    result = json.loads(done.stdout)
    return result["code"], set(result["modules"]), done.stderr


def three_logs(folder: Path) -> list[str]:
    """Three copies of the example's log."""
    log = (EXAMPLE / "vmcore-dmesg.txt").read_bytes()
    for n in range(3):
        (folder / f"{n}.log").write_bytes(log)
    return [str(folder / f"{n}.log") for n in range(3)]


def test_one_log_loads_no_pool_no_rules_no_config() -> None:
    code, modules, output = loaded_by(str(EXAMPLE))
    assert code == 0 and "sysrq_handle_crash" in output, output
    loaded = {name: why for name, why in NOT_FOR_ONE_LOG.items() if name in modules}
    assert not loaded, loaded


def test_one_job_over_many_logs_loads_no_pool(tmp_path: Path) -> None:
    code, modules, _ = loaded_by("--format", "json", "-j", "1", *three_logs(tmp_path))
    assert code == 0
    assert "kcrashd.triage.pool" not in modules
    assert "kcrashd.core.triage" in modules  # the analysis ran here


# Module -> why `kcrashd analyze --format json` does without it, with one job or with workers.
NOT_FOR_JSON = {
    "pydantic": "the report's JSON is written by the core (core/report_record.py), not by the model",
    "kcrashd.core.model": "the report model: only to read a report back (text output, --config)",
    "logging": "the worker pool logs only a log that timed out or killed its worker",
    "_hashlib": "OpenSSL's hashes: the interpreter's own SHA-256 gives the same fingerprints",
}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_json_output_loads_no_report_model(tmp_path: Path, jobs: str) -> None:
    code, modules, output = loaded_by("--format", "json", "-j", jobs, *three_logs(tmp_path))
    assert code == 0 and output.count("sysrq_handle_crash") >= 3, output
    loaded = {name: why for name, why in NOT_FOR_JSON.items() if name in modules}
    assert not loaded, loaded
    assert ("kcrashd.triage.pool" in modules) == (jobs == "2")
