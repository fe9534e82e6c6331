"""`kcrashd list` and `kcrashd info` for people: columns, matches, JSON, refusals with their exit
codes, escaped log text, and a read-only database that root leaves untouched."""

from __future__ import annotations

import fcntl
import gzip
import itertools
import json
import os
import pty
import re
import shutil
import struct
import subprocess
import termios
from pathlib import Path

import pytest

from kcrashd.cli import EXIT_DEFERRED, EXIT_NOT_FOUND, EXIT_USAGE
from kcrashd.config.settings import Config, SourcesConfig, StateConfig
from kcrashd.pipeline import Pipeline, StateLock
from kcrashd.sources.units import scan_all
from kcrashd.store.database import Store
from tests.daemon.conftest import KCRASHD, run_cli
from tests.daemon.dumps import CORPUS, flattened, kdump_file, log_bytes, write_debian, write_file, write_rhel
from tests.fixtures.journal_double import RecordingJournal

SYSRQ_TITLE = "BUG: unable to handle kernel NULL pointer dereference in sysrq_handle_crash"  # 75 characters


def record_all(dumps: Path, state: Path) -> None:
    """Every dump under `dumps` through the pipeline into the state database, as `scan` would."""
    config = Config(sources=SourcesConfig(dump_paths=[dumps], pstore=False), state=StateConfig(state_dir=state))
    store = Store(config.state.state_dir)
    lock = StateLock(config.state.state_dir)
    pipeline = Pipeline(config, store, RecordingJournal(), lock)
    for unit in scan_all(config.sources):
        pipeline.handle(unit)
    store.close()
    lock.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("history")
    dumps = base / "crash"
    dumps.mkdir()
    write_rhel(dumps, "10.0.0.1-2024-05-01-10:00:00", log_bytes())
    write_rhel(dumps, "10.0.0.2-2024-05-02-10:00:00", log_bytes())
    write_rhel(dumps, "10.0.0.3-2024-05-03-10:00:00", log_bytes("edge/oom-panic"), vmcore=kdump_file(nodename="db3"))
    evil = b"[  1.0] BUG: kernel NULL pointer dereference, address: 0\x1b]0;owned\x07\x1b[2J\n" + log_bytes("edge/bug-generic")
    write_rhel(dumps, "10.0.0.4-2024-05-04-10:00:00", evil)
    record_all(dumps, base / "state")
    return base / "state"


def test_list_columns(history: Path) -> None:
    result = run_cli("list", "--state-dir", str(history))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["TIME", "ID", "HOST", "KERNEL", "KIND", "FINGERPRINT", "COUNT", "TITLE"]
    assert len(lines) == 5
    assert "10.0.0.1" in lines[1] and "db3" in lines[4]  # by crash time: db3's vmcore says 2025
    assert re.search(r" kc7-[0-9a-f]+ +2 +BUG", lines[2])  # the sysrq fingerprint was seen twice


def test_list_filters_and_json(history: Path) -> None:
    newest = run_cli("list", "--state-dir", str(history), "-r", "-1", "--json")
    data = json.loads(newest.stdout)
    assert len(data) == 1 and data[0]["host"] == "db3"
    some = json.loads(run_cli("list", "--state-dir", str(history), "--json", "KIND=sysrq").stdout)
    assert {row["host"] for row in some} == {"10.0.0.1", "10.0.0.2"}
    window = json.loads(run_cli("list", "--state-dir", str(history), "--json", "--since", "2024-05-02", "--until", "2024-05-04T12:00").stdout)
    assert [row["host"] for row in window] == ["10.0.0.2", "10.0.0.4"]


def test_info_by_id_fingerprint_path_and_field(history: Path) -> None:
    rows = json.loads(run_cli("list", "--state-dir", str(history), "--json").stdout)
    db3 = next(row for row in rows if row["host"] == "db3")
    by_id = run_cli("info", "--state-dir", str(history), db3["crash_id"][:10])
    assert by_id.returncode == 0
    assert "Host: db3" in by_id.stdout
    assert "crash /usr/lib/debug/lib/modules/5.14.0-427.el9.x86_64/vmlinux " in by_id.stdout
    assert "Vmcore: complete" in by_id.stdout
    stack = by_id.stdout.split("Stack:", 1)[1].splitlines()[1]
    assert re.search(r"^\s+\S+\+0x[0-9a-f]+/0x[0-9a-f]+", stack), stack
    by_fp = run_cli("info", "--state-dir", str(history), db3["fingerprint"])
    assert db3["crash_id"] in by_fp.stdout
    by_path = run_cli("info", "--state-dir", str(history), db3["dump_dir"] + "/vmcore-dmesg.txt")
    assert db3["crash_id"] in by_path.stdout
    by_field = run_cli("info", "--state-dir", str(history), "HOST=db3", "--json")
    assert json.loads(by_field.stdout)["record"]["crash_id"] == db3["crash_id"]


def test_log_text_never_reaches_the_terminal_raw(history: Path) -> None:
    for verb in ("list", "info"):
        args = [verb, "--state-dir", str(history)] + (["HOST=10.0.0.4"] if verb == "info" else [])
        out = run_cli(*args).stdout
        assert "\x1b" not in out and "\x07" not in out


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["info", "0123456789abcdef"], EXIT_NOT_FOUND),
        (["list", "KIND=nonexistent"], EXIT_NOT_FOUND),
        (["list", "bogus"], EXIT_USAGE),
        (["list", "COLOR=red"], EXIT_USAGE),
        (["list", "--since", "someday"], EXIT_USAGE),
    ],
)
def test_refusals(history: Path, args: list[str], code: int) -> None:
    result = run_cli(args[0], "--state-dir", str(history), *args[1:])
    assert result.returncode == code, result
    assert result.stderr.strip()


@pytest.mark.parametrize("verb", ["list", "info"])
def test_no_database_is_not_found_and_says_where(tmp_path: Path, verb: str) -> None:
    result = run_cli(verb, "--state-dir", str(tmp_path))
    assert result.returncode == EXIT_NOT_FOUND
    assert f"no state database at {tmp_path}/state.db" in result.stderr, result.stderr
    assert "No crashes found" not in result.stderr
    assert not list(tmp_path.iterdir())  # reading created nothing


def test_readonly_open_leaves_no_root_owned_files(history: Path, tmp_path: Path) -> None:
    """The daemon's user owns the state; `kcrashd list` as root must not leave files it cannot open."""
    if os.geteuid() != 0:
        pytest.skip("needs root to own files as another user")
    state = tmp_path / "state"
    state.mkdir()
    (state / "state.db").write_bytes((history / "state.db").read_bytes())
    for path in (state, state / "state.db"):
        os.chown(path, 4242, 4242)
    assert run_cli("list", "--state-dir", str(state)).returncode == 0
    owners = {p.name: p.stat().st_uid for p in state.iterdir()}
    assert all(uid == 4242 for uid in owners.values()), owners


def test_info_says_how_to_open_a_compressed_dump(tmp_path: Path) -> None:
    """The crash utility reads a flattened dump but not its gzip copy: `info` says to unpack it first."""
    dumps = tmp_path / "crash"
    dumps.mkdir()
    folder = write_debian(dumps, "202401051032", log_bytes(), dump=gzip.compress(flattened(kdump_file(nodename="web3"))))
    os.rename(folder / "dump.202401051032", folder / "dump.202401051032.gz")
    record_all(dumps, tmp_path / "state")
    out = run_cli("info", "--state-dir", str(tmp_path / "state"), str(folder)).stdout
    assert f"zcat {folder}/dump.202401051032.gz > /var/tmp/vmcore.flat\n" in out, out
    assert re.search(r"\n      crash /usr/lib/debug/lib/modules/\S+/vmlinux /var/tmp/vmcore.flat\n", out), out


# --- what an administrator meets first (issue 14) ----------------------------------------------


@pytest.mark.parametrize("flag", ["--since", "--until"])
def test_relative_times_as_in_the_help(history: Path, flag: str) -> None:
    """`--since -1h` (the form --help shows): argparse alone takes `-1h` for an unknown option."""
    result = run_cli("list", "--state-dir", str(history), flag, "-1h", "--json")
    expected = 0 if flag == "--until" else EXIT_NOT_FOUND  # the crashes are from 2024 and 2025
    assert result.returncode == expected, result.stderr
    assert "unrecognized arguments" not in result.stderr and "expected one argument" not in result.stderr
    assert run_cli("info", "--state-dir", str(history), "--until", "-2d", "HOST=db3").returncode == 0
    assert run_cli("list", "--state-dir", str(history), "--since", "-100000d", "-r").returncode == 0


def test_list_piped_keeps_the_whole_title_and_an_id_to_act_on(history: Path) -> None:
    out = run_cli("list", "--state-dir", str(history)).stdout
    assert SYSRQ_TITLE in out  # not cut at 70 characters when piped
    rows = json.loads(run_cli("list", "--state-dir", str(history), "--json").stdout)
    short = out.splitlines()[1].split()[4]  # after "Tue 2024-05-01 10:00:00 UTC"
    assert len(short) == 12 and rows[0]["crash_id"].startswith(short)
    info = run_cli("info", "--state-dir", str(history), short)
    assert info.returncode == 0 and f"Crash ID: {rows[0]['crash_id']}" in info.stdout
    bare = run_cli("list", "--state-dir", str(history), "--no-legend").stdout.splitlines()
    assert len(bare) == 4 and not bare[0].startswith("TIME")


def run_on_terminal(*args: str, columns: int, env: dict[str, str] | None = None) -> str:
    """kcrashd with its stdout on a pseudo-terminal `columns` wide; what it wrote there."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "PAGER", "SYSTEMD_PAGER")}
    proc = subprocess.Popen(
        [str(KCRASHD), *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE, env=environ | (env or {})
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    proc.communicate(timeout=60)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_list_on_a_terminal_fits_its_width(history: Path) -> None:
    out = run_on_terminal("list", "--state-dir", str(history), "--no-pager", columns=150)
    lines = out.splitlines()
    assert len(lines) == 5 and all(len(line) <= 150 for line in lines), out
    assert "…" in lines[1] and SYSRQ_TITLE not in out


def test_list_and_info_use_a_pager_on_a_terminal(history: Path, tmp_path: Path) -> None:
    paged = tmp_path / "paged"
    run_on_terminal("list", "--state-dir", str(history), columns=150, env={"PAGER": f"tee {paged}"})
    assert paged.read_text().startswith("TIME ")
    run_on_terminal("info", "--state-dir", str(history), "HOST=db3", columns=150, env={"SYSTEMD_PAGER": f"tee {paged}"})
    assert "Host: db3" in paged.read_text()


def test_unclassified_crash_is_named_so(tmp_path: Path) -> None:
    dumps = tmp_path / "crash"
    raw = dumps / "2024-01-05-10:32"
    raw.mkdir(parents=True)
    write_file(raw / "vmcore", b"KDUMP   " + b"\x00" * 100)  # a corrupt header and no log
    record_all(dumps, tmp_path / "state")
    line = run_cli("list", "--state-dir", str(tmp_path / "state")).stdout.splitlines()[1]
    assert " unclassified " in line and "(no kernel log available)" in line, line
    assert " none " not in line


def test_info_shows_ip_modules_and_each_frame_once(tmp_path: Path) -> None:
    dumps = tmp_path / "crash"
    dumps.mkdir()
    lab = (CORPUS / "lab/deb12-6.1_bug_run1/vmcore-dmesg.txt").read_bytes()
    write_rhel(dumps, "10.0.0.5-2024-05-05-10:00:00", lab)
    arm = (CORPUS / "syzkaller/files/237").read_bytes()  # `(callee) from (caller+off)` lines
    write_rhel(dumps, "10.0.0.6-2024-05-06-10:00:00", arm)
    x86 = (CORPUS / "syzkaller/files/711").read_bytes()  # 6.x: `? __pfx_F+0x10/0x10` beside F
    write_rhel(dumps, "10.0.0.7-2024-05-07-10:00:00", x86)
    record_all(dumps, tmp_path / "state")
    state = str(tmp_path / "state")
    out = run_cli("info", "--state-dir", state, "HOST=10.0.0.5").stdout
    assert "              IP: lab_trigger_bug+0x16/0x20 [kcrashd_lab]" in out, out
    assert re.search(r"\n +Modules: kcrashd_lab\(OE\) 9p fscache netfs ", out), out
    stack = run_cli("info", "--state-dir", state, "HOST=10.0.0.6").stdout.split("Stack:\n", 1)[1].split("\n\n")[0]
    names = [line.strip().removeprefix("? ").split()[0].split("+")[0] for line in stack.splitlines()]
    assert len(names) == 16 and all(a != b for a, b in itertools.pairwise(names)), names
    stack = run_cli("info", "--state-dir", state, "HOST=10.0.0.7").stdout.split("Stack:\n", 1)[1].split("\n\n")[0]
    assert "__pfx_" not in stack and "hci_conn_del+" in stack, stack


def without_journald(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """kcrashd in a mount namespace of its own with an empty /run/systemd: no journald socket."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("hiding the journald socket needs root and unshare(1)")
    script = 'if [ -d /run/systemd ]; then mount -t tmpfs none /run/systemd; fi; exec "$@"'
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(KCRASHD), *args],
        capture_output=True, text=True, timeout=120, cwd=cwd,
    )  # fmt: skip


def test_scan_exits_4_when_something_was_deferred(tmp_path: Path) -> None:
    dumps = tmp_path / "crash"
    dumps.mkdir()
    write_rhel(dumps, "10.0.0.1-2024-05-01-10:00:00", log_bytes())
    result = without_journald("scan", "--dump-path", str(dumps), "--state-dir", str(tmp_path / "state"))
    assert result.returncode == EXIT_DEFERRED, result
    assert "1 deferred" in result.stdout
    assert "will retry" not in result.stderr
    assert "left for the next `kcrashd scan` or the daemon" in result.stderr
    assert "run `kcrashd scan` again" in result.stderr


def test_resend_takes_state_dir_and_a_short_id(history: Path) -> None:
    crash_id = json.loads(run_cli("list", "--state-dir", str(history), "--json").stdout)[0]["crash_id"]
    copy = history.parent / "resend-state"
    copy.mkdir(exist_ok=True)
    (copy / "state.db").write_bytes((history / "state.db").read_bytes())
    result = run_cli("resend", "--state-dir", str(copy), crash_id[:12])
    assert result.returncode == EXIT_NOT_FOUND  # recorded without alert targets: nothing to re-queue
    assert f"no alert deliveries for crash {crash_id!r}" in result.stderr, result.stderr
    old = run_cli("resend", "--state-db", str(copy / "state.db"), crash_id)
    assert old.returncode == EXIT_NOT_FOUND and "--state-db is deprecated" in old.stderr


def test_relative_dump_path_and_folder_name(tmp_path: Path) -> None:
    """`scan --dump-path crash` records the folder by its absolute path (the crash id comes from it:
    a later run with the absolute path must find the same crash), and `info NAME` takes the folder
    name as `ls /var/crash` shows it."""
    (tmp_path / "crash").mkdir()
    folder = write_rhel(tmp_path / "crash", "10.0.0.1-2024-05-01-10:00:00", log_bytes())
    # without journald: the crash stays out of this host's journal, recorded, its entry left for later
    scan = without_journald("scan", "--dump-path", "crash", "--state-dir", "state", cwd=tmp_path)
    assert scan.returncode == EXIT_DEFERRED, scan
    rows = json.loads(run_cli("list", "--state-dir", str(tmp_path / "state"), "--json").stdout)
    assert [row["dump_dir"] for row in rows] == [str(folder)]
    info = run_cli("info", "--state-dir", str(tmp_path / "state"), folder.name)
    assert info.returncode == 0 and f"Crash ID: {rows[0]['crash_id']}" in info.stdout, info
