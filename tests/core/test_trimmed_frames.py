"""A trace trimmed to bare function names, as Documentation/process/submitting-patches.rst ("Backtraces in commit
messages") asks of a quoted one: `mba_wrmsr` alone on its line.  Such a line is a frame only inside a trace
(frames.mark_trimmed_frames): after the trace's start, a stack section's mark or another frame, up to a blank line.
Invariance transform `bare-frames` (tests/core/log_variants.py) measures it over the development logs."""

from __future__ import annotations

import pytest

from kcrashd.core import analyze
from kcrashd.core.frames import TRIMMED_MARK, mark_trimmed_frames, parse_frames

# The example of Documentation/process/submitting-patches.rst.
_DOC_EXAMPLE = """\
unchecked MSR access error: WRMSR to 0xd51 (tried to write 0x0000000000000064)
at rIP: 0xffffffffae059994 (native_write_msr+0x4/0x20)
Call Trace:
mba_wrmsr
update_domains
rdtgroup_mkdir
"""

_NULL_DEREF = """\
BUG: kernel NULL pointer dereference, address: 0000000000000008
#PF: supervisor read access in kernel mode
Oops: 0000 [#1] PREEMPT SMP NOPTI
CPU: 3 PID: 1234 Comm: modprobe Tainted: G           O      6.6.10 #1
RIP: 0010:mydrv_probe+0x2a/0x1c0 [mydrv]
Call Trace:
 <TASK>
 ? __die+0x20/0x70
 mydrv_probe [mydrv]
 pci_device_probe
 really_probe
 </TASK>
"""


def test_the_documentation_example_reads_as_a_trace() -> None:
    marked = mark_trimmed_frames(_DOC_EXAMPLE.splitlines())
    assert [fr.function for t in marked for fr in parse_frames(t)] == ["mba_wrmsr", "update_domains", "rdtgroup_mkdir"]


@pytest.mark.parametrize(("line", "fn", "module", "reliable"), [
    (" mydrv_probe [mydrv]", "mydrv_probe", "mydrv", True),
    (" ? copy_process.part.25", "copy_process", None, False),
    ("lkdtm_SOFTLOCKUP", "lkdtm_SOFTLOCKUP", None, True),
])
def test_a_trimmed_frame_below_a_trace_start_is_a_frame(line: str, fn: str, module: str | None, reliable: bool) -> None:
    (_, marked) = mark_trimmed_frames(["Call Trace:", line])
    (frame,) = parse_frames(marked)
    assert (frame.function, frame.module, frame.reliable, frame.offset) == (fn, module, reliable, None)


@pytest.mark.parametrize("texts", [
    ["\t# Subtest: example", "\t1..2", "init_suite"],  # a test's name in KUnit's output
    ["Call Trace:", " ffff88811346a920"],  # a stack word, not a symbol
    ["Call Trace:", " mba_wrmsr+0x41/0x80", "", "done"],  # a blank line ends the trace
    ["Call Trace:", "Fix it by taking the lock."],  # prose
    ["root@host:~# poweroff", "poweroff"],  # a shell's output
])
def test_a_lone_word_outside_a_trace_is_no_frame(texts: list[str]) -> None:
    marked = mark_trimmed_frames(texts)
    assert not any(t.endswith(TRIMMED_MARK) for t in marked)
    assert all(parse_frames(t) == () for t in marked if "+0x" not in t)


def test_kfence_stacks_start_below_their_object_lines() -> None:
    texts = ["Corrupted memory at 0xffffffffb6797ff9 [ 0xac . . ] (in kfence-#69):", " test_kmalloc_aligned_oob_write"]
    assert parse_frames(mark_trimmed_frames(texts)[1])[0].function == "test_kmalloc_aligned_oob_write"


def test_a_trimmed_report_is_titled_as_its_whole_report() -> None:
    whole = analyze(_NULL_DEREF.replace(" mydrv_probe [mydrv]", " mydrv_probe+0x2a/0x1c0 [mydrv]")
                    .replace(" pci_device_probe\n", " pci_device_probe+0x9a/0x1b0\n"), source="whole")
    trimmed = analyze(_NULL_DEREF.replace("RIP: 0010:mydrv_probe+0x2a/0x1c0 [mydrv]\n", ""), source="trimmed")
    assert trimmed.title == whole.title == "BUG: unable to handle kernel NULL pointer dereference in mydrv_probe"
    assert trimmed.fingerprint == whole.fingerprint

