"""The crash kinds the lab can produce, as one table.

Each kind says how /init starts it, which sysctls it needs, what the kernel
prints when it happens (to decide whether it reproduced) and which function
the triage core is expected to blame.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

TRIGGERS_DEF = Path(__file__).resolve().parent / "module" / "triggers.def"


def trigger_codes() -> dict[str, int]:
    """Trigger name -> code, read from the module's triggers.def."""
    text = TRIGGERS_DEF.read_text(encoding="utf-8")
    return {name: int(code) for code, name in re.findall(r"LAB_TRIGGER\((\d+),\s*(\w+)\)", text)}


@dataclass(frozen=True)
class Kind:
    """One crash kind: trigger, settings and expected outcome."""

    name: str
    cls: str
    culprit: str
    action: str
    headline: str
    sysctls: tuple[str, ...] = ()
    module: bool = False
    background: bool = False
    exit_code: int = 0
    initramfs: bool = True
    extra_cmdline: str = ""
    timeout: float = 180.0
    min_cpus: int = 1
    notes: str = ""
    culprit_since: tuple[tuple[tuple[int, int], str], ...] = field(default=())
    # (first release without it, class) where an older kernel reports the kind as another class (5.10's x86 page
    # fault handler names a fault above the stack a guard-page hit; 6.x's only a fault below it).
    cls_before: tuple[tuple[tuple[int, int], str], ...] = field(default=())
    headline_on: tuple[tuple[str, str], ...] = field(default=())
    cmdline_before: tuple[tuple[tuple[int, int], str], ...] = field(default=())
    not_on: tuple[tuple[str, str], ...] = field(default=())
    # (kernel config line that must be present, why): "CONFIG_KFENCE=y" for a KFENCE report.
    needs_config: tuple[tuple[str, str], ...] = field(default=())
    # (kernel config line under which the kind cannot happen, why): "CONFIG_PREEMPT_RT=y" for a kind that
    # needs a spinning spinlock_t or a kernel that does not preempt a loop.
    conflicts_config: tuple[tuple[str, str], ...] = field(default=())
    # (first release, first release without it) and why: a kind only some kernels have, as an LKDTM
    # type that was renamed (the old and the new name are two kinds: their culprits differ).
    releases: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (999, 0))
    releases_why: str = ""
    # How many times /init writes an LKDTM type: SPINLOCKUP's first write returns holding the lock,
    # the second (from the same shell, right after it) spins on it.
    lkdtm_writes: int = 1

    @property
    def trigger(self) -> str:
        """The module trigger name, or "" for kinds that need no module."""
        return self.action.removeprefix("module:") if self.module else ""

    @property
    def lkdtm_type(self) -> str:
        """The LKDTM crash type written to provoke-crash/DIRECT, or "" for the lab's own kinds."""
        return self.action.removeprefix("lkdtm:") if self.action.startswith("lkdtm:") else ""

    def unsupported_in(self, release: str) -> str | None:
        """Why this kind cannot happen on a kernel release (outside `releases`), or None."""
        first, gone = self.releases
        return None if first <= release_version(release) < gone else self.releases_why

    @property
    def dump_possible(self) -> bool:
        """kexec -p needs userspace, so a crash before /init cannot be dumped."""
        return self.initramfs

    def headline_for(self, arch: str) -> str:
        """What the kernel prints for this crash on an architecture."""
        return dict(self.headline_on).get(arch, self.headline)

    def unsupported_on(self, arch: str) -> str | None:
        """Why this kind cannot happen on an architecture, or None."""
        return dict(self.not_on).get(arch)

    def unsupported_by(self, config: str) -> str | None:
        """Why this kind cannot happen on a kernel built with this .config text, or None."""
        lines = set(config.splitlines())
        missing = (why for needed, why in self.needs_config if needed not in lines)
        conflicting = (why for line, why in self.conflicts_config if line in lines)
        return next(missing, None) or next(conflicting, None)

    def cmdline_for(self, release: str) -> str:
        """Kernel parameters the kind needs on this release (older kernels need more)."""
        version = release_version(release)
        extra = [arg for until, arg in self.cmdline_before if version < until]
        return " ".join(filter(None, [self.extra_cmdline, *extra]))

    def cls_for(self, release: str) -> str:
        """The expected class on a kernel release (cls_before)."""
        version = release_version(release)
        return next((cls for until, cls in sorted(self.cls_before) if version < until), self.cls)

    def culprit_for(self, release: str) -> str:
        """The expected culprit on a kernel release; kernel functions get renamed."""
        version = release_version(release)
        chosen = self.culprit
        for since, name in sorted(self.culprit_since):
            if version >= since:
                chosen = name
        return chosen


def release_version(release: str) -> tuple[int, int]:
    """(major, minor) of a kernel release string such as 6.12.118+deb13-amd64."""
    match = re.match(r"(\d+)\.(\d+)", release)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


# What powerpc's and s390's fault handlers print for a bad kernel access (arch/powerpc/mm/fault.c
# __bad_page_fault, arch/s390/mm/fault.c do_no_context).
PPC_DATA_ACCESS = r"Unable to handle kernel data access on (?:read|write) at"
S390_KERNEL_DEREF = r"Unable to handle kernel pointer dereference in virtual kernel address space"

# What a NULL data access prints off x86 (a store to s390's first 512 bytes trips its low-address protection).
NULL_DEREF_ON: tuple[tuple[str, str], ...] = (
    ("arm64", r"Unable to handle kernel NULL pointer dereference at virtual address"),
    ("ppc64el", r"Kernel NULL pointer dereference on (?:read|write) at"),
    ("s390x", S390_KERNEL_DEREF),
)

# lib/Kconfig.debug: SOFTLOCKUP_DETECTOR depends on !S390 (no kernel.softlockup_panic in the guest).
NO_S390_SOFTLOCKUP = "s390 kernels have no soft-lockup detector (SOFTLOCKUP_DETECTOR depends on !S390)"


def _module(name: str, cls: str, trigger: str, headline: str, culprit: str = "", **kw: object) -> Kind:
    """A kind the crash module starts; the culprit is its trigger, or the callback it hands the crash to."""
    return Kind(
        name=name,
        cls=cls,
        culprit=culprit or f"lab_trigger_{trigger}",
        action=f"module:{trigger}",
        headline=headline,
        module=True,
        **kw,  # type: ignore[arg-type]
    )


# LKDTM, the kernel's own crash-test module (drivers/misc/lkdtm, built out of tree: lab/lkdtm.py), as
# another lab would use it: `echo TYPE > /sys/kernel/debug/provoke-crash/DIRECT`. direct_entry calls
# the noinline lkdtm_do_action, which ends in an indirect tail call of the type's lkdtm_TYPE: a trace
# reads lkdtm_TYPE <- direct_entry <- full_proxy_write <- vfs_write. The culprit is where the crash is:
# lkdtm_TYPE, or through a kernel helper it called (memcpy, __list_add_valid, kmem_cache_free,
# refcount_warn_saturate, __stack_chk_fail) lkdtm_TYPE again; where lkdtm_TYPE hands the crash to
# one of LKDTM's own functions (a tail call in the 6.1 build, so lkdtm_TYPE is in no trace, or a
# recursion), that function: the LKDTM function whose code did the bad thing, never the harness
# (direct_entry, lkdtm_do_action). Where that is lkdtm_TYPE but its last call is a tail call
# (HUNG_TASK's schedule(), SLAB_FREE_DOUBLE's second kmem_cache_free()), the trace skips it and
# only core.c's 'lkdtm: Performing direct entry TYPE' line names it.
# lkdtm/usercopy.c's 'heap' tests became 'slab' tests upstream between 5.10 and 6.1 (the lab's kernels:
# 5.10 has USERCOPY_HEAP_SIZE_TO and do_usercopy_heap_size, 6.1 USERCOPY_SLAB_SIZE_TO and
# do_usercopy_slab_size); a fingerprint that names the culprit cannot be one for both, so they are two kinds.
# Two fourth-round types came to LKDTM after 5.10: its usercopy.c has no USERCOPY_FOLIO (nor folio_alloc()) and it has
# no fortify.c, so no FORTIFY_STRSCPY. The bound is the lab's first kernel that has them (6.1), not upstream's release.
NOT_IN_510_LKDTM = "not in 5.10's LKDTM (linux-source-5.10 5.10.262-1's drivers/misc/lkdtm has no such test: core.c lists no %s)"
# The eleventh round: two tenth-round types have other names in 5.10's LKDTM: USERCOPY_SLAB_WHITELIST_TO was
# USERCOPY_HEAP_WHITELIST_TO (do_usercopy_heap_whitelist), the same 'heap' to 'slab' rename, and SLAB_LINEAR_OVERFLOW
# was OVERWRITE_ALLOCATION (heap.c, the same body); each old name is a kind of its own, made before 6.1 only.
WHITELIST_RENAMED = (
    "LKDTM renamed this test ('heap' to 'slab', USERCOPY_HEAP_WHITELIST_TO to USERCOPY_SLAB_WHITELIST_TO and "
    "do_usercopy_heap_whitelist to do_usercopy_slab_whitelist) between 5.10 and 6.1: the kernel's LKDTM has the other name"
)
LINEAR_RENAMED = (
    "LKDTM renamed this test (OVERWRITE_ALLOCATION to SLAB_LINEAR_OVERFLOW, heap.c, the same body) between 5.10 "
    "and 6.1: the kernel's LKDTM has the other name"
)
USERCOPY_RENAMED = (
    "LKDTM renamed this test ('heap' to 'slab', USERCOPY_HEAP_SIZE_TO to USERCOPY_SLAB_SIZE_TO and "
    "do_usercopy_heap_size to do_usercopy_slab_size) between 5.10 and 6.1: the kernel's LKDTM has the other name"
)
# arm64 (deb12-6.1-arm64, the same linux-source-6.1 cross-built): its build makes no tail calls (bl, and
# blr in lkdtm_do_action), so lkdtm_EXEC_NULL, lkdtm_EXEC_DATA, lkdtm_USERCOPY_SLAB_SIZE_TO, HUNG_TASK's
# and SLAB_FREE_DOUBLE's callers stay in the trace; the culprits stay the same. lkdtm_PANIC's bl panic is
# its last instruction (the trace names the next function at +0x0, as for the lab's own panic on arm64);
# refcount_inc() calls an out-of-line __refcount_add.constprop.0 (refcount.h's helper) in the module.
# The arm64 kernel's fault reports (arch/arm64/mm/fault.c die_kernel_fault, entry-common.c handle_bad_stack).
ARM64_NULL = ("arm64", r"Unable to handle kernel NULL pointer dereference at virtual address 0+\b")
# ppc64el (deb12-6.1-ppc64el: linux-source-6.1 6.1.176-1, the kernel's own, cross-built with ARCH=powerpc;
# its LKDTM is the same as 6.1.192-3's). ELFv2 makes local tail calls only (b execute_location in
# lkdtm_EXEC_NULL and lkdtm_EXEC_DATA, b do_usercopy_slab_size): calls out of the module keep bl + nop for
# the TOC, so lkdtm_do_action's bctrl, lkdtm_PANIC's bl panic, HUNG_TASK's bl schedule and SLAB_FREE_DOUBLE's
# second bl kmem_cache_free leave their caller in the trace; the culprits stay the same. The fault reports are
# arch/powerpc/mm/fault.c __bad_page_fault's and bad_kernel_fault's.
PPC_NULL = ("ppc64el", r"Kernel NULL pointer dereference on (?:read|write) at")
PPC_NULL_FETCH = ("ppc64el", r"Unable to handle kernel instruction fetch \(NULL pointer\?\)")
# s390x (deb12-6.1-s390x: linux-source-6.1 6.1.176-1, the kernel's own, cross-built with ARCH=s390). Its build
# makes tail calls as x86's does (jg; br %r1 in lkdtm_do_action): lkdtm_EXEC_NULL, lkdtm_EXEC_DATA,
# lkdtm_USERCOPY_SLAB_SIZE_TO, HUNG_TASK's schedule and SLAB_FREE_DOUBLE's second kmem_cache_free; the culprits
# stay the same. lkdtm_PANIC's brasl panic is its last instruction: r14 is the next function at +0x0, as for the
# lab's own panic there. lkdtm_BUG's monitor call (mc) is its last instruction too, but the symbol's padding
# keeps the PSW after it inside lkdtm_BUG (the runs print lkdtm_BUG+0xa/0x10).
# Its fault reports (arch/s390/mm/fault.c do_no_context, traps.c) are the lab's kinds' ones.
S390_DEREF = ("s390x", S390_KERNEL_DEREF)
# PREEMPT_RT (deb12-6.1-rt: linux-source-6.1 6.1.192-3 against the rt-amd64 headers): the build makes the calls
# and tail calls of deb12-6.1's (jmp execute_location, jmp schedule, jmp do_usercopy_slab_size, the second
# kmem_cache_free a jmp, rep movsb in lkdtm_WRITE_KERN), so the x86 culprits and headlines hold unchanged.
ARM64_READ_ONLY = ("arm64", r"Unable to handle kernel write to read-only memory")


def _lkdtm(
    crash_type: str, cls: str, headline: str, culprit: str = "", not_on: tuple[tuple[str, str], ...] = (), **kw: object
) -> Kind:
    """A kind LKDTM starts: name lkdtm-<type>, culprit lkdtm_<TYPE> unless the crash is elsewhere."""
    return Kind(
        name="lkdtm-" + crash_type.lower().replace("_", "-"),
        cls=cls,
        culprit=culprit or f"lkdtm_{crash_type}",
        action=f"lkdtm:{crash_type}",
        headline=headline,
        not_on=not_on,
        **kw,  # type: ignore[arg-type]
    )


LKDTM_KINDS: tuple[Kind, ...] = (
    _lkdtm(
        "EXCEPTION",
        "null-deref",
        r"BUG: kernel NULL pointer dereference, address: 0+\b",
        headline_on=(ARM64_NULL, PPC_NULL, S390_DEREF),
        notes="bugs.c lkdtm_EXCEPTION: *((volatile int *) 0) = 0, a write to NULL in the test itself",
    ),
    _lkdtm(
        "EXEC_NULL",
        "null-deref",
        r"BUG: kernel NULL pointer dereference, address: 0+\b",
        culprit="execute_location",
        headline_on=(ARM64_NULL, PPC_NULL_FETCH, ("s390x", r"illegal operation: 0001 ilc:\d \[#1\]")),
        notes="perms.c lkdtm_EXEC_NULL tail-calls execute_location(NULL, CODE_AS_IS), which calls func(): "
        "RIP 0, and the return address on the stack is execute_location's (lkdtm_EXEC_NULL is a jmp, in no "
        "trace); ppc64el: NIP 0, 'Unable to handle kernel instruction fetch (NULL pointer?)', the LR "
        "execute_location's bctrl; s390x: the branch to 0 runs the zeroed lowcore ('illegal operation'), r14 "
        "in execute_location",
    ),
    _lkdtm(
        "BUG",
        "bug",
        r"kernel BUG at drivers/misc/lkdtm/bugs\.c",
        notes="bugs.c lkdtm_BUG: BUG(), the ud2 in the test itself; s390x: the mc is lkdtm_BUG's last "
        "instruction, the PSW after it lkdtm_BUG+0xa/0x10 (the symbol's padding)",
    ),
    _lkdtm(
        "WARNING",
        "warning",
        # 6.19's kernel/panic.c __warn puts the file first: `WARNING: drivers/misc/lkdtm/bugs.c:148 at ...`.
        r"WARNING: (?:CPU: \d+ PID: \d+ at )?drivers/misc/lkdtm/bugs\.c",
        sysctls=("kernel.panic_on_warn=1",),
        notes="bugs.c lkdtm_WARNING: WARN_ON(++warn_counter) in the test itself; panic_on_warn makes it fatal",
    ),
    _lkdtm(
        "PANIC",
        "panic",
        r"Kernel panic - not syncing: dumptest",
        notes="bugs.c lkdtm_PANIC: panic(\"dumptest\"), its last instruction (the x86 trace prints the "
        "return address less one, inside lkdtm_PANIC)",
    ),
    _lkdtm(
        "CORRUPT_STACK",
        "stack-protector",
        r"stack-protector: Kernel stack is corrupted in",
        not_on=(
            (
                "s390x",
                "s390 has no kernel stack protector (arch/s390 does not select HAVE_STACKPROTECTOR): no canary, "
                "nothing checks the overwritten stack (as the lab's stack-protector)",
            ),
        ),
        notes="bugs.c lkdtm_CORRUPT_STACK: __lkdtm_CORRUPT_STACK memsets 64 bytes over lkdtm_CORRUPT_STACK's "
        "8-byte array, its canary and return address; lkdtm_CORRUPT_STACK's epilogue calls __stack_chk_fail "
        "(kernel/panic.c), which panics 'Kernel stack is corrupted in: lkdtm_CORRUPT_STACK+0x..'",
    ),
    _lkdtm(
        "EXEC_DATA",
        "paging-fault",
        r"kernel tried to execute NX-protected page",
        culprit="execute_location",
        headline_on=(
            ("arm64", r"Unable to handle kernel execute from non-executable memory"),
            ("ppc64el", r"kernel tried to execute exec-protected page|Unable to handle kernel instruction fetch"),
            S390_DEREF,
        ),
        notes="perms.c lkdtm_EXEC_DATA tail-calls execute_location(data_area, CODE_WRITE), which copies "
        "do_nothing() into the module's .data array and calls it: RIP data_area, the NX fault's caller "
        "execute_location (as the lab's exec-nx names the function that made the call)",
    ),
    _lkdtm(
        "WRITE_RO",
        "paging-fault",
        r"BUG: unable to handle page fault for address",
        headline_on=(ARM64_READ_ONLY, ("ppc64el", PPC_DATA_ACCESS), S390_DEREF),
        notes="perms.c lkdtm_WRITE_RO: *ptr ^= 0xabcd1234 on the module's const rodata (STRICT_MODULE_RWX), "
        "in the test itself",
    ),
    _lkdtm(
        "WRITE_KERN",
        "paging-fault",
        r"BUG: unable to handle page fault for address",
        headline_on=(ARM64_READ_ONLY, ("ppc64el", PPC_DATA_ACCESS), S390_DEREF),
        notes="perms.c lkdtm_WRITE_KERN: memcpy() over do_overwritten()'s read-only module text; the fault "
        "is in the kernel's memcpy, a library helper, so its caller lkdtm_WRITE_KERN; "
        "5.10's build inlines that memcpy (rep movsb in lkdtm_WRITE_KERN): the fault is in the test itself; "
        "ppc64el and s390x call the kernel's memcpy (bl memcpy; nop, brasl memcpy): the fault is there, "
        "lkdtm_WRITE_KERN its caller",
    ),
    _lkdtm(
        "ACCESS_USERSPACE",
        "paging-fault",
        r"BUG: unable to handle page fault for address",
        # KUAP (CONFIG_PPC_KUAP, radix AMR): 'Kernel attempted to read user page (..) - exploit attempt?'
        headline_on=(("ppc64el", PPC_DATA_ACCESS), S390_DEREF),
        not_on=(
            (
                "arm64",
                "the lab's arm64 guest CPU (QEMU cortex-a57, ARMv8.0) has no PAN and Debian's arm64 config no "
                "ARM64_SW_TTBR0_PAN: the kernel reads and writes the user page and LKDTM prints 'FAIL: survived "
                "bad read'",
            ),
        ),
        notes="perms.c lkdtm_ACCESS_USERSPACE: a plain read of a vm_mmap()ed user page, stopped by SMAP "
        "(QEMU's -cpu max has it), in the test itself; "
        "5.10's build puts the read in lkdtm_ACCESS_USERSPACE.cold, the same function; ppc64el: KUAP "
        "(CONFIG_PPC_KUAP, the radix MMU's AMR) stops the read in the test itself; s390x: the kernel runs in "
        "its own address space (user access goes through the secondary space), where the user address has no "
        "mapping: a translation exception in the test itself (checked once by hand)",
    ),
    _lkdtm(
        "SOFTLOCKUP",
        "soft-lockup",
        r"soft lockup - CPU#\d+ stuck for",
        sysctls=("kernel.softlockup_panic=1", "kernel.watchdog_thresh=1"),
        timeout=240.0,
        not_on=(("s390x", NO_S390_SOFTLOCKUP),),
        notes="bugs.c lkdtm_SOFTLOCKUP: preempt_disable(), then for (;;) cpu_relax(): the looping function",
    ),
    _lkdtm(
        "HUNG_TASK",
        "hung-task",
        r"INFO: task \S+ blocked for more than \d+ seconds",
        sysctls=("kernel.hung_task_panic=1", "kernel.hung_task_timeout_secs=4"),
        background=True,
        timeout=240.0,
        notes="bugs.c lkdtm_HUNG_TASK: set_current_state(TASK_UNINTERRUPTIBLE), then schedule() forever; "
        "the 6.1 build makes that call a tail call (jmp schedule), so the blocked task's trace goes from "
        "schedule to direct_entry and only 'lkdtm: Performing direct entry HUNG_TASK' names the test; "
        "5.10's LKDTM and build are the same (jmp schedule); ppc64el calls schedule (bl; nop), so "
        "lkdtm_HUNG_TASK is in its trace; s390x's build tail-calls it (jg schedule), as x86's",
    ),
    _lkdtm(
        "REFCOUNT_INC_OVERFLOW",
        "refcount",
        r"refcount_t: saturated; leaking memory",
        sysctls=("kernel.panic_on_warn=1",),
        notes="refcount.c lkdtm_REFCOUNT_INC_OVERFLOW: refcount_inc() of REFCOUNT_MAX (inlined) calls "
        "lib/refcount.c refcount_warn_saturate, whose WARN panics with panic_on_warn; "
        "5.10's build calls an out-of-line copy of refcount.h's __refcount_add (__refcount_add.constprop.0 in"
        " the module), the kernel's header helper, so its caller lkdtm_REFCOUNT_INC_OVERFLOW again; ppc64el's "
        "and s390x's builds do the same (bl, brasl __refcount_add.constprop.0)",
    ),
    _lkdtm(
        "CORRUPT_LIST_ADD",
        "list-corruption",
        r"list_add corruption",
        notes="bugs.c lkdtm_CORRUPT_LIST_ADD: list_add() after head.next is redirected; lib/list_debug.c "
        "__list_add_valid prints 'list_add corruption' and BUG()s (BUG_ON_DATA_CORRUPTION)",
    ),
    _lkdtm(
        "SLAB_FREE_DOUBLE",
        "double-free",
        r"kernel BUG at mm/slub\.c",
        notes="heap.c lkdtm_SLAB_FREE_DOUBLE: kmem_cache_free() of one object twice; SLAB_FREELIST_HARDENED's "
        "naive check in mm/slub.c set_freepointer() BUG()s in the allocator, the culprit its caller; the 6.1 "
        "build makes the second free a tail call (jmp kmem_cache_free), so the trace goes from the allocator "
        "to direct_entry and only 'lkdtm: Performing direct entry SLAB_FREE_DOUBLE' names the test; "
        "5.10's LKDTM and build are the same (the frees in lkdtm_SLAB_FREE_DOUBLE.cold, the second a jmp); "
        "ppc64el calls kmem_cache_free twice (bl; nop): lkdtm_SLAB_FREE_DOUBLE is in its trace; s390x's second "
        "free is a tail call (jg kmem_cache_free), as x86's",
    ),
    _lkdtm(
        "USERCOPY_SLAB_SIZE_TO",
        "bug",
        r"usercopy: Kernel memory exposure attempt detected from SLUB object",
        culprit="do_usercopy_slab_size",
        releases=((6, 1), (999, 0)),
        releases_why=USERCOPY_RENAMED,
        notes="usercopy.c lkdtm_USERCOPY_SLAB_SIZE_TO tail-calls do_usercopy_slab_size(true), whose "
        "copy_to_user() of 1024 bytes from 16 bytes into a kmalloc-1k object reaches mm/usercopy.c "
        "__check_object_size -> usercopy_abort (BUG at mm/usercopy.c): the first frame after the "
        "hardening check is do_usercopy_slab_size",
    ),
    _lkdtm(
        "USERCOPY_HEAP_SIZE_TO",
        "bug",
        r"usercopy: Kernel memory exposure attempt detected from SLUB object",
        culprit="do_usercopy_heap_size",
        releases=((0, 0), (6, 1)),
        releases_why=USERCOPY_RENAMED,
        notes="5.10's usercopy.c: USERCOPY_SLAB_SIZE_TO's test under its older names; "
        "lkdtm_USERCOPY_HEAP_SIZE_TO tail-calls do_usercopy_heap_size(true), whose copy_to_user() of 1024 "
        "bytes from 16 bytes into a kmalloc-1k object (in its .cold part in the 5.10 build) reaches "
        "mm/usercopy.c __check_object_size -> usercopy_abort: the culprit is do_usercopy_heap_size",
    ),
    _lkdtm(
        "EXHAUST_STACK",
        "stack-overflow",
        r"stack guard page was hit|kernel stack overflow",
        culprit="recursive_loop",
        headline_on=(
            ("arm64", r"Insufficient stack space to handle exception|kernel stack overflow"),
            # arch/s390/kernel/traps.c kernel_stack_overflow(), VMAP_STACK's guard page
            ("s390x", r"Kernel stack overflow"),
        ),
        not_on=(
            (
                "ppc64el",
                "64-bit powerpc kernel stacks have no guard page (no VMAP_STACK on book3s64): 32 KiB of "
                "recursion on a 16 KiB stack writes over the memory below it and whatever crashes next is "
                "not the overflow (as the lab's stack-overflow)",
            ),
        ),
        notes="bugs.c lkdtm_EXHAUST_STACK calls recursive_loop(), which recurses with a 1 KiB frame into "
        "the VMAP_STACK guard page: the overflowing function is recursive_loop; "
        "5.10's REC_STACK_SIZE is also 1 KiB (CONFIG_FRAME_WARN/2), 32 levels, and its build's clone "
        "recursive_loop.isra.0 calls itself (no tail call): the same culprit; s390x (VMAP_STACK, 16 KiB stacks) "
        "recurses with ~1.2 KiB frames (brasl recursive_loop)",
    ),
    # The fourth round (deb12-6.1 and deb13-6.12, x86_64; LKDTM from linux-source-6.1 6.1.192-3 and
    # linux-source-6.12 6.12.118-1, whose functions below are the same but for a pr_expected_config line):
    # types whose reports differ from the kinds above. Culprits from the source and both builds' code (objdump
    # of lkdtm.ko): the refcount helpers are module-local out-of-line copies of refcount.h's
    # (__refcount_dec.constprop.0, __refcount_sub_and_test.constprop.0), so lkdtm_TYPE calls them and stays in
    # the trace; list_del() and copy_to_user() and the fortify check sit in lkdtm_TYPE.cold, the same function;
    # execute_user_location() (static, not noinline) is inlined into lkdtm_EXEC_USERSPACE.cold;
    # lkdtm_USERCOPY_FOLIO calls do_usercopy_page_span (a call: USERCOPY_VMALLOC shares it) and
    # lkdtm_USERCOPY_STACK_BEYOND tail-calls do_usercopy_stack (jmp), so those two are the culprits.
    # The seventh round: the same ten on deb12-6.1-arm64 (linux-source-6.1 6.1.192-3 cross-built, the earlier
    # arm64 rounds' lkdtm.ko; aarch64-linux-gnu-objdump -dr). All ten apply there; the culprits are unchanged, but
    # three headlines and two traces differ from x86's. The build makes no tail calls and no .cold parts for these:
    # refcount.h's helpers are module-local __refcount_dec.constprop.0 and __refcount_sub_and_test.constprop.0
    # (bl, each calling refcount_warn_saturate with bl, not its last instruction); list_del()'s
    # __list_del_entry_valid, copy_to_user()'s __check_object_size are bl in the tests; lkdtm_USERCOPY_FOLIO calls
    # do_usercopy_page_span and lkdtm_USERCOPY_STACK_BEYOND calls do_usercopy_stack (bl, then its epilogue: the test
    # stays in the trace below the culprit). EXEC_USERSPACE: arm64 has no SMEP but ARMv8's PXN, set in every user
    # PTE, which stops the kernel's blr x19 into the user page (execute_user_location inlined into
    # lkdtm_EXEC_USERSPACE): arch/arm64/mm/fault.c do_page_fault 'Unable to handle kernel execution of user memory
    # at virtual address ...'; pc is the user address and the test is in the 'lr :' line only (as EXEC_DATA's
    # execute_location on arm64). STACK_GUARD_PAGE_LEADING: arm64 has no counterpart of x86's stack-guard report
    # for a stray access (its handle_bad_stack sees only sp overflowing): the ldurb of the byte below the 16 KiB
    # VMAP_STACK (THREAD_ALIGN 32 KiB, the area below a vmalloc guard or unmapped) is a translation fault, 'Unable to
    # handle kernel paging request at virtual address ...fff', pc in the test; the class stays stack-overflow (what
    # the test does; the fault address is one byte below the stack that the 'sp :' line lies in). FORTIFY_STRSCPY:
    # as on x86 the union member's fortified strnlen() trips first (x21 = .rodata+0xb8, +0x10 'strnlen'), and its
    # bl fortify_panic is lkdtm_FORTIFY_STRSCPY's last instruction (+0x2ac): the return address is the next
    # function's first, so the trace names lkdtm_FORTIFY_MEM_MEMBER+0x0 and only 'Performing direct entry
    # FORTIFY_STRSCPY' names the test (culprit_in_trace false, as lkdtm_PANIC on arm64).
    # The eighth round: the same ten on deb12-6.1-ppc64el and deb12-6.1-s390x (linux-source-6.1 6.1.176-1, the kernels'
    # own, cross-built; powerpc64le- and s390x-linux-gnu-objdump -dr of each lkdtm.ko), deb12-6.1-rt (6.1.192-3 against
    # the rt-amd64 headers, objdump -dr) and deb11-5.10 (linux-source-5.10 5.10.262-1). The culprits are unchanged.
    # ppc64el calls out of the module with bl + nop (__list_del_entry_valid, __check_object_size, the refcount helpers'
    # refcount_warn_saturate, fortify_panic, not the test's last instruction) and makes only local tail calls: b
    # do_usercopy_stack in USERCOPY_STACK_BEYOND, as x86's jmp; USERCOPY_FOLIO calls do_usercopy_page_span (bl).
    # s390x calls them with brasl, tail-calls do_usercopy_stack (jg) as x86 does, and its __refcount_dec.constprop.0
    # tail-calls refcount_warn_saturate (jg, as x86's jmp), so REFCOUNT_DEC_ZERO's trace goes from refcount_warn_saturate
    # to the test; its fortify_panic brasl (+0x1c0) is not the test's last instruction. ACCESS_NULL, EXEC_USERSPACE and
    # STACK_GUARD_PAGE_LEADING print each architecture's own report (their notes); STACK_GUARD_PAGE_LEADING is not
    # applicable on ppc64el (no VMAP_STACK). The RT build's code for the ten is deb12-6.1's (.cold parts, jmp
    # do_usercopy_stack, the helpers' jmp refcount_warn_saturate). 5.10's LKDTM has eight of the ten, their bodies as
    # 6.1's (global, not static, functions), and its build makes 6.1's calls and tail calls (mov 0x0,%rbx in ACCESS_NULL,
    # execute_user_location and list_del and copy_to_user in .cold parts, jmp do_usercopy_stack); USERCOPY_FOLIO and
    # FORTIFY_STRSCPY are not in it (releases).
    _lkdtm(
        "ACCESS_NULL",
        "null-deref",
        r"BUG: kernel NULL pointer dereference, address: 0+\b",
        headline_on=(ARM64_NULL, PPC_NULL, S390_DEREF),
        notes="perms.c lkdtm_ACCESS_NULL: tmp = *ptr with ptr NULL, a read (EXCEPTION writes) in the test "
        "itself (mov 0x0,%rbx in both builds); '#PF: supervisor read access in kernel mode'; arm64: ldr x19, [x20] "
        "with x20 0 in the test, 'Unable to handle kernel NULL pointer dereference at virtual address 0...'; ppc64el: ld "
        "r31,0(r30) with r30 0 in the test, KUAP's 'Kernel attempted to read user page (0) - exploit attempt?' first, "
        "then arch/powerpc/mm/fault.c 'Kernel NULL pointer dereference on read at 0x00000000', NIP in the test; s390x: "
        "the read of the lowcore at 0 succeeds (lg %r11,0: 'lkdtm: FAIL: survived bad read'), the write (stg %r11,0) "
        "trips low-address protection, 'Unable to handle kernel pointer dereference in virtual kernel address space', "
        "PSW in the test (as EXCEPTION there)",
    ),
    _lkdtm(
        "EXEC_USERSPACE",
        "paging-fault",
        r"unable to execute userspace code \(SMEP\?\)",
        notes="perms.c lkdtm_EXEC_USERSPACE: vm_mmap() a user page, execute_user_location() copies do_nothing() "
        "into it (access_process_vm) and calls it; SMEP (QEMU's -cpu max; no PTI here, so the user page is not "
        "NX in the kernel's tables) stops the fetch: arch/x86/mm/fault.c show_fault_oops 'unable to execute "
        "userspace code (SMEP?)', RIP the user address. execute_user_location is static and inlined into "
        "lkdtm_EXEC_USERSPACE.cold (call __x86_indirect_thunk_rbx there, the thunk jumps), so the return "
        "address on the stack, the first trace line, is lkdtm_EXEC_USERSPACE's; arm64 has PXN instead of SMEP "
        "(every user PTE is privileged-execute-never): the inlined blr x19 faults, arch/arm64/mm/fault.c 'Unable "
        "to handle kernel execution of user memory at virtual address', pc the user address, "
        "lkdtm_EXEC_USERSPACE in the 'lr :' line only (the unwinder starts from the test's frame record); ppc64el: "
        "KUEP stops the inlined bctrl, arch/powerpc/mm/fault.c bad_kernel_fault 'kernel tried to execute user page "
        "(...) - exploit attempt?', then 'BUG: Unable to handle kernel instruction fetch', NIP the user address, the "
        "test in the LR line and the first trace line; s390x: the kernel runs in home space with the kernel ASCE, in "
        "which the user address is not mapped: the inlined basr %r14,%r11 is a translation exception, do_no_context "
        "'Unable to handle kernel pointer dereference in virtual kernel address space', PSW the user address, the test "
        "in the '([<...>] ...)' r14 line and 'Last Breaking-Event-Address'",
        headline_on=(
            ("arm64", r"Unable to handle kernel execution of user memory at virtual address"),
            # arch/powerpc/mm/fault.c bad_kernel_fault (KUEP), arch/s390/mm/fault.c do_no_context
            ("ppc64el", r"kernel tried to execute user page"),
            S390_DEREF,
        ),
    ),
    _lkdtm(
        "STACK_GUARD_PAGE_LEADING",
        "stack-overflow",
        r"stack guard page was hit",
        notes="bugs.c lkdtm_STACK_GUARD_PAGE_LEADING: a read of the byte below task_stack_page(current), in the "
        "VMAP_STACK guard page, in the test itself; arch/x86/mm/fault.c page_fault_oops sees a fault in the "
        "current stack's guard (get_stack_guard_info) and calls traps.c handle_stack_overflow: 'BUG: TASK stack "
        "guard page was hit at ...', die('stack guard page'), RIP lkdtm_STACK_GUARD_PAGE_LEADING (no recursion, "
        "unlike EXHAUST_STACK's double fault); arm64 has no stack-guard report for a stray access: the ldurb "
        "below the VMAP_STACK is a translation fault, 'Unable to handle kernel paging request at virtual address "
        "...fff', pc in the test (the class is still what the test does); s390x (VMAP_STACK, 16 KiB stacks): the "
        "llgc %r1,-1(%r11) below the stack is a translation exception, do_no_context 'Unable to handle kernel pointer "
        "dereference in virtual kernel address space', 'Failing address' the page below the stack (the TEID is "
        "page-granular; %r11 holds the stack's base), PSW in the test, the class still stack-overflow; 5.10 prints "
        "'BUG: stack guard page was hit at' (no 'TASK'), die('kernel stack overflow (page fault)')",
        headline_on=(
            ("arm64", r"Unable to handle kernel paging request at virtual address [0-9a-f]*fff\b"),
            S390_DEREF,
        ),
        not_on=(
            (
                "ppc64el",
                "64-bit powerpc kernel stacks have no guard page (no VMAP_STACK on book3s64): the page below "
                "the stack is mapped memory of the linear map, and the read succeeds ('FAIL: accessed page "
                "before stack! (byte: 0)', checked once by hand)",
            ),
        ),
    ),
    _lkdtm(
        "CORRUPT_LIST_DEL",
        "list-corruption",
        r"list_del corruption",
        notes="bugs.c lkdtm_CORRUPT_LIST_DEL: list_del() of an entry whose next was redirected; lib/list_debug.c "
        "(6.1 __list_del_entry_valid, 6.12 __list_del_entry_valid_or_report under LIST_HARDENED) prints "
        "'list_del corruption. next->prev should be ...' and BUG()s (BUG_ON_DATA_CORRUPTION); the call is in "
        "lkdtm_CORRUPT_LIST_DEL.cold, the test itself; arm64 calls __list_del_entry_valid (bl) in "
        "lkdtm_CORRUPT_LIST_DEL, 'kernel BUG at lib/list_debug.c'; ppc64el (bl) and s390x (brasl) call it in the test too",
    ),
    _lkdtm(
        "REFCOUNT_DEC_ZERO",
        "refcount",
        r"refcount_t: decrement hit 0; leaking memory",
        sysctls=("kernel.panic_on_warn=1",),
        notes="refcount.c lkdtm_REFCOUNT_DEC_ZERO: refcount_dec() from 2, then from 1; the second "
        "__refcount_dec (a module-local __refcount_dec.constprop.0, refcount.h's helper) calls lib/refcount.c "
        "refcount_warn_saturate(REFCOUNT_DEC_LEAK), whose WARN panics with panic_on_warn; the caller of the "
        "header helper, lkdtm_REFCOUNT_DEC_ZERO (as REFCOUNT_INC_OVERFLOW on 5.10); arm64 the same (bl "
        "__refcount_dec.constprop.0, which calls refcount_warn_saturate with bl); ppc64el the same (bl; both in the "
        "trace); x86 and s390x tail-call refcount_warn_saturate from the helper (jmp, jg): the trace goes from "
        "refcount_warn_saturate to the test",
    ),
    _lkdtm(
        "REFCOUNT_DEC_AND_TEST_NEGATIVE",
        "refcount",
        r"refcount_t: underflow; use-after-free",
        sysctls=("kernel.panic_on_warn=1",),
        notes="refcount.c lkdtm_REFCOUNT_DEC_AND_TEST_NEGATIVE: refcount_dec_and_test() of 0; "
        "__refcount_sub_and_test (module-local .constprop.0) sees old - 1 < 0 and calls refcount_warn_saturate"
        "(REFCOUNT_SUB_UAF): 'refcount_t: underflow; use-after-free.', panic_on_warn; the caller of the header "
        "helper. REFCOUNT_DEC_NEGATIVE is not a kind: refcount_dec() of 0 takes the same REFCOUNT_DEC_LEAK path "
        "as DEC_ZERO and prints the same line; arm64, ppc64el and s390x the same (a call of the helper, which calls "
        "refcount_warn_saturate)",
    ),
    _lkdtm(
        "USERCOPY_KERNEL",
        "bug",
        r"usercopy: Kernel memory exposure attempt detected from kernel text",
        notes="usercopy.c lkdtm_USERCOPY_KERNEL: copy_to_user() of a page from vm_mmap's kernel text; "
        "mm/usercopy.c __check_object_size -> check_kernel_text_object -> usercopy_abort('kernel text'), BUG at "
        "mm/usercopy.c; the copy is in lkdtm_USERCOPY_KERNEL.cold, the test itself; arm64: bl "
        "__check_object_size in lkdtm_USERCOPY_KERNEL; ppc64el (bl) and s390x (brasl) the same",
    ),
    _lkdtm(
        "USERCOPY_FOLIO",
        "bug",
        r"usercopy: Kernel memory exposure attempt detected from page alloc",
        culprit="do_usercopy_page_span",
        releases=((6, 1), (999, 0)),
        releases_why=NOT_IN_510_LKDTM % "USERCOPY_FOLIO; usercopy.c has no folio test",
        notes="usercopy.c lkdtm_USERCOPY_FOLIO: folio_alloc(order 1), then do_usercopy_page_span('folio', its "
        "second page) (a call in both builds, not inlined: USERCOPY_VMALLOC calls it too), whose copy_to_user() "
        "of a page from half-way into that page runs past the folio's end: mm/usercopy.c check_heap_object, "
        "a large non-slab folio, usercopy_abort('page alloc'), BUG at mm/usercopy.c; the first frame after the "
        "hardening check is do_usercopy_page_span (its copy in its .cold part), lkdtm_USERCOPY_FOLIO below it "
        "(arm64, ppc64el, s390x: a call too). "
        "Not USERCOPY_VMALLOC: check_heap_object bounds a vmalloc copy by the vmap area's va_end, which takes in "
        "the area's guard page, so a copy one page long from half-way into a one-page vmalloc() may pass",
    ),
    _lkdtm(
        "USERCOPY_STACK_BEYOND",
        "bug",
        r"usercopy: Kernel memory exposure attempt detected from process stack",
        culprit="do_usercopy_stack",
        notes="usercopy.c lkdtm_USERCOPY_STACK_BEYOND tail-calls do_usercopy_stack(true, false) (jmp in both "
        "builds: lkdtm_USERCOPY_STACK_BEYOND is in no trace), whose copy_to_user() of 32 bytes from 8 bytes "
        "below the stack's top runs past the stack's end: mm/usercopy.c check_stack_object BAD_STACK -> "
        "usercopy_abort('process stack'); the culprit is do_usercopy_stack (arm64 calls it, bl, and "
        "lkdtm_USERCOPY_STACK_BEYOND is in the trace below it; ppc64el's b do_usercopy_stack, a local tail call, and s390x's "
        "jg are x86's jmp: the test is in no trace). Not STACK_FRAME_TO: its stale "
        "callee frame counts as bad only while it lies below the checker's stack pointer, which depends on "
        "the hardening code's frame sizes",
    ),
    _lkdtm(
        "FORTIFY_STRSCPY",
        "bug",
        r"detected buffer overflow in str(?:scpy|nlen)|str(?:scpy|nlen): detected buffer (?:overflow|over-read)",
        releases=((6, 1), (999, 0)),
        releases_why=NOT_IN_510_LKDTM % "FORTIFY_STRSCPY; there is no fortify.c",
        notes="fortify.c lkdtm_FORTIFY_STRSCPY: a series of fortified strscpy() calls (include/linux/fortify-string.h, "
        "inlined), meant to end in strscpy(dst, src, strlen(src)) of 6 into a 5-byte dst; on 6.1 an earlier one "
        "stops it: strscpy(weird_dst, weird.src, 6) from a 5-byte union member runs the fortified strnlen(q, 6) "
        "against the member's size, 'detected buffer overflow in strnlen' (the deb12-6.1 runs and one by hand), "
        "fortify_panic, BUG at lib/string_helpers.c; 6.12 stops at the same call: __fortify_report's WARN "
        "'strnlen: detected buffer overflow: 6 byte read of buffer size 5', then BUG in __fortify_panic. Either check is "
        "the test's own inlined code, its panic call in lkdtm_FORTIFY_STRSCPY.cold: noreturn, but x86 prints the "
        "return address less one, inside the test; arm64's strnlen check ends the test itself (bl fortify_panic "
        "at +0x2ac, its last instruction, no .cold part): the trace names the next function, "
        "lkdtm_FORTIFY_MEM_MEMBER+0x0, and only 'Performing direct entry FORTIFY_STRSCPY' names the test; ppc64el and "
        "s390x stop at the same strnlen check ('detected buffer overflow in strnlen'), their fortify_panic calls (bl "
        "at +0x538, brasl at +0x1c0) not the test's last instruction: the return address is in the test",
    ),
    # The fifth round (deb12-6.1 and deb13-6.12, x86_64; the same sources and builds as the fourth round's,
    # heap.c's three tests the same in both, bugs.c's but for line numbers): report shapes the table lacked.
    # Culprits from the source and both builds' lkdtm.ko (objdump -dr): WARNING_MESSAGE's WARN (call
    # __warn_printk, ud2) is in the test; SLAB_FREE_CROSS's only kmem_cache_free() is its last statement, a
    # tail call in both builds (jmp kmem_cache_free in lkdtm_SLAB_FREE_CROSS.cold), so the allocator's WARN
    # has the harness below it (direct_entry; 6.12's traces show lkdtm_do_action too), as SLAB_FREE_DOUBLE's BUG; SLAB_FREE_PAGE calls kmem_cache_free (call, then
    # a tail call of free_pages) and stays in its trace; LOOP is a bare jmp to itself; SPINLOCKUP tail-calls
    # _raw_spin_lock (jmp); CORRUPT_STACK_STRONG has a canary at 8(%rsp) over its 8-byte union (Debian's
    # STACKPROTECTOR_STRONG) and calls __stack_chk_fail itself. Both kernels run Debian's 'Dynamic Preempt:
    # voluntary' (PREEMPT_DYNAMIC, PREEMPT_VOLUNTARY=y; the lab passes no preempt=): an interrupt never
    # preempts kernel code, so LOOP's loop without preempt_disable() is a soft lockup on both.
    # The sixth round: the same six on deb12-6.1-arm64, deb12-6.1-rt, deb12-6.1-ppc64el and deb12-6.1-s390x (the
    # LKDTM sources and cross-builds of the earlier rounds there; objdump -dr of each lkdtm.ko). arm64 makes no
    # tail calls (bl kmem_cache_free, then b to the epilogue, in SLAB_FREE_CROSS), and without PREEMPTION it
    # selects ARCH_INLINE_SPIN_LOCK: SPINLOCKUP's spin_lock() is inlined (LL/SC on QEMU's cortex-a57, no LSE) and
    # its slow path is a call, bl queued_spin_lock_slowpath, so lkdtm_SPINLOCKUP stays below the spinning slowpath.
    # ppc64el calls out of the module with bl + nop (kmem_cache_free, _raw_spin_lock, __stack_chk_fail): every
    # test stays in its trace. s390x tail-calls kmem_cache_free in SLAB_FREE_CROSS (jg), as x86's; it has neither a
    # soft-lockup detector (no LOOP, no SPINLOCKUP) nor a stack protector (no CORRUPT_STACK_STRONG). The RT build's
    # code is deb12-6.1's but for SPINLOCKUP, which tail-calls rt_spin_lock, a sleeping lock. The WARN traps (brk
    # #0x800, twui, mc) and __stack_chk_fail calls are never their function's last instruction; LOOP is a branch to
    # itself on arm64 (b .) and ppc64el (b . at +0x10). Both arm64 and ppc64el kernels run PREEMPT_VOLUNTARY
    # without PREEMPT_DYNAMIC or PREEMPT_COUNT: nothing preempts kernel code, LOOP is a soft lockup there.
    # The seventh round: the same six on deb11-5.10 (linux-source-5.10 5.10.262-1's drivers/misc/lkdtm, the build of
    # the earlier 5.10 round; objdump -dr of its lkdtm.ko). 5.10's LKDTM has all six under the same names, their
    # bodies as 6.1's and the same messages (bugs.c WARN(1, 'Warning message trigger count: %d'), heap.c's
    # 'lkdtm-heap-a'/'lkdtm-heap-b' caches, mm/slab.h's cache_from_obj 'Wrong slab cache' WARN and virt_to_cache's
    # 'Object is not a Slab page!' WARN_ONCE, reached because Debian's 5.10 has SLAB_FREELIST_HARDENED). The build
    # makes 6.1's calls and tail calls: WARNING_MESSAGE calls __warn_printk, then ud2 in the test; SLAB_FREE_CROSS's
    # free is a jmp kmem_cache_free in lkdtm_SLAB_FREE_CROSS.cold (the runs' traces still list '?
    # lkdtm_SLAB_FREE_CROSS+0x17/0x30', the stale return address of its kmem_cache_alloc call, as 6.12's do: the
    # manifest's culprit_in_trace is true, not false as first written here);
    # SLAB_FREE_PAGE calls kmem_cache_free (then jmp free_pages); LOOP is a jmp to itself at +0x5; SPINLOCKUP
    # tail-calls _raw_spin_lock (jmp), only 'Performing direct entry SPINLOCKUP' names it; CORRUPT_STACK_STRONG
    # keeps its canary at 8(%rsp) and calls __stack_chk_fail at +0x3d, not its last instruction (%pB names
    # lkdtm_CORRUPT_STACK_STRONG+0x42). The culprits and headlines are unchanged. Whether 5.10's kernel keeps
    # cache_from_obj out of line could not be read beforehand (Debian ships no System.map); the runs' lines say it
    # is inlined into kmem_cache_free, as on 6.12: 'WARNING: ... at mm/slab.h:467 kmem_cache_free+0x1e5/0x420'
    # (SLAB_FREE_CROSS) and 'at mm/slab.h:435 kmem_cache_free+0x225/0x420' (SLAB_FREE_PAGE's virt_to_cache).
    # 5.10 has no PREEMPT_DYNAMIC: PREEMPT_VOLUNTARY=y and no PREEMPT_COUNT, so nothing preempts LOOP (a soft
    # lockup) and no 'scheduling while atomic' can come before SPINLOCKUP's lockup (deb12-6.1's run1 had one).
    _lkdtm(
        "WARNING_MESSAGE",
        "warning",
        r"Warning message trigger count: \d+",
        sysctls=("kernel.panic_on_warn=1",),
        notes="bugs.c lkdtm_WARNING_MESSAGE: WARN(1, 'Warning message trigger count: %d', ...): __warn_printk "
        "prints the message line, then the ud2 in the test itself traps into report_bug's 'WARNING: CPU: .. "
        "at drivers/misc/lkdtm/bugs.c:..' with RIP lkdtm_WARNING_MESSAGE; panic_on_warn makes it fatal; arm64 "
        "(bl __warn_printk, brk #0x800), ppc64el (bl __warn_printk; nop, twui) and s390x (brasl __warn_printk, mc, "
        "not the last instruction) trap in the test the same way; PREEMPT_RT's build is deb12-6.1's",
    ),
    _lkdtm(
        "SLAB_FREE_CROSS",
        "warning",
        r"Wrong slab cache\. lkdtm-heap-b but object is from lkdtm-heap-a|"
        r"object belongs to different cache lkdtm-heap-a",
        sysctls=("kernel.panic_on_warn=1",),
        notes="heap.c lkdtm_SLAB_FREE_CROSS: an object of cache lkdtm-heap-a freed with kmem_cache_free(b_cache, "
        "...); SLAB_FREELIST_HARDENED's cache_from_obj() WARNs 'cache_from_obj: Wrong slab cache. lkdtm-heap-b but "
        "object is from lkdtm-heap-a', panic_on_warn makes it fatal (the runs' lines: 6.1's cache_from_obj is out "
        "of line, 'WARNING: ... at mm/slab.h:665 cache_from_obj+0xa1', kmem_cache_free below it; 6.12 inlines it, "
        "'at mm/slub.c:4770 kmem_cache_free+0x378'). The culprit is the allocator's caller, as SLAB_FREE_DOUBLE's: the free is "
        "the test's last statement, a tail call in both builds (jmp kmem_cache_free in "
        "lkdtm_SLAB_FREE_CROSS.cold), so the trace goes from kmem_cache_free to direct_entry and only 'lkdtm: "
        "Performing direct entry SLAB_FREE_CROSS' and 'Attempting cross-cache slab free ...' name the test; "
        "6.12's traces also list '? lkdtm_SLAB_FREE_CROSS+0x1b/0x30', an unreliable frame: the stale return "
        "address of its kmem_cache_alloc_noprof call (the manifest's culprit_in_trace is true there); "
        "arm64 calls it (bl kmem_cache_free, then b to the epilogue) and ppc64el too (bl kmem_cache_free; nop): "
        "lkdtm_SLAB_FREE_CROSS is in their traces below the allocator; s390x tail-calls it (jg kmem_cache_free), "
        "as x86's, the trace going from kmem_cache_free to direct_entry; PREEMPT_RT's build is deb12-6.1's (the runs' "
        "lines: RT prints 6.1's out-of-line 'at mm/slab.h:665 cache_from_obj+0xa1', ppc64el 'at mm/slab.h:660 "
        "cache_from_obj+0x90' (6.1.176's line), arm64 and s390x inline it, 'at mm/slab.h:665 kmem_cache_free+0x318' "
        "and 'at mm/slab.h:660 kmem_cache_free+0x8e'); 7.2 moved the check's report into mm/slub.c "
        "warn_free_bad_obj, out of line below kmem_cache_free, which says 'kmem_cache_free(lkdtm-heap-b, ...): "
        "object belongs to different cache lkdtm-heap-a' (sid-7.2-arm64: 'WARNING: mm/slub.c:6500 at "
        "warn_free_bad_obj+0xe0/0x108, CPU#0: init/1', 7.x's form of the WARNING line)",
    ),
    _lkdtm(
        "SLAB_FREE_PAGE",
        "warning",
        r"Object is not a Slab page!",
        sysctls=("kernel.panic_on_warn=1",),
        notes="heap.c lkdtm_SLAB_FREE_PAGE: kmem_cache_free(NULL, p) of a __get_free_page() page; "
        "SLAB_FREELIST_HARDENED's cache_from_obj() calls virt_to_cache(), whose WARN_ONCE prints 'virt_to_cache: "
        "Object is not a Slab page!', fatal with panic_on_warn (6.1: at mm/slab.h:630 in the out-of-line "
        "cache_from_obj; 6.12: at mm/slub.c:4756 in kmem_cache_free, both inlined); the "
        "culprit is the allocator's caller, lkdtm_SLAB_FREE_PAGE, which calls kmem_cache_free (call, then "
        "free_pages as a tail call) and stays in the trace below it; arm64 (bl), ppc64el (bl; nop) and s390x "
        "(brasl, then jg free_pages) call it the same way; PREEMPT_RT's build is deb12-6.1's (the runs' lines: RT "
        "'at mm/slab.h:630 cache_from_obj+0xe0', ppc64el 'at mm/slab.h:625 cache_from_obj+0x12c', arm64 'at "
        "mm/slab.h:630 kmem_cache_free+0x2ec', s390x 'at mm/slab.h:625 kmem_cache_free+0x3ce')",
    ),
    _lkdtm(
        "LOOP",
        "soft-lockup",
        r"soft lockup - CPU#\d+ stuck for",
        sysctls=("kernel.softlockup_panic=1", "kernel.watchdog_thresh=1"),
        timeout=240.0,
        notes="bugs.c lkdtm_LOOP: for (;;); without preempt_disable() (SOFTLOCKUP's loop has it), a jmp to "
        "itself in both builds; under Debian's voluntary preemption (PREEMPT_DYNAMIC, 'Dynamic Preempt: "
        "voluntary' on both kernels) the timer interrupt returns into the loop, the watchdog's stopper work "
        "never runs and kernel/watchdog.c reports the soft lockup with RIP lkdtm_LOOP (under preempt=full the "
        "loop would be preempted and nothing reported); arm64 (b .) and ppc64el (b . at +0x10) loop in the test "
        "the same way, their kernels PREEMPT_VOLUNTARY without PREEMPT_DYNAMIC (the runs' lines: arm64 'pc : "
        "lkdtm_LOOP+0x8/0x10', 'lr : lkdtm_do_action+0x24'; ppc64el 'NIP [..] lkdtm_LOOP+0x10/0x20', its Call Trace "
        "without lkdtm_LOOP, a leaf with no stack frame: a stale '_printk+0x40/0x54 (unreliable)', then direct_entry)",
        not_on=(("s390x", NO_S390_SOFTLOCKUP),),
        conflicts_config=(
            (
                "CONFIG_PREEMPT_RT=y",
                "PREEMPT_RT preempts kernel code: the loop has no preempt_disable(), so the timer interrupt's "
                "need_resched preempts it, the watchdog's stopper thread runs and no soft lockup is reported",
            ),
            (
                "CONFIG_PREEMPT=y",
                "a fully preemptible kernel (PREEMPT) preempts the loop, which has no preempt_disable(): the "
                "watchdog's stopper thread runs and no soft lockup is reported",
            ),
            (
                "CONFIG_PREEMPT_LAZY=y",
                "a lazily preemptible kernel (PREEMPT_LAZY, sid's 7.2: 'PREEMPTLAZY' in its oops lines) turns the "
                "lazy reschedule into a preemption at the next tick: the loop, without preempt_disable(), is "
                "preempted, the watchdog's stopper thread runs and no soft lockup is reported (sid-7.2-arm64's "
                "guest ran out its 240 s timeout twice)",
            ),
        ),
    ),
    _lkdtm(
        "SPINLOCKUP",
        "soft-lockup",
        r"soft lockup - CPU#\d+ stuck for",
        sysctls=("kernel.softlockup_panic=1", "kernel.watchdog_thresh=1"),
        timeout=240.0,
        lkdtm_writes=2,
        notes="bugs.c lkdtm_SPINLOCKUP: spin_lock(&lock_me_up) and return holding it ('Must be called twice'); "
        "/init writes the type twice from the same shell, one write right after the other; a holder that "
        "schedules in between (need_resched on its way back to user space) prints sched/core.c's 'BUG: "
        "scheduling while atomic: init/1/0x00000002' first, a report the system survives (of the four runs "
        "only deb12-6.1's run1, schedule from exit_to_user_mode_prepare after an fcntl): the second "
        "spin_lock() spins on the lock its own task holds, preemption disabled, a soft lockup whose RIP is the "
        "lock's slowpath (native_queued_spin_lock_slowpath). The culprit is the LKDTM function that took the "
        "lock, lkdtm_SPINLOCKUP; it tail-calls _raw_spin_lock in both builds (jmp), so the trace goes from "
        "the lock code to direct_entry and only 'lkdtm: Performing direct entry SPINLOCKUP' names it; arm64 "
        "inlines spin_lock() (ARCH_INLINE_SPIN_LOCK without PREEMPTION) and calls the slow path (bl "
        "queued_spin_lock_slowpath), ppc64el calls _raw_spin_lock (bl; nop): on both lkdtm_SPINLOCKUP is in the "
        "trace below the spinning lock code; neither kernel counts preemption (no PREEMPT_COUNT), so no "
        "'scheduling while atomic' can come first (the runs' lines: arm64 'pc : queued_spin_lock_slowpath+0x68', 'lr : "
        "lkdtm_SPINLOCKUP+0x7c'; ppc64el spins in pseries's paravirt slow path, 'NIP [..] "
        "__pv_queued_spin_lock_slowpath+0x204', 'LR [..] _raw_spin_lock+0x98', lkdtm_SPINLOCKUP+0x2c below it)",
        not_on=(("s390x", NO_S390_SOFTLOCKUP),),
        conflicts_config=(
            (
                "CONFIG_PREEMPT_RT=y",
                "PREEMPT_RT makes spinlock_t a sleeping rt_mutex (the RT build's lkdtm_SPINLOCKUP tail-calls "
                "rt_spin_lock): the second write sleeps on the lock its own task holds, nothing spins and no soft "
                "lockup is reported",
            ),
        ),
    ),
    _lkdtm(
        "CORRUPT_STACK_STRONG",
        "stack-protector",
        r"stack-protector: Kernel stack is corrupted in",
        notes="bugs.c lkdtm_CORRUPT_STACK_STRONG: __lkdtm_CORRUPT_STACK memsets 64 bytes over an 8-byte union "
        "(unsigned short[4] and a pointer), which gets a canary only with -fstack-protector-strong (Debian's "
        "STACKPROTECTOR_STRONG: the canary at 8(%rsp) in both builds); the test's own epilogue calls "
        "__stack_chk_fail, which panics 'stack-protector: Kernel stack is corrupted in: "
        "lkdtm_CORRUPT_STACK_STRONG+0x..'; arm64 (canary from sp_el0's task at [sp,#24] over the union at "
        "sp+16) and ppc64el (canary from the paca, 3192(r13), at 104(r1) over the union at 96(r1)) check it in the "
        "test and call __stack_chk_fail (bl; ppc64el bl; nop), not their last instruction; PREEMPT_RT's build is "
        "deb12-6.1's",
        not_on=(
            (
                "s390x",
                "s390 has no kernel stack protector (arch/s390 does not select HAVE_STACKPROTECTOR): no canary, "
                "nothing checks the overwritten stack (as CORRUPT_STACK)",
            ),
        ),
    ),
    # The tenth round (deb12-6.1 and deb13-6.12, x86_64; the LKDTM sources and builds above, from linux-source-6.1
    # 6.1.192-3 and linux-source-6.12 6.12.118-1, whose eight functions below are the same in both): report paths the
    # table lacked. Culprits from the source and both builds' lkdtm.ko (objdump -dr). STACK_GUARD_PAGE_TRAILING's read
    # (mov 0x4000(%rbx),%al) is in the test. REFCOUNT_INC_ZERO calls the module-local __refcount_add_not_zero.constprop.0
    # (the safe refcount_inc_not_zero(), no WARN) and then __refcount_add.constprop.0, which tail-calls
    # refcount_warn_saturate (jmp): the trace goes from refcount_warn_saturate to the test. REFCOUNT_INC_NOT_ZERO_OVERFLOW
    # calls __refcount_add_not_zero.constprop.0, which calls refcount_warn_saturate (call): helper, then test.
    # USERCOPY_SLAB_WHITELIST_TO tail-calls do_usercopy_slab_whitelist (jmp), whose copy_to_user() calls
    # __check_object_size. FORTIFY_MEM_OBJECT's and FORTIFY_STR_OBJECT's checks are inlined in the tests, their
    # fortify_panic (6.12 __fortify_panic) calls not the last instruction. SLAB_LINEAR_OVERFLOW's write and kfree are in
    # lkdtm_SLAB_LINEAR_OVERFLOW.cold, the kfree a tail call (jmp kfree): the trace goes from kfree to the harness.
    # WRITE_AFTER_FREE's kfree, write, second kmalloc (kmalloc_trace, 6.12 __kmalloc_cache_noprof) and kfree are calls
    # in lkdtm_WRITE_AFTER_FREE.cold: the test stays in the trace below the allocator. The two slab kinds need SLUB
    # debugging, which Debian builds in (SLUB_DEBUG=y) and leaves off (SLUB_DEBUG_ON unset): their extra_cmdline turns
    # it on for kmalloc-1k alone, on the crashing kernel only, as slub-redzone's does for every cache. Not made: the
    # other EXEC_* (STACK, KMALLOC, VMALLOC, RODATA: execute_location's call into NX memory, EXEC_DATA's report and
    # culprit), REFCOUNT_ADD_OVERFLOW and REFCOUNT_SUB_AND_TEST_NEGATIVE (REFCOUNT_INC_OVERFLOW's and
    # REFCOUNT_DEC_AND_TEST_NEGATIVE's saturation types and lines), USERCOPY_STACK_FRAME_TO (do_usercopy_stack, as
    # STACK_BEYOND), USERCOPY_HEAP_SIZE_FROM (no such test after 5.10; 6.1's USERCOPY_SLAB_SIZE_FROM is
    # do_usercopy_slab_size, as SLAB_SIZE_TO's 'bad usercopy' title).
    # deb12-6.1-arm64 (linux-source-6.1 6.1.192-3 cross-built; aarch64-linux-gnu-objdump -dr) makes all eight, every
    # culprit in its trace: no tail calls (bl do_usercopy_slab_whitelist, bl kfree in SLAB_LINEAR_OVERFLOW), the refcount
    # helpers call refcount_warn_saturate with bl, and neither fortify_panic bl is its test's last instruction.
    _lkdtm(
        "STACK_GUARD_PAGE_TRAILING",
        "paging-fault",
        r"BUG: unable to handle page fault for address|BUG: stack guard page was hit at",
        cls_before=(((5, 11), "stack-overflow"),),
        notes="bugs.c lkdtm_STACK_GUARD_PAGE_TRAILING: a read of the byte at task_stack_page(current) + THREAD_SIZE, "
        "the first byte above the stack, in the test itself (mov 0x4000(%rbx),%al in both builds). VMAP_STACK leaves "
        "vmalloc's guard page after the 16 KiB area, so the page is not mapped; but arch/x86/mm/fault.c page_fault_oops "
        "names only the page below the stack a guard (get_stack_guard_info: the address plus PAGE_SIZE in the stack), "
        "so this is an ordinary kernel paging fault, 'BUG: unable to handle page fault for address: ...', '#PF: "
        "supervisor read access in kernel mode', '#PF: error_code(0x0000) - not-present page', RIP in the test, and "
        "nothing says stack: the class is paging-fault (LEADING's stack-overflow comes from the kernel's own guard "
        "report); arm64: ldrb w1, [x19] in the test, x19 the stack's top, 'Unable to handle kernel paging request at "
        "virtual address ...c000', one byte above the 16 KiB stack the 'sp :' line lies in, pc in the test (the class "
        "stays paging-fault: nothing in the kernel's report names a stack); s390x: llgc %r1,16384(%r11) in the test, "
        "%r11 the stack's base, a translation exception in vmalloc's guard page, do_no_context 'Unable to handle "
        "kernel pointer dereference in virtual kernel address space', PSW in the test; 5.10's arch/x86/mm/fault.c "
        "no_context calls a fault within a page of either end of the VMAP_STACK a guard-page hit (LEADING's "
        "'BUG: stack guard page was hit at ... (stack is ...)', handle_stack_overflow), so there the report names "
        "the stack (mov 0x4000(%rbx),%al in the test as in 6.1)",
        # arch/arm64/mm/fault.c die_kernel_fault: a translation fault in the unmapped page above the VMAP_STACK;
        # arch/s390/mm/fault.c do_no_context: a translation exception in the page above the 16 KiB VMAP_STACK
        headline_on=(("arm64", r"Unable to handle kernel paging request at virtual address"), S390_DEREF),
        not_on=(
            (
                "ppc64el",
                "64-bit powerpc kernel stacks have no guard page (no VMAP_STACK on book3s64): the page above the "
                "stack is mapped memory of the linear map and the read succeeds (from the source, as LEADING, untried)",
            ),
        ),
    ),
    _lkdtm(
        "REFCOUNT_INC_ZERO",
        "refcount",
        r"refcount_t: addition on 0; use-after-free",
        sysctls=("kernel.panic_on_warn=1",),
        notes="refcount.c lkdtm_REFCOUNT_INC_ZERO: refcount_inc_not_zero() of 0 (correctly refused, no WARN), then "
        "refcount_inc() of 0: refcount.h __refcount_add sees old == 0 and calls lib/refcount.c "
        "refcount_warn_saturate(REFCOUNT_ADD_UAF), 'refcount_t: addition on 0; use-after-free.', fatal with "
        "panic_on_warn; both builds call a module-local __refcount_add.constprop.0, refcount.h's helper, which "
        "tail-calls refcount_warn_saturate (jmp): the trace goes from refcount_warn_saturate to the test, the "
        "helper's caller (as REFCOUNT_DEC_ZERO's); arm64's helper calls it (bl): helper, then test",
    ),
    _lkdtm(
        "REFCOUNT_INC_NOT_ZERO_OVERFLOW",
        "refcount",
        r"refcount_t: saturated; leaking memory",
        sysctls=("kernel.panic_on_warn=1",),
        notes="refcount.c lkdtm_REFCOUNT_INC_NOT_ZERO_OVERFLOW: refcount_inc_not_zero() of REFCOUNT_MAX: refcount.h "
        "__refcount_add_not_zero's cmpxchg loop (not INC_OVERFLOW's fetch-add) finds old + 1 negative and calls "
        "refcount_warn_saturate(REFCOUNT_ADD_NOT_ZERO_OVF), its own case of the switch, whose line is "
        "'refcount_t: saturated; leaking memory.' as REFCOUNT_ADD_OVF's; panic_on_warn. Both builds call a "
        "module-local __refcount_add_not_zero.constprop.0, which calls refcount_warn_saturate (call): the trace "
        "reads refcount_warn_saturate, the helper, then the test, the helper's caller",
    ),
    _lkdtm(
        "USERCOPY_SLAB_WHITELIST_TO",
        "bug",
        r"usercopy: Kernel memory exposure attempt detected from SLUB object 'lkdtm-usercopy'",
        culprit="do_usercopy_slab_whitelist",
        releases=((6, 1), (999, 0)),
        releases_why=WHITELIST_RENAMED,
        notes="usercopy.c lkdtm_USERCOPY_SLAB_WHITELIST_TO tail-calls do_usercopy_slab_whitelist(true) (jmp in both "
        "builds: the test is in no trace), which allocates from LKDTM's own cache 'lkdtm-usercopy' (1 KiB objects, "
        "the usercopy window from 256 for 64 bytes: kmem_cache_create_usercopy, never merged), copies the window "
        "to user space, then 64 bytes from one byte before it: mm/usercopy.c __check_object_size -> "
        "check_heap_object -> mm/slub.c __check_heap_object finds the range outside the whitelist, "
        "usercopy_abort('SLUB object', 'lkdtm-usercopy', offset 255, size 64), BUG at mm/usercopy.c; the first "
        "frame after the hardening check is do_usercopy_slab_whitelist (arm64 calls it, bl: the test is below it; "
        "ppc64el's b and s390x's jg are x86's jmp: the test is in no trace)",
    ),
    _lkdtm(
        "USERCOPY_HEAP_WHITELIST_TO",
        "bug",
        r"usercopy: Kernel memory exposure attempt detected from SLUB object 'lkdtm-usercopy'",
        culprit="do_usercopy_heap_whitelist",
        releases=((0, 0), (6, 1)),
        releases_why=WHITELIST_RENAMED,
        notes="5.10's usercopy.c: USERCOPY_SLAB_WHITELIST_TO's test under its older names, the same cache "
        "('lkdtm-usercopy', the window from 256 for 64 bytes) and copies; lkdtm_USERCOPY_HEAP_WHITELIST_TO tail-calls "
        "do_usercopy_heap_whitelist(true) (jmp), whose copies are in its .cold part in the 5.10 build (call "
        "__check_object_size, call _copy_to_user in do_usercopy_heap_whitelist.cold): the culprit is "
        "do_usercopy_heap_whitelist",
    ),
    _lkdtm(
        "FORTIFY_MEM_OBJECT",
        "bug",
        r"detected buffer overflow in memcpy|memcpy: detected buffer overflow",
        releases=((6, 1), (999, 0)),
        releases_why=NOT_IN_510_LKDTM % "FORTIFY_MEM_OBJECT; there is no fortify.c",
        notes="fortify.c lkdtm_FORTIFY_MEM_OBJECT: memcpy(&target, &before, size) of a volatile 20 bytes into a "
        "16-byte struct; include/linux/fortify-string.h fortify_memcpy_chk (inlined) finds the write larger than "
        "the object: 6.1 fortify_panic('memcpy'), 'detected buffer overflow in memcpy', BUG at "
        "lib/string_helpers.c; 6.12 __fortify_report's WARN 'memcpy: detected buffer overflow: 20 byte write of "
        "buffer size 16' (survived: no panic_on_warn), then BUG in __fortify_panic. The check is the test's own "
        "inlined code; its fortify_panic call is not its last instruction (the return address is in the test; "
        "ppc64el's bl fortify_panic at +0x138 neither), but on s390x it is (brasl fortify_panic at +0xea, then "
        "lkdtm_FORTIFY_STR_OBJECT): the trace names the next function at +0x0 and only 'Performing direct entry "
        "FORTIFY_MEM_OBJECT' names the test, as arm64's FORTIFY_STRSCPY",
    ),
    _lkdtm(
        "FORTIFY_STR_OBJECT",
        "bug",
        r"detected buffer overflow in strncpy|strncpy: detected buffer overflow",
        releases=((6, 1), (7, 2)),
        releases_why=NOT_IN_510_LKDTM % "FORTIFY_STR_OBJECT; there is no fortify.c"
        + "; nor in 7.2's (linux-source-7.2 7.2.13-1's fortify.c lists FORTIFY_STR_MEMBER, FORTIFY_MEM_OBJECT, "
        "FORTIFY_MEM_MEMBER and FORTIFY_STRSCPY: the write to DIRECT is refused, no 'Performing direct entry', and "
        "sid-7.2-arm64's guest ran out its 180 s timeout)",
        notes="fortify.c lkdtm_FORTIFY_STR_OBJECT: strncpy(target[0].a, target[1].a, size) of a volatile 20 bytes "
        "into a 10-byte member (the test's pr_info says strcmp); the fortified strncpy (inlined) checks the "
        "member's size: 6.1 'detected buffer overflow in strncpy' (fortify_panic), 6.12 __fortify_report's WARN "
        "'strncpy: detected buffer overflow: 20 byte write of buffer size 10', then BUG in __fortify_panic; the "
        "check is in the test, its panic call not the test's last instruction",
    ),
    _lkdtm(
        "SLAB_LINEAR_OVERFLOW",
        "bug",
        r"BUG kmalloc-1k \([^)]*\): Right Redzone overwritten|\[Right Redzone overwritten\] 0x",
        extra_cmdline="slub_debug=FZ,kmalloc-1k panic_on_taint=0x20",
        releases=((6, 1), (999, 0)),
        releases_why=LINEAR_RENAMED,
        notes="heap.c lkdtm_SLAB_LINEAR_OVERFLOW: kmalloc(1020) (kmalloc-1k), then a u32 written at offset 1024, "
        "just past the object, and kfree(); with slub_debug=FZ on kmalloc-1k the free's free_debug_processing -> "
        "check_object -> check_bytes_and_report (mm/slub.c) finds the right redzone overwritten: 6.1 'BUG "
        "kmalloc-1k (...): Right Redzone overwritten', 6.12 '[Right Redzone overwritten] 0x..' and object_err's "
        "'BUG kmalloc-1k (...): Object corrupt', and taints TAINT_BAD_PAGE, a panic with panic_on_taint=0x20 (as "
        "the lab's slub-redzone). The write and the free are in lkdtm_SLAB_LINEAR_OVERFLOW.cold, the free a tail "
        "call in both builds (jmp kfree): the trace goes from kfree to the harness and only 'lkdtm: Performing "
        "direct entry SLAB_LINEAR_OVERFLOW' and 'Attempting slab linear overflow ...' name the test, the culprit "
        "(the allocator's caller, as SLAB_FREE_DOUBLE's); 6.12's trace reads kfree, lkdtm_do_action, direct_entry; arm64 "
        "calls kfree (bl, then b to the epilogue): lkdtm_SLAB_LINEAR_OVERFLOW is in its trace, and so does ppc64el "
        "(bl kfree; nop); s390x's kfree is a tail call (jg kfree), as x86's",
    ),
    _lkdtm(
        "OVERWRITE_ALLOCATION",
        "bug",
        r"BUG kmalloc-1k \([^)]*\): Right Redzone overwritten",
        extra_cmdline="slub_debug=FZ,kmalloc-1k panic_on_taint=0x20",
        releases=((0, 0), (6, 1)),
        releases_why=LINEAR_RENAMED,
        notes="5.10's heap.c lkdtm_OVERWRITE_ALLOCATION: SLAB_LINEAR_OVERFLOW's body under its older name, "
        "kmalloc(1020), a u32 at offset 1024 and kfree(), found by kfree's free_debug_processing -> check_object "
        "(slub_debug=FZ on kmalloc-1k): 'BUG kmalloc-1k (...): Right Redzone overwritten', TAINT_BAD_PAGE and "
        "panic_on_taint's panic; the 5.10 build writes and tail-calls kfree in the test itself (jmp kfree, no .cold "
        "part): the trace goes from kfree to the harness, but 5.10's lists '? lkdtm_OVERWRITE_ALLOCATION+0x1b/0x40', "
        "the stale return address of its kmalloc call (as SLAB_FREE_CROSS's on 5.10; the manifest's culprit_in_trace "
        "is true), and 'lkdtm: Performing direct entry OVERWRITE_ALLOCATION' names it; 5.10's slab_bug taints and "
        "panics (panic_on_taint) before the report's own trace, so the panic's trace is the only one",
    ),
    _lkdtm(
        "WRITE_AFTER_FREE",
        "bug",
        r"BUG kmalloc-1k \([^)]*\): Poison overwritten|\[Poison overwritten\] 0x",
        extra_cmdline="slub_debug=FP,kmalloc-1k panic_on_taint=0x20",
        notes="heap.c lkdtm_WRITE_AFTER_FREE: kmalloc(1024), kfree(), a write 512 bytes into the freed object, "
        "then kmalloc(1024) again; with slub_debug=FP on kmalloc-1k the free poisons the object (0x6b) and puts it "
        "first on its slab's freelist, and the next allocation's alloc_debug_processing -> check_object (consistency "
        "checks, F) -> check_bytes_and_report (mm/slub.c) finds the poison overwritten: 6.1 'BUG kmalloc-1k (...): "
        "Poison overwritten', 6.12 '[Poison overwritten] 0x..' and 'BUG kmalloc-1k (...): Object corrupt', then "
        "TAINT_BAD_PAGE and panic_on_taint=0x20's panic. Without slub_debug nothing reports it (the earlier rounds' "
        "reason for not making it). The culprit is the test, the writer and the allocator's caller: its calls are "
        "calls (lkdtm_WRITE_AFTER_FREE.cold), so it is in the trace below the allocation path; the report needs the "
        "same object back (LKDTM prints 'Hmm, didn't get the same memory range.' otherwise; every run got it back); "
        "6.12's object_err panics in add_taint before any trace of its own, so the panic's is the only one; arm64 makes "
        "the same calls (bl)",
    ),
)

KINDS: tuple[Kind, ...] = (
    Kind(
        name="sysrq",
        cls="sysrq",
        culprit="sysrq_handle_crash",
        action="sysrq",
        headline=r"sysrq triggered crash|sysrq: Trigger a crash",
    ),
    _module(
        "null-deref",
        "null-deref",
        "null_deref",
        r"BUG: kernel NULL pointer dereference",
        headline_on=NULL_DEREF_ON,
    ),
    _module(
        "paging-fault",
        "paging-fault",
        "vmalloc_fault",
        r"BUG: unable to handle page fault for address",
        headline_on=(
            ("arm64", r"Unable to handle kernel paging request at virtual address"),
            ("ppc64el", PPC_DATA_ACCESS),
            ("s390x", S390_KERNEL_DEREF),
        ),
    ),
    _module("bug", "bug", "bug", r"kernel BUG at kcrashd_lab_main\.c"),
    _module(
        "gpf",
        "gpf",
        "gpf",
        r"general protection fault, probably for non-canonical address 0x11223344556677[0-9a-f]{2}",
        not_on=(
            ("arm64", "arm64 has no general protection fault: a wild pointer is a paging request"),
            (
                "ppc64el",
                "powerpc has no general protection fault: a wild pointer is a data access fault "
                "('BUG: Unable to handle kernel data access at'), the paging-fault kind",
            ),
            (
                "s390x",
                "s390 has no general protection fault: a wild pointer is a translation exception "
                "('Unable to handle kernel pointer dereference'), the paging-fault kind",
            ),
        ),
    ),
    _module(
        "divide-error",
        "divide-error",
        "divide_error",
        r"divide error: 0000",
        # s390's divide instructions raise a program check: arch/s390/kernel/traps.c divide_exception
        headline_on=(("s390x", r"fixpoint divide exception"),),
        not_on=(
            ("arm64", "arm64 integer division by zero does not trap (it yields 0)"),
            (
                "ppc64el",
                "powerpc integer division by zero does not trap (divw/divd leave the result undefined)",
            ),
        ),
    ),
    _module(
        "warning",
        "warning",
        "warning",
        # 7.2 (sid) prints "WARNING: kcrashd_lab_main.c:92 at lab_trigger_warning+0x1a/0x30
        # [kcrashd_lab], CPU#0: init/1"; 6.12 and before "WARNING: CPU: 0 PID: 1 at kcrashd_lab_main.c:92 ..."
        r"WARNING: (?:CPU: \d+ PID: \d+ at kcrashd_lab_main\.c|kcrashd_lab_main\.c:\d+ at )",
        sysctls=("kernel.panic_on_warn=1",),
    ),
    _module(
        "soft-lockup",
        "soft-lockup",
        "soft_lockup",
        r"soft lockup - CPU#\d+ stuck for",
        sysctls=("kernel.softlockup_panic=1", "kernel.watchdog_thresh=1"),
        timeout=240.0,
        not_on=(("s390x", NO_S390_SOFTLOCKUP),),
    ),
    _module(
        "hung-task",
        "hung-task",
        "hung_task",
        r"INFO: task \S+ blocked for more than \d+ seconds",
        sysctls=("kernel.hung_task_panic=1", "kernel.hung_task_timeout_secs=4"),
        background=True,
        timeout=240.0,
    ),
    _module(
        "stack-protector",
        "stack-protector",
        "stack_protector",
        r"stack-protector: Kernel stack is corrupted in",
        not_on=(
            ("s390x", "s390 has no kernel stack protector (arch/s390 does not select HAVE_STACKPROTECTOR)"),
        ),
    ),
    _module(
        "stack-overflow",
        "stack-overflow",
        "stack_overflow",
        r"stack guard page was hit|kernel stack overflow",
        headline_on=(
            ("arm64", r"Insufficient stack space to handle exception|kernel stack overflow"),
            # arch/s390/kernel/traps.c kernel_stack_overflow()
            ("s390x", r"Kernel stack overflow"),
        ),
        not_on=(
            (
                "ppc64el",
                "64-bit powerpc kernel stacks have no guard page (no VMAP_STACK on book3s64): the "
                "recursion writes over the memory below the stack and whatever crashes next is not the overflow",
            ),
        ),
        notes="the serial console stays silent; only the dump's log shows the overflow",
    ),
    _module(
        "list-corruption",
        "list-corruption",
        "list_corruption",
        r"list_del corruption|list_add corruption",
    ),
    _module(
        "use-after-free",
        "use-after-free",
        "use_after_free",
        r"general protection fault, probably for non-canonical address 0x6b6b6b6b6b6b6b[0-9a-f]{2}",
        # arm64 ignores the top address byte: the poison shows as 006b6b6b6b6b6b..
        headline_on=(
            ("arm64", r"paging request at virtual address (?:00|6b)6b6b6b6b6b6b[0-9a-f]{2}"),
            (
                "ppc64el",
                r"Unable to handle kernel data access (?:on (?:read|write) )?at 0x6b6b6b6b6b6b6b[0-9a-f]{2}",
            ),
            ("s390x", r"Failing address: 6b6b6b6b6b6b[0-9a-f]{4}"),
        ),
        notes="a SLAB_POISON cache makes the freed object read back as 0x6b poison",
        # Before 5.13 a cache's own SLAB_POISON stays off unless slub_debug is on.
        cmdline_before=(((5, 13), "slub_debug=P,kcrashd_lab_obj"),),
    ),
    _module(
        "double-free",
        "double-free",
        "double_free",
        r"kernel BUG at mm/slub\.c",
        notes="SLAB_FREELIST_HARDENED's naive double-free check in set_freepointer()",
    ),
    _module(
        "refcount",
        "refcount",
        "refcount_underflow",
        r"refcount_t: underflow; use-after-free",
        sysctls=("kernel.panic_on_warn=1",),
    ),
    _module(
        "panic",
        "panic",
        "panic",
        r"Kernel panic - not syncing: kcrashd_lab: adapter firmware stopped responding",
    ),
    _module(
        "corrupted-stack-end",
        "stack-overflow",
        "corrupted_stack_end",
        r"corrupted stack end detected inside scheduler",
        notes="the STACK_END_MAGIC canary is overwritten, then schedule_debug() panics",
    ),
    _module(
        "exec-nx",
        "paging-fault",
        "exec_nx",
        r"kernel tried to execute NX-protected page",
        headline_on=(
            ("arm64", r"Unable to handle kernel execute from non-executable memory"),
            (
                "ppc64el",
                r"kernel tried to execute exec-protected page|Unable to handle kernel instruction fetch",
            ),
            # a protection exception on the fetch (instruction-execution protection), PSW at the heap
            ("s390x", S390_KERNEL_DEREF),
        ),
        notes="a call into kmalloc'ed data: the RIP is the heap address, the culprit only a caller",
    ),
    _module(
        "null-fn-call",
        "null-deref",
        "null_fn_call",
        r"BUG: kernel NULL pointer dereference, address: 0+\b",
        headline_on=(
            ("arm64", r"Unable to handle kernel NULL pointer dereference at virtual address 0+\b"),
            ("ppc64el", r"Unable to handle kernel instruction fetch \(NULL pointer\?\)"),
            # the branch to 0 executes the zeroed low core: arch/s390/kernel/traps.c illegal_op
            ("s390x", r"illegal operation: 0001 ilc:\d \[#1\]"),
        ),
        notes="a call through a NULL function pointer: RIP 0, the culprit only a return address",
    ),
    _module(
        "write-rodata",
        "paging-fault",
        "write_rodata",
        r"BUG: unable to handle page fault for address",
        headline_on=(
            ("arm64", r"Unable to handle kernel write to read-only memory"),
            ("ppc64el", PPC_DATA_ACCESS),
            ("s390x", S390_KERNEL_DEREF),
        ),
        notes="a write to the module's read-only data (STRICT_MODULE_RWX)",
    ),
    _module(
        "timer-bug",
        "bug",
        "timer_bug",
        r"kernel BUG at kcrashd_lab_main\.c",
        culprit="lab_timer_bug_fire",
        notes="BUG() in a timer callback: softirq context, 'Fatal exception in interrupt'",
    ),
    _module(
        "rcu-stall-lockup",
        "soft-lockup",
        "rcu_stall_lockup",
        r"rcu: INFO: rcu_\w+ (?:self-)?detected stalls? on CPU",
        # An RCU stall report touches the soft-lockup watchdog, and repeats every ~3x its
        # timeout: the lockup threshold (2 x 4 s after the first report) falls between them.
        sysctls=("kernel.softlockup_panic=1", "kernel.watchdog_thresh=4"),
        extra_cmdline="rcupdate.rcu_cpu_stall_timeout=5",
        timeout=300.0,
        min_cpus=2,
        not_on=(("s390x", NO_S390_SOFTLOCKUP),),
        notes="RCU's stall detector (5 s) reports before the soft-lockup panic (13 s); a second CPU "
        "runs the grace-period kthread that waits for the spinning one",
    ),
    _module(
        "sched-atomic",
        "atomic-sleep",
        "sched_atomic",
        r"BUG: scheduling while atomic: ",
        sysctls=("kernel.panic_on_warn=1",),
        notes="msleep() under spin_lock_bh() (a raw spinlock on PREEMPT_RT): kernel/sched/core.c "
        "__schedule_bug prints 'BUG: scheduling while atomic: %s/%d/0x%08x' and, with panic_on_warn, "
        "panics 'scheduling while atomic' before its own dump_stack(): the trace is panic()'s",
    ),
    _module(
        "usercopy",
        "bug",
        "usercopy",
        r"usercopy: Kernel memory exposure attempt detected from SLUB object",
        notes="copy_to_user() of 256 bytes from a 64-byte kmalloc object, the size known only at run "
        "time: mm/usercopy.c usercopy_abort prints 'Kernel memory exposure attempt detected from "
        "SLUB object ...' (its caller __check_heap_object in mm/slub.c), then BUG() at mm/usercopy.c",
    ),
    _module(
        "fortify",
        "bug",
        "fortify",
        r"detected buffer overflow in memcpy|memcpy: detected buffer overflow: \d+ byte \w+ of buffer size",
        notes="memcpy() of a run-time 32 bytes into a 16-byte stack buffer: before 6.9 lib/string_helpers.c "
        "fortify_panic prints 'detected buffer overflow in memcpy' and BUG()s; since then __fortify_report "
        "WARNs 'memcpy: detected buffer overflow: 32 byte write of buffer size 16' and __fortify_panic "
        "BUG()s: both at lib/string_helpers.c, called from the fortified memcpy inlined in its caller",
    ),
    _module(
        "hrtimer-bug",
        "bug",
        "hrtimer_bug",
        r"kernel BUG at kcrashd_lab_main\.c",
        culprit="lab_hrtimer_bug_fire",
        notes="BUG() in an HRTIMER_MODE_REL_HARD callback: hard-irq context (__hrtimer_run_queues from "
        "hrtimer_interrupt), 'Fatal exception in interrupt' (kernel/panic.c via oops_end/die)",
    ),
    _module(
        "work-null-deref",
        "null-deref",
        "work_null_deref",
        r"BUG: kernel NULL pointer dereference",
        culprit="lab_work_null_deref",
        headline_on=NULL_DEREF_ON,
        notes="a NULL dereference in a work item: the oops is a kworker's (kernel/workqueue.c "
        "process_one_work), the writer only waits in flush_work()",
    ),
    _module(
        "slub-redzone",
        "bug",
        "slub_redzone",
        # 6.12 prints '[Right Redzone overwritten] 0x..-0x.. @offset=..', then 'BUG kmalloc-64 (...): Object corrupt'
        r"BUG kmalloc-\d+ \([^)]*\): (?:Right )?Redzone overwritten|\[Right Redzone overwritten\] 0x",
        extra_cmdline="slub_debug=FZ panic_on_taint=0x20",
        notes="four bytes written past a kmalloc(64) object (ksize: kmalloc-128 on arm64 6.1); with slub_debug=FZ kfree()'s "
        "free_debug_processing -> check_object -> check_bytes_and_report (mm/slub.c) prints "
        "'BUG kmalloc-64 (...): Right Redzone overwritten' (6.12: '[Right Redzone overwritten] 0x..' and "
        "object_err's 'BUG kmalloc-64 (...): Object corrupt') and taints TAINT_BAD_PAGE, which "
        "panic_on_taint=0x20 makes a panic (kernel/panic.c add_taint)",
    ),
    _module(
        "kfence-oob",
        "kfence",
        "kfence_oob",
        r"BUG: KFENCE: out-of-bounds read in",
        extra_cmdline="kfence.sample_interval=1 panic_on_taint=0x20",
        needs_config=(("CONFIG_KFENCE=y", "the kernel is built without KFENCE (CONFIG_KFENCE is not set)"),),
        notes="a read one byte past a KFENCE-sampled kmalloc object, into its guard page: "
        "mm/kfence/report.c kfence_report_error prints 'BUG: KFENCE: out-of-bounds read in %pS' and "
        "taints TAINT_BAD_PAGE (panic_on_taint=0x20); Debian's 6.12 has KFENCE with a sample interval "
        "of 0 (off) unless kfence.sample_interval= is given",
    ),
    _module(
        "kfence-uaf",
        "kfence",
        "kfence_uaf",
        r"BUG: KFENCE: use-after-free read in",
        extra_cmdline="kfence.sample_interval=1 panic_on_taint=0x20",
        needs_config=(("CONFIG_KFENCE=y", "the kernel is built without KFENCE (CONFIG_KFENCE is not set)"),),
        notes="a read of a KFENCE-sampled kmalloc object after kfree(): its page is protected, the fault "
        "is mm/kfence/report.c kfence_report_error's 'BUG: KFENCE: use-after-free read in %pS'",
    ),
    _module(
        "kfence-double-free",
        "kfence",
        "kfence_double_free",
        r"BUG: KFENCE: invalid free in",
        extra_cmdline="kfence.sample_interval=1 panic_on_taint=0x20",
        needs_config=(("CONFIG_KFENCE=y", "the kernel is built without KFENCE (CONFIG_KFENCE is not set)"),),
        notes="a KFENCE-sampled kmalloc object freed twice: mm/kfence/core.c kfence_guarded_free finds it "
        "no longer allocated and reports KFENCE_ERROR_INVALID_FREE, 'BUG: KFENCE: invalid free in %pS'",
    ),
    _module(
        "warn-then-oops",
        "null-deref",
        "warn_then_oops",
        r"BUG: kernel NULL pointer dereference",
        culprit="lab_oops_after_warn",
        headline_on=NULL_DEREF_ON,
        notes="a WARNING the system survives (panic_on_warn off), 200 ms later a NULL dereference that "
        "kills it: the fatal report is the oops, not the earlier WARNING",
    ),
    _module(
        "invalid-opcode",
        "invalid-opcode",
        "invalid_opcode",
        r"invalid opcode: 0000 \[#1\]",
        not_on=tuple(
            (arch, "the trigger is x86's ud2; an undefined instruction there is another report "
             "(arm64 'Internal error: Oops - Undefined instruction', powerpc 'Exception in kernel mode, sig: 4', "
             "s390 'illegal operation'), not generated")
            for arch in ("arm64", "ppc64el", "s390x")
        ),
        notes="a ud2 with no BUG() table entry (as __builtin_trap() leaves): arch/x86/kernel/traps.c "
        "handle_invalid_op -> do_error_trap -> die('invalid opcode'), 'invalid opcode: 0000 [#1]' "
        "(6.12: 'Oops: invalid opcode: 0000 [#1]'), RIP at the trigger",
    ),
    _module(
        "bad-page",
        "bug",
        "bad_page",
        r"BUG: Bad page state in process",
        extra_cmdline="panic_on_taint=0x20",
        notes="an order-4 page freed while still PG_reserved: mm/page_alloc.c free_pages_prepare -> "
        "bad_page prints 'BUG: Bad page state in process %s  pfn:%05lx', dumps the stack and taints "
        "TAINT_BAD_PAGE (panic_on_taint=0x20); orders above the per-CPU lists' are checked at once",
    ),
    Kind(
        name="oom",
        cls="oom",
        culprit="out_of_memory",
        action="memory-hog",
        headline=r"Out of memory: system-wide panic_on_oom is enabled|"
        r"Kernel panic - not syncing: Out of memory",
        sysctls=("vm.panic_on_oom=1",),
    ),
    Kind(
        name="init-exit",
        cls="init-exit",
        culprit="do_exit",
        action="exit",
        exit_code=1,
        headline=r"Attempted to kill init! exitcode=0x00000100",
    ),
    Kind(
        name="init-signal",
        cls="init-signal",
        culprit="do_exit",
        action="exec-fault",
        headline=r"Attempted to kill init! exitcode=0x0000000b",
    ),
    Kind(
        name="no-root-fs",
        cls="no-root-fs",
        culprit="mount_block_root",
        culprit_since=(((6, 4), "mount_root_generic"),),
        action="none",
        headline=r"VFS: Unable to mount root fs",
        initramfs=False,
        extra_cmdline="root=/dev/vda",
        notes="panics before any userspace runs, so kexec -p cannot be armed: console only",
    ),
    *LKDTM_KINDS,
)

KINDS_BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}

CLASS_NAMES: tuple[str, ...] = tuple(k.cls for k in KINDS)


def kind_named(name: str) -> Kind:
    """Look a kind up by name, with the list of valid names in the error."""
    try:
        return KINDS_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown crash kind {name!r}; known: {', '.join(KINDS_BY_NAME)}") from None
