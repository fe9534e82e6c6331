"""Fingerprints: a short, versioned hash of the crash's bucket key, the key alerts are deduplicated on.

The key is the normalised title, or, when the title has a cross-architecture bucket alternative
(`bad-access in F`, `stall in F`, `hang in F`, `stack-overflow in F`, `invalid-free in F`, version
4's `oom in F`, `null-call in F` and `sysrq in F`), that bucket: a use-after-free seen as a KASAN report on one
kernel and as a general protection fault on another is one bug.  A title that names no culprit (`X in corrupted`, syzkaller's title) is keyed
on the function its header line names, where it names one (a WARNING's `at %pS`): two bugs quoted
without a trace do not share one key.  A title that names the reporting site, as syzkaller's does, for a report
whose culprit is another frame (SITE_TITLES: `WARNING in check_flush_dependency`) is keyed on the culprit, and so
is a title that names no bug at all (a panic that only says an earlier report was fatal, `kernel panic: Fatal
exception`, whose signature adds the alternative `kernel panic: Fatal exception in F` where it read a culprit;
version 3 keyed it on the title, which stays an alias).  The title already has addresses, numbers, PIDs and CPU numbers normalised
away, so the same bug on another host, boot or build gets the same key.  When the algorithm
changes, FINGERPRINT_VERSION goes up and the keys earlier versions would have produced are listed
in `fingerprint_aliases`, so a store can match history across the upgrade.  Version 3 (culprits that
follow what the kernel prints) keys a crash as version 2 did when its title is unchanged, and lists
the version-2 key of `X in corrupted` for a crash whose culprit only version 3 finds.  Version 4
(issue 13's families: Rust panics, powerpc and s390 formats, unregister_netdevice waits, syslog
prefixes, culprits past out-of-line helpers and polled device registers) keys a crash as version 3
did when its title is unchanged, and lists the version-3 key of the title version 3 gave where
only the culprit changed; a log version 3 titled under another signature (a format it did not know)
starts a new history.  Version 5 hashes the bucket key version 4 hashed but for a title that names a sleeping API
(CALLER_KEYED), which it keys on the API's caller; rows that skip more frames (`Signature.v4_skip`) list the version-4
key of the title version 4 gave where that differs (title._keep_v4_key), with the version-3, -2 and -1 keys of both.
Version 6 hashes version 5's key but for a title naming plumbing that only acts on what its caller hands it
(frames.CALLER_KEYED_INFRA: kernfs's node API, debugfs's start_creating, vunmap, dql_completed), whose key names the
plumbing's caller (infra_caller_key); every report lists its version-5 key.
Version 7 hashes version 6's key but for a title that names no culprit and whose header names no site (`X in
corrupted`, REPORT_KEYED): version 6 keyed every such report of a kind on its title, one key for all the culprit-less
soft lockups or paging faults of a fleet, so that a second bug among them paged no one.  Version 7 keys it on the
words of its header line (the alternative `report DIGEST of TITLE`, title.report_alternative: the task a lockup names,
the lock, the access), numbers and addresses out: the same report on another host or boot shares the key, two headers
that differ in a word do not.  That version-6 key was a false merge: it is not listed (listing it would
merge them again through the store's re-keying, bugkey.keep_known_key); every other report lists its version-6 key.
"""

from __future__ import annotations

import hashlib

from kcrashd.core.frames import (
    ASSERT_REPORTER_SITES,
    CALLER_KEYED_INFRA,
    CLK_CALLER_SITES,
    DMA_DEBUG_WARN_SITES,
    IRQ_FREE_SITES,
    PROC_CALLER_SITES,
    strip_syscall,
)

FINGERPRINT_VERSION = 7
PREFIX = f"kc{FINGERPRINT_VERSION}-"
STRICT_FRAMES = 3
# The culprit of a title that names none (syzkaller's `in corrupted`).
CORRUPTED_CULPRIT = " in corrupted"
# Version 4's own buckets: the OOM killer's panics (signatures.py oom-panic), keyed apart from a caller's own
# `panic("Out of memory")`.  Versions 2 and 3 titled them all `kernel panic: Out of memory` and keyed them on that
# title: that key stays an alias.
# And a call through a NULL function pointer (null_call.py), keyed apart from a bad access or a jump into data by
# the same caller: version 3 keyed it on `bad-access in F`, that key stays an alias.
NULL_CALL_BUCKET = "null-call in "
# And the deliberate sysrq-c crash (drivers/tty/sysrq.c sysrq_handle_crash), which the kernel printed as a NULL
# write up to 5.5 (`*killer = 1`: RHEL 7 and 8, arm64's `Unable to handle kernel NULL pointer dereference`) and as
# `panic("sysrq triggered crash")` since: one request, one key across the kernels of a fleet, whichever frame the
# trace shows (panic() is a tail call on some builds: the handler's frame is gone, its caller __handle_sysrq named).
# Version 3 keyed the two forms apart (`bad-access in sysrq_handle_crash` and the panic's title): those keys stay aliases.
SYSRQ_BUCKET = "sysrq in "
SYSRQ_KEY = f"{SYSRQ_BUCKET}sysrq_handle_crash"
BUCKETS_SINCE_V4 = ("oom in ", NULL_CALL_BUCKET, SYSRQ_BUCKET)
# A stack overflow's bucket, where arm64 printed it as a paging request too (stack_guard.py).
STACK_OVERFLOW_BUCKET = "stack-overflow in "
# Version 7's key of a title that names no culprit and no site: `report DIGEST of TITLE`, DIGEST hashing the words of
# the report's header line (title.report_alternative).  No earlier version chooses it (it starts with no title's head and no
# bucket), so the keys they gave such a report are computed as they were.
REPORT_KEYED = "report "
REPORT_OF = " of "
BUCKETS = ("bad-access in ", "stall in ", "hang in ", STACK_OVERFLOW_BUCKET, "invalid-free in ", *BUCKETS_SINCE_V4)
# Titles that name the reporting site, as syzkaller titles them, for a report whose culprit is another frame (the
# signature's `WARNING in {F}` alternative): the key is that alternative, so that two culprits are two bugs.
# kernel/workqueue.c check_flush_dependency WARNs about the flusher that called it (signatures.py
# warn-flush-dependency).
# kernel/dma/debug.c's checks WARN about the driver's DMA call (signatures.py warn-dma-debug).
# The irq core's free paths WARN about the IRQ the driver frees (signatures.py warn-irq-free).
# procfs WARNs about the name or the directory its caller hands it (signatures.py warn-proc-caller).
# The clock framework WARNs about the consumer that disabled a clock once too often (signatures.py warn-clk-caller).
# PREEMPT_RCU's scheduler hook WARNs about the task that slept under rcu_read_lock (signatures.py warn-rcu-context-switch).
# Titles that name the function that checked, not the code that broke its rule (signatures.Signature.caller_keyed:
# kernel/sched/core.c __might_resched's `BUG: sleeping function called from invalid context`, whose title names the
# sleeping API): since version 5 the key is the alternative naming the caller (title._caller_keys), so that two callers
# of one API are two bugs.  Version 4 keyed the title (its key is listed: fingerprint_aliases).
CALLER_KEYED = ("BUG: sleeping function called from invalid context in ",)
SITE_TITLES = frozenset({
    "WARNING in check_flush_dependency", "WARNING in rcu_note_context_switch",
    # btrfs's assertion reporter BUGs for the ASSERT() of its caller (signatures.ASSERT_REPORTER_BUGS).
    *(f"kernel BUG in {site}" for site in ASSERT_REPORTER_SITES),
    *(f"WARNING in {site}" for site in (*DMA_DEBUG_WARN_SITES, *IRQ_FREE_SITES, *PROC_CALLER_SITES, *CLK_CALLER_SITES)),
})


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def fingerprint_key(title: str, alt_titles: list[str], *, version: int = FINGERPRINT_VERSION) -> str:
    """The text that is hashed: the keyed alternative of the title, else the title, with a
    syscall culprit in one spelling (`__x64_sys_foo`, `sys_foo`, `__se_sys_foo` -> `foo`); `version`:
    the algorithm version whose choice of the alternative is made (keyed_alternative)."""
    key = keyed_alternative(title, alt_titles, version=version) or title
    if version >= 6:
        key = infra_caller_key(title, alt_titles, key)
    head, sep, fn = key.rpartition(" in ")
    if sep and fn.isidentifier():
        fn = strip_syscall(fn)
        key = head + sep + (fn[4:] if fn.startswith("sys_") and len(fn) > 4 else fn)
    return key


def keyed_alternative(title: str, alt_titles: list[str], *, version: int = FINGERPRINT_VERSION) -> str | None:
    """The alternative title the key is made of, if any: for a title that names no culprit (`X in
    corrupted`), the alternative naming its header's site (title._header_site); for a title that names the
    reporting site (SITE_TITLES), the alternative naming the culprit; for a title that names no bug, the alternative
    that is the title naming its culprit (`kernel panic: Fatal exception in F`); else the first bucket alternative that
    names a culprit (`bad-access in corrupted` would join every stack-less fault of every kind).  Versions 2 and 3
    knew no site titles and keyed a culprit-less bucket too; version 4 keyed a CALLER_KEYED title on itself, which
    version 5 keys on the alternative naming another function (its caller)."""
    legacy = version < 4
    if version >= 5 and title.startswith(CALLER_KEYED) and not title.endswith(CORRUPTED_CULPRIT):
        caller = _caller_alternative(title, alt_titles)
        if caller is not None:
            return caller
    if title.endswith(CORRUPTED_CULPRIT) or (title in SITE_TITLES and not legacy):
        head = title.removesuffix("corrupted") if title.endswith(CORRUPTED_CULPRIT) else title.rpartition(" in ")[0] + " in "
        named = next((a for a in alt_titles if a.startswith(head) and a != title and not a.endswith(CORRUPTED_CULPRIT)), None)
        if named is not None:
            return named
        if version >= 7 and (own := report_key(title, alt_titles)) is not None:
            return own
    if not legacy:
        culprit = next((a for a in alt_titles if a.startswith(title + " in ") and not a.endswith(CORRUPTED_CULPRIT)), None)
        if culprit is not None:
            return culprit  # a title that names no bug, with its culprit (the module's docstring)
    buckets = tuple(b for b in BUCKETS if b not in BUCKETS_SINCE_V4) if legacy else BUCKETS
    return next((a for a in alt_titles if a.startswith(buckets) and (legacy or not a.endswith(CORRUPTED_CULPRIT))), None)


def report_key(title: str, alt_titles: list[str]) -> str | None:
    """Version 7: the alternative naming the report itself (`report DIGEST of TITLE`) of a title that names no culprit."""
    return next((a for a in alt_titles if a.startswith(REPORT_KEYED) and a.endswith(REPORT_OF + title)), None)


def infra_caller_key(title: str, alt_titles: list[str], key: str) -> str:
    """Version 6: the key of a title naming plumbing that only acts on what its caller hands it (frames.CALLER_KEYED_INFRA:
    kernfs's node API, debugfs's file creation, vunmap, dql_completed) names the plumbing's caller, the alternative
    title._caller_keys adds last, in place of the plumbing (`bad-access in start_creating` -> `bad-access in
    nbd_start_device`): two callers that hand kernfs a dead node are two bugs.  A key naming another function already
    (a sleeping API's caller) stays."""
    fn = title.rpartition(" in ")[2]
    if not CALLER_KEYED_INFRA.match(fn):
        return key
    caller = next((c for c in reversed(_other_culprits(title, alt_titles)) if not CALLER_KEYED_INFRA.match(c)), None)
    key_head, sep, key_fn = key.rpartition(" in ")
    if caller is None or not sep or key_fn != fn:
        return key
    return f"{key_head} in {caller}"


def _caller_alternative(title: str, alt_titles: list[str]) -> str | None:
    """The alternative of a CALLER_KEYED title that names another function than the title (not another spelling of the
    same one: a syscall wrapper's)."""
    head, _, fn = title.rpartition(" in ")
    return next((f"{head} in {c}" for c in _other_culprits(title, alt_titles) if strip_syscall(c) != strip_syscall(fn)), None)


def _other_culprits(title: str, alt_titles: list[str]) -> list[str]:
    """The functions the alternatives of the title's own form (`X in F`) name in place of the title's, in order
    (`corrupted` is none)."""
    head, _, fn = title.rpartition(" in ")
    out = []
    for alt in alt_titles:
        alt_head, _, alt_fn = alt.rpartition(" in ")
        if alt_head == head and alt_fn not in (fn, "corrupted"):
            out.append(alt_fn)
    return out


def fingerprint_title(title: str, alt_titles: list[str] | None = None) -> str:
    """`kc7-` + 16 hex digits of sha256(bucket key); empty for no title."""
    return PREFIX + _digest(fingerprint_key(title, alt_titles or [])) if title else ""


def strict_fingerprint(title: str, functions: list[str]) -> str:
    """The title plus the top frames: separates different call paths into the same culprit."""
    if not title:
        return ""
    return PREFIX + "s-" + _digest(title + "\n" + "\n".join(functions[:STRICT_FRAMES]))


def fingerprint_aliases(
    title: str,
    alt_titles: list[str] | None = None,
    previous: tuple[tuple[str, list[str]], ...] = (),
    before_v4: tuple[tuple[str, list[str]], ...] = (),
    before_v5: tuple[tuple[str, list[str]], ...] = (),
) -> list[str]:
    """Keys earlier algorithm versions gave the same crash.

    Version 6 hashed the key version 7 hashes but for a title that names no culprit and no site (REPORT_KEYED): the keys
    of such a report that name no culprit are not listed.
    Version 4 hashed the bucket key version 5 hashes but for CALLER_KEYED titles, which it keyed on themselves
    (fingerprint_key's `version`); version 5 skips more frames in some reports (Signature.v4_skip): `before_v5` holds the
    title and alternatives version 4 gave such a crash.
    Versions 2 and 3 hashed the same bucket key by their own rules (fingerprint_key's `version`); version 4
    names culprits version 3 did not (an out-of-line header helper's caller, a polled device accessor's
    caller): `before_v4` holds the title and alternatives version 3 gave such a crash.  Version 3 names
    culprits version 2 could not (`X in corrupted` then): `previous` holds what version 2 gave.  Version 1
    hashed the title alone.
    """
    if not title:
        return []
    alts = alt_titles or []
    v4 = [(title, alts), *before_v5]
    v3 = [*v4, *before_v4]
    v2 = [*v3, *previous]
    keyed = [(6, fingerprint_key(title, alts, version=6)), (5, fingerprint_key(title, alts, version=5))]
    keyed += [(4, fingerprint_key(t, a, version=4)) for t, a in v4]
    keyed += [(3, fingerprint_key(t, a, version=3)) for t, a in v3]
    keyed += [(2, fingerprint_key(t, a, version=2)) for t, a in v2]
    keyed += [(1, t) for t, _ in v2]
    if (keyed_alternative(title, alts) or "").startswith(REPORT_KEYED):
        # The keys that named no culprit were shared by every such report of the kind (the module's docstring).
        keyed = [(v, text) for v, text in keyed if not text.endswith(CORRUPTED_CULPRIT)]
    return list(dict.fromkeys(f"kc{v}-{_digest(text)}" for v, text in keyed))
