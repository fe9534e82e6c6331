"""Fingerprint version 6 keys a title that names plumbing acting on what its caller hands it (frames.CALLER_KEYED_INFRA:
kernfs's node API, debugfs's and tracefs's start_creating, vunmap, dql_completed) on the plumbing's caller: two drivers that hand kernfs or debugfs a
dead node are two bugs.  The title and function stay syzkaller's."""

from __future__ import annotations

import hashlib

import pytest

from kcrashd.core import analyze
from kcrashd.core.fingerprint import fingerprint_key, infra_caller_key
from kcrashd.core.frames import CALLER_KEYED_INFRA, INFRA_CALLER_PASSES
from tests.core.golden import CORPUS

PATCHES = CORPUS / "production" / "patches"
NULL = "BUG: unable to handle kernel NULL pointer dereference in "


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@pytest.mark.parametrize(
    "name",
    ["kernfs_remove_by_name_ns", "__kernfs_remove", "kernfs_create_dir_ns", "kernfs_find_ns", "kernfs_find_and_get_ns",
     "kernfs_add_one", "kernfs_get", "kernfs_drain", "__kernfs_new_node", "start_creating", "debugfs_create_dir",
     "__debugfs_create_file", "tracefs_create_file", "vunmap", "vm_unmap_ram", "dql_completed"],
)  # fmt: skip
def test_registration_plumbing_is_caller_keyed(name: str) -> None:
    assert CALLER_KEYED_INFRA.match(name)
    assert INFRA_CALLER_PASSES.match(name)


@pytest.mark.parametrize(
    "name",
    # kernfs's VFS operations, which userspace enters; debugfs's removal (its own bugs are its own); vmalloc's free
    # side, which the skip lists pass already; a driver's own names with the letters.
    ["kernfs_fop_write", "kernfs_fop_read_iter", "kernfs_seq_show", "kernfs_iop_permission", "kernfs_dop_revalidate",
     "kernfs_get_tree", "kernfs_fill_super", "debugfs_remove_recursive", "vfree", "vunmap_page_range", "mydrv_vunmap",
     "start_creating_session", "kernfs_getx", "dql_reset", "netdev_tx_completed_queue"],
)  # fmt: skip
def test_other_names_are_not(name: str) -> None:
    assert not CALLER_KEYED_INFRA.match(name)


@pytest.mark.parametrize("name", ["dpm_sysfs_remove", "device_remove_attrs", "bus_remove_device", "dma_free_attrs",
                                  "__iommu_dma_free", "dma_direct_free", "dma_common_free_remap"])  # fmt: skip
def test_the_walk_to_the_caller_passes_device_core_and_dma_free_plumbing(name: str) -> None:
    assert INFRA_CALLER_PASSES.match(name) and not CALLER_KEYED_INFRA.match(name)


def test_three_drivers_handing_debugfs_a_dead_parent_are_three_keys() -> None:
    # fs/debugfs/inode.c start_creating takes the parent's inode lock: stable 3.14.50 (mac80211), 4.14.283 (nbd) and
    # 6.12.42 (ccp) fixed three callers.
    logs = {
        "ieee80211_sta_debugfs_add": "stable-3.14.50-mac80211-sta-debugfs-add-start-creating-null-deref-i386.txt",
        "nbd_start_device": "stable-4.14.283-nbd-genl-connect-module-removal-start-creating-null.txt",
        "ccp5_debugfs_setup": "stable-6.12.42-ccp-debugfs-rebind-start-creating-null-deref.txt",
    }
    for caller, name in logs.items():
        report = analyze((PATCHES / name).read_bytes())
        assert (report.title, report.function) == (NULL + "start_creating", "start_creating")  # syzkaller's
        assert report.alt_titles[-1] == NULL + caller
        assert report.fingerprint == "kc7-" + _digest(f"bad-access in {caller}")
        # Version 5 keyed all three on the plumbing: that key continues for each.
        assert "kc5-" + _digest("bad-access in start_creating") in report.fingerprint_aliases


def test_two_drivers_miscounting_completed_bytes_are_two_keys() -> None:
    # lib/dynamic_queue_limits.c dql_completed BUG_ON()s on the count the driver's TX completion hands it: 8139cp's
    # interrupt handler (stable 3.10.23) and hip04's reclaim (stable 4.9.208) are two bugs.
    cp = analyze((PATCHES / "stable-3.10.23-8139cp-interrupt-dql-completed-bug.txt").read_bytes())
    hip = analyze((PATCHES / "stable-4.9.208-hip04-tx-reclaim-dql-completed-bug-arm.txt").read_bytes())
    assert cp.title == hip.title == "kernel BUG in dql_completed"
    assert cp.fingerprint != hip.fingerprint
    assert "kc5-" + _digest(cp.title) in cp.fingerprint_aliases and "kc5-" + _digest(hip.title) in hip.fingerprint_aliases


def test_a_lockdep_report_in_kernfs_is_keyed_on_the_held_lock_site() -> None:
    # Two sysfs removals under a lock a sysfs handler takes (stable 3.10.41's usb-serial, 4.14.96's unbind): the site
    # after kernfs_remove_by_name_ns in the report's walk is the held lock's, not a call chain's; still two keys.
    one = analyze((PATCHES / "stable-3.10.41-usb-serial-deregister-kernfs-circular-lockdep-arm.txt").read_bytes())
    two = analyze((PATCHES / "stable-4.14.96-sysfs-unbind-kernfs-remove-recursive-lockdep.txt").read_bytes())
    assert one.title == two.title == "possible deadlock in kernfs_remove_by_name_ns"
    assert one.fingerprint != two.fingerprint
    old = "kc5-" + _digest(one.title)
    assert old in one.fingerprint_aliases and old in two.fingerprint_aliases


def test_a_title_naming_a_kernfs_file_operation_keeps_its_key() -> None:
    # Negative: kernfs_fop_write is the VFS's way into a sysfs store handler, not plumbing acting on a caller's node.
    report = analyze((PATCHES / "stable-4.9.137-netclassid-update-classid-sock-soft-lockup.txt").read_bytes())
    assert report.title == "BUG: soft lockup in kernfs_fop_write"
    assert report.fingerprint.removeprefix("kc7-") == report.fingerprint_aliases[1].removeprefix("kc5-")


def test_the_key_replaces_the_plumbing_in_the_keyed_bucket() -> None:
    title = NULL + "kernfs_find_ns"
    alts = ["bad-access in kernfs_find_ns", NULL + "mydrv_remove"]
    assert fingerprint_key(title, alts) == "bad-access in mydrv_remove"
    assert fingerprint_key(title, alts, version=5) == "bad-access in kernfs_find_ns"
    # No caller alternative, or only plumbing and `corrupted`: the version-5 key.
    assert fingerprint_key(title, alts[:1]) == "bad-access in kernfs_find_ns"
    assert fingerprint_key(title, [*alts[:1], NULL + "kernfs_add_one", NULL + "corrupted"]) == "bad-access in kernfs_find_ns"


def test_a_key_that_names_another_function_already_stays() -> None:
    # A sleeping API's caller key (version 5) is not replaced; nor is a title that names no plumbing.
    sleep = "BUG: sleeping function called from invalid context in kernfs_remove_by_name_ns"
    assert infra_caller_key(sleep, [sleep.replace("kernfs_remove_by_name_ns", "a"), sleep.replace("kernfs_remove_by_name_ns", "b")],
                            sleep.replace("kernfs_remove_by_name_ns", "a")).endswith(" in a")  # fmt: skip
    assert infra_caller_key("WARNING in mydrv_probe", ["WARNING in other"], "WARNING in mydrv_probe") == "WARNING in mydrv_probe"
