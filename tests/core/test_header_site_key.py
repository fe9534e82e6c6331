"""A report that names no culprit keeps syzkaller's title (`X in corrupted`), but when its header line
names a function (kernel/panic.c __warn prints `at %pS`: the WARN site, what the RIP line would have
named; sanitizers print `in %pS`), that function keys its fingerprint: different bugs quoted without a
trace no longer share the key of every stack-less report of their kind (kcrashd.core.culprit.header_function, kcrashd.core.title._header_site,
kcrashd.core.fingerprint.fingerprint_key)."""

from __future__ import annotations

import pytest

from kcrashd.core import analyze
from kcrashd.core.culprit import header_function
from kcrashd.core.fingerprint import fingerprint_title

_LONE_WARNING = "WARNING: CPU: 15 PID: 1 at drivers/dma/dmaengine.c:1110 {site}+0xb7/0xc0\n"
_WHOLE_WARNING = (
    "WARNING: CPU: 2 PID: 0 at kernel/sched/sched.h:1730 {site}+0x1130/0x1c90\n"
    "Modules linked in: nvme\n"
    "CPU: 2 PID: 0 Comm: swapper/2 Not tainted 6.12.0 #1\n"
    "RIP: 0010:{site}+0x1130/0x1c90\n"
    "Call Trace:\n"
    " <TASK>\n"
    " schedule_idle+0x22/0x40\n"
    " do_idle+0x19c/0x250\n"
    " cpu_startup_entry+0x29/0x30\n"
    " </TASK>\n"
)


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("WARNING: CPU: 2 PID: 2636 at ipc/shm.c:162 shm_open.isra.5.part.6+0x74/0x80", "shm_open"),
        ("WARNING: CPU: 3 PID: 1 at net/netlink/genetlink.c:1037 genl_unbind+0x110/0x130()", "genl_unbind"),
        ("BUG: KASAN: slab-out-of-bounds in memcpy+0x1d/0x40 at addr ffff88003a6bd110", "memcpy"),
        # 6.19's __warn: `%s:%d at %pS, CPU#%d: %s/%d`, and `at %pS, CPU#%d: %s/%d` for a bug entry with no file
        ("WARNING: mm/slub.c:6500 at warn_free_bad_obj+0xe0/0x108, CPU#0: init/1", "warn_free_bad_obj"),
        ("WARNING: at tpm_tis_status+0x86/0x8f, CPU#2: swapper/0/1", "tpm_tis_status"),
        ("WARNING: at lab_trigger_warning+0x1a/0x30 [kcrashd_lab], CPU#0: init/1", "lab_trigger_warning"),
    ],
)
def test_header_symbol_samples(line: str, name: str) -> None:
    assert header_function(line) == name


@pytest.mark.parametrize(
    "line",
    [
        "WARNING: CPU: 0 PID: 1 at kernel/sched/core.c:1234",  # no symbol
        "kernel BUG at fs/ext4/inode.c:2345!",
        "BUG: unable to handle kernel NULL pointer dereference at 0000000000000360",
        "WARNING: CPU: 0 PID: 1 at lib/foo.c:12 0xffffffffc0a01234",  # an address, no name
        "WARNING: at 0xffffffffc0a01234, CPU#2: swapper/0/1",  # 6.19's form with an address
        "WARNING: at boot time, CPU#2 raised it",  # words, no `%pS`
    ],
)
def test_header_symbol_negative_samples(line: str) -> None:
    assert header_function(line) is None


def test_two_lone_warnings_keep_the_title_and_get_two_keys() -> None:
    one = analyze(_LONE_WARNING.format(site="__dma_async_device_channel_unregister"))
    two = analyze(_LONE_WARNING.format(site="ccp_dmaengine_unregister"))
    assert one.title == two.title == "WARNING in corrupted"  # syzkaller's title
    assert one.fingerprint != two.fingerprint
    assert one.fingerprint == fingerprint_title("WARNING in __dma_async_device_channel_unregister")
    # version 3 keyed both on the title: that key continues as an alias
    assert fingerprint_title("WARNING in corrupted").replace("kc7-", "kc3-") in one.fingerprint_aliases


def test_a_lone_warning_keys_as_its_whole_report() -> None:
    lone = analyze(_LONE_WARNING.format(site="__schedule"))
    whole = analyze(_WHOLE_WARNING.format(site="__schedule"))
    assert whole.title == "WARNING in __schedule"
    assert lone.fingerprint == whole.fingerprint


def test_a_header_without_a_symbol_keys_on_its_file() -> None:
    report = analyze("WARNING: CPU: 0 PID: 1 at kernel/sched/core.c:1234\n")
    assert report.title == "WARNING in corrupted"
    assert report.alt_titles == ["WARNING in corrupted at kernel/sched/core.c"]
    assert report.fingerprint == fingerprint_title(report.title, report.alt_titles) != fingerprint_title(report.title)


def test_a_header_without_a_symbol_or_a_file_is_keyed_on_its_report() -> None:
    # Negative: nothing on the header line to tell the bug by: no site alternative; since fingerprint version 7 the key
    # is its header's words (tests/core/test_report_key.py), not the title every such report shares.
    report = analyze("BUG: sleeping function called from invalid context\nin_atomic(): 1, irqs_disabled(): 0, pid: 1\n")
    assert report.title.endswith(" in corrupted") and len(report.alt_titles) == 1
    assert report.alt_titles[0].startswith("report ") and report.alt_titles[0].endswith(" of " + report.title)
    assert report.fingerprint == fingerprint_title(report.title, report.alt_titles) != fingerprint_title(report.title)


def test_a_named_culprit_is_not_touched() -> None:
    # Negative: a report with its culprit keys on its title as before.
    report = analyze(_WHOLE_WARNING.format(site="__schedule"))
    assert report.fingerprint == fingerprint_title(report.title, report.alt_titles)
    assert not any(alt.endswith(" in corrupted") for alt in report.alt_titles[:1])


# A header that names only its check's source file (kernel/sched/core.c __might_resched `... at %s:%d`, lib/bug.c
# `kernel BUG at %s:%d!`, a WARNING whose `%pS` was cut): two stack-less reports of two files are two bugs, and the
# line, which moves with every build, is left out.
_SLEEPING = "BUG: sleeping function called from invalid context at {path}:{line}\nin_atomic(): 1, irqs_disabled(): 128, pid: 1\n"


def test_a_file_only_header_keys_a_culpritless_report_on_its_file() -> None:
    ti = analyze(_SLEEPING.format(path="drivers/bus/ti-sysc.c", line=242))
    mutex = analyze(_SLEEPING.format(path="kernel/locking/mutex.c", line=283))
    moved = analyze(_SLEEPING.format(path="drivers/bus/ti-sysc.c", line=250))
    assert ti.title == mutex.title == "BUG: sleeping function called from invalid context in corrupted"
    assert ti.fingerprint != mutex.fingerprint
    assert ti.fingerprint == moved.fingerprint
    assert fingerprint_title(ti.title).replace("kc7-", "kc3-") in ti.fingerprint_aliases  # version 3 keyed the title


@pytest.mark.parametrize(("header", "path"), [
    ("WARNING: CPU: 35 PID: 911 at ./arch/x86/include/asm/tlbflush.h:460", "arch/x86/include/asm/tlbflush.h"),
    ("kernel BUG at /build/linux-aa0B4d/linux-5.15.0/mm/slub.c:3346!", "mm/slub.c"),
    ("BUG: sleeping function called from invalid context at kernel/locking/mutex.c:283", "kernel/locking/mutex.c"),
])  # fmt: skip
def test_the_source_file_samples(header: str, path: str) -> None:
    from kcrashd.core.title import _SOURCE_SITE

    m = _SOURCE_SITE.search(header)
    assert m is not None and m.group(1) == path


@pytest.mark.parametrize("header", [
    "WARNING: at foo.c:3 bar",  # no kernel-tree directory
    "UBSAN: invalid-load in sound/firewire/fcp.c:363:9",  # `in`, not `at`
    "BUG: unable to handle kernel NULL pointer dereference at 0000000000000360",
])  # fmt: skip
def test_other_headers_name_no_source_file(header: str) -> None:
    from kcrashd.core.title import _SOURCE_SITE

    assert _SOURCE_SITE.search(header) is None


@pytest.mark.parametrize("header", [
    "WARNING: CPU: 2 PID: 1 at drivers/char/tpm/tpm_tis_core.c:275 tpm_tis_status+0x86/0x8f",
    "WARNING: drivers/char/tpm/tpm_tis_core.c:275 at tpm_tis_status+0x86/0x8f, CPU#2: swapper/0/1",
    "WARNING: at tpm_tis_status+0x86/0x8f, CPU#2: swapper/0/1",
])  # fmt: skip
def test_a_lone_warning_keys_alike_in_every_spelling_of_the_kernels_warn_line(header: str) -> None:
    report = analyze(f"[    4.324806] {header}\n")
    assert (report.title, report.function) == ("WARNING in corrupted", "tpm_tis_status")
    assert report.fingerprint == fingerprint_title("WARNING in tpm_tis_status")
