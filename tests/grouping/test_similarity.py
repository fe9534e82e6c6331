"""The pure stack similarity (kcrashd.core.similarity): its properties, on hand-made stacks and on
the stacks of real lab logs."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from kcrashd.core import analyze
from kcrashd.core.model import Frame, Report
from kcrashd.core.similarity import FrameRarity, frame_rarity, rank, similarity, stack_of

LAB = Path(__file__).resolve().parents[1] / "corpus" / "lab"
EMPTY = FrameRarity()


def lab_stack(case: str) -> tuple[str, ...]:
    return stack_of(analyze((LAB / case / "vmcore-dmesg.txt").read_bytes()))


def test_identical_stacks_score_one_and_disjoint_zero() -> None:
    a = ("ext4_writepages", "do_writepages", "vfs_write")
    assert similarity(a, a, EMPTY) == pytest.approx(1.0)
    assert similarity(a, ("tcp_sendmsg", "sock_sendmsg"), EMPTY) == 0.0
    assert similarity(a, (), EMPTY) == 0.0


def test_symmetric_and_bounded() -> None:
    a = ("f1", "f2", "f3", "f4")
    b = ("f2", "f1", "f3", "g")
    assert similarity(a, b, EMPTY) == pytest.approx(similarity(b, a, EMPTY))
    assert 0.0 < similarity(a, b, EMPTY) < 1.0


def test_a_difference_at_the_top_costs_more_than_at_the_bottom() -> None:
    base = ("culprit", "caller", "subsystem", "vfs_write", "ksys_write", "do_syscall_64")
    top_changed = ("other", *base[1:])
    bottom_changed = (*base[:-1], "el0_svc")
    assert similarity(base, bottom_changed, EMPTY) > similarity(base, top_changed, EMPTY)


def test_rare_frames_weigh_more_than_common_ones() -> None:
    common = ("vfs_write", "ksys_write")
    stored = [("x", *common), ("y", *common), ("z", *common), ("rare_driver_fn", "w")] * 5
    rarity = frame_rarity(stored)
    shares_rare = similarity(("rare_driver_fn", "a", "b"), ("rare_driver_fn", "c", "d"), rarity)
    shares_common = similarity(("vfs_write", "a", "b"), ("vfs_write", "c", "d"), rarity)
    assert shares_rare > shares_common


def test_stack_of_a_report() -> None:
    frames = [
        Frame(function="dump_stack_lvl"),
        Frame(function="__pfx_kthread", reliable=False),
        Frame(function="guess", reliable=False),
        Frame(function="lab_write", module="kcrashd_lab"),
        Frame(function="lab_write"),
        Frame(function="__x64_sys_write"),
    ]
    report = Report(title="t", kind="oops", ip="lab_trigger_gpf+0x13/0x20 [kcrashd_lab]", frames=frames)
    assert stack_of(report) == ("lab_trigger_gpf", "dump_stack_lvl", "lab_write", "sys_write")
    without_ip = Report(title="t", kind="oops", frames=frames)
    assert stack_of(without_ip) == ("lab_write", "sys_write")  # the messenger on top is left out


def test_same_kind_on_two_kernels_is_closer_than_another_kind() -> None:
    gpf_a, gpf_b = lab_stack("deb11-5.10_gpf_run1"), lab_stack("deb12-6.1_gpf_run1")
    hung = lab_stack("deb11-5.10_hung-task_run1")
    rarity = frame_rarity([gpf_a, gpf_b, hung, lab_stack("deb11-5.10_warning_run1")])
    assert similarity(gpf_a, gpf_b, rarity) > 0.7 > similarity(gpf_a, hung, rarity)


def test_rank_agrees_with_scoring_every_candidate() -> None:
    """The bound that skips alignments never changes the answer: compare with brute force."""
    cases = sorted(p.name for p in LAB.iterdir() if (p / "vmcore-dmesg.txt").exists())[:40]
    stacks = [s for s in (lab_stack(c) for c in cases) if s]
    rarity = frame_rarity(stacks)
    for query in stacks[:10]:
        candidates = list(enumerate(stacks))
        brute = sorted(((similarity(query, s, rarity), -n) for n, s in candidates), reverse=True)
        want = [(-order, score) for score, order in brute if score > 0][:5]
        got = rank(query, candidates, rarity, 5)
        assert [n for n, _ in got] == [n for n, _ in want]
        assert [s for _, s in got] == pytest.approx([s for _, s in want])


def test_rank_limit_and_order() -> None:
    stacks = [("a", "b", "c"), ("a", "b", "x"), ("q", "r"), ("a", "y", "z")]
    got = rank(("a", "b", "c"), list(enumerate(stacks)), EMPTY, 2)
    assert [n for n, _ in got] == [0, 1]
    assert all(s1 >= s2 for (_, s1), (_, s2) in itertools.pairwise(got))
    assert rank(("nothing",), list(enumerate(stacks)), EMPTY, 3) == []
