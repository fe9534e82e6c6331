"""A fault in a task stack's guard page that the kernel did not name one (arm64).

x86's page fault handler checks whether a kernel fault's address lies in the guard page of the current task's stack
(arch/x86/mm/fault.c page_fault_oops -> get_stack_guard_info) and reports `BUG: TASK stack guard page was hit at %px`,
a stack overflow.  arm64's does not: an access just below or above a VMAP_STACK stack, in the unmapped guard page
vmalloc leaves around it, is an `Unable to handle kernel paging request at virtual address %016lx` like any other
(arch/arm64/mm/fault.c __do_kernel_fault).  Its register dump prints the stack pointer (__show_regs `sp : %016llx`),
and a task stack is THREAD_SIZE long (16 KiB, 32 KiB with KASAN) and aligned to it (arch/arm64/include/asm/memory.h
THREAD_ALIGN, twice THREAD_SIZE with VMAP_STACK): a faulting address in the page below the stack is the guard page
x86 would have named.  LKDTM's STACK_GUARD_PAGE_LEADING on arm64 is such a crash.  The page above the stack is not:
x86 names only the page below (arch/x86/include/asm/stacktrace.h in_task_stack_guard: `addr >= stack - PAGE_SIZE &&
addr < stack`) and reports a fault above it as a plain page fault, so LKDTM's STACK_GUARD_PAGE_TRAILING is a paging
request on every architecture (before the lab's tenth round the page above counted too).

s390 likewise: a kernel access to an unmapped page is `Unable to handle kernel pointer dereference in virtual kernel
address space` whatever the page (arch/s390/mm/fault.c do_no_context -> report_user_fault's dump_fault_info prints
`Failing address: %016lx TEID: %016lx`, the address masked to its page), and its register dump prints r15, the stack
pointer, last of the four `Krnl GPRS:` lines (arch/s390/kernel/dumpstack.c show_registers); its task stack is
THREAD_SIZE long (16 KiB, 32 KiB with KASAN) and aligned to it under VMAP_STACK.
"""

from __future__ import annotations

import re

# arch/arm64/mm/fault.c die_kernel_fault: `Unable to handle kernel %s at virtual address %016lx`, a translation fault's
# `paging request` (an unmapped page; a guard page is one).
_PAGING_REQUEST = re.compile(r"Unable to handle kernel paging request at virtual address ([0-9a-f]{16})\b")
# arch/arm64/kernel/process.c __show_regs: `sp : %016llx`.
_SP = re.compile(r"(?:^|\s)sp : ([0-9a-f]{16})\b")
# arch/s390/mm/fault.c do_no_context / dump_fault_info: the kernel-space fault's header, then its page's address.
_S390_KERNEL_FAULT = re.compile(r"Unable to handle kernel pointer dereference in virtual kernel address space")
_S390_FAILING = re.compile(r"^Failing address: ([0-9a-f]{16}) TEID:")
# arch/s390/kernel/dumpstack.c show_registers: `Krnl GPRS:` and three more lines of four registers, r15 last.
_S390_GPRS = re.compile(r"^Krnl GPRS:")
_S390_LAST_WORD = re.compile(r"\b([0-9a-f]{16})\s*$")
_PAGE = 0x1000
_THREAD_SIZES = (0x4000, 0x8000)
# How far below the header the register dump's stack pointer may be (the abort decoding and page table walk first).
_SP_LINES = 40


def guard_page_hit(texts: list[str]) -> bool:
    """Whether an arm64 kernel paging request or an s390 kernel-space fault (texts[0], the header) faulted in the guard
    page below the stack its register dump's stack pointer points into."""
    fault = _arm64_fault(texts) or _s390_fault(texts)
    if fault is None:
        return False
    address, sp = fault
    for size in _THREAD_SIZES:
        base = sp & ~(size - 1)
        if base - _PAGE <= address < base:
            return True
    return False


def _arm64_fault(texts: list[str]) -> tuple[int, int] | None:
    """The faulting address and the `sp :` of an arm64 paging request, if texts[0] is one."""
    fault = _PAGING_REQUEST.search(texts[0]) if texts else None
    sp_line = next((m for t in texts[1:_SP_LINES] if (m := _SP.search(t))), None) if fault else None
    return None if fault is None or sp_line is None else (int(fault.group(1), 16), int(sp_line.group(1), 16))


def _s390_fault(texts: list[str]) -> tuple[int, int] | None:
    """The failing page and r15 of an s390 kernel-space fault, if texts[0] is one."""
    if not texts or not _S390_KERNEL_FAULT.search(texts[0]):
        return None
    failing = next((m for t in texts[1:4] if (m := _S390_FAILING.match(t.strip()))), None)
    gprs = next((i for i, t in enumerate(texts[1:_SP_LINES], 1) if _S390_GPRS.match(t.strip())), None)
    r15 = _S390_LAST_WORD.search(texts[gprs + 3]) if gprs is not None and gprs + 3 < len(texts) else None
    return None if failing is None or r15 is None else (int(failing.group(1), 16), int(r15.group(1), 16))
