"""Write the journal export files of tests/kernel_journal/data (run: python -m tests.kernel_journal.make_exports).

Three boots of one guest, in journal export format (systemd's Journal Export Format), built from the
kernel logs the crash lab captured from real QEMU boots of Debian 12's 6.1 kernel
(tests/corpus/lab/deb12-6.1_*/vmcore-dmesg.txt); they are not recordings of a guest's journal:
  boot-a  the lab's WARNING and NULL-pointer oops, survived (the panic lines of the lab runs are cut:
          panic_on_warn/panic_on_oops were 0 here), kdump-tools started, then a clean reboot
          (shutdown.target reached, "Journal stopped")
  boot-b  a boot with an i6300esb hardware watchdog and no kdump service, that ends without any
          shutdown record (a reset)
  boot-c  the current boot: a plain boot (the tests append a WARNING to it while the source runs)
The files are committed; this script re-makes them.
"""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
LAB = HERE.parents[0] / "corpus" / "lab"
WARNING_LOG = LAB / "deb12-6.1_warning_run1" / "vmcore-dmesg.txt"
OOPS_LOG = LAB / "deb12-6.1_null-deref_run1" / "vmcore-dmesg.txt"
MACHINE = "5d1e0b6a2f3c4e8d9a7b6c5d4e3f2a1b"
HOST = "guest"
BOOTS = {
    "boot-a": ("a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", 1_796_119_200),  # 2026-12-01 10:00 UTC
    "boot-b": ("b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2", 1_796_122_800),
    "boot-c": ("c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3", 1_796_126_400),
}
UNIT_STARTED = "39f53479d3a045ac8e11786248231fbf"
JOURNAL_STOPPED = "d93fb3c9c24d451a97cea615ce59c00b"
STAMP = re.compile(r"^\[ *(\d+)\.(\d{6})\] (.*)$")
END_TRACE = "---[ end trace 0000000000000000 ]---"


def dmesg(path: Path) -> list[tuple[int, str]]:
    """(monotonic µs, text) of each line of a lab log."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        m = STAMP.match(raw)
        if m:
            out.append((int(m.group(1)) * 1_000_000 + int(m.group(2)), m.group(3)))
    return out


def until(lines: list[tuple[int, str]], stop: str) -> list[tuple[int, str]]:
    cut = next((n for n, (_, text) in enumerate(lines) if stop in text), len(lines))
    return lines[:cut]


def entry(boot: str, start: int, mono: int, fields: dict[str, str]) -> str:
    head = {
        "__REALTIME_TIMESTAMP": str(start * 1_000_000 + mono), "__MONOTONIC_TIMESTAMP": str(mono),
        "_BOOT_ID": boot, "_MACHINE_ID": MACHINE, "_HOSTNAME": HOST,
    }  # fmt: skip
    return "".join(f"{k}={v}\n" for k, v in {**head, **fields}.items()) + "\n"


def kernel(boot: str, start: int, mono: int, text: str) -> str:
    fields = {"_TRANSPORT": "kernel", "SYSLOG_IDENTIFIER": "kernel", "PRIORITY": "4" if "WARNING" in text else "6",
              "_SOURCE_MONOTONIC_TIMESTAMP": str(mono), "MESSAGE": text}  # fmt: skip
    return entry(boot, start, mono, fields)


def systemd(boot: str, start: int, mono: int, message: str, **extra: str) -> str:
    fields = {
        "_TRANSPORT": "journal",
        "SYSLOG_IDENTIFIER": "systemd",
        "_PID": "1",
        "PRIORITY": "6",
        **extra,
        "MESSAGE": message,
    }
    return entry(boot, start, mono, fields)


def boot_a() -> str:
    boot, start = BOOTS["boot-a"]
    lines = until(dmesg(WARNING_LOG), "Kernel panic - not syncing")
    last = lines[-1][0]
    oops = until(dmesg(OOPS_LOG), "Kernel panic - not syncing")
    first_oops = next(n for n, (_, text) in enumerate(oops) if text.startswith("BUG: kernel NULL pointer"))
    shift = last + 30_000_000 - oops[first_oops][0]
    lines += [(mono + shift, text) for mono, text in oops[first_oops:]]
    lines.append((lines[-1][0] + 100, END_TRACE))
    out = [kernel(boot, start, mono, text) for mono, text in lines]
    end = lines[-1][0]
    out.insert(
        next(n for n, (mono, _) in enumerate(lines) if mono > 3_000_000),
        systemd(
            boot,
            start,
            3_000_000,
            "Finished kdump-tools.service.",
            MESSAGE_ID=UNIT_STARTED,
            UNIT="kdump-tools.service",
            JOB_TYPE="start",
            JOB_RESULT="done",
        ),
    )
    out.append(
        systemd(
            boot,
            start,
            end + 60_000_000,
            "Reached target shutdown.target - System Shutdown.",
            MESSAGE_ID=UNIT_STARTED,
            UNIT="shutdown.target",
            JOB_TYPE="start",
            JOB_RESULT="done",
        )
    )
    out.append(
        entry(
            boot,
            start,
            end + 61_000_000,
            {
                "_TRANSPORT": "driver",
                "SYSLOG_IDENTIFIER": "systemd-journald",
                "MESSAGE_ID": JOURNAL_STOPPED,
                "MESSAGE": "Journal stopped",
                "PRIORITY": "6",
            },
        )
    )
    return "".join(out)  # fmt: skip


def plain_boot(name: str) -> list[tuple[int, str]]:
    return until(dmesg(WARNING_LOG), "kcrashd_lab: loading")


def boot_b() -> str:
    boot, start = BOOTS["boot-b"]
    lines = plain_boot("boot-b")
    last = lines[-1][0]
    lines.append((last + 1_000, "i6300esb 0000:00:04.0: initialized. heartbeat=30 sec (nowayout=0)"))
    lines.append((last + 5_000_000, "systemd-journald[201]: Received client request to sync journal."))
    out = [kernel(boot, start, mono, text) for mono, text in lines]
    out.append(
        systemd(
            boot,
            start,
            last + 2_000,
            "Using hardware watchdog 'i6300ESB timer', version 0, device /dev/watchdog0",
        )
    )
    return "".join(out)


def boot_c() -> str:
    boot, start = BOOTS["boot-c"]
    return "".join(kernel(boot, start, mono, text) for mono, text in plain_boot("boot-c"))


def main() -> None:
    DATA.mkdir(exist_ok=True)
    for name, make in (("boot-a", boot_a), ("boot-b", boot_b), ("boot-c", boot_c)):
        (DATA / f"{name}.export").write_text(make(), encoding="utf-8")


if __name__ == "__main__":
    main()
