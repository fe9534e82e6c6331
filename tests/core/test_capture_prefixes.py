"""Line prefixes of the tools that capture kernel logs (normalize.parse_line): util-linux dmesg's `-T`
(--ctime), `-H` (--human), `-x` (--decode) and `--color=always`, and journalctl's `-o short-monotonic`, `short-precise`,
`short-full` and `short-unix`.  Each is read off like the
kernel's own `[ sec.usec]`, and a line with such a time is a stamped kernel line.  Negatives beside."""

from __future__ import annotations

from functools import cache

import pytest

from kcrashd.core import analyze
from kcrashd.core.normalize import decode_log, parse_line
from tests.core.corpus_score import syzkaller_cases
from tests.core.log_variants import variants

TEXT = "BUG: unable to handle page fault for address: 0000000000001234"


@pytest.mark.parametrize("raw", [
    # util-linux sys-utils/dmesg.c --ctime: `[%a %b %e %H:%M:%S %Y] ` (day padded with a space)
    f"[Thu Dec  3 15:31:35 2026] {TEXT}",
    f"[Mon Jan 12 01:02:03 2015] {TEXT}",
    # the same in a reader's LC_TIME (util-linux calls setlocale; glibc 2.36's ru_RU, fr_FR, ja_JP)
    f"[Чт дек  3 15:31:35 2026] {TEXT}",
    f"[jeu. déc.  3 15:31:35 2026] {TEXT}",
    f"[木 12月  3 15:31:35 2026] {TEXT}",
    # --decode: `%-6s:%-6s: ` facility and level, then the printk time
    f"kern  :warn  : [  123.456789] {TEXT}",
    f"kern  :emerg : [    0.000001] {TEXT}",
    # both: `dmesg -x -T`
    f"kern  :err   : [Thu Dec  3 15:31:35 2026] {TEXT}",
    # journalctl -k -o short-monotonic: `[%5llu.%06llu] host kernel: ` + MESSAGE
    f"[  123.456789] buildhost-07 kernel: {TEXT}",
    # dmesg --color=always saved to a file: the time between SGR escapes (dropped when decoding)
    f"\x1b[32m[  123.456789]\x1b[0m {TEXT}",
    # -H (--human): a minute's first record `[%b%d %H:%M]`, then each record's delta `[  +%ld.%06ld]`
    f"[Dec17 17:14] {TEXT}",
    f"[Nov 2 01:02] {TEXT}",
    f"[дек03 15:31] {TEXT}",
    f"[12月03 15:31] {TEXT}",
    f"[  +0.004646] {TEXT}",
    f"[ +12.000001] {TEXT}",
])
def test_capture_tool_prefix_is_read_off_and_the_line_is_stamped(raw: str) -> None:
    assert parse_line(decode_log(raw)) == (TEXT, "console", True)


@pytest.mark.parametrize("raw", [
    # systemd's output-mode.c short forms: -o short-precise, short-full, short-unix
    f"Dec 03 15:31:35.123456 buildhost-07 kernel: {TEXT}",
    f"Thu 2026-12-03 15:31:35 UTC buildhost-07 kernel: {TEXT}",
    f"Thu 2026-12-03 15:31:35 CEST buildhost-07 kernel: {TEXT}",
    f"1764776095.123456 buildhost-07 kernel: {TEXT}",
    # the same under a reader's LC_TIME (glibc 2.36's `%b` and `%a`: logs-show.c's strftime): ru_RU, de_DE, fr_FR,
    # ja_JP and ko_KR (a blank before a one-digit month), ca_ES (two words), ar_SY (two words), cs_CZ, tr_TR
    f"дек 03 15:31:35 buildhost-07 kernel: {TEXT}",
    f"Dez 03 15:31:35.123456 buildhost-07 kernel: {TEXT}",
    f"juil. 03 15:31:35 buildhost-07 kernel: {TEXT}",
    f" 7月 03 15:31:35 buildhost-07 kernel: {TEXT}",
    f"12월 03 15:31:35 buildhost-07 kernel: {TEXT}",
    f"de des. 03 15:31:35 buildhost-07 kernel: {TEXT}",
    f"كانون الأول 03 15:31:35 buildhost-07 kernel: {TEXT}",
    f"čec 03 15:31:35 buildhost-07 kernel: {TEXT}",
    f"Чт 2026-12-03 15:31:35 MSK buildhost-07 kernel: {TEXT}",
    f"Prş 2026-12-03 15:31:35 +03 buildhost-07 kernel: {TEXT}",
])
def test_journalctl_short_forms_lose_their_prefix(raw: str) -> None:
    assert parse_line(raw)[0] == TEXT


@pytest.mark.parametrize("raw", [
    f"Thu 2026-12-03 15:31:35 UTC buildhost-07 systemd[1]: {TEXT}",
    f"1764776095.123456 buildhost-07 sshd[42]: {TEXT}",
    f"дек 03 15:31:35 buildhost-07 systemd[1]: {TEXT}",
    f" 7월 03 15:31:35 buildhost-07 sshd[42]: {TEXT}",
    f"jeu. 2026-12-03 15:31:35 CET buildhost-07 NetworkManager[812]: {TEXT}",
])
def test_another_programs_line_in_a_journal_short_form_is_no_kernel_line(raw: str) -> None:
    assert parse_line(raw)[0] == ""


@pytest.mark.parametrize(("raw", "text"), [
    # a driver's bracketed tag is text, not a time (`[drm:...]`, `[Firmware Bug]:`)
    ("[drm:intel_cpu_fifo_underrun_irq_handler [i915]] *ERROR* underrun", None),
    ("[Firmware Bug]: TSC_DEADLINE disabled", None),
    # a date inside the text is no prefix; a level name without dmesg's colons neither
    ("Thu Dec  3 15:31:35 2026 something happened", None),
    # kernel lines that start with a word or a number and a blank, as a localised month does
    ("usb 1-1: new high-speed USB device number 2 using xhci_hcd", None),
    (" 1 lock held by swapper/0/1:", None),
    ("ata1 00:05 link up", None),
    ("[12 01:02] bracketed numbers", None),
    # a bracketed sum or date in a driver's text: no microseconds, no minute
    ("[ +5] offset", None),
    ("[Dec17] text", None),
    ("kernel: warn: not dmesg's shape", None),
    # a number that is no Unix time (too short, no microseconds) before a `kernel:` word
    ("12345.678 host kernel: text", None),
    ("Tainted: G W 6.1.0 #1 kernel: text", None),
    # the kernel's own stamp is still read as before
    ("[  123.456789] kernel: text after the stamp", "kernel: text after the stamp"),
])
def test_lookalikes_are_not_capture_prefixes(raw: str, text: str | None) -> None:
    got_text, _context, stamped = parse_line(raw)
    assert got_text == (raw if text is None else text)
    assert stamped == (text is not None)


# Development logs of the syzkaller corpus (sealed ones are never used) whose reports lose their
# title, culprit or kind when these prefixes are left on the lines: an old-format KASAN report, an
# RCU stall, a lockdep bug report.
CASES = ("report-8", "report-145", "report-161")


@cache
def _logs() -> dict[str, bytes]:
    return {c.id: c.log() for c in syzkaller_cases() if c.id in CASES and not c.sealed}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("tool", ["dmesg-T", "dmesg-T-locale", "dmesg-H", "dmesg-x", "monotonic", "precise", "full", "unix", "color"])
def test_a_development_log_captured_by_each_tool_keeps_its_report(case: str, tool: str) -> None:
    data = _logs()[case]
    new = next(v for t, v in variants(data) if t.name == tool)
    want, got = analyze(data), analyze(new)
    assert want.title
    assert (got.title, got.function, got.kind, got.fingerprint) == (want.title, want.function, want.kind, want.fingerprint)


@pytest.mark.parametrize(("raw", "text", "context"), [
    # CONFIG_PRINTK_CALLER's task or CPU id after the time, and an Android vendor hook's `T<pid>@C<cpu>`
    ("[    6.258269][T329@C6] [ BUG: Invalid wait context ]", "[ BUG: Invalid wait context ]", "T329"),
    ("[  123.456789][ T1234] text", "text", "T1234"),
    ("[  123.456789][  C3] text", "text", "C3"),
    ("<4>[  123.456789][T12@C0] text", "text", "T12"),
    # an `@` without the CPU's number is no caller id: the bracket stays in the text
    ("[  123.456789][T1@] text", "[T1@] text", "console"),
    ("[  123.456789][T1@C] text", "[T1@C] text", "console"),
])
def test_printk_caller_ids_are_read_off(raw: str, text: str, context: str) -> None:
    assert parse_line(raw) == (text, context, True)
