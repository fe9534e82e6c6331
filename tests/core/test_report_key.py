"""Fingerprint version 7: a report whose title names no culprit (`X in corrupted`) and whose header names no site is
keyed on its header's words (kcrashd.core.title.report_alternative, kcrashd.core.fingerprint.report_key): version 6
keyed every such report of a kind on its title, so that two different culprit-less bugs of one kind paged as one."""

from __future__ import annotations

import hashlib

from kcrashd.core import analyze
from kcrashd.core.fingerprint import REPORT_KEYED, fingerprint_key, fingerprint_title, report_key
from kcrashd.core.title import report_alternative
from tests.core.test_fingerprint_table import dropped_by_rule

# A soft lockup whose trace is the watchdog's own reporting path above another report's header (no culprit, no site).
_LOCKUP = (
    "[  473.756186] Call trace:\n"
    "[  473.756196]  dump_backtrace+0x0/0x198\n"
    "[  485.755156] watchdog: BUG: soft lockup - CPU#2 stuck for 22s! [tmp:5149]\n"
    "[  485.755160] Modules linked in: ext4 mbcache jbd2\n"
    "[  485.755170] CPU: 2 PID: 5149 Comm: tmp Not tainted 4.19.90-2102.2.0.aarch64 #1\n"
)
# The same report on another boot and host: other time stamps, CPU, PID, modules and build.
_LOCKUP_AGAIN = (
    _LOCKUP.replace("CPU#2 stuck for 22s! [tmp:5149]", "CPU#7 stuck for 23s! [tmp:77]").replace("[  485.7551", "[ 2311.5167")
    .replace("ext4 mbcache jbd2", "xfs").replace("4.19.90-2102.2.0", "4.19.90-2110.8.0").replace("PID: 5149", "PID: 77")
)
# Another bug of the same kind: another task stuck.
_OTHER_LOCKUP = _LOCKUP.replace("[tmp:5149]", "[kswapd0:5149]").replace("Comm: tmp", "Comm: kswapd0")
_TITLE = "BUG: soft lockup in corrupted"


def _kc(version: int, text: str) -> str:
    return f"kc{version}-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def test_the_same_report_again_keeps_its_key() -> None:
    first, again = analyze(_LOCKUP), analyze(_LOCKUP_AGAIN)
    assert first.title == again.title == _TITLE and first.function is None
    own = report_key(first.title, first.alt_titles)
    assert own is not None and own.startswith(REPORT_KEYED) and own.endswith(" of " + _TITLE)
    assert first.fingerprint == again.fingerprint == _kc(7, own)


def test_two_culprit_less_reports_of_one_kind_are_two_keys() -> None:
    one, other = analyze(_LOCKUP), analyze(_OTHER_LOCKUP)
    assert one.title == other.title == _TITLE
    assert one.fingerprint != other.fingerprint


def test_the_shared_title_key_is_not_an_alias() -> None:
    # Listing version 6's key (the title) would merge every such report again through the store's re-keying.
    report = analyze(_LOCKUP)
    assert _kc(6, _TITLE) not in report.fingerprint_aliases
    assert not [a for a in report.fingerprint_aliases if a.startswith("kc1-")]
    assert dropped_by_rule(6, _kc(6, _TITLE), report)
    # Negative: a report that names its culprit lists its version-6 key, and the rule drops none of its keys.
    fault = "BUG: unable to handle kernel paging request at ffffc90000a3f000\nOops: 0002 [#1] SMP PTI\n"
    named = analyze(fault + "RIP: 0010:lab_write+0x12/0x40\n")
    assert named.title == "BUG: unable to handle kernel paging request in lab_write"
    assert named.fingerprint_aliases[0] == "kc6-" + named.fingerprint.removeprefix("kc7-")
    assert not dropped_by_rule(6, named.fingerprint_aliases[0], named)


def test_a_header_site_stays_the_key() -> None:
    # Negative: a WARNING's `at %pS` names the site (title._header_site): no report alternative.
    report = analyze("WARNING: CPU: 15 PID: 1 at drivers/dma/dmaengine.c:1110 dma_async_device_register+0xb7/0xc0\n")
    assert report.title == "WARNING in corrupted"
    assert report_key(report.title, report.alt_titles) is None
    assert report.fingerprint == fingerprint_title("WARNING in dma_async_device_register")


def test_earlier_versions_do_not_choose_the_report_alternative() -> None:
    title = "BUG: unable to handle kernel paging request in corrupted"
    alts = ["bad-access in corrupted", report_alternative(title, "BUG: unable to handle kernel paging request at ADDR")]
    assert fingerprint_key(title, alts, version=6) == title
    assert fingerprint_key(title, alts, version=2) == "bad-access in corrupted"
    assert fingerprint_key(title, alts) == alts[1]
    # Negative: the alternative of another title is not this title's key.
    assert report_key("general protection fault in corrupted", alts) is None


def test_the_digest_hashes_the_header_s_words_only() -> None:
    title = "BUG: spinlock lockup suspected in corrupted"
    header = "BUG: spinlock lockup suspected on CPU#2, syz-executor/12636"
    again = "Bug: spinlock lockup suspected on CPU#0, syz-executor.2/77"  # a re-cased quote
    other = "BUG: spinlock lockup suspected on CPU#2, kworker/2:1/12636"
    assert report_alternative(title, header) == report_alternative(title, again)
    assert report_alternative(title, header) != report_alternative(title, other)
