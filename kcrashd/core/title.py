"""Titles: fill a signature's template, normalise it (addresses, numbers out), derive alt titles and type.

Normalisation makes a title the same on every host, boot and build: addresses become ADDR,
numbers NUM, line numbers :LINE, and the title is cut at 120 printable ASCII characters.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from kcrashd.core.culprit import Culprit, caller_past, find_culprit, header_function
from kcrashd.core.fingerprint import (
    CORRUPTED_CULPRIT,
    NULL_CALL_BUCKET,
    REPORT_KEYED,
    REPORT_OF,
    STACK_OVERFLOW_BUCKET,
    SYSRQ_KEY,
    keyed_alternative,
)
from kcrashd.core.frames import (
    CALLER_KEYED_INFRA,
    INFRA_CALLER_PASSES,
    SOURCE_POSITION,
    fault_pc,
    is_skipped,
    mark_trimmed_frames,
    parse_frames,
    strip_syscall,
)
from kcrashd.core.null_call import null_call
from kcrashd.core.report_parts import Severity
from kcrashd.core.signatures import BY_HEADER, KIND_BY_FUNCTION, Part, Signature, Strategy
from kcrashd.core.stack_guard import guard_page_hit

MAX_TITLE = 120

# A header's `%pS` that scripts/decode_stacktrace.sh decoded (parse_symbol: `f (file.c:N)`, an inlined chain's
# positions in the same parentheses, addr2line's `(discriminator N)`): the title keeps the function alone, as it
# drops `+0x1/0x2` (`BUG: KASAN: slab-use-after-free in f (mm/x.c:12)`, `BUG: KCSAN: data-race in f (x.c:3)`).
_DECODED_SYMBOL = re.compile(
    rf"(?<=[A-Za-z0-9_$]) \({SOURCE_POSITION}(?: (?:\(discriminator \d{{1,9}}\)|{SOURCE_POSITION})){{0,8}}\)"
)
# Each with a literal that every match of its pattern holds: a title without it is left as it is (cheaper
# than the pattern's search, which finds nothing there).
_SUBS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (" (", _DECODED_SYMBOL, ""),
    ("syz-executor", re.compile(r"syz-executor\.?\d+/\d+|syz-executor\.?\d+"), "syz-executor"),
    ("syzkaller", re.compile(r"syzkaller\d+"), "syzkaller"),
    # An address: six or more hex digits standing alone; a run inside an identifier (`da7213_volsw_locked_get`,
    # `mlx5_cmd_abcdef`: a chip's or a hash's name in a function) is part of its name.
    ("", re.compile(r"(?<![A-Za-z0-9_])(?:0x)?[0-9a-fA-F]{6,}(?![A-Za-z0-9_])"), "ADDR"),
    (".", re.compile(r"(?<![0-9.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![0-9.])"), "IP"),
    (".", re.compile(r"(\.[a-z]{1,4}):\d+"), r"\1:LINE"),
    ("+0x", re.compile(r"(?<![A-Za-z0-9_])([A-Za-z0-9_]++)\+0x[0-9a-fA-F]+(?:/0x[0-9a-fA-F]+)?"), r"\1"),
    ("CPU#", re.compile(r"CPU#\d+"), "CPU"),
)
# A decimal number standing alone (syzkaller's rule: between non-word characters): a short hex value
# (`align=0x1000`, which the ADDR rule leaves under 6 digits) and a number glued to a word (`32bit`) stay.
_NUM = re.compile(r"(?<![A-Za-z0-9_])\d++(?![A-Za-z_])")
# Fingerprint version 3 replaced those too (and cut a glued number's last digit off: `32bit` -> `NUM2bit`).
_NUM_V3 = re.compile(r"(?<![A-Za-z0-9_])(?:0x)?\d+(?![A-Za-z_])")
_LONG_NUM = re.compile(r"\d{7,}")
# The words of a header line (report_alternative): its letters alone, what normalisation put in lower case.
_WORD = re.compile(r"[a-z_]+")
_PLACEHOLDERS = frozenset({"addr", "num", "ip", "line"})
_NON_PRINT = re.compile(r"[^\x20-\x7e]")
_SPACES = re.compile(r" {2,}")
# mm/kasan/report.c's access line, `%s of size %zu at addr %px by task` (`%s at addr` without a size;
# 4.x `%s of size %zu by task`): syzkaller looks for it on any line below the header and anywhere in the
# line (pkg/report/linux.go KASAN format: `(?:.*\n)+?.*(Read|Write) (?:of size|at addr) [0-9a-f]+`).
_RW = re.compile(r"(?<![\w-])(Read|Write) (?:of size|at addr) [0-9a-fA-F]")
# Version 3 looked for it at the start of the header's next five lines only (else: the fallback title).
_RW_V3 = re.compile(r"^\s*(?:Read|Write) (?:of size|at addr)")
_RW_V3_LINES = 5
_TIMESTAMP_IN_TITLE = re.compile(r"\[\s*\d+\.\d+\]")
_STACK_START = re.compile(r"^\s*(?:Call Trace|Call trace|Backtrace|backtrace|Allocated by task|Freed by task)")
_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
# `%pS` of a module's function appends its module (kernel/kallsyms.c __sprint_symbol: `" [%s]"` after `+0x1/0x2`): a
# fallback title made of the header line (`KASAN: use-after-free in f+0x504/0x630 [snd_seq] at addr ...`) names the
# function without it, as without the offset.
# A `%ps` symbol's module tag (lib/vsprintf.c symbol_string -> sprint_symbol_no_offset: `f [mod]`), before the next
# word's separator or the line's end.
_MODULE_TAG = r" \[[A-Za-z0-9_\-]{1,64}\]"
_PS_TAG = re.compile(_MODULE_TAG + r"(?= |$)")
# A quote that lost that blank (`f+0x708/0xa18[hns_enet_drv]`) still names the module right after the size.
_PS_MODULE = re.compile(r"(\+0x[0-9a-fA-F]{1,16}/0x[0-9a-fA-F]{1,16}) ?\[[A-Za-z0-9_\-]{1,64}\]")


def named_function(title: str) -> str | None:
    """The function a fixed-format title names after its last ` in ` (KCSAN races, old KASAN
    lines): syzkaller's FRAME, an identifier (`in f at addr ADDR` -> `f`)."""
    if " in " not in title:
        return None
    m = _IDENT.match(title.rsplit(" in ", 1)[1])
    return m.group(0) if m and m.group(0) != "corrupted" else None


def normalize_title(title: str) -> str:
    """Replace everything that varies between runs of the same bug."""
    return _normalized(title)[:MAX_TITLE].rstrip()


def _normalized(text: str) -> str:
    """The text with what varies between runs of the same bug replaced (addresses, numbers, offsets), uncut."""
    for literal, pat, repl in _SUBS:
        if literal in text:
            text = pat.sub(repl, text)
    text = _LONG_NUM.sub("NUM", text)
    prev = None
    while prev != text:
        prev = text
        text = _NUM.sub("NUM", text)
    text = text.replace("\t", " ")
    if not (text.isascii() and text.isprintable()):  # else every character is in _NON_PRINT's \x20-\x7e
        text = _NON_PRINT.sub("", text)
    if "  " in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


def report_alternative(title: str, header: str) -> str:
    """Fingerprint version 7's key of a title that names no culprit and whose header names no site (fingerprint.
    REPORT_KEYED): `report DIGEST of TITLE`, DIGEST 16 hex digits of the SHA-256 of the words of the report's header
    line, normalised as a title is and lower-cased, without the numbers, addresses and other digits in them (a soft
    lockup's `CPU#2 stuck for 22s! [tmp:5149]` -> `cpu stuck for s tmp`).  The header is what the kernel says of this
    crash (the kind of access, the lock, the task a lockup names); the lines below it are the host's (its modules,
    taint, hardware, registers), which another host prints otherwise for the same bug.  So the same report on
    another boot, host or build keeps its key, and two headers that differ in a word do not share it."""
    words = " ".join(w for w in _WORD.findall(_normalized(header).lower()) if w not in _PLACEHOLDERS)
    return f"{REPORT_KEYED}{hashlib.sha256(words.encode('utf-8', 'replace')).hexdigest()[:16]}{REPORT_OF}{title}"


def fill(template: str, groups: tuple[str | None, ...], function: str | None, rw: str = "", cls: str = "") -> str:
    """Fill `{C}`, `{1}`.., `{RW}` and `{F}` in a template."""
    out = template.replace("{C}", cls)
    for n, g in enumerate(groups, start=1):
        out = out.replace("{" + str(n) + "}", (g or "").strip())
    out = out.replace("{RW}", rw).replace("  ", " ")
    return out.replace("{F}", function or "corrupted")


def culprit_forms(function: str) -> tuple[str, list[str]]:
    """(title form, other forms) of a culprit: syscall wrappers give arch-independent aliases."""
    short = strip_syscall(function)
    if short == function:
        return function, []
    return short, [function]


@dataclass(slots=True)
class Titled:
    """Title, culprit and corruption verdict of one report."""

    title: str = ""
    alts: list[str] = field(default_factory=list)
    function: str | None = None
    kind: str = "unknown"
    severity: Severity = Severity.CRITICAL
    corrupted_reason: str | None = None
    signature: str | None = None
    # The title and alternatives fingerprint version 2 gave (see fingerprint.fingerprint_aliases).
    previous: tuple[tuple[str, list[str]], ...] = ()
    # The title and alternatives version 3 gave, where its culprit differs.
    before_v4: tuple[tuple[str, list[str]], ...] = ()
    # The title and alternatives version 4 gave, where they differ (_keep_v4_key).
    before_v5: tuple[tuple[str, list[str]], ...] = ()


# Changes the culprit triage chose (the operator's frame rules: kcrashd.core.rule_application).
CulpritAdjust = Callable[[Signature, list[str], Culprit], Culprit]


def title_report(sig: Signature | None, match: re.Match[str] | None, texts: list[str], pos: int,
                 adjust: CulpritAdjust | None = None, *, cut: bool = False, ran: str | None = None,
                 said: str | None = None) -> Titled:  # fmt: skip
    """Title a report: `texts` are its message lines (header first), `pos` where the header starts;
    `cut`: another report's lines came before this one's end (events.Event.cut); `ran`: the test case a harness
    said it ran just above (culprit.harness_ran); `said`: the function the report's message names
    (culprit.message_named)."""
    out = _titled(sig, match, texts, pos, adjust, cut=cut, ran=ran, said=said)
    _keep_v3_numbers(out)
    if sig is not None and sig.v4_skip is not None:
        v4 = _titled(replace(sig, skip=sig.v4_skip, v4_skip=None), match, texts, pos, adjust, cut=cut, ran=ran, said=said)
        _keep_v3_numbers(v4)
        _keep_v4_key(out, v4)
    return out


def _keep_v4_key(out: Titled, v4: Titled) -> None:
    """Version 5's rules are rows read with more than version 4 read (Signature.v4_skip); `v4` is the report titled as
    version 4 titled it.  Where its title or alternatives differ, they are kept (`before_v5`), and so are the titles
    versions 3 and 2 gave it, so that the keys of each earlier version continue in `fingerprint_aliases`."""
    if (v4.title, v4.alts) == (out.title, out.alts):
        return
    out.before_v5 = ((v4.title, list(v4.alts)),)
    out.before_v4 = _union(out.before_v4, v4.before_v4)
    out.previous = _union(out.previous, v4.previous)


def _union(a: tuple[tuple[str, list[str]], ...], b: tuple[tuple[str, list[str]], ...]) -> tuple[tuple[str, list[str]], ...]:
    """`a` and the entries of `b` it lacks, in order."""
    return a + tuple(entry for entry in b if entry not in a)


def _titled(sig: Signature | None, match: re.Match[str] | None, texts: list[str], pos: int,
            adjust: CulpritAdjust | None, *, cut: bool, ran: str | None, said: str | None = None) -> Titled:  # fmt: skip
    """The report's title, culprit and corruption verdict (title_report)."""
    out = Titled()
    if sig is None or match is None:
        out.title = normalize_title(texts[0][pos:])
        out.corrupted_reason = "no known format for this header"
        return out
    out.severity = sig.severity
    out.signature = sig.name
    texts = mark_trimmed_frames(texts)
    sig = _narrowed(sig, texts)
    v3_texts: list[str] | None = None
    if sig.line_prefix and any(t.startswith(sig.line_prefix) for t in texts[1:]):
        v3_texts = texts
        texts = [texts[0], *(t.removeprefix(sig.line_prefix) for t in texts[1:])]
    groups = match.groups()
    tagged = groups
    if sig.symbol_groups:
        groups = tuple(_PS_TAG.sub("", g) if g else g for g in groups)
    if sig.message_below and groups and not groups[0]:
        groups = (texts[1].strip() if len(texts) > 1 else "", *groups[1:])
    key = (groups[0] or "").strip() if groups else ""
    cls = dict(sig.classes).get(key, key)
    out.kind = dict(sig.kinds).get(key, sig.kind)
    has_stack = any(_STACK_START.match(t) or fault_pc(t) or parse_frames(t) for t in texts[1:])
    if sig.panic_title and _own_panic(out, sig, texts):
        return out
    if sig.stackless_title and not has_stack:
        out.title = normalize_title(fill(sig.stackless_title, groups, None, cls=cls))
        return out
    rw = ""
    incomplete = sig.requires_regex is not None and not sig.requires_regex.search("\n".join(texts[1:]))
    if "{RW}" in sig.title:
        rw = next((m.group(1) for t in texts[1:] if (m := _RW.search(t))), "")
        incomplete = incomplete or not rw
    if incomplete and sig.fallback:
        whole = normalize_title(fill(sig.fallback, groups, None, cls=cls))
        out.title = normalize_title(_PS_MODULE.sub(r"\1", fill(sig.fallback, groups, None, cls=cls)))
        if out.title != whole:
            out.before_v4 = ((whole, []),)  # version 3 kept the module's name: its key continues
        out.function = named_function(out.title)
        _past_skipped_header(out, sig, texts, ran, said)
        out.corrupted_reason = "the report is cut short"
        return out
    _title_with_culprit(out, sig, _Fill(groups, rw, cls), texts, incomplete=incomplete,
                        adjust=adjust, v3_texts=v3_texts, ran=ran, said=said)  # fmt: skip
    if rw and sig.fallback and not any(_RW_V3.match(t) for t in texts[1 : 1 + _RW_V3_LINES]):
        # Version 3 did not see this access line and gave the fallback title: its key continues.
        out.before_v4 = ((normalize_title(fill(sig.fallback, groups, None, cls=cls)), []),)
    if tagged != groups:
        # Version 3 kept the `%ps` module tags (Signature.symbol_groups): its key continues.
        out.before_v4 += ((normalize_title(fill(sig.title, tagged, out.function, rw, cls=cls)), []),)
    if cut and out.corrupted_reason in _NO_TRACE:
        # Title and culprit stay the first report's; its own trace cannot be told from the other's.
        out.corrupted_reason = "another report cuts into this one before a frame of its trace"
    return out


# A report's own panic line (Signature.panic_title): kernel/panic.c `Kernel panic - not syncing: %s` (2.6.10+),
# `Kernel panic: %s` before; how far below the header it may be.
_OWN_PANIC = re.compile(r"^Kernel panic(?: - not syncing)?: (\S.{0,200})")
_OWN_PANIC_LINES = 12


def _own_panic(out: Titled, sig: Signature, texts: list[str]) -> bool:
    """Title the report by the panic it ends in, if it does (Signature.panic_title); version 3's fixed title stays
    an alias."""
    line = next((t for t in texts[1:_OWN_PANIC_LINES] if _OWN_PANIC.match(t)), None)
    if line is None:
        return False
    # A reason a panic row of the same kind knows (`Fatal machine check`) takes that row's title.
    row = next((r for r in BY_HEADER["Kernel panic"] if r.kind == sig.kind and r.regex.search(line)), None)
    reason = _OWN_PANIC.match(line)
    out.title = normalize_title(row.title if row is not None else f"kernel panic: {reason.group(1) if reason else ''}")
    out.before_v4 = ((normalize_title(sig.title), []),)
    return True


def _v3_numbers(title: str) -> str:
    prev = None
    while prev != title:
        prev = title
        title = _NUM_V3.sub("NUM", title)
    return title


def _keep_v3_numbers(out: Titled) -> None:
    """Add the titles version 3 gave where it also replaced a short hex value or a glued number
    (`_NUM_V3`), so that their keys continue in `fingerprint_aliases`.  (Version 3 normalised the raw
    title; normalising the version-4 title again gives the same text unless the title was cut at
    MAX_TITLE.)"""
    if not out.title:
        return
    known = [(out.title, out.alts), *out.before_v4, *out.previous]
    for title, alts in list(known):
        old = (_v3_numbers(title), [_v3_numbers(a) for a in alts])
        if old not in known:
            if (title, alts) in out.previous:
                out.previous += (old,)
            else:
                out.before_v4 += (old,)
            known.append(old)


_NO_TRACE = frozenset({"extracted no frames", "no stack trace in report"})


def _narrowed(sig: Signature, texts: list[str]) -> Signature:
    """The row with the kind, title and alternatives of the first `below` line the report shows."""
    below = next((b for b in sig.below if b.narrows(texts)), None)
    if below is None:
        return sig
    return replace(sig, kind=below.kind, kinds=(), title=below.title, alts=below.alts, below=())


@dataclass(frozen=True, slots=True)
class _Fill:
    """What a signature's templates are filled with, but the culprit."""

    groups: tuple[str | None, ...]
    rw: str
    cls: str

    def title(self, template: str, function: str | None) -> str:
        return normalize_title(fill(template, self.groups, function, self.rw, self.cls))


def _past_skipped_header(out: Titled, sig: Signature, texts: list[str], ran: str | None, said: str | None) -> None:
    """A report cut before the line its title needs (KASAN's `%s of size %zu at addr %px`), whose header names a helper
    a skip rule fits (`memcmp`, lockdep's `__lock_acquire`): the whole report's walk passes that helper to its caller,
    and so does the cut one, so that one bug keeps one culprit however much of it was quoted.  A title that names the
    function elsewhere than at its end (4.x's `in f at addr ADDR`) is left as syzkaller titles it."""
    fn = out.function
    if fn is None or not out.title.endswith(f" in {fn}") or not is_skipped(fn, sig.skip_regex):
        return
    found = find_culprit(sig, texts, ran, said).function
    if found is None:
        return
    short = culprit_forms(found)[0]
    if short == fn:
        return
    out.before_v4 = out.before_v4 or ((out.title, []),)  # version 3 named the helper: its key continues
    out.title = out.title.removesuffix(fn) + short
    out.function = short


def _title_with_culprit(out: Titled, sig: Signature, filler: _Fill, texts: list[str], *, incomplete: bool,
                        adjust: CulpritAdjust | None, v3_texts: list[str] | None = None,
                        ran: str | None = None, said: str | None = None) -> None:  # fmt: skip
    """Title, alternatives, culprit and corruption verdict of a report whose signature wants a stack;
    `v3_texts`: the lines as version 3 read them, where they differ (Signature.line_prefix)."""
    culprit = find_culprit(sig, texts, ran, said)
    if v3_texts is not None:
        before = find_culprit(sig, v3_texts, ran, said).function
        if before != culprit.function:
            culprit.earlier = before or ""
            culprit.recovered = culprit.recovered or before is None
    if adjust is not None:
        culprit = adjust(sig, texts, culprit)
    if culprit.function is None and sig.strategy is Strategy.LOCKED_CPU and sig.stackless_title:
        _unanswered_lockup(out, sig, filler, culprit, sig.stackless_title)
        return
    if culprit.function is None and culprit.messenger_only and sig.messenger_title:
        _unanswered_lockup(out, sig, filler, culprit, sig.messenger_title)
        return
    short: str | None = None
    others: list[str] = []
    if culprit.function is not None:
        short, others = culprit_forms(culprit.function)
        others.extend(culprit.alternatives)
    raw_title = fill(sig.title, filler.groups, short, filler.rw, filler.cls)
    out.title = normalize_title(raw_title)
    alts = [filler.title(sig.title, other) for other in others]
    if culprit.key_only is not None:
        alts.append(filler.title(sig.title, culprit_forms(culprit.key_only)[0]))  # the key (Culprit.key_only)
    for template in sig.alts:
        alts.extend(filler.title(template, name) for name in (short, *others))
    if short is not None and sig.kind == "null-deref" and null_call(texts):
        alts.insert(0, f"{NULL_CALL_BUCKET}{short}")  # the key (null_call.py), before `bad-access in F`
    guard_hit = _stack_guard_key(out, sig, texts, short, alts)
    out.alts = [a for a in dict.fromkeys(alts) if a != out.title]
    _caller_keys(out, sig, filler, texts, culprit.function, short)
    if "{F}" in sig.title or _names_site(sig):
        out.function = short
    if culprit.recovered:
        out.previous = ((filler.title(sig.title, None), [filler.title(t, None) for t in sig.alts]),)
    if culprit.earlier is not None:
        old_short = culprit_forms(culprit.earlier)[0] if culprit.earlier else None
        out.before_v4 = ((filler.title(sig.title, old_short), [filler.title(t, old_short) for t in sig.alts]),)
    if sig.v3_title:
        out.before_v4 += ((filler.title(sig.v3_title, short), []),)
    out.corrupted_reason = _corruption(sig, culprit, raw_title, incomplete=incomplete,
                                       no_culprit=short is None, texts=texts)  # fmt: skip
    if short is None and "{F}" in sig.title:
        _header_site(out, sig, filler, texts[0])
    if sig.header == "Kernel panic" and out.function is None:
        out.function = culprit.function
    if out.function is None and "{F}" not in sig.title:
        out.function = named_function(out.title)
    override = "stack-overflow" if guard_hit else KIND_BY_FUNCTION.get(out.function or "")
    if override is not None:
        out.kind = override
    if out.kind == "sysrq":
        # The key (fingerprint.SYSRQ_KEY): the sysrq-c crash as a NULL write and as a panic is one request.
        out.alts = [SYSRQ_KEY, *(a for a in out.alts if a != SYSRQ_KEY)]


def _caller_keys(out: Titled, sig: Signature, filler: _Fill, texts: list[str], function: str | None, short: str | None) -> None:
    """The title naming the caller (culprit.caller_past) as an alternative: first for a row whose title names the
    function that checked (Signature.caller_keyed; the key since fingerprint version 5, fingerprint.CALLER_KEYED), last
    for a title naming plumbing that acts on what its caller hands it (frames.CALLER_KEYED_INFRA; the key since version
    6, fingerprint.infra_caller_key), so that earlier versions' keys, made of the alternatives before it, stay."""
    if sig.caller_keyed and function is not None:
        alt = _caller_title(out, sig, filler, texts, function)
        if alt is not None:
            out.alts = [alt, *(a for a in out.alts if a != alt)]
    elif short is not None and "{F}" in sig.title and CALLER_KEYED_INFRA.match(short):
        alt = _caller_title(out, sig, filler, texts, short, INFRA_CALLER_PASSES)
        if alt is not None and alt not in out.alts:
            out.alts.append(alt)


def _caller_title(
    out: Titled, sig: Signature, filler: _Fill, texts: list[str], function: str, passing: re.Pattern[str] | None = None
) -> str | None:
    """The row's title naming the caller past `function` (and past `passing`), unless there is none or it is the title."""
    caller = caller_past(sig, texts, function, passing)
    if caller is None:
        return None
    alt = filler.title(sig.title, culprit_forms(caller)[0])
    return None if alt == out.title else alt


def _stack_guard_key(out: Titled, sig: Signature, texts: list[str], short: str | None, alts: list[str]) -> bool:
    """A stack overflow arm64 printed as a paging request (stack_guard.py) gets x86's report's key, before `bad-access
    in F` in `alts`; version 3 keyed it on `bad-access in F`, and that key continues.  Whether it was one."""
    if short is None or sig.kind != "paging-fault" or not guard_page_hit(texts):
        return False
    out.before_v4 += ((out.title, [a for a in dict.fromkeys(alts) if a != out.title]),)
    alts.insert(0, f"{STACK_OVERFLOW_BUCKET}{short}")
    return True


def _names_site(sig: Signature) -> bool:
    """A row whose title names the reporting site (syzkaller's) and whose alternative the culprit
    (fingerprint.SITE_TITLES): the culprit is the report's function."""
    return "{F}" not in sig.title and any("{F}" in alt for alt in sig.alts)


# The source file a header names with no function (kernel/sched/core.c __might_resched `BUG: sleeping function called
# from invalid context at %s:%d`, kernel/panic.c __warn `WARNING: CPU: %d PID: %d at %s:%d`, lib/bug.c report_bug's
# BUG `kernel BUG at %s:%d!`), from the kernel tree's top-level directory on: a build directory before it (`/build/
# linux-5.15.0/sound/...`, `./arch/...`) is the build's.
_SOURCE_SITE = re.compile(
    r"\bat /?(?:[\w.+\-]{1,64}/){0,8}?((?:arch|block|crypto|drivers|fs|include|init|io_uring|ipc|kernel|lib|mm|net|rust|"
    r"security|sound|virt)/[\w/.+\-]{1,200}?\.[ch]):\d{1,7}\b"
)


def _header_site(out: Titled, sig: Signature, filler: _Fill, header: str) -> None:
    """A report that names no culprit (`X in corrupted`) but whose header line names a function (a
    WARNING's `at %pS`: the WARN site, what its RIP line would have named) gets the title with that
    function as an alternative: its fingerprint key (fingerprint.fingerprint_key), so that two different
    bugs quoted without a trace do not share the key of every stack-less report of their kind, and a
    quote of a bug keys as its whole report does.  A header that names only the source file of its check
    (_SOURCE_SITE) gets `X in corrupted at FILE`: two checks in two files are two bugs.  The title stays
    syzkaller's.  Version 3 keyed such a report on its title: that key continues.  A report whose header names neither
    gets the alternative naming the report itself (report_alternative), its key since fingerprint version 7."""
    if not out.title.endswith(CORRUPTED_CULPRIT):
        return
    function = header_function(header)
    site = None
    if function is not None:
        site = filler.title(sig.title, culprit_forms(function)[0])
    elif (source := _SOURCE_SITE.search(header)) is not None:
        site = f"{out.title} at {source.group(1)}"  # the file the header names: its line moves with every build
    if site is None or site == out.title or site.endswith(CORRUPTED_CULPRIT):
        if keyed_alternative(out.title, out.alts) is None:  # no alternative names the culprit (a stall's walk may)
            out.alts = [*out.alts, report_alternative(out.title, header)]  # fingerprint version 7's key
        return
    out.before_v4 += ((out.title, list(out.alts)),)
    out.alts = [site, *out.alts]
    if function is not None and out.function is None and not is_skipped(function, sig.skip_regex):
        # The only code the report names, and the key's: the culprit, unless it is a reporter or a helper a skip rule
        # fits (`__might_sleep`, `memcpy`), whose caller the quote cut.
        out.function = culprit_forms(function)[0]


def _unanswered_lockup(out: Titled, sig: Signature, filler: _Fill, culprit: Culprit, template: str) -> None:
    """A hard lockup whose locked CPU printed no dump (it never answered the NMI: culprit._locked_cpu_lines),
    or a soft lockup whose stack is the watchdog's own reporting path (culprit._stalled), names no function,
    and no `stall in` bucket either: a bystander CPU's or the messenger's stack is no culprit, and
    `stall in corrupted` would merge it with every stack-less stall.  The kernel printed what it could:
    the report is whole."""
    out.title = filler.title(template, None)
    if culprit.earlier is not None:
        old = culprit_forms(culprit.earlier)[0] if culprit.earlier else None
        out.before_v4 = ((filler.title(sig.title, old), [filler.title(t, old) for t in sig.alts]),)


# How many lines below a trace's header its first frame may come (the `<IRQ>`/`<TASK>` markers, an `Exception stack`
# dump's lines): syzkaller's corruption check reads as many.
_FRAME_WITHIN = 15
# The trace headers that check reads, each at its first line: a task's stack, KASAN's allocation and free stacks.
_TRACE_KEYS = (re.compile(r"^\s*Call [Tt]race"), re.compile(r"^\s*Allocated by task"), re.compile(r"^\s*Freed by task"))
# A line that shows a frame in any form a quote leaves it (`f+0x1/0x2`, `? f+0x..`, ppc64's `.f+0x..`, faddr2line's
# `f+0x1/0x2:`): a symbol and its offset.
_SYMBOL_OFFSET = re.compile(r"[A-Za-z_.$][\w.$]{0,127}\+0x[0-9a-fA-F]{1,16}")


def _trace_without_frames(texts: list[str]) -> bool:
    """Whether the first `Call Trace:` (or KASAN's first `Allocated by task N:` / `Freed by task N:`) shows no frame
    at all within _FRAME_WITHIN lines below it before the next trace header or the report's end: a trace the log lost
    or another report cut off, as syzkaller's corruption check finds it.  Unlike that check, a trace of `?` guesses
    counts (kernels before 4.x without frame pointers print every frame so: a whole report, not a corrupted one)."""
    for key in _TRACE_KEYS:
        start = next((i for i, t in enumerate(texts[1:], 1) if key.match(t)), None)
        if start is not None and not _frame_below(texts, start):
            return True
    return False


def _frame_below(texts: list[str], start: int) -> bool:
    """Whether a frame comes within _FRAME_WITHIN lines below texts[start], before another trace header."""
    for below in texts[start + 1 : start + 1 + _FRAME_WITHIN]:
        if _STACK_START.match(below):
            return False
        if "(stack is not available)" in below or _SYMBOL_OFFSET.search(below) or parse_frames(below):
            return True
    return False


def _has_trace(texts: list[str]) -> bool:
    """Whether a report shows a trace: its header or a frame line, not the faulting PC's line alone."""
    return any(_STACK_START.match(t) or (not fault_pc(t) and parse_frames(t)) for t in texts[1:])


def _corruption(sig: Signature, culprit: Culprit, raw_title: str, *, incomplete: bool, no_culprit: bool,
                texts: list[str]) -> str | None:  # fmt: skip
    """Why a titled report cannot be trusted whole, or None."""
    if culprit.fault_injection:
        return "another task's fault-injection stack is mixed in"
    if sig.corrupted:
        return "incomplete report: its header is cut or was lost"
    if incomplete:
        return "the report is cut short"
    if "{F}" in sig.title and no_culprit:
        return "extracted no frames"
    if _TIMESTAMP_IN_TITLE.search(raw_title):
        return "title contains a timestamp: lines were merged"
    if sig.strategy is not Strategy.NONE and not _has_trace(texts):
        return "no stack trace in report"
    if sig.strategy is not Strategy.NONE and (Part.HEADER,) not in sig.stack and _trace_without_frames(texts):
        return "no frames in a stack trace"
    return None


# Crash type from the title prefix (first match wins), as syzkaller's crash types.
_TYPES: tuple[tuple[str, str], ...] = (
    ("KASAN: invalid-free", "KASAN-INVALID-FREE"),
    ("KASAN: double-free", "KASAN-INVALID-FREE"),
    ("KASAN: null-ptr-deref Read", "KASAN-NULL-POINTER-DEREFERENCE-READ"),
    ("KASAN: null-ptr-deref Write", "KASAN-NULL-POINTER-DEREFERENCE-WRITE"),
    ("KASAN: use-after-free Read", "KASAN-USE-AFTER-FREE-READ"),
    ("KASAN: slab-use-after-free Read", "KASAN-USE-AFTER-FREE-READ"),
    ("KASAN: use-after-free Write", "KASAN-USE-AFTER-FREE-WRITE"),
    ("KASAN: slab-use-after-free Write", "KASAN-USE-AFTER-FREE-WRITE"),
    ("KASAN: use-after-free", "KASAN-USE-AFTER-FREE-READ"),
    ("KASAN: ", "KASAN-READ"),
    ("KMSAN: uninit-value", "KMSAN-UNINIT-VALUE"),
    ("KMSAN: kernel-infoleak", "KMSAN-INFO-LEAK"),
    ("KMSAN: kernel-usb-infoleak", "KMSAN-INFO-LEAK"),
    ("KCSAN: data-race", "KCSAN-DATARACE"),
    ("KCSAN: assert", "KCSAN-ASSERT"),
    ("KFENCE: use-after-free read", "KFENCE-USE-AFTER-FREE-READ"),
    ("KFENCE: use-after-free write", "KFENCE-USE-AFTER-FREE-WRITE"),
    ("KFENCE: invalid free", "KFENCE-INVALID-FREE"),
    ("KFENCE: memory corruption", "KFENCE-MEMORY-CORRUPTION"),
    ("KFENCE: invalid read", "KFENCE-READ"),
    ("KFENCE: out-of-bounds read", "KFENCE-READ"),
    ("KFENCE: invalid write", "KFENCE-WRITE"),
    ("KFENCE: out-of-bounds write", "KFENCE-WRITE"),
    ("BUG: unable to handle kernel NULL pointer dereference", "NULL-POINTER-DEREFERENCE"),
    ("BUG: unable to handle kernel paging request", "MEMORY_SAFETY_BUG"),
    ("BUG: corrupted list", "MEMORY_SAFETY_BUG"),
    ("UBSAN: array-index-out-of-bounds", "MEMORY_SAFETY_UBSAN"),
    ("UBSAN: ", "UBSAN"),
    ("WARNING: refcount bug", "REFCOUNT_WARNING"),
    ("possible deadlock", "LOCKDEP"),
    ("inconsistent lock state", "LOCKDEP"),
    ("BUG: bad unlock balance", "LOCKDEP"),
    ("WARNING: bad unlock balance", "LOCKDEP"),
    ("BUG: held lock freed", "LOCKDEP"),
    ("WARNING: held lock freed", "LOCKDEP"),
    ("BUG: spinlock", "LOCKDEP"),
    ("BUG: rwlock", "LOCKDEP"),
    ("BUG: using smp_processor_id()", "LOCKDEP"),
    ("BUG: using __this_cpu", "LOCKDEP"),
    ("WARNING: locking bug", "LOCKDEP"),
    ("WARNING: nested lock was not taken", "LOCKDEP"),
    ("WARNING: still has locks held", "LOCKDEP"),
    ("WARNING: suspicious RCU usage in ", "LOCKDEP"),
    ("BUG: sleeping function called from invalid context", "ATOMIC_SLEEP"),
    ("BUG: scheduling while atomic", "ATOMIC_SLEEP"),
    ("memory leak in", "LEAK"),
    ("kernel BUG", "BUG"),
    ("BUG: bad usercopy", "BUG"),
    ("WARNING: kernel stack", "UNKNOWN"),
    ("WARNING: possible circular locking", "WARNING"),
    ("WARNING", "WARNING"),
    ("BUG: soft lockup", "HANG"),
    ("BUG: hard lockup", "HANG"),
    ("INFO: rcu detected stall", "HANG"),
    ("INFO: task hung", "HANG"),
    ("INFO: task can't die", "HANG"),
    ("general protection fault", "DoS"),
    ("stack segment fault", "DoS"),
    ("divide error", "DoS"),
    ("invalid opcode", "DoS"),
    ("int3", "DoS"),
    ("PANIC: double fault", "DoS"),
    ("kernel panic", "DoS"),
    ("kernel stack overflow", "DoS"),
    ("Internal error", "DoS"),
    ("Unhandled fault", "DoS"),
    ("Alignment trap", "DoS"),
    ("BUG: Object already free", "DoS"),
    ("VFS: ", "DoS"),
    ("go runtime error", "DoS"),
    ("unexpected kernel reboot", "REBOOT"),
    ("SYZFAIL", "SYZ_FAILURE"),
    ("trusty: ", "DoS"),
)
# A KASAN report of a write (mm/kasan/report.c print_error_description: `Write of size %zu at addr`)
# whose bug type has no row of its own above (`KASAN: slab-out-of-bounds Write in F`).
_KASAN_WRITE = re.compile(r"KASAN: [a-z\-]{1,40} Write\b")


def title_type(title: str) -> str:
    """Crash type of a title (`""` for no crash)."""
    if not title:
        return ""
    for prefix, typ in _TYPES:
        if title.startswith(prefix):
            return "KASAN-WRITE" if prefix == "KASAN: " and _KASAN_WRITE.match(title) else typ
    return "UNKNOWN"
