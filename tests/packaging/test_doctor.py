"""`kcrashd doctor` against fake roots: each way a crash gets lost is reported, and exits 1."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from kcrashd.cli import doctor, main
from kcrashd.cli.doctor import CommandResult, Host, Status
from kcrashd.config.settings import Config, SourcesConfig

GIB = 1024**3


class FakeSystemctl:
    """Answers `systemctl is-active/is-enabled UNIT...` from a table of unit states."""

    def __init__(self, active: dict[str, str], enabled: dict[str, str]) -> None:
        self.active, self.enabled = active, enabled

    def __call__(self, argv: Sequence[str]) -> CommandResult | None:
        verb, units = argv[1], argv[2:]
        table = self.active if verb == "is-active" else self.enabled
        states = [table.get(u, "inactive" if verb == "is-active" else "disabled") for u in units]
        ok = all(s in ("active", "enabled") for s in states)
        return CommandResult(0 if ok else 3, "\n".join(states) + "\n", "")


def write(root: Path, path: str, text: str) -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


@pytest.fixture
def rhel(tmp_path: Path) -> Path:
    """A healthy RHEL-like host: kdump armed, memory reserved, room on /var/crash."""
    root = tmp_path / "root"
    write(root, "/sys/kernel/kexec_crash_loaded", "1\n")
    write(root, "/sys/kernel/kexec_crash_size", str(256 * 1024 * 1024) + "\n")
    write(
        root,
        "/proc/cmdline",
        "BOOT_IMAGE=(hd0,gpt2)/vmlinuz ro crashkernel=1G-4G:192M,4G-64G:256M rhgb quiet\n",
    )
    write(root, "/proc/meminfo", "MemTotal:        8000000 kB\nMemFree:  100 kB\n")
    write(
        root,
        "/etc/kdump.conf",
        "# default\npath /var/crash\ncore_collector makedumpfile -l --message-level 7 -d 31\n",
    )
    write(root, "/sys/module/pstore/parameters/backend", "efi_pstore\n")
    (root / "sys/fs/pstore").mkdir(parents=True)
    (root / "var/crash").mkdir(parents=True)
    (root / "etc/kcrashd/credentials").mkdir(parents=True)
    return root


def host(root: Path, free: int = 100 * GIB, systemctl: bool = True, **active: str) -> Host:
    states = {"kdump.service": "active", "kcrashd.service": "active"}
    states.update({k.replace("_", "-") + ".service": v for k, v in active.items()})
    enabled = {u: "enabled" for u, s in states.items() if s == "active"}
    runner = FakeSystemctl(states, enabled) if systemctl else (lambda argv: None)
    return Host(root=root, run=runner, free_bytes=lambda path: free)


def by_check(findings: list[doctor.Finding]) -> dict[str, doctor.Finding]:
    return {f.check: f for f in findings}


def test_healthy_host(rhel: Path) -> None:
    findings = doctor.diagnose(host(rhel), Config())
    assert doctor.exit_code(findings) == 0
    assert {f.status for f in findings} <= {Status.OK}, doctor.render(findings)


def test_kdump_inactive(rhel: Path) -> None:
    findings = doctor.diagnose(host(rhel, kdump="inactive"), Config())
    assert by_check(findings)["kdump service"].status is Status.FAIL
    assert doctor.exit_code(findings) == 1


def test_kdump_tools_counts_on_debian(rhel: Path) -> None:
    findings = doctor.diagnose(host(rhel, kdump="inactive", kdump_tools="active"), Config())
    assert by_check(findings)["kdump service"].status is Status.OK


def test_no_systemd_skips_service_checks(rhel: Path) -> None:
    findings = doctor.diagnose(host(rhel, systemctl=False), Config())
    assert by_check(findings)["kdump service"].status is Status.SKIP
    assert by_check(findings)["kcrashd service"].status is Status.SKIP
    assert doctor.exit_code(findings) == 0


def test_capture_kernel_not_loaded(rhel: Path) -> None:
    write(rhel, "/sys/kernel/kexec_crash_loaded", "0\n")
    findings = doctor.diagnose(host(rhel), Config())
    assert by_check(findings)["capture kernel"].status is Status.FAIL
    assert doctor.exit_code(findings) == 1


def test_crashkernel_not_reserved(rhel: Path) -> None:
    write(rhel, "/sys/kernel/kexec_crash_size", "0\n")
    finding = by_check(doctor.diagnose(host(rhel), Config()))["crashkernel= memory"]
    assert finding.status is Status.FAIL
    assert "nothing was reserved" in finding.summary
    write(rhel, "/proc/cmdline", "ro quiet\n")
    finding = by_check(doctor.diagnose(host(rhel), Config()))["crashkernel= memory"]
    assert "no crashkernel=" in finding.summary


@pytest.mark.parametrize(("free", "status"), [(10 * 1024 * 1024, Status.FAIL), (2 * GIB, Status.WARN)])
def test_free_space(rhel: Path, free: int, status: Status) -> None:
    findings = doctor.diagnose(host(rhel, free=free), Config())
    assert by_check(findings)["free space /var/crash"].status is status


def test_kdump_path_not_watched(rhel: Path) -> None:
    write(rhel, "/etc/kdump.conf", "path /srv/crash\n")
    findings = doctor.diagnose(host(rhel), Config())
    finding = by_check(findings)["kdump dump path"]
    assert finding.status is Status.FAIL
    assert "/srv/crash" in finding.summary
    assert doctor.exit_code(findings) == 1
    watched = Config(sources=SourcesConfig(dump_paths=[Path("/var/crash"), Path("/srv/crash")]))
    assert by_check(doctor.diagnose(host(rhel), watched))["kdump dump path"].status is Status.OK


def test_kdump_to_another_file_system(rhel: Path) -> None:
    """`xfs UUID=...` + `path /crash`: the dump lands under that file system's mount point."""
    write(rhel, "/etc/kdump.conf", 'xfs UUID="d4f1"\npath /crash\n')
    write(rhel, "/dev/vdb1", "")
    link = rhel / "dev/disk/by-uuid/d4f1"
    link.parent.mkdir(parents=True)
    os.symlink("../../vdb1", link)
    write(rhel, "/proc/self/mounts", "/dev/vda1 / xfs rw 0 0\n/dev/vdb1 /data xfs rw 0 0\n")
    finding = by_check(doctor.diagnose(host(rhel), Config()))["kdump dump path"]
    assert finding.status is Status.FAIL
    assert "/data/crash" in finding.summary


def test_kdump_over_ssh(rhel: Path) -> None:
    write(
        rhel,
        "/etc/kdump.conf",
        "ssh kdump@dumps.example.com\nsshkey /root/.ssh/kdump_id_rsa\npath /srv/dumps\n",
    )
    finding = by_check(doctor.diagnose(host(rhel), Config()))["kdump dump path"]
    assert finding.status is Status.WARN
    assert "dumps.example.com" in finding.summary


def test_debian_kdump_tools(rhel: Path) -> None:
    (rhel / "etc/kdump.conf").unlink()
    write(
        rhel, "/etc/default/kdump-tools", 'USE_KDUMP=1\nKDUMP_COREDIR="/var/lib/kdump"\nKDUMP_NUM_DUMPS=1\n'
    )
    findings = by_check(doctor.diagnose(host(rhel, kdump="inactive", kdump_tools="active"), Config()))
    assert findings["kdump-tools dump path"].status is Status.FAIL
    assert findings["kdump-tools rotation"].status is Status.FAIL
    write(rhel, "/etc/default/kdump-tools", "USE_KDUMP=1\n# KDUMP_COREDIR=/x\nKDUMP_NUM_DUMPS=5\n")
    findings = by_check(doctor.diagnose(host(rhel, kdump="inactive", kdump_tools="active"), Config()))
    assert findings["kdump-tools dump path"].status is Status.OK
    assert findings["kdump-tools rotation"].status is Status.WARN


def test_suse_savedir(rhel: Path) -> None:
    (rhel / "etc/kdump.conf").unlink()
    write(rhel, "/etc/sysconfig/kdump", 'KDUMP_SAVEDIR="file:///var/crash"\n')
    assert by_check(doctor.diagnose(host(rhel), Config()))["kdump (SUSE) dump path"].status is Status.OK


def test_abrt_moving_dumps(rhel: Path) -> None:
    write(rhel, "/etc/abrt/plugins/vmcore.conf", "CopyVMcore = no\n")
    findings = doctor.diagnose(host(rhel), Config())
    assert by_check(findings)["ABRT"].status is Status.FAIL
    assert doctor.exit_code(findings) == 1
    write(rhel, "/etc/abrt/plugins/vmcore.conf", "CopyVMcore = yes\n")
    assert by_check(doctor.diagnose(host(rhel), Config()))["ABRT"].status is Status.WARN


def test_apport_and_tmpfiles(rhel: Path) -> None:
    write(rhel, "/usr/share/apport/kernel_crashdump", "#!/usr/bin/python3\n")
    write(rhel, "/etc/tmpfiles.d/crash.conf", "# keep a week\ne /var/crash - - - 7d\n")
    findings = by_check(doctor.diagnose(host(rhel), Config()))
    assert findings["apport"].status is Status.WARN
    assert findings["tmpfiles cleanup"].status is Status.WARN


def test_pstore_not_archived(rhel: Path) -> None:
    write(rhel, "/etc/systemd/pstore.conf", "[PStore]\nStorage=journal\n")
    assert by_check(doctor.diagnose(host(rhel), Config()))["pstore"].status is Status.WARN


def test_credentials_dir_missing(rhel: Path) -> None:
    (rhel / "etc/kcrashd/credentials").rmdir()
    findings = doctor.diagnose(host(rhel), Config())
    assert by_check(findings)["kcrashd credentials"].status is Status.FAIL


def test_kcrashd_not_enabled(rhel: Path) -> None:
    findings = doctor.diagnose(host(rhel, kcrashd="inactive"), Config())
    assert by_check(findings)["kcrashd service"].status is Status.FAIL


def test_render_and_json(rhel: Path) -> None:
    write(rhel, "/sys/kernel/kexec_crash_loaded", "0\n")
    findings = doctor.diagnose(host(rhel), Config())
    text = doctor.render(findings)
    assert "FAIL  capture kernel" in text
    assert text.rstrip().endswith("a crash now would be LOST or missed")
    doc = doctor.to_json(findings)
    assert doc["crash_would_be_caught"] is False
    json.dumps(doc)


def test_cli_json_on_this_host(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The verb runs on the real host; its exit code agrees with its JSON."""
    conf = tmp_path / "kcrashd.toml"
    conf.write_text("")
    code = main(["doctor", "--json", "--config", str(conf)])
    doc = json.loads(capsys.readouterr().out)
    assert code == (0 if doc["crash_would_be_caught"] else 1)
    assert {f["status"] for f in doc["findings"]} <= {s.value for s in Status}


def test_cli_refuses_bad_config(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    conf = tmp_path / "kcrashd.toml"
    conf.write_text("[sources]\npoll = 3\n")
    assert main(["doctor", "--config", str(conf)]) == 1
    assert f"{conf}:2" in capsys.readouterr().err


def test_no_dump_path_configured(rhel: Path) -> None:
    """`dump_paths = []`: kcrashd would never see a kdump dump, and doctor says so (issue 14)."""
    findings = doctor.diagnose(host(rhel), Config(sources=SourcesConfig(dump_paths=[])))
    finding = by_check(findings)["kcrashd dump paths"]
    assert finding.status is Status.FAIL and "dump_paths is empty" in finding.summary
    assert "watches no dump path" in by_check(findings)["kdump dump path"].summary
    assert doctor.exit_code(findings) == 1


def test_dump_path_that_does_not_exist(rhel: Path) -> None:
    """A watched path that is not there is no "OK free space" (issue 14)."""
    config = Config(sources=SourcesConfig(dump_paths=[Path("/var/crash"), Path("/srv/dumps")]))
    findings = by_check(doctor.diagnose(host(rhel), config))
    missing = findings["free space /srv/dumps"]
    assert missing.status is Status.WARN and "/srv/dumps does not exist" in missing.summary, missing
    assert findings["kcrashd dump path /srv/dumps"].status is Status.WARN
    assert findings["free space /var/crash"].status is Status.OK
    assert "kcrashd dump path /var/crash" not in findings
