"""A fault in a task stack's guard page that the kernel did not name one (arm64).

x86's page fault handler checks whether a kernel fault's address lies in the guard page of the current task's stack
(arch/x86/mm/fault.c page_fault_oops -> get_stack_guard_info) and reports `BUG: TASK stack guard page was hit at %px`,
a stack overflow.  arm64's does not: an access just below or above a VMAP_STACK stack, in the unmapped guard page
vmalloc leaves around it, is an `Unable to handle kernel paging request at virtual address %016lx` like any other
(arch/arm64/mm/fault.c __do_kernel_fault).  Its register dump prints the stack pointer (__show_regs `sp : %016llx`),
and a task stack is THREAD_SIZE long (16 KiB, 32 KiB with KASAN) and aligned to it (arch/arm64/include/asm/memory.h
THREAD_ALIGN, twice THREAD_SIZE with VMAP_STACK): a faulting address within a page of the stack's ends, outside it,
is the guard page x86 would have named.  LKDTM's STACK_GUARD_PAGE_LEADING on arm64 is such a crash.
"""

from __future__ import annotations

import re

# arch/arm64/mm/fault.c die_kernel_fault: `Unable to handle kernel %s at virtual address %016lx`, a translation fault's
# `paging request` (an unmapped page; a guard page is one).
_PAGING_REQUEST = re.compile(r"Unable to handle kernel paging request at virtual address ([0-9a-f]{16})\b")
# arch/arm64/kernel/process.c __show_regs: `sp : %016llx`.
_SP = re.compile(r"(?:^|\s)sp : ([0-9a-f]{16})\b")
_PAGE = 0x1000
_THREAD_SIZES = (0x4000, 0x8000)
# How far below the header the register dump's `sp :` line may be (the abort decoding and page table walk first).
_SP_LINES = 40


def guard_page_hit(texts: list[str]) -> bool:
    """Whether an arm64 kernel paging request (texts[0], the header) faulted in the guard page of the stack its
    register dump's `sp :` points into."""
    fault = _PAGING_REQUEST.search(texts[0]) if texts else None
    if fault is None:
        return False
    sp_line = next((m for t in texts[1:_SP_LINES] if (m := _SP.search(t))), None)
    if sp_line is None:
        return False
    address, sp = int(fault.group(1), 16), int(sp_line.group(1), 16)
    for size in _THREAD_SIZES:
        base = sp & ~(size - 1)
        if base - _PAGE <= address < base or base + size <= address < base + size + _PAGE:
            return True
    return False
