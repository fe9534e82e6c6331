"""The committed lab corpus agrees with its manifest and with the kinds table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lab.crash import BUSY_PROFILE, NEVER_CAPTURED, PAIR, SMP_PROFILE, VARIANTS
from lab.kinds import KINDS_BY_NAME, kind_named, release_version

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "lab"
MANIFEST = CORPUS / "manifest.json"

pytestmark = pytest.mark.skipif(not MANIFEST.exists(), reason="tests/corpus/lab not generated yet")


def _cases() -> list[dict]:
    return list(json.loads(MANIFEST.read_text())["cases"]) if MANIFEST.exists() else []


def test_every_case_folder_is_in_the_manifest() -> None:
    listed = {c["case"] for c in _cases()}
    on_disk = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    assert on_disk <= listed


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["case"])
def test_case_matches_its_kind_and_files(case: dict) -> None:
    kind = KINDS_BY_NAME[case["kind"]]
    assert case["expected_class"] == kind.cls_for(case.get("release", ""))
    assert case["expected_function"] == kind.culprit_for(case.get("release", ""))
    for name in case["files"].values():
        path = CORPUS / name
        assert path.is_file() and path.stat().st_size > 0, name
    if case["reproduced"] and case.get("kdump") and NEVER_CAPTURED in case["notes"]:
        # the crashed kernel stopped before kexec (run4: the task dump of a busy machine hung)
        assert case["timings"]["capture_boot_s"] is None and "vmcore_dmesg" not in case["files"]
    elif case["reproduced"] and case.get("kdump"):
        assert "vmcore_dmesg" in case["files"]
        text = (CORPUS / case["files"]["vmcore_dmesg"]).read_text(errors="replace")
        assert "Kdump: loaded" in text
        if case.get("culprit_in_trace", True):
            assert case["expected_function"] in text


def test_each_kind_has_the_run_variants_of_its_kernel() -> None:
    """Every kind of a kernel has the same runs: both variants, or run1 alone where the kernel's
    regeneration asked for one run (`lab corpus --runs 1`, for slow emulated guests); a run of a
    named profile (run3, `lab corpus --run 3`) comes on top of them."""
    runs: dict[tuple[str, str], set[str]] = {}
    for case in _cases():
        if case["settings"].get("profile"):
            continue
        settings = case["settings"]
        runs.setdefault((case["kernel"], case["kind"]), set()).add(f"{settings['mem']}/{settings['cpus']}")
    single = {k for r in _regenerations() if r.get("variants") == 1 for k in r["kernels"]}

    def wanted(kernel: str, kind: str) -> set[str]:
        least = kind_named(kind).min_cpus  # a kind may need a second CPU in every run
        variants = VARIANTS[:1] if kernel in single else VARIANTS[:PAIR]
        return {f"{v.mem}/{max(v.cpus, least)}" for v in variants}

    assert all(seen == wanted(kernel, kind) for (kernel, kind), seen in runs.items()), runs


def test_profile_runs_record_their_boot_setup() -> None:
    """A run3 case was booted with the smp profile, a run4 case with the busy one; each says so in
    full, and its kind has the pair too (the scorer pairs it with run1 and run2 as one bug)."""
    pairs = {(c["kernel"], c["kind"]) for c in _cases() if not c["settings"].get("profile")}
    profiles = {"_run3": SMP_PROFILE, "_run4": BUSY_PROFILE}
    for case in _cases():
        settings = case["settings"]
        profile = next((p for end, p in profiles.items() if case["case"].endswith(end)), None)
        assert settings.get("profile") == (profile.profile if profile else None), case["case"]
        if profile is None:
            continue
        assert settings["cpus"] == profile.cpus and settings["mem"] == profile.mem
        assert settings["sysctls"] == list(profile.sysctls) and settings["cmdline"] == profile.cmdline
        assert settings.get("busy_loops", 0) == profile.busy, case["case"]
        assert (case["kernel"], case["kind"]) in pairs, case["case"]
        if case["reproduced"]:
            text = (CORPUS / case["files"]["console_log"]).read_text(errors="replace")
            booted = text.split("Command line:", 1)[1].split("\n", 1)[0]
            assert profile.cmdline in booted.split() and "loglevel=8" not in booted, case["case"]
            # The other CPUs' backtraces or the task dump show a busy loop running (before 5.18 the
            # task dump comes after kdump: a 5.10 oops shows no other task).
            if profile.busy and release_version(case["release"]) >= (5, 18):
                logs = "".join((CORPUS / f).read_text(errors="replace") for f in case["files"].values())
                assert re.search(r"Comm: dd |task:dd ", logs), case["case"]


def _regenerations() -> list[dict]:
    return list(json.loads(MANIFEST.read_text()).get("regenerations", [])) if MANIFEST.exists() else []
