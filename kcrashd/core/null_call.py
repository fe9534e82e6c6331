"""A call through a NULL function pointer: the fault's PC line prints address zero.

The CPU jumped to address 0 and faulted fetching the instruction there, so the PC names no function
(every architecture's register dump prints a PC with `%pS`, and lib/vsprintf.c prints an address no
symbol covers as `0x0`, 4.x `(null)`; the raw dumps print it in hex).  Such a crash is a missing or
cleared method of an ops table, another bug than a jump into data or freed memory from the same
caller, which faults at a non-zero address (LKDTM's EXEC_NULL against EXEC_DATA, both from
execute_location): fingerprint version 4 keys it on its own bucket, `null-call in F`
(fingerprint.BUCKETS_SINCE_V4), not on `bad-access in F`.  Version 3 keyed it on `bad-access in F`:
that key stays an alias.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NullPcForm:
    """One architecture's PC line with the PC at address zero, as its kernel prints it."""

    arch: str
    printer: str  # the kernel code that prints the line
    pattern: str
    sample: str  # a line of that form, as a log holds it


# An address in the page at zero, as the kernel calls a fault there a NULL pointer dereference (arch/x86/mm/fault.c
# show_fault_oops and arm64's __do_kernel_fault: `addr < PAGE_SIZE`; s390's PSW already points past the instruction
# that faulted, `0000000000000002`): `%pS` prints it as `0x2` (_PS), the raw dumps as zero-padded hex (_HEX16, _HEX8).
_PS = r"0x[0-9a-fA-F]{1,3}"
_HEX16 = r"0{13}[0-9a-fA-F]{3}"
_HEX8 = r"0{5}[0-9a-fA-F]{3}"

NULL_PC_FORMS = (
    NullPcForm("x86", "arch/x86/kernel/dumpstack.c show_ip: `RIP: %04x:%pS` (`0x0`; 4.x `(null)`)",
               rf"\b[ER]IP: 00[16]0:(?:{_PS}|\s{{0,12}}\(null\))\s*$", "RIP: 0010:0x0"),
    NullPcForm("x86 2.6-4.x", "arch/x86/kernel/dumpstack_64.c show_regs: `RIP: %04x:[<%016lx>] %pS`, `IP: [<%p>] %pS`",
               rf"\b[ER]?IP: (?:00[16]0:)?\[<(?:{_HEX16}|{_HEX8}|\s{{0,16}}\(null\))>\]", "IP: [<          (null)>]           (null)"),
    NullPcForm("i386", "arch/x86/kernel/process_32.c __show_regs: `EIP: %pS` (`EIP is at %pS` before 4.x)",
               rf"\bEIP(?: is at|:) (?:{_PS}|\(null\))\s*$", "EIP: 0x0"),
    NullPcForm("arm64", "arch/arm64/kernel/process.c __show_regs: `pc : %pS`",
               rf"^\s*pc : (?:{_PS}|{_HEX16})\s*$", "pc : 0x0"),
    NullPcForm("arm", "arch/arm/kernel/process.c __show_regs: `PC is at %pS`, then `pc : [<%08lx>]    lr : [<%08lx>]` "
               "(arm64 before 4.16 too, with 16 digits)",
               rf"\bPC is at (?:{_PS}|\(null\))\s*$|^\s*pc : \[<(?:{_HEX16}|{_HEX8})>\]", "PC is at 0x0"),
    NullPcForm("powerpc", "arch/powerpc/kernel/process.c show_regs: `NIP:  %016lx` and `NIP [%016lx] %pS`",
               rf"^\s*NIP(?::\s+(?:{_HEX16}|{_HEX8})\s| \[(?:{_HEX16}|{_HEX8})\])", "NIP:  0000000000000000 LR: c008000000ab0124 CTR: 0000000000000000"),
    NullPcForm("s390", "arch/s390/kernel/dumpstack.c show_regs: `Krnl PSW : %px %px (%pSR)`",
               rf"Krnl PSW\s*:\s*[0-9a-fA-F]{{16}}\s+{_HEX16}\s", "Krnl PSW : 0704e00180000000 0000000000000002 (0x2)"),
    NullPcForm("riscv", "arch/riscv/kernel/process.c __show_regs: `epc : %016lx` then `epc : %pS`",
               rf"^\s*epc\s?: (?:{_PS}|{_HEX16})\b", "epc : 0000000000000000 ra : mydrv_probe+0x3c/0x90"),
)
_NULL_PC = re.compile("|".join(f"(?:{form.pattern})" for form in NULL_PC_FORMS))
# How far below its header a fault's register dump is looked for (arm64's Mem abort info and the
# ppc and s390 headers come first).
_PC_LINES = 24


def null_call(texts: list[str]) -> bool:
    """Whether the fault's PC line, among the report's first lines, prints address zero."""
    return any(_NULL_PC.search(text) for text in texts[:_PC_LINES] if "0" in text or "null" in text)
