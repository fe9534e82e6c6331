"""Agreement with the expected titles, functions and kinds on the three corpora.

Syzkaller corpus (tests/corpus/syzkaller): the accuracy targets, asserted on the whole corpus:
title >= 0.90, function >= 0.95, pair F1 >= 0.95.  The floors are the measured levels per half
(regression guard): the odd half is the check against overfitting the even one.

Every corpus also has a sealed validation part (see corpus_score.sealed and docs/corpus.md),
scored in aggregate only.  The production corpus (tests/corpus/production) is a measurement, not
a target: its floors are the levels the current code reaches, rounded down, so that a regression
fails while the rules are being fixed family by family.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.core import corpus_score
from tests.core.corpus_score import (
    PRODUCTION,
    SEAL_BELOW,
    Score,
    case_number,
    load_cases,
    production_cases,
    production_index,
    report,
    score,
    score_cases,
    sealed,
    split,
)

TARGET = {"title": 0.90, "function": 0.95, "f1": 0.95}
# `corrupted`: agreement with syzkaller's CORRUPTED flag (0.978 in each half when it was first scored, the 30th
# issue-13 session; 0.955 before that session's two checks of a lost trace).
FLOOR = {
    "all": {"title": 0.96, "function": 0.98, "f1": 0.97, "corrupted": 0.97},
    "even": {"title": 0.96, "function": 0.98, "f1": 0.99, "corrupted": 0.97},
    "odd": {"title": 0.96, "function": 0.98, "f1": 0.95, "corrupted": 0.97},
}
# Measured on the production corpus's development part after the issue-13 families (113 logs: title
# 0.932, function 0.929, kind 0.990, no-crash 9/9, pair F1 0.971; 0.707 / 0.688 / 0.870 / 0.722 when
# it was added), rounded down by two to three cases' worth (one case is about 0.01), so that one
# rule fix that costs a case elsewhere still passes.  Re-measured when 51 logs from new sources
# (tuxparse, tuxrun, nipa, insights-core, node-problem-detector, ClusterFuzz, more kernel
# documentation and KUnit data) joined, 35 of them in the development part: 152 logs, title 0.871,
# function 0.863, kind 0.955, no-crash 17/19, pair F1 0.936 (117 logs: 0.933 / 0.931 / 0.991 /
# 11/11 / 1.000 before); the new logs are data kcrashd was not written against, so the floor
# follows the measurement, same rounding.  Re-measured again when 24 logs from further sources
# (LAVA, cAdvisor, Hack, the KMSAN tree's and the Linux Kernel Labs' documentation, two more kernel
# pages) joined, 18 of them in the development part: 170 logs, title 0.877, function 0.881,
# kind 0.966, no-crash 21/23, pair F1 0.893 (P 0.893: two modules' unrelated my_oops_init
# functions merge by bucket; R 0.893): only the F1 floor moves, to the measurement.  Re-measured after
# the families those logs showed (LAVA job logs, kmemleak's own block, SLUB left/right redzones, 4.0-4.3
# KASan, arm32 user-mode faults, other programs' syslog lines, kmemcheck): 170 logs, title 0.904, function 0.911,
# kind 0.993, no-crash 23/23, pair F1 0.909; the floors follow, rounded down by two to three cases.
# Re-measured when 15 logs from further sources joined (a RHEL 7 vmcore-dmesg excerpt from abrt's
# runtests, ChromiumOS's arm64 hard lockup without an NMI backtrace, drgn's blk-rq-qos tutorial,
# five excerpts of fwts's real-oops log, six KernelCI logspec excerpts, a kernel page's NMI
# notice), 10 of them in the development part: 209 logs, title 0.893, function 0.907, kind 0.989,
# no-crash 30/31, pair F1 0.871 (P 0.844, R 0.900; 199 logs: 0.911 / 0.922 / 0.994 / 29/30 /
# 0.915 before).  Four of the ten are misses (a hard lockup named after an idle CPU's NMI
# backtrace; an oops whose header line was not printed, titled by its panic line and merged with
# two other "Fatal exception" panics; a UBSAN report naming the log2.h helper; an oops whose frames
# are all "?" entries titled "in corrupted"); only the F1 floor has to move, same rounding.  Re-measured
# after the four families were fixed (the locked CPU's own dump, the `#PF:` lines of a lost header, the
# integer helpers of log2.h, a fault in a lock primitive on a guess-only trace): 209 logs, title 0.915,
# function 0.926, kind 0.994, no-crash 30/31, pair F1 0.915 (P 0.931, R 0.900); the F1 floor goes back up.
# Then 38 logs quoted in kernel patches of distribution packaging (Debian's PREEMPT_RT queue and bugfix
# patches, OpenWrt), 22 of them in the development part: 274 logs, title 0.877, function 0.890,
# kind 0.991, pair F1 0.913 (252 logs on main: 0.899 / 0.915 / 0.990 / 0.923).  Seven of the 22 are misses
# (three with -rt lock primitives `__rt_spin_lock`/`rt_write_lock` named as culprits, an allocator frame, UBSAN's
# reporting helper, an RCU stall's softirq frame, OpenWrt's `[ seconds ]` timestamps): the title floor
# moves to just below the measurement.  Re-measured after the families that followed (2.6-4.x formats, test
# harnesses, PREEMPT_RT locks and the page allocator, the report a panic names, quoted reports): 274 logs,
# title 0.934, function 0.943, kind 0.991, no-crash 45/46, pair F1 0.933 (P 0.955, R 0.913); every floor
# goes back up to just below its measurement.  With 34 harder development logs quoted in openSUSE
# kernel-source patches (308 logs): title 0.906, function 0.911, kind 0.988, pair F1 0.915; the title,
# function and F1 floors move to just below that measurement.
# Then 21 logs quoted in kernel patches of other distributions'
# packaging (Raspbian, Parrot, Gooroom, DANOS, an older Debian copy, Clear Linux, OpenWrt, Armbian, Arch Linux
# ARM), 13 of them in the development part: 287 logs, title 0.925, function 0.932, kind 0.992, no-crash 46/47,
# pair F1 0.884 (P 0.857, R 0.913).  Three of the 13 are misses (a soft lockup whose frames are `[<0>]` entries without
# addresses, titled "in corrupted" although its RIP line names the function; an RCU stall with blank `[ ]`
# timestamps, also "in corrupted"; a PREEMPT_RT lockdep report naming `__local_lock`); the two "in corrupted"
# titles merge with older stalls, so only the F1 floor moves to just below its measurement.
# With all three additions (330 development logs): title 0.890, function 0.898, kind 0.989, pair F1 0.869 (P 0.843,
# R 0.896); the floors move to just below that until the families the new logs show are fixed.
# After the two family branches that followed (culprit walks; quoted report forms): 330 logs, title 0.930,
# function 0.937, kind 0.989, pair F1 0.925 (P 0.956, R 0.896); every floor goes back up to just below that.
# With 19 more development logs quoted in distribution kernel patches (354 development logs): title 0.898,
# function 0.905, kind 0.970, pair F1 0.925; eleven of the 19 are misses (SUSE's capitalised line leaders "Bug:",
# "Info:", "Kasan:", "Rip:"; an ODEBUG message without its WARNING line; redacted "[<....>]" and offset-less frames;
# an old KASAN header with no access line), so the floors move to just below that until those families are fixed.
# Merged with the test-suite and other-packaging logs and the old-kernel forms (363 development logs): title 0.891,
# function 0.897, kind 0.970, pair F1 0.907 (a KASAN pair of one function keyed by bucket, a lockdep pair by title).
# With 8 more development logs quoted in hhoffstaette/kernel-patches (371 development logs) and the skip-family and
# quoted-form branches: title 0.897, function 0.907, kind 0.974, pair F1 0.898 (the new logs alone took F1 from 0.907 to
# 0.898: two btrfs assertion BUGs that syzkaller titles `kernel BUG in assertfail` and one new recall miss).
# With 27 more development logs quoted in kernel patches (Photon OS, the stable kernel queue: 398 development logs),
# the header-site key of culprit-less titles and pair scoring that no longer pairs `in corrupted` expectations:
# title 0.902, function 0.911, kind 0.976, pair F1 0.900 (P 0.918, R 0.882).
# With 22 more development logs of the stable kernel queue (420), re-cased leaders, `dmesg -H` times, inline header
# levels and headless KASAN GPFs: title 0.925, function 0.934, kind 0.994, pair F1 0.906 (P 0.923, R 0.889).
# With 28 more development logs of the stable kernel queue (448), trimmed traces, decoded and wrapped forms:
# title 0.930, function 0.939, kind 0.995, pair F1 0.906 (P 0.923, R 0.889).
# With 31 more development logs of the fourteenth session (585: syslog and journal forms, stable-queue x86_64 reports, kAFL
# and BleedingTooth logs) and its trimmed-trace and plist families: title 0.926, function 0.932, kind 0.990, pair F1
# 0.883 (P 0.925, R 0.845).  The new pairs split are title conventions, not code regressions: three WQ_MEM_RECLAIM
# WARNINGs of three different flushers that syzkaller titles `WARNING in check_flush_dependency`, two kAFL WARNINGs
# of two different handlers before their NULL writes; the floors move to just below that.
# With the session's second data rounds (649 development logs: stable-queue 2.6-6.x, openSUSE patches.suse, other
# distributions' packaging; their misses are mostly the split title/function convention of docs/corpus.md and
# sparc64/parisc formats) and the culprit-less bucket key fix: title 0.918, function 0.922, kind 0.993, pair F1
# 0.885 (P 0.926, R 0.847).
# With the sixteenth session's three data rounds (691 development logs: atomic-sleep and stall reports of the stable
# queue and openSUSE, distribution logs of Microsoft's Azure articles): title 0.906, function 0.910, kind 0.994, pair
# F1 0.885.  The new misses are the documented conventions (the stall rule; a sleeping API's caller as the
# function), so the title and function floors move to just below that.
# With the nineteenth session's eight data rounds (842 development logs; two of them aimed at the sleeping-in-atomic
# and lockdep families): title 0.897, function 0.899, kind 0.990, pair F1 0.872, where the start of that session's code
# gives 0.893 / 0.895 on the same logs.  The new misses are again the documented conventions (a sleeping core API's
# caller as the function, a WARNING quoted without its RIP line, the stall rule), so the floors move to just below.
# With the twentieth session's seven data rounds (915 development logs: the stable queue's 2.6-6.x folders, openSUSE
# patches aimed at the sleeping-in-atomic, lockdep and stall families, tool test data, s390x/powerpc and
# arm64/arm/riscv/loongarch splats): the start of that session's code gives title 0.879, function 0.877, kind 0.989,
# pair F1 0.863; with its WARN-site, bad-page, powerpc NULL and sanitizer-runtime rules 0.890 / 0.878 / 0.991 / 0.887.
# The new function misses are mostly the documented split rows (a core API's caller as the function: free_irq,
# get_random_u32, pskb_expand_head, regcache, regulator), so title and function floors move to just below, F1's up.
# The 21st session's eight data rounds (91 logs, 57 of them in the development part: 972 logs) measured, with that
# session's rules: title 0.883, function 0.873, kind 0.992, pair F1 0.894; the title floor moves to just below.
# The 22nd session's four data rounds (28 logs, 17 of them in the development part: 989 logs): title 0.884, function
# 0.875, kind 0.993, pair F1 0.878 (P 0.900).  The precision lost is three pairs of one event whose report changed
# with the kernel: a 4.7 sysrq-c NULL write (`... NULL pointer dereference in sysrq_handle_crash`, the handler's
# `*killer = 1` before 5.5) keyed with the `kernel panic: sysrq triggered crash` logs of later kernels (docs/corpus.md);
# the F1 floor moves to just below.  Its two later rounds (11 logs, 9 of them in the development part: 998 logs):
# title 0.883, function 0.876, kind 0.994, pair F1 0.871 (R 0.845): a second `WARNING in __flush_work` of another
# flusher, one bug with the first by the same-title pair rule, two keys in kcrashd (it keys a workqueue API's WARN on
# the caller, docs/corpus.md); the F1 floor moves to just below again.
# The 23rd session scores pairs by the culprit too where a title names a reporting site (corpus_score.site_bug; on
# the same 998 logs the start of that session's code gives pair F1 0.849 by it: P 0.785, R 0.925) and keys the irq
# core's free-path WARNINGs by their driver (F1 0.905).  Its four data rounds (48 logs, 36 of them in the development
# part: 1,034 logs): title 0.879, function 0.875, kind 0.994, pair F1 0.906 (P 0.887, R 0.926); the start code gives
# 0.877 / 0.868 / 0.993 / 0.834 on them.  The new title misses are the documented conventions (the stall rule, a
# WARNING quoted without its RIP line, SUSE's case-mangled KASAN headers split over lines), so the title floor moves
# to just below, the F1 floor up to just below its measurement by the new rule.
# The 24th session's seven data rounds (79 logs, 59 of them in the development part: 1,093 logs) were written against
# by nobody: on them the session's code scores below the corpus (the core-API-on-behalf-of-a-caller and stall-walk
# conventions again, an interleaved two-CPU soft lockup, header helpers kcrashd skips); the development part gives
# title 0.876, function 0.869, kind 0.994, pair F1 0.900 (P 0.875, R 0.926) with the session's keying of a culprit-less
# report by its header's source file.  The floors move to just below.
# The 25th session's nine stable-queue rounds and one web round (102 logs, 75 of them in the development part: 1,186
# logs) were again written against by nobody: the start code scores them below the corpus (core-API-on-behalf-of-a-caller
# culprits, header-only WARNINGs, a stack-less stall and a stack-less NULL dereference joining the shared `in corrupted`
# keys); the development part gives title 0.876, function 0.866, kind 0.995, pair F1 0.894 (P 0.857, R 0.935) with the
# session's rules.  The function and F1 floors move to just below.
# The 26th session's twelve stable-queue rounds and one SUSE round (138 logs, 94 in the development part: 1,280 logs),
# written against by nobody before, with seven rows relabelled to the documented conventions (reasons in the rows):
# title 0.886, function 0.867, kind 0.995, pair F1 0.900 (P 0.867, R 0.935).  The title floor moves to just below.
# The 28th session scores a production row's stack-less title (`BUG: sleeping function called from invalid context`,
# syzkaller's `... in corrupted`) as naming no bug, as `in corrupted` is (corpus_score.CULPRITLESS: its data126 round
# brought two more, three different bugs that counted as one).  Its twelve rounds (121 logs, 79 in the development part:
# 1,443 logs), written against by nobody before, three rows relabelled after a run to earlier rows' conventions (reasons in the
# rounds' commits): title 0.881, function 0.854, kind 0.996, pair F1 0.870 (P 0.814, R 0.933; new site-title pairs of
# two callers each, `native_smp_send_reschedule` and `drm_mode_config_cleanup`, and a KASAN Read/Write pair in
# blkcg_unpin_online, one bucket by design).  The function and F1 floors move to just below.
# The 29th session's eleven rounds (99 logs, 65 in the development part: 1,508 logs), written against by nobody before
# (one row relabelled by its round after a run, to the documented kobject convention): title 0.879, function 0.850,
# kind 0.997, pair F1 0.843 (P 0.778, R 0.921; three new pairs of two callers under one site, which the rows call two
# bugs and kcrashd keys on the site: `btrfs_tree_lock`'s recursion WARNING, debugfs's `start_creating`, and a NULL
# dereference and a paging request in `filemap_get_folios_tag`, one fault bucket by design; and two devres
# double-free-IRQ WARNINGs of two drivers whose rows name no culprit and so pair on the title).  The title, function
# and F1 floors move to just below.
# The 30th session's twelve rounds (101 logs, 74 of them in the development part: 1,582 logs, one dropped as a byte
# copy of another round's): title 0.877, function 0.847, kind 0.996, pair F1 0.837 (P 0.766, R 0.923; among the new
# pairs two page_poison KASAN reports of one fix in one function, one bucket by design and two bugs by the rows' titles,
# and an arm64 paging request whose lines carry a `<2>` level after a `seconds:` prefix, read with no culprit and keyed
# with the other culprit-less paging requests).  The F1 floor moves to just below.
# The 31st session's sixteen rounds (146 logs, 105 of them in the development part: 1,687 logs): title 0.877, function
# 0.845, kind 0.996, pair F1 0.818 (P 0.735, R 0.923) with the session's rule changes.  The F1 drop is three new logs
# that join rows of other callers under one site's key: data169's nbd NULL dereference in debugfs's `start_creating`
# (two pairs; the site is not skipped, as syzkaller does not), data171's usb-serial lockdep report titled by its
# `kernfs_remove_by_name_ns` acquire site and data175's tegra `__vunmap` WARNING keyed with the thunderx one (one pair
# each).  The function and F1 floors move to just below.
# The 32nd session's fourteen rounds (106 logs after four cross-round copies were dropped) and one kernel-labs log (69
# of the 107 in the development part: 1,756 logs): title 0.877, function 0.842, kind 0.996, pair F1 0.814 (P 0.727,
# R 0.923) with the session's rule changes (fingerprint version 5's sleeping-API caller key split two pairs).  The new
# false merges join two rows under one function by design: data182's 32-bit powerpc KASAN vmalloc-out-of-bounds and the
# POWER9 user-memory-access report, both in `copy_to_kernel_nofault` (the bad-access bucket); data189's uartlite GPF and
# the xhci dbgtty NULL dereference, both in `tty_unregister_driver` (the same bucket); data181's bnx2fc WARNING titled
# by `bsg_unregister_queue`, the culprit another 3.2.10 row names under its sysfs site.  The F1 floor moves to just below.
PRODUCTION_FLOOR = {"title": 0.875, "function": 0.84, "kind": 0.985, "f1": 0.81}
# Logs with no crash that may still get a title (23/23 measured).
PRODUCTION_NOCRASH_SLACK = 1
# Web pages (repo web/HOST) keep their site's content license: Creative Commons BY-SA or GNU FDL.
# Documentation repositories whose content is Creative Commons BY (MicrosoftDocs) keep CC-BY-4.0.
# GPL-3.0 sources stay out (README: citellus, blktests, hotkdump, ABRT Analytics).
LICENSES = {"GPL-2.0-only", "GPL-2.0-or-later", "LGPL-2.1-or-later", "BSD-3-Clause", "MIT", "Apache-2.0",
            "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0", "GFDL-1.2"}


@pytest.fixture(scope="module")
def scores() -> dict[str, Score]:
    cases = load_cases()
    return {
        "all": score(cases),
        "even": score([c for c in cases if case_number(c) % 2 == 0]),
        "odd": score([c for c in cases if case_number(c) % 2 == 1]),
    }


@pytest.mark.parametrize("half", ["all", "even", "odd"])
def test_no_regression(scores: dict[str, Score], half: str) -> None:
    s = scores[half]
    for key, floor in FLOOR[half].items():
        assert getattr(s, key) >= floor, f"{half} {key}: {getattr(s, key):.3f} < {floor} ({s.line()})"


def test_targets(scores: dict[str, Score]) -> None:
    s = scores["all"]
    for key, target in TARGET.items():
        assert getattr(s, key) >= target, f"{key}: {getattr(s, key):.3f} < {target} ({s.line()})"


def test_no_crash_logs_give_no_title(scores: dict[str, Score]) -> None:
    ok, n = scores["all"].nocrash.split("/")
    assert int(ok) >= int(n) - 2


# --- the sealed validation part ---------------------------------------------------------------


def test_sealing_rule_is_the_fixed_content_hash() -> None:
    assert SEAL_BELOW == 77
    for content in (b"", b"BUG: x\n", bytes(range(256))):
        assert sealed(content) == (hashlib.sha256(content).digest()[0] < 77)
    # Known values, so that a change of hash or threshold cannot pass unnoticed.
    assert hashlib.sha256(b"").digest()[0] == 0xE3 and not sealed(b"")
    assert hashlib.sha256(b"abc").digest()[0] == 0xBA and not sealed(b"abc")
    assert hashlib.sha256(b"1").digest()[0] == 0x6B and not sealed(b"1")
    assert hashlib.sha256(b"2").digest()[0] == 0xD4 and not sealed(b"2")
    assert hashlib.sha256(b"4").digest()[0] == 0x4B and sealed(b"4")


@pytest.mark.parametrize("name", corpus_score.CORPORA)
def test_every_corpus_has_a_sealed_part_of_about_30_percent(name: str) -> None:
    cases = corpus_score.LOADERS[name]()
    if not cases:
        pytest.skip(f"no {name} corpus in this checkout")
    dev, held = split(cases)
    assert len(dev) + len(held) == len(cases)
    assert 0.2 <= len(held) / len(cases) <= 0.4, (len(held), len(cases))
    # The split follows the stored content only, not names or order.
    assert all(c.sealed == sealed(c.content) for c in cases)


@pytest.mark.parametrize("name", corpus_score.CORPORA)
def test_sealed_part_is_reported_in_aggregate_only(name: str) -> None:
    cases = corpus_score.LOADERS[name]()
    if not cases:
        pytest.skip(f"no {name} corpus in this checkout")
    lines = report(name, cases, fails=True)
    sealed_lines = [line for line in lines if line.startswith(f"{name} sealed ")]
    assert len(sealed_lines) == 1
    assert re.fullmatch(rf"{name} sealed n=\d+ title \S+ function \S+ type \S+ kind \S+ no-crash \d+/\d+ "
                        r"pairs P \S+ R \S+ F1 \S+(?: corrupted \S+)?", sealed_lines[0])
    text = "\n".join(lines)
    for c in split(cases)[1]:
        assert f"{c.id}:" not in text, f"sealed case {c.id} is named in the output"
    # Only the development part's misses are listed (indented under its line).
    assert lines[-1] == sealed_lines[0]


def test_main_prints_no_sealed_case(capsys: pytest.CaptureFixture[str]) -> None:
    corpus_score.main(["--fails", "--corpus", "production"])
    out = capsys.readouterr().out
    for c in split(production_cases())[1]:
        assert f"{c.id}:" not in out


# --- the production corpus --------------------------------------------------------------------


def test_production_index_is_complete_and_valid() -> None:
    from kcrashd.core.signatures import SIGNATURES

    kinds = {s.kind for s in SIGNATURES} | {"none"}
    rows = production_index()
    assert len(rows) >= 150
    files = sorted(str(p.relative_to(PRODUCTION)) for p in PRODUCTION.rglob("*.txt"))
    assert sorted(r["file"] for r in rows) == files, "every log has exactly one index row"
    for r in rows:
        where = r["file"]
        assert r["license"] in LICENSES, where
        assert re.fullmatch(r"[0-9a-f]{40}", r["commit"]), where
        assert r["repo"].count("/") == 1 and r["path"], where
        assert r["kind"] in kinds, where
        assert r["justification"], where
        assert not r["function"] or re.fullmatch(r"[A-Za-z0-9_.$]+", r["function"]), where
        if r["kind"] == "none":
            assert not r["title"] and not r["function"], where
        # Forbidden sources: syzkaller's own test data, mailing-list archives.
        assert "syzkaller" not in r["repo"] and "mailing" not in r["repo"], where


def test_the_sources_table_counts_every_log() -> None:
    """The corpus README's sources table (one row per source, its file count last) adds up to the index."""
    readme = (PRODUCTION / "README.md").read_text()
    counts = [int(line.rstrip(" |").rsplit("|", 1)[1]) for line in readme.splitlines() if line.startswith("| `")]
    assert counts and sum(counts) == len(production_index())


def test_production_corpus_floor() -> None:
    """A measurement, not a target: the development part must not fall below today's level."""
    dev, _ = split(production_cases())
    s = score_cases(dev)
    for key, floor in PRODUCTION_FLOOR.items():
        value = getattr(s, key)
        assert value is not None and value >= floor, f"production {key}: {value} < {floor} ({s.line()})"
    ok, n = s.nocrash.split("/")
    assert int(ok) >= int(n) - PRODUCTION_NOCRASH_SLACK, s.line()


@pytest.mark.parametrize("name", corpus_score.CORPORA)
def test_breakdown_names_no_sealed_case(name: str) -> None:
    """`--by` counts the sealed part's misses by facet: numbers and facet values only, never a
    sealed file, title or culprit."""
    cases = corpus_score.LOADERS[name]()
    if not cases:
        pytest.skip(f"no {name} corpus in this checkout")
    lines = report(name, cases, fails=True, by=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{name} sealed "))
    sealed_text = "\n".join(lines[start:])
    assert "  sealed misses: " in sealed_text and "  sealed by kind: " in sealed_text
    dev_names = {c.id for c in split(cases)[0]} | {t for c in split(cases)[0] for t in c.titles}
    for c in split(cases)[1]:
        assert f"{c.id}:" not in "\n".join(lines) and c.id not in sealed_text, f"sealed case {c.id} is named"
        for title in c.titles - dev_names:
            assert title not in sealed_text, "a sealed title is printed"
        if c.function and len(c.function) > 6:  # short names can be a facet value's substring
            assert not re.search(rf"\b{re.escape(c.function)}\b", sealed_text), "a sealed culprit is printed"
    # Every sealed line is a count: a facet, then `value ok/n (what k, ...)` cells.
    for line in lines[start + 1:]:
        assert re.fullmatch(r"  sealed (by \w+|misses|false merges): .*", line), line
        assert not re.search(r"\.(txt|log)\b|\+0x", line), line


def test_breakdown_counts_what_went_wrong() -> None:
    from kcrashd.core import analyze

    warn = (b"WARNING: CPU: 0 PID: 1 at drivers/x.c:10 foo_probe+0x10/0x20\n"
            b"Call Trace:\n foo_probe+0x10/0x20\n bar+0x1/0x2\n")
    cases = [
        corpus_score.Case(id="a", log=lambda: warn, content=warn, has_crash=True, kind="warning",
                          function="foo_probe", arch="x86_64", project="p"),
        corpus_score.Case(id="b", log=lambda: b"nothing\n", content=b"nothing\n", has_crash=True,
                          kind="bug", function="x", arch="arm", project="q"),
        corpus_score.Case(id="c", log=lambda: warn, content=warn, has_crash=False, arch="arm", project="q"),
    ]
    s = score_cases(cases)
    assert analyze(warn).function == "foo_probe"
    assert [w for _, w in s.outcomes] == ["ok", "no crash", "false crash"]
    lines = corpus_score.breakdown("sealed", s)
    assert "  sealed by arch: arm 0/2 (false crash 1, no crash 1); x86_64 1/1" in lines
    assert "  sealed misses: false crash 1, no crash 1" in lines


def test_breakdown_tells_a_bucket_merge_from_a_culprit_miss() -> None:
    """A false merge is counted with its cause: both keys a bucket alternative (`bad-access in F`)
    with both culprits right is the bucket's design; a merge where a culprit is wrong is a miss."""
    kasan = (b"BUG: KASAN: use-after-free in foo_read+0x10/0x20\n"
             b"Read of size 8 at addr ffff888012345678 by task x/1\n"
             b"Call Trace:\n dump_stack+0x1/0x2\n kasan_report+0x1/0x2\n foo_read+0x10/0x20\n bar+0x1/0x2\n")
    kfence = (b"BUG: KFENCE: use-after-free read in foo_read+0x10/0x20\n\n"
              b"Use-after-free read at 0xffff888012345678 (in kfence-#1):\n foo_read+0x10/0x20\n bar+0x1/0x2\n")
    warn = (b"WARNING: CPU: 0 PID: 1 at drivers/x.c:10 foo_probe+0x10/0x20\n"
            b"Call Trace:\n foo_probe+0x10/0x20\n bar+0x1/0x2\n")

    def case(name: str, log: bytes, kind: str, function: str) -> corpus_score.Case:
        return corpus_score.Case(id=name, log=lambda: log, content=log, has_crash=True, kind=kind,
                                 function=function, bug=frozenset({name}))

    s = score_cases([
        case("a", kasan, "kasan", "foo_read"), case("b", kfence, "kfence", "foo_read"),
        case("c", warn, "warning", "foo_probe"), case("d", warn, "warning", "elsewhere"),
    ])
    line = corpus_score.breakdown("sealed", s)[-1]
    assert line == ("  sealed false merges: kasan + kfence by bucket culprits right 1, "
                    "warning + warning by title a culprit wrong 1"), line


def test_a_site_title_pairs_by_its_culprit() -> None:
    # A title naming another function than the row's culprit names the reporting site: two culprits are two bugs.
    irq = corpus_score.bug_of("WARNING in free_irq", [])
    assert corpus_score.site_bug(irq, "mana_gd_remove_irqs") != corpus_score.site_bug(irq, "adf_vf_isr_resource_free")
    assert corpus_score.site_bug(irq, "mana_gd_remove_irqs") == corpus_score.site_bug(irq, "mana_gd_remove_irqs+0x78")
    # Negatives: a title that names its culprit, a title that names no function, a row without a culprit: the title.
    own = corpus_score.bug_of("WARNING in mlx5_unload_one", [])
    assert corpus_score.site_bug(own, "mlx5_unload_one") == own
    root = corpus_score.bug_of("VFS: Unable to mount root fs on unknown-block(0,0)", [])
    assert corpus_score.site_bug(root, "mount_block_root") == root
    assert corpus_score.site_bug(irq, "") == irq


def test_a_stackless_title_is_paired_with_none() -> None:
    # The production spelling of syzkaller's `... in corrupted` (a kind that names a culprit, quoted with no stack)
    # names no bug, as `in corrupted` does; a title with its culprit, and a title of a kind that names none, do.
    assert corpus_score.bug_of("BUG: sleeping function called from invalid context", []) == frozenset()
    assert corpus_score.bug_of("INFO: rcu detected stall", []) == frozenset()
    assert corpus_score.bug_of("INFO: rcu detected stall in corrupted", []) == frozenset()
    assert corpus_score.bug_of("INFO: rcu detected stall in rx_submit", []) == {"INFO: rcu detected stall in rx_submit"}
    assert corpus_score.bug_of("BUG: workqueue lockup", []) == {"BUG: workqueue lockup"}
    assert corpus_score.bug_of("kernel panic: VFS: Unable to mount root fs", []) == {"kernel panic: VFS: Unable to mount root fs"}
