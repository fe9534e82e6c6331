"""No rule of the signature and skip tables is keyed on a single corpus file (bench/rule_support.py).

A rule that matches exactly one real log (syzkaller corpus + crash lab) describes that log, not the
kernel's format: it must go or be generalised into a family.  Rules that match no corpus file come
from the kernel's own formats and are allowed, and so are signature rows whose `why` names the
kernel code that prints them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "rule_support.py"


def test_no_rule_matches_exactly_one_corpus_file() -> None:
    spec = importlib.util.spec_from_file_location("rule_support", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cited = module.cited()
    single = [f"{table}: {rule}" for table, rule, n in module.support() if n == 1 and (table, rule) not in cited]
    assert not single, "rules matching exactly one corpus file:\n" + "\n".join(single)


def test_a_cited_row_names_kernel_code() -> None:
    """A signature's `why` excuses a single sample only when it names a kernel source file."""
    spec = importlib.util.spec_from_file_location("rule_support", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.KERNEL_SOURCE.search("net/core/dev.c netdev_wait_allrefs_any")
    assert not module.KERNEL_SOURCE.search("seen once in report 748")
    from kcrashd.core.signatures import SIGNATURES

    vague = [sig.name for sig in SIGNATURES if sig.why and not module.KERNEL_SOURCE.search(sig.why)]
    assert not vague, f"a `why` that names no kernel source file: {vague}"


def test_alternatives_are_split_at_the_top_level_only() -> None:
    spec = importlib.util.spec_from_file_location("rule_support", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.split_alternatives(r"^a|b(?:c|d)|[|]") == [r"^a", r"b(?:c|d)", r"[|]"]
