"""Fast checks of the lab's tables and glue; no guest is booted."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import pytest

from lab.apt import KEYRING, AptError, AptSource
from lab.build import _link_boot_files, read_apt_packages, resolve_packages
from lab.corpus import kept_regenerations
from lab.crash import BUSY_PROFILE, SMP_PROFILE, VARIANTS, _conf, _mentions, _split_boots
from lab.guest_tools import _in_tree
from lab.kernels import ARCHES, HOST_ARCH, kernel_named
from lab.kinds import CLASS_NAMES, KINDS, kind_named, trigger_codes
from lab.lkdtm import _in_tree_file_names

LAB = Path(__file__).resolve().parents[2] / "lab"
REQUIRED_CLASSES = {
    "sysrq", "null-deref", "paging-fault", "bug", "gpf", "divide-error", "warning",
    "soft-lockup", "hung-task", "stack-protector", "stack-overflow", "list-corruption",
    "use-after-free", "double-free", "refcount", "panic", "oom", "init-exit",
    "init-signal", "no-root-fs", "atomic-sleep", "kfence", "invalid-opcode",
}  # fmt: skip


def test_every_class_has_a_kind_and_no_kind_an_unknown_class() -> None:
    assert set(CLASS_NAMES) == REQUIRED_CLASSES
    assert len({k.name for k in KINDS}) == len(KINDS)


def test_module_kinds_match_trigger_table_and_sources() -> None:
    codes = trigger_codes()
    sources = "".join(p.read_text() for p in (LAB / "module").glob("*.c"))
    assert len(set(codes.values())) == len(codes)
    for kind in KINDS:
        if kind.module:
            assert kind.trigger in codes, kind.name
            # The culprit is the trigger itself, or a function it hands the crash to (a timer
            # callback, a work item); either way one the module defines.
            assert re.search(rf"\b(?:void|enum hrtimer_restart) {kind.culprit}\(", sources), kind.name
    for name in codes:
        assert re.search(rf"\bvoid lab_trigger_{name}\(void\)", sources), name


def test_module_never_prints_a_kind_name() -> None:
    sources = "".join(p.read_text() for p in (LAB / "module").glob("*.c"))
    printed = " ".join(re.findall(r'(?:pr_\w+|printk|panic|WARN\w*)\(\s*"([^"]*)"', sources))
    for kind in KINDS:
        for word in re.split(r"[-_]", kind.name):
            if len(word) > 3:
                assert word not in printed.lower(), (kind.name, printed)


def test_guest_init_is_valid_shell() -> None:
    subprocess.run(["sh", "-n", str(LAB / "guest" / "init")], check=True)


def test_conf_values_survive_the_shell() -> None:
    text = _conf({"A": "x y'z", "B": 3, "C": ""})
    out = subprocess.run(
        ["sh", "-c", text + 'printf "%s|%s|%s" "$A" "$B" "$C"'],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert out == "x y'z|3|"


def test_boot_split_finds_the_capture_kernel() -> None:
    lines = [
        (0.1, b"[    0.000000] Linux version 6.1.0\n"),
        (5.0, b"[    5.0] Kernel panic - not syncing: sysrq triggered crash\n"),
        (9.0, b"[    0.000000] Linux version 6.1.0\n"),
    ]
    assert _split_boots(lines) == (0, 2)


def test_culprit_match_accepts_compiler_suffixes() -> None:
    kind = kind_named("init-exit")
    text = (
        "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\n do_exit.cold+0x15/0x15\n"
    )
    assert _mentions(text, kind, "6.1.0-56-amd64") == (True, True)
    assert _mentions("do_exit_thing+0x1", kind, "6.1.0-56-amd64") == (False, False)


def test_renamed_kernel_functions_follow_the_release() -> None:
    kind = kind_named("no-root-fs")
    assert kind.culprit_for("5.10.0-46-amd64") == "mount_block_root"
    assert kind.culprit_for("6.1.0-56-amd64") == "mount_block_root"
    assert kind.culprit_for("6.12.118+deb13-amd64") == "mount_root_generic"


def test_apt_package_list_names_the_tools() -> None:
    packages = read_apt_packages()
    for needed in ("qemu-system-x86", "busybox-static", "kexec-tools", "makedumpfile"):
        assert needed in packages


# Lines the kernels printed in the lab (tests/corpus/lab), with a line of another architecture
# that must not pass for the same kind there.
HEADLINE_SAMPLES: tuple[tuple[str, str, str, str], ...] = (
    ("null-deref", "ppc64el",
     "[    2.743185] BUG: Kernel NULL pointer dereference on write at 0x00000010",
     "[    3.836501] BUG: kernel NULL pointer dereference, address: 0000000000000010"),
    ("paging-fault", "ppc64el",
     "[    3.150568] BUG: Unable to handle kernel data access on write at 0xc0080000005f0000",
     "[    2.941874] BUG: Unable to handle kernel data access at 0x1122334455667798"),
    ("null-deref", "s390x",
     "[    9.411108] Unable to handle kernel pointer dereference in virtual kernel address space",
     "[    4.117022] Unable to handle kernel paging request in virtual user address space"),
    ("warning", "amd64",
     "[   10.913421] WARNING: kcrashd_lab_main.c:92 at lab_trigger_warning+0x1a/0x30 [kcrashd_lab], CPU#0: init/1",
     "[   10.913421] WARNING: mm/slub.c:92 at kfree+0x1a/0x30, CPU#0: init/1"),
    ("warning", "amd64",
     "[    3.1] WARNING: CPU: 0 PID: 1 at kcrashd_lab_main.c:92 lab_trigger_warning+0x1a/0x30 [kcrashd_lab]",
     "[    3.1] WARNING: CPU: 0 PID: 1 at mm/slub.c:92 kfree+0x1a/0x30"),
    ("lkdtm-warning", "arm64",
     "[    3.3] WARNING: drivers/misc/lkdtm/bugs.c:148 at lkdtm_WARNING+0x14/0x28 [lkdtm], CPU#0: init/1",
     "[    3.3] WARNING: mm/slub.c:6500 at warn_free_bad_obj+0xe0/0x108, CPU#0: init/1"),
    ("lkdtm-warning", "amd64",
     "[    3.3] WARNING: CPU: 0 PID: 1 at drivers/misc/lkdtm/bugs.c:148 lkdtm_WARNING+0x14/0x28 [lkdtm]",
     "[    3.3] WARNING: CPU: 0 PID: 1 at mm/slub.c:4770 kmem_cache_free+0x378/0x3d0"),
    ("lkdtm-slab-free-cross", "arm64",
     "[    3.374511] kmem_cache_free(lkdtm-heap-b, 00000000a2e41b95): object belongs to different cache lkdtm-heap-a",
     "[    3.374511] kmem_cache_free(lkdtm-heap-a, 00000000a2e41b95): object belongs to different cache lkdtm-heap-b"),
    ("lkdtm-slab-free-cross", "amd64",
     "[    3.3] cache_from_obj: Wrong slab cache. lkdtm-heap-b but object is from lkdtm-heap-a",
     "[    3.3] cache_from_obj: Wrong slab cache. lkdtm-heap-a but object is from lkdtm-heap-b"),
    ("divide-error", "s390x",
     "[    9.056182] fixpoint divide exception: 0009 ilc:2 [#1] SMP ",
     "[    3.522611] divide error: 0000 [#1] PREEMPT SMP NOPTI"),
)  # fmt: skip


def test_arch_headlines_match_what_the_kernel_printed() -> None:
    for name, arch, printed, other in HEADLINE_SAMPLES:
        headline = kind_named(name).headline_for(arch)
        assert re.search(headline, printed), (name, arch)
        assert not re.search(headline, other), (name, arch, other)


def test_not_applicable_kinds_name_known_arches_and_a_reason() -> None:
    for kind in KINDS:
        for arch, reason in kind.not_on:
            assert arch in ARCHES and arch != HOST_ARCH, (kind.name, arch)
            assert len(reason) > 20, (kind.name, arch)
        for arch, _ in kind.headline_on:
            assert arch in ARCHES, (kind.name, arch)


def test_a_loop_without_preempt_disable_needs_a_kernel_that_does_not_preempt_it() -> None:
    loop = kind_named("lkdtm-loop")
    voluntary = "CONFIG_PREEMPT_VOLUNTARY=y\nCONFIG_PREEMPT_DYNAMIC=y\n"  # deb13-6.12's model
    assert loop.unsupported_by(voluntary) is None
    for preemptible in ("CONFIG_PREEMPT_LAZY=y", "CONFIG_PREEMPT=y", "CONFIG_PREEMPT_RT=y"):
        assert loop.unsupported_by(f"{preemptible}\nCONFIG_PREEMPTION=y\n"), preemptible


def test_an_lkdtm_test_gone_from_a_release_is_not_applicable_there() -> None:
    kind = kind_named("lkdtm-fortify-str-object")
    assert kind.unsupported_in("6.12.118+deb13-amd64") is None
    assert "7.2" in (kind.unsupported_in("7.2.13+deb14-arm64") or "")
    assert kind.unsupported_in("5.10.262-1-amd64")


def test_kinds_needing_a_build_option_say_why_without_it() -> None:
    kfence = kind_named("kfence-oob")
    assert kfence.unsupported_by("CONFIG_SLUB=y\n# CONFIG_KFENCE is not set\n")
    assert kfence.unsupported_by("CONFIG_KFENCE=y\nCONFIG_KFENCE_SAMPLE_INTERVAL=0\n") is None
    assert all(kind.unsupported_by("") is None for kind in KINDS if not kind.needs_config)
    for kind in KINDS:
        for needed, why in kind.needs_config:
            assert re.fullmatch(r"CONFIG_\w+=[ym]", needed) and len(why) > 20, kind.name
        for line, why in kind.conflicts_config:
            assert re.fullmatch(r"CONFIG_\w+=[ym]", line) and len(why) > 20, kind.name
    loop = kind_named("lkdtm-loop")
    assert loop.unsupported_by("CONFIG_PREEMPT_VOLUNTARY=y\nCONFIG_PREEMPT_DYNAMIC=y\n") is None
    assert loop.unsupported_by("CONFIG_PREEMPT_RT=y\n")
    assert kind_named("lkdtm-spinlockup").unsupported_by("CONFIG_PREEMPT_RT=y\n")


def test_kernel_flavours_pick_their_image_and_dump_mode() -> None:
    rt = kernel_named("deb12-6.1-rt")
    assert (rt.image_meta, rt.arch, rt.foreign_arch) == ("linux-image-rt-amd64", "amd64", False)
    assert "PREEMPT_RT" in rt.no_kdump
    assert kernel_named("bookworm").id == "deb12-6.1"
    ppc = kernel_named("deb12-6.1-ppc64el")
    assert (ppc.image_meta, ppc.profile.image, ppc.profile.console) == (
        "linux-image-powerpc64le",
        "vmlinux",
        "hvc0",
    )
    assert kernel_named("deb12-6.1-s390x").image_meta == "linux-image-s390x"
    assert kernel_named("deb12-6.1").no_kdump == ""
    assert all(kernel_named(k).no_kdump for k in ("deb12-6.1-arm64", "deb12-6.1-ppc64el", "deb12-6.1-s390x"))


def test_guest_tools_follow_absolute_symlinks_inside_the_unpacked_tree(tmp_path: Path) -> None:
    # ppc64el's libc6: /lib64/ld64.so.2 -> /lib/powerpc64le-linux-gnu/ld64.so.2 (absolute)
    real = tmp_path / "lib" / "powerpc64le-linux-gnu" / "ld64.so.2"
    real.parent.mkdir(parents=True)
    real.write_bytes(b"\x7fELF")
    (tmp_path / "lib64").mkdir()
    (tmp_path / "lib64" / "ld64.so.2").symlink_to("/lib/powerpc64le-linux-gnu/ld64.so.2")
    (tmp_path / "lib64" / "rel.so").symlink_to("../lib/powerpc64le-linux-gnu/ld64.so.2")
    (tmp_path / "lib64" / "loop.so").symlink_to("loop.so")
    assert _in_tree(tmp_path, "/lib64/ld64.so.2") == real
    relative = _in_tree(tmp_path, "lib64/rel.so")
    assert relative is not None and relative.resolve() == real.resolve()
    assert _in_tree(tmp_path, "lib64/loop.so") is None
    assert _in_tree(tmp_path, "lib64/absent.so") is None


def test_unstable_suites_get_no_security_archive() -> None:
    mirror = "http://deb.debian.org/debian"
    assert "trixie-security" in AptSource("trixie").sources_list(mirror)
    sid = AptSource("sid").sources_list(mirror)
    assert sid.splitlines() == [f"deb [signed-by={KEYRING}] {mirror} sid main"]


class SuiteIndex:
    """A test double of AptSource's metadata queries: sid 7.2's split image packages."""

    def __init__(self, release: str) -> None:
        self.release = release

    def depends(self, package: str) -> list[str]:
        r = self.release
        return {
            "linux-image-amd64": ["linux-base-amd64", f"linux-image-{r}"],
            f"linux-image-{r}": ["dracut", f"linux-base-{r}", f"linux-binary-{r}", f"linux-modules-{r}"],
            f"linux-headers-{r}": ["gcc-16-for-host", "linux-base", "linux-headers-7.2.13+deb14-common",
                                   "linux-kbuild-7.2.13+deb14"],
        }.get(package, [])  # fmt: skip

    def candidate(self, package: str) -> str:
        return "7.2.13-1"


def test_split_image_packages_are_fetched_and_a_moved_series_is_refused() -> None:
    r = "7.2.13+deb14-amd64"
    release, version, packages = resolve_packages(kernel_named("sid-7.2"), SuiteIndex(r))  # type: ignore[arg-type]
    assert (release, version) == (r, "7.2.13-1")
    assert packages == [f"linux-image-{r}", f"linux-base-{r}", f"linux-binary-{r}", f"linux-modules-{r}",
                        f"linux-headers-{r}", "linux-headers-7.2.13+deb14-common", "linux-kbuild-7.2.13+deb14"]  # fmt: skip
    with pytest.raises(AptError, match=r"7\.3\.1"):
        resolve_packages(kernel_named("sid-7.2"), SuiteIndex("7.3.1+deb14-amd64"))  # type: ignore[arg-type]


def test_boot_files_under_usr_lib_modules_move_to_boot(tmp_path: Path) -> None:
    moddir = tmp_path / "usr" / "lib" / "modules" / "7.2.13+deb14-amd64"
    moddir.mkdir(parents=True)
    for name in ("vmlinuz", "config", "System.map"):
        (moddir / name).write_text(name)
    _link_boot_files(tmp_path, "7.2.13+deb14-amd64")
    boot = tmp_path / "boot"
    assert sorted(p.name for p in boot.iterdir()) == [
        "System.map-7.2.13+deb14-amd64", "config-7.2.13+deb14-amd64", "vmlinuz-7.2.13+deb14-amd64"]  # fmt: skip
    assert not (boot / "vmlinuz-7.2.13+deb14-amd64").is_symlink()
    assert (boot / "config-7.2.13+deb14-amd64").read_text() == "config"


def test_a_kernel_shipped_as_vmlinuz_moves_to_the_name_its_architecture_boots(tmp_path: Path) -> None:
    # sid's ppc64el ships its ELF vmlinux as /usr/lib/modules/RELEASE/vmlinuz; the lab boots /boot/vmlinux-RELEASE.
    release = "7.2.13+deb14-powerpc64le"
    moddir = tmp_path / "usr" / "lib" / "modules" / release
    moddir.mkdir(parents=True)
    (moddir / "vmlinuz").write_text("elf")
    _link_boot_files(tmp_path, release, kernel_named("sid-7.2-ppc64el").profile.image)
    assert [p.name for p in (tmp_path / "boot").iterdir()] == [f"vmlinux-{release}"]


def test_busy_profile_is_smp_with_a_loop_per_cpu() -> None:
    assert VARIANTS[3] is BUSY_PROFILE
    assert dataclasses.replace(BUSY_PROFILE, profile=SMP_PROFILE.profile, busy=0) == SMP_PROFILE
    assert BUSY_PROFILE.busy == BUSY_PROFILE.cpus


def test_guest_init_starts_the_busy_loops(tmp_path: Path) -> None:
    """The busy-loop block of /init, run with a stub dd: LAB_BUSY loops, half of them dd."""
    init = (LAB / "guest" / "init").read_text()
    block = init[init.index("# The busy profile") : init.index('sleep "$LAB_DELAY"')]
    assert block.count("&\n") == 2
    script = block.replace("(while :; do :; done) &", "echo loop >> $OUT").replace(
        "dd if=/dev/zero of=/dev/null bs=64k 2>/dev/null &", "echo dd >> $OUT"
    )
    out = tmp_path / "started"
    subprocess.run(["sh", "-c", f"LAB_BUSY=4\n{script}"], env={"OUT": str(out)}, check=True)
    assert out.read_text().split() == ["loop", "dd", "loop", "dd"]
    subprocess.run(["sh", "-c", script], env={"OUT": str(out) + ".none"}, check=True)
    assert not Path(str(out) + ".none").exists()


def test_lkdtm_kinds_name_their_type_and_stay_off_the_lab_module() -> None:
    from lab.kinds import LKDTM_KINDS

    assert LKDTM_KINDS and all(kind in KINDS for kind in LKDTM_KINDS)
    for kind in KINDS:
        assert bool(kind.lkdtm_type) == (kind in LKDTM_KINDS), kind.name
        if kind.lkdtm_type:
            assert not kind.module and kind.trigger == ""
            assert kind.name == "lkdtm-" + kind.lkdtm_type.lower().replace("_", "-")
            assert re.fullmatch(r"[A-Z][A-Z_]+", kind.lkdtm_type)
            assert kind.notes and kind.unsupported_on(HOST_ARCH) is None


RENAMED_LKDTM = (
    # (5.10's kind, its culprit, 6.1's kind, its culprit)
    ("lkdtm-usercopy-heap-size-to", "do_usercopy_heap_size", "lkdtm-usercopy-slab-size-to", "do_usercopy_slab_size"),
    ("lkdtm-usercopy-heap-whitelist-to", "do_usercopy_heap_whitelist",
     "lkdtm-usercopy-slab-whitelist-to", "do_usercopy_slab_whitelist"),
    ("lkdtm-overwrite-allocation", "lkdtm_OVERWRITE_ALLOCATION", "lkdtm-slab-linear-overflow", "lkdtm_SLAB_LINEAR_OVERFLOW"),
)  # fmt: skip


def test_lkdtm_renamed_types_are_two_kinds_each_on_its_kernels() -> None:
    """5.10's LKDTM calls USERCOPY_SLAB_SIZE_TO USERCOPY_HEAP_SIZE_TO (usercopy.c, do_usercopy_heap_size),
    USERCOPY_SLAB_WHITELIST_TO USERCOPY_HEAP_WHITELIST_TO and SLAB_LINEAR_OVERFLOW OVERWRITE_ALLOCATION (heap.c)."""
    olds = []
    for old_name, old_culprit, new_name, new_culprit in RENAMED_LKDTM:
        old, new = kind_named(old_name), kind_named(new_name)
        olds.append(old)
        assert old.culprit == old_culprit and new.culprit == new_culprit
        assert old.unsupported_in("5.10.0-46-amd64") is None and new.unsupported_in("5.10.0-46-amd64")
        for release in ("6.1.0-57-amd64", "6.12.118+deb13-amd64"):
            assert old.unsupported_in(release) and new.unsupported_in(release) is None
    assert all(k.unsupported_in("6.1.0-57-amd64") is None for k in KINDS if k not in olds)


def test_lkdtm_source_patch_and_version_choice(tmp_path: Path) -> None:
    from lab.lkdtm import SMEP_GUARD, patch_sources, pick_version, source_package

    assert source_package("6.1.0-57-amd64") == "linux-source-6.1"
    assert source_package("6.12.118+deb13-amd64") == "linux-source-6.12"
    assert pick_version("6.1.192-3", ["6.1.192-3", "6.1.176-1"], "6.1.192-3") == "6.1.192-3"
    assert pick_version("6.1.180-1", ["6.1.192-3", "6.1.176-1"], "6.1.192-3") == "6.1.192-3"
    bugs = tmp_path / "bugs.c"
    bugs.write_text(f"static void lkdtm_UNSET_SMEP(void)\n{{\n{SMEP_GUARD}\t64\n#else\n#endif\n}}\n")
    assert patch_sources(tmp_path) and SMEP_GUARD not in bugs.read_text()
    assert "#if 0" in bugs.read_text() and patch_sources(tmp_path) == []


def test_only_lkdtm_kinds_build_lkdtm_or_change_the_guest_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run_crash up to the boot, with no guest: the lab's own kinds never reach lab/lkdtm.py and get
    the share and lab.conf they always had; an LKDTM kind gets lkdtm.ko and its type besides."""
    import lab.crash as crash
    from lab.build import Ingredients
    from lab.vm import Accel

    built: list[str] = []
    booted: dict[str, object] = {}

    class Booted(Exception):
        pass

    def fake_lkdtm(ing: Ingredients, log: object) -> Path:
        built.append(ing.release)
        ko = tmp_path / "lkdtm.ko"
        ko.write_bytes(b"ko")
        return ko

    def fake_vm(cfg: object, accel: object, cache: object) -> None:
        share = next(s.path for s in cfg.shares if s.tag == "labin")  # type: ignore[attr-defined]
        booted["files"] = sorted(p.name for p in share.iterdir())
        booted["conf"] = (share / "lab.conf").read_text()
        raise Booted

    monkeypatch.setenv("KCRASHD_LAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(crash, "prepare_lkdtm", fake_lkdtm)
    monkeypatch.setattr(crash, "run_vm", fake_vm)
    for name in ("vmlinuz", "initrd.img", "kcrashd_lab.ko"):
        (tmp_path / name).write_bytes(b"x")
    ing = Ingredients(kernel_named("deb12-6.1"), "6.1.0-57-amd64", "6.1.192-3", tmp_path,
                      tmp_path / "vmlinuz", tmp_path / "initrd.img", tmp_path / "kcrashd_lab.ko")  # fmt: skip
    accel = Accel("tcg", "max,-la57")
    for kind in KINDS:
        if not kind.initramfs:
            continue
        with pytest.raises(Booted):
            crash.run_crash(ing, kind, tmp_path / "out", tmp_path / "logs", accel=accel, log=lambda _m: None)
        conf = str(booted["conf"])
        if kind.lkdtm_type:
            assert booted["files"] == ["initrd.img", "lab.conf", "lkdtm.ko", "vmlinuz"], kind.name
            assert f"LAB_LKDTM_TYPE={kind.lkdtm_type}\n" in conf and "LAB_ACTION=lkdtm\n" in conf
        else:
            assert booted["files"] == ["initrd.img", "lab.conf", "vmlinuz"], kind.name
            assert "LKDTM" not in conf and "lkdtm" not in conf, kind.name
    assert len(built) == sum(1 for kind in KINDS if kind.lkdtm_type)


def test_a_regeneration_replaces_only_its_own_record() -> None:
    # lab/corpus.py: the record of the same kernels, kinds by name and runs is replaced; another set of as many kinds
    # on the same kernels (two LKDTM rounds of six kinds each) and a record that predates kind names both stay.
    old = [
        {"kernels": ["deb12-6.1"], "kinds": 2, "kind_names": ["a", "b"], "runs": None},
        {"kernels": ["deb12-6.1"], "kinds": 2, "kind_names": ["c", "d"], "runs": None},
        {"kernels": ["deb12-6.1"], "kinds": 2, "runs": None},
        {"kernels": ["deb12-6.1"], "kinds": 2, "kind_names": ["a", "b"], "runs": [3]},
    ]
    kept = kept_regenerations(old, ["deb12-6.1"], ["a", "b"], None)
    assert kept == old[1:]


def test_cross_build_for_another_suite_stubs_the_cross_compiler(tmp_path: Path) -> None:
    """A foreign architecture's kernel of another suite (trixie arm64) names its own cross gcc; the stub runs the
    host's cross gcc, and the module gets no ftrace patch sites (gcc 12 cannot align cold functions as gcc 14)."""
    from lab.toolchain import _compiler_names, _write_cc_stub, foreign_make_env

    kdir = tmp_path / "headers"
    (kdir / "scripts" / "basic").mkdir(parents=True)
    (kdir / ".kernelvariables").write_text(
        "override ARCH = arm64\nCC = $(if $(DEBIAN_KERNEL_USE_CCACHE),$(CCACHE)) $(CROSS_COMPILE)gcc-14\n"
    )
    assert _compiler_names(kdir, "aarch64-linux-gnu") == {"aarch64-linux-gnu-gcc-14": "aarch64-linux-gnu-gcc"}
    assert _compiler_names(kdir) == {"gcc-14": "gcc", "x86_64-linux-gnu-gcc-14": "gcc"}
    _write_cc_stub(tmp_path, "aarch64-linux-gnu-gcc-14", "aarch64-linux-gnu-gcc")
    stub = (tmp_path / "aarch64-linux-gnu-gcc-14").read_text()
    assert stub.rstrip().endswith('exec aarch64-linux-gnu-gcc "$@"')
    source = AptSource("trixie", private_root=tmp_path / "apt")
    env, args = foreign_make_env(source, tmp_path, kdir, "aarch64-linux-gnu")
    assert "CC_FLAGS_FTRACE=" in args and (tmp_path / "foreign" / "bin" / "aarch64-linux-gnu-gcc-14").exists()
    assert env["PATH"].startswith(str(tmp_path / "foreign" / "bin"))
    _, native = foreign_make_env(source, tmp_path, kdir)
    assert "CC_FLAGS_FTRACE=" not in native


@pytest.mark.parametrize("named", ["bare", "absolute"])
def test_lkdtm_files_read_as_in_the_tree_however_kbuild_names_them(tmp_path: Path, named: str) -> None:
    """6.x kbuild hands the compiler an external module's file by absolute path, 7.x by bare name
    (sid-7.2-arm64 printed `kernel BUG at bugs.c:132!`): the preprocessor's __FILE__ reads as in the tree."""
    (tmp_path / "bugs.c").write_text("const char *where = __FILE__;\n")
    (tmp_path / "heap.c").write_text("")
    source = "bugs.c" if named == "bare" else str(tmp_path / "bugs.c")
    flags = _in_tree_file_names(tmp_path).split()
    out = subprocess.run(["gcc", "-E", "-P", *flags, source], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert '"drivers/misc/lkdtm/bugs.c"' in out.stdout
