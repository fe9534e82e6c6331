"""The forms 2.6-4.x kernels printed, audited against kcrashd (issue 13: the sealed production part misses old
kernels' reports that the development part has few of).  Every sample is constructed from the kernel's own
format strings, named beside it as `constructed from <file> <function> (<version>)`; the function names and
addresses are made up.  The first group are forms kcrashd already read right (kept so that they stay so), the
second the families this audit fixed, each with its negatives.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kcrashd.core import analyze
from tests.core.golden import CORPUS


def _syslog(text: str) -> str:
    """The report as rsyslog's traditional file format writes it (`Mon DD hh:mm:ss host kernel: `)."""
    return "".join(f"Mar  3 10:00:{i % 60:02d} host kernel: [  12.{i:06d}] {line}\n"
                   for i, line in enumerate(text.splitlines()))


def _busybox(text: str) -> str:
    """BusyBox syslogd (sysklogd/syslogd.c timestamp_and_log `%s %.64s %s %s`: time, host, `kern.warn`, message)."""
    return "".join(f"Mar  3 10:00:{i % 60:02d} OpenWrt kern.warn kernel: [  12.{i:06d}] {line}\n"
                   for i, line in enumerate(text.splitlines()))


def _busybox_small(text: str) -> str:
    """BusyBox syslogd -S (OPT_small `%s %s`: the time and the message, no host)."""
    return "".join(f"Mar  3 10:00:{i % 60:02d} kernel: {line}\n" for i, line in enumerate(text.splitlines()))


def _logread(text: str) -> str:
    """OpenWrt's logread (ubox log/logread.c: ctime(), `kern.err`, ` kernel:`, the message)."""
    return "".join(f"Thu Mar  3 10:00:{i % 60:02d} 2026 kern.err kernel: [  12.{i:06d}] {line}\n"
                   for i, line in enumerate(text.splitlines()))


def _level(text: str) -> str:
    """The report as /proc/kmsg hands it out, each line with its `<N>` level."""
    return "".join(f"<4>{line}\n" for line in text.splitlines())


CAPTURES: dict[str, Callable[[str], str]] = {
    "console": lambda t: t, "syslog": _syslog, "level": _level, "busybox": _busybox, "busybox-small": _busybox_small,
    "logread": _logread,
}


def _read(text: str) -> tuple[str, str | None, str]:
    report = analyze(text)
    return report.title, report.function, report.kind


def _read_in_every_capture(text: str) -> set[tuple[str, str | None, str]]:
    """What `_read` gives for the report in each of CAPTURES: one element when all agree."""
    return {_read(capture(text)) for capture in CAPTURES.values()}


# --- audited: already read right ---------------------------------------------------------------------------

# constructed from kernel/lockdep.c print_deadlock_bug (2.6.32): `[ INFO: possible recursive locking detected ]`,
# print_kernel_version, print_lock's ` (%s){%c%c%c%c}, at: ` + print_ip_sym `[<%p>] %pS`, then dump_stack
LOCKDEP_RECURSIVE_26 = """\

=============================================
[ INFO: possible recursive locking detected ]
2.6.32-71.el6.x86_64 #1
---------------------------------------------
kworker/0:1/123 is trying to acquire lock:
 (&dev->mutex){+.+.+.}, at: [<ffffffffa0123456>] mydrv_suspend+0x36/0x90 [mydrv]

but task is already holding lock:
 (&dev->mutex){+.+.+.}, at: [<ffffffff8133f2a1>] device_suspend+0x81/0x200

other info that might help us debug this:
2 locks held by kworker/0:1/123:
 #0:  (dpm_list_mtx){+.+.+.}, at: [<ffffffff8133f100>] dpm_suspend+0x30/0x200
 #1:  (&dev->mutex){+.+.+.}, at: [<ffffffff8133f2a1>] device_suspend+0x81/0x200

stack backtrace:
Pid: 123, comm: kworker/0:1 Not tainted 2.6.32-71.el6.x86_64 #1
Call Trace:
 [<ffffffff810a5c8a>] __lock_acquire+0x124a/0x1e10
 [<ffffffff810a68f4>] lock_acquire+0xa4/0x120
 [<ffffffff814f2b6b>] mutex_lock_nested+0x6b/0x3a0
 [<ffffffffa0123456>] mydrv_suspend+0x36/0x90 [mydrv]
 [<ffffffff8133f2a1>] device_suspend+0x81/0x200
"""

# constructed from kernel/lockdep.c print_usage_bug (3.10): `[ INFO: inconsistent lock state ]`, print_kernel_ident,
# `inconsistent {%s} -> {%s} usage.`, `%s/%d [HC%u[%lu]:SC%u[%lu]:HE%u:SE%u] takes:`, print_irqtrace_events
LOCKDEP_INCONSISTENT_310 = """\

=================================
[ INFO: inconsistent lock state ]
3.10.0-rc4+ #7 Not tainted
---------------------------------
inconsistent {IN-SOFTIRQ-W} -> {SOFTIRQ-ON-W} usage.
mytool/2290 [HC0[0]:SC0[0]:HE1:SE1] takes:
 (&(&priv->lock)->rlock){+.?...}, at: [<ffffffffa0152b41>] mydrv_xmit+0x41/0x90 [mydrv]
{IN-SOFTIRQ-W} state was registered at:
  [<ffffffff810a68f4>] lock_acquire+0xa4/0x120
  [<ffffffff8165c2b1>] _raw_spin_lock+0x31/0x40
  [<ffffffffa0152c01>] mydrv_rx_poll+0x41/0x90 [mydrv]
irq event stamp: 4321
hardirqs last  enabled at (4321): [<ffffffff8165c5e0>] _raw_spin_unlock_irq+0x30/0x50
hardirqs last disabled at (4320): [<ffffffff8165bd9d>] _raw_spin_lock_irq+0x1d/0x60

other info that might help us debug this:
no locks held by mytool/2290.

stack backtrace:
CPU: 1 PID: 2290 Comm: mytool Not tainted 3.10.0-rc4+ #7
 ffffffff82157e30 ffff88007a6a1b28 ffffffff81653c21 ffff88007a6a1b78
Call Trace:
 [<ffffffff81653c21>] dump_stack+0x19/0x1b
 [<ffffffff810a2e55>] print_usage_bug+0x1f5/0x206
 [<ffffffff810a3b71>] mark_lock+0x2b1/0x310
 [<ffffffff810a68f4>] lock_acquire+0xa4/0x120
 [<ffffffff8165c2b1>] _raw_spin_lock+0x31/0x40
 [<ffffffffa0152b41>] mydrv_xmit+0x41/0x90 [mydrv]
"""

# constructed from kernel/lockdep.c lockdep_rcu_dereference (2.6.34): `[ INFO: suspicious rcu_dereference_check()
# usage. ]`, `%s:%d invoked rcu_dereference_check() without protection!`, then the held locks and dump_stack
LOCKDEP_RCU_2634 = """\

===================================================
[ INFO: suspicious rcu_dereference_check() usage. ]
---------------------------------------------------
net/mydrv/core.c:127 invoked rcu_dereference_check() without protection!

other info that might help us debug this:


rcu_scheduler_active = 1, debug_locks = 1
1 lock held by mytool/2290:
 #0:  (rtnl_mutex){+.+.+.}, at: [<ffffffff8158a0d7>] rtnl_lock+0x17/0x20

stack backtrace:
Pid: 2290, comm: mytool Not tainted 2.6.34-rc3 #7
Call Trace:
 [<ffffffff810a2197>] lockdep_rcu_dereference+0xa7/0xb0
 [<ffffffffa0152c22>] mydrv_find_peer+0x72/0x90 [mydrv]
 [<ffffffffa0152b61>] mydrv_open+0x61/0x90 [mydrv]
"""

# constructed from kernel/lockdep.c print_unlock_inbalance_bug (3.10): `[ BUG: bad unlock balance detected! ]`,
# `%s/%d is trying to release lock (` print_lockdep_cache `) at:` then print_ip_sym on its own line
LOCKDEP_UNLOCK_310 = """\

=====================================
[ BUG: bad unlock balance detected! ]
3.10.0-rc4+ #7 Not tainted
-------------------------------------
mytool/2290 is trying to release lock (&priv->lock) at:
[<ffffffffa0152b41>] mydrv_close+0x41/0x90 [mydrv]
but there are no more locks to release!

other info that might help us debug this:
no locks held by mytool/2290.

stack backtrace:
CPU: 1 PID: 2290 Comm: mytool Not tainted 3.10.0-rc4+ #7
Call Trace:
 [<ffffffff81653c21>] dump_stack+0x19/0x1b
 [<ffffffff810a1a3e>] print_unlock_imbalance_bug+0xfe/0x110
 [<ffffffff810a6bb7>] lock_release+0x1d7/0x2a0
 [<ffffffff8165a20e>] mutex_unlock+0xe/0x10
 [<ffffffffa0152b41>] mydrv_close+0x41/0x90 [mydrv]
"""

# constructed from kernel/lockdep.c lockdep_sys_exit (3.10): `[ BUG: lock held when returning to user space! ]`,
# `%s/%d is leaving the kernel with locks still held!`, lockdep_print_held_locks (no stack)
LOCKDEP_USER_310 = """\

================================================
[ BUG: lock held when returning to user space! ]
3.10.0-rc4+ #7 Not tainted
------------------------------------------------
mytool/2290 is leaving the kernel with locks still held!
1 lock held by mytool/2290:
 #0:  (&priv->lock){+.+...}, at: [<ffffffffa0152b41>] mydrv_ioctl+0x41/0x90 [mydrv]
"""

# constructed from kernel/lockdep.c register_lock_class (3.10): `INFO: trying to register non-static key.`,
# `the code is fine but needs lockdep annotation.`, `turning off the locking correctness validator.`, dump_stack
LOCKDEP_STATIC_KEY_310 = """\
INFO: trying to register non-static key.
the code is fine but needs lockdep annotation.
turning off the locking correctness validator.
CPU: 1 PID: 2290 Comm: mytool Not tainted 3.10.0-rc4+ #7
Call Trace:
 [<ffffffff81653c21>] dump_stack+0x19/0x1b
 [<ffffffff810a3c8a>] __lock_acquire+0x174a/0x1e10
 [<ffffffff810a68f4>] lock_acquire+0xa4/0x120
 [<ffffffff8165c2b1>] _raw_spin_lock_irqsave+0x51/0x90
 [<ffffffff81085e2b>] __wake_up+0x2b/0x60
 [<ffffffffa0152b41>] mydrv_irq+0x41/0x90 [mydrv]
"""

# constructed from kernel/locking/lockdep.c print_deadlock_bug (4.14): `WARNING: possible recursive locking
# detected` between `=` rulers, print_lock's `, at: ` + `%pS` (no address since 4.14), dump_stack without addresses
LOCKDEP_RECURSIVE_414 = """\

============================================
WARNING: possible recursive locking detected
4.14.0-rc4+ #7 Not tainted
--------------------------------------------
mytool/2290 is trying to acquire lock:
 (&priv->lock){+.+.}, at: [<ffffffffa0152b41>] mydrv_reset+0x41/0x90 [mydrv]

but task is already holding lock:
 (&priv->lock){+.+.}, at: [<ffffffffa0152c41>] mydrv_ioctl+0x41/0x90 [mydrv]

stack backtrace:
CPU: 1 PID: 2290 Comm: mytool Not tainted 4.14.0-rc4+ #7
Call Trace:
 dump_stack+0x85/0xc5
 __lock_acquire+0x1235/0x1270
 lock_acquire+0xa4/0x120
 __mutex_lock+0x6b/0x8f0
 mydrv_reset+0x41/0x90 [mydrv]
"""

# constructed from kernel/sched.c __might_sleep (2.6.32): `BUG: sleeping function called from invalid context at
# %s:%d`, `in_atomic(): %d, irqs_disabled(): %d, pid: %d, name: %s`, then dump_stack (`Pid: %d, comm: %.20s`)
MIGHT_SLEEP_2632 = """\
BUG: sleeping function called from invalid context at kernel/mutex.c:94
in_atomic(): 1, irqs_disabled(): 0, pid: 2290, name: mytool
Pid: 2290, comm: mytool Not tainted 2.6.32-71.el6.x86_64 #1
Call Trace:
 [<ffffffff8105c8d7>] __might_sleep+0xf7/0x100
 [<ffffffff814f2b3f>] mutex_lock+0x1f/0x50
 [<ffffffffa0152b41>] mydrv_update+0x41/0x90 [mydrv]
 [<ffffffffa0152c9e>] mydrv_ioctl+0xfe/0x1a0 [mydrv]
 [<ffffffff8119e872>] vfs_ioctl+0x22/0xa0
"""

# constructed from kernel/sched.c __might_sleep (2.6.18): `in_atomic():%d, irqs_disabled():%d` without the task,
# and arch/i386/kernel/traps.c dump_stack -> show_trace_log_lvl, whose frames have no `Call Trace:` line
MIGHT_SLEEP_2618_I386 = """\
BUG: sleeping function called from invalid context at mm/slab.c:2901
in_atomic():1, irqs_disabled():0
 [<c0105351>] show_trace_log_lvl+0x58/0x16a
 [<c0105478>] show_trace+0xd/0x10
 [<c01054a3>] dump_stack+0x19/0x1b
 [<c011a3c2>] __might_sleep+0xa2/0xaa
 [<c015e3ee>] kmem_cache_alloc+0x1e/0x80
 [<f8a1c0b1>] mydrv_rx+0x41/0x90 [mydrv]
 [<c02a3e8f>] net_rx_action+0x9f/0x190
"""

# constructed from kernel/sched/core.c ___might_sleep (4.4) and arch/arm/kernel/traps.c dump_backtrace_entry
# (4.4 unwinder: `[<%08lx>] (%ps) from [<%08lx>] (%pS)`)
MIGHT_SLEEP_ARM_44 = """\
BUG: sleeping function called from invalid context at kernel/locking/mutex.c:620
in_atomic(): 1, irqs_disabled(): 128, pid: 2290, name: mytool
CPU: 0 PID: 2290 Comm: mytool Not tainted 4.4.0-rc4+ #7
Hardware name: BCM2709
[<80018784>] (unwind_backtrace) from [<80014058>] (show_stack+0x10/0x14)
[<80014058>] (show_stack) from [<802e6e4c>] (dump_stack+0x98/0xd8)
[<802e6e4c>] (dump_stack) from [<8003f94c>] (___might_sleep+0x138/0x1f8)
[<8003f94c>] (___might_sleep) from [<8003fa6c>] (__might_sleep+0x60/0xa0)
[<8003fa6c>] (__might_sleep) from [<805a1d84>] (mutex_lock_nested+0x2c/0x3f4)
[<805a1d84>] (mutex_lock_nested) from [<7f0a2b41>] (mydrv_update+0x41/0x90 [mydrv])
[<7f0a2b41>] (mydrv_update [mydrv]) from [<7f0a2c61>] (mydrv_irq+0x61/0x90 [mydrv])
"""

# constructed from kernel/sched/core.c __schedule_bug (3.10): `BUG: scheduling while atomic: %s/%d/0x%08x`, and
# arch/x86/kernel/dumpstack_64.c show_stack_log_lvl (raw stack words before `Call Trace:`)
SCHED_ATOMIC_310 = """\
BUG: scheduling while atomic: mytool/2290/0x00000002
INFO: lockdep is turned off.
Modules linked in: mydrv(O)
CPU: 1 PID: 2290 Comm: mytool Tainted: G           O 3.10.0-rc4+ #7
 ffffffff82157e30 ffff88007a6a1b28 ffffffff81653c21 ffff88007a6a1b78
Call Trace:
 [<ffffffff81653c21>] dump_stack+0x19/0x1b
 [<ffffffff8164ee3a>] __schedule_bug+0x4d/0x5b
 [<ffffffff816592a5>] __schedule+0x6d5/0x7c0
 [<ffffffff81659a59>] schedule+0x29/0x70
 [<ffffffff81658b19>] schedule_timeout+0x179/0x2c0
 [<ffffffff8106e2b0>] msleep+0x20/0x30
 [<ffffffffa0152b41>] mydrv_reset_hw+0x41/0x90 [mydrv]
"""

# constructed from arch/arm/kernel/traps.c dump_backtrace_entry (2.6.32, KALLSYMS: `[<%08lx>] (%pS) from
# [<%08lx>] (%pS)`) under kernel/sched.c __schedule_bug
SCHED_ATOMIC_ARM_2632 = """\
BUG: scheduling while atomic: mytool/2290/0x00000002
Modules linked in: mydrv
[<c002fa64>] (dump_backtrace+0x0/0x10c) from [<c03a2b0c>] (dump_stack+0x18/0x1c)
[<c03a2b0c>] (dump_stack+0x18/0x1c) from [<c004d1b8>] (__schedule_bug+0x4c/0x58)
[<c004d1b8>] (__schedule_bug+0x4c/0x58) from [<c03a2f78>] (schedule+0x6c/0x3e0)
[<c03a2f78>] (schedule+0x6c/0x3e0) from [<c03a3a40>] (schedule_timeout+0x1c/0x208)
[<c03a3a40>] (schedule_timeout+0x1c/0x208) from [<c0067e8c>] (msleep+0x18/0x24)
[<c0067e8c>] (msleep+0x18/0x24) from [<bf0a2b41>] (mydrv_reset_hw+0x41/0x90 [mydrv])
"""

# constructed from kernel/hung_task.c check_hung_task (2.6.32): `INFO: task %s:%d blocked for more than %ld seconds.`,
# then sched_show_task (`%-13.13s %c`, the saved PC, pid, parent, flags) and x86_64 show_stack's raw words
HUNG_2632 = """\
INFO: task mytool:2290 blocked for more than 120 seconds.
"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
mytool        D 0000000000000001     0  2290   2288 0x00000080
 ffff88007a6a1c88 0000000000000082 0000000000000000 ffffffff8105b5a6
 ffff88007a6a1d18 0000000000000246 ffff88007a6a1cc8 ffffffff8109e4a2
Call Trace:
 [<ffffffff814ecd2e>] __mutex_lock_slowpath+0x13e/0x180
 [<ffffffff814ecbcb>] mutex_lock+0x2b/0x50
 [<ffffffffa0152b41>] mydrv_update+0x41/0x90 [mydrv]
 [<ffffffffa0152c9e>] mydrv_ioctl+0xfe/0x1a0 [mydrv]
 [<ffffffff8118e192>] vfs_ioctl+0x22/0xa0
"""

# constructed from kernel/hung_task.c check_hung_task (2.6.18 RHEL 5 backport) and arch/x86_64/kernel/traps.c
# printk_address (`[<%016lx>] %s%s%s%s+0x%lx/0x%lx`, the module as `:mod:` before the symbol)
HUNG_2618_X86_64 = """\
INFO: task mytool:2290 blocked for more than 120 seconds.
"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
mytool        D ffff81000102e420     0  2290   2288          2291  2289 (NOTLB)
 ffff81007a6a1c88 0000000000000082 ffff81007a6a1fd8 ffffffff8008c4b2
Call Trace:
 [<ffffffff80063c4f>] __mutex_lock_slowpath+0x60/0x9b
 [<ffffffff80063c99>] .text.lock.mutex+0xf/0x14
 [<ffffffff8845ab41>] :mydrv:mydrv_update+0x41/0x90
 [<ffffffff8845ac9e>] :mydrv:mydrv_ioctl+0xfe/0x1a0
 [<ffffffff80042116>] do_ioctl+0x55/0x6b
"""

# constructed from mm/kasan/report.c kasan_report_error (4.9): `BUG: KASAN: %s in %pS at addr %p`,
# `%s of size %zu by task %s/%d`, dump_stack, then the object's Allocated:/Freed: stacks
KASAN_49 = """\
==================================================================
BUG: KASAN: use-after-free in mydrv_rx+0x41/0x90 [mydrv] at addr ffff88006a3b1e48
Read of size 8 by task mytool/2290
CPU: 1 PID: 2290 Comm: mytool Tainted: G    B           4.9.0-rc4+ #7
 ffff88006b0a7a08 ffffffff81c73b14 ffff88006cc0e540 ffff88006a3b1e40
Call Trace:
 <IRQ>  [<ffffffff81c73b14>] dump_stack+0xb3/0x10f
 [<ffffffff8150a22c>] kasan_object_err+0x1c/0x70
 [<ffffffff8150a4c5>] kasan_report_error+0x1f5/0x4e0
 [<ffffffff8150a8f2>] __asan_report_load8_noabort+0x42/0x50
 [<ffffffffa0152b41>] mydrv_rx+0x41/0x90 [mydrv]
 [<ffffffff8157a9e1>] net_rx_action+0x131/0x2f0
 <EOI>  [<ffffffff8101d2a5>] ? default_idle+0x25/0xe0
Object at ffff88006a3b1e40, in cache kmalloc-64 size: 64
Allocated:
PID = 2290
 [<ffffffffa0152a01>] mydrv_open+0x41/0x90 [mydrv]
Freed:
PID = 2290
 [<ffffffffa0152a81>] mydrv_close+0x41/0x90 [mydrv]
==================================================================
"""

# constructed from kernel/panic.c warn_slowpath_common (2.6.32): `WARNING: at %s:%d %pS()`, `Hardware name:`,
# print_modules, dump_stack (`Pid: %d, comm: %.20s`), every frame marked `? ` by the unreliable unwinder
WARNING_2632 = """\
------------[ cut here ]------------
WARNING: at drivers/net/mydrv/core.c:127 mydrv_xmit+0x41/0x90 [mydrv]()
Hardware name: ProLiant DL380 G6
Modules linked in: mydrv ext4 jbd2
Pid: 2290, comm: mytool Not tainted 2.6.32-71.el6.x86_64 #1
Call Trace:
 [<ffffffff8106b857>] ? warn_slowpath_common+0x87/0xc0
 [<ffffffff8106b8aa>] ? warn_slowpath_null+0x1a/0x20
 [<ffffffffa0152b41>] ? mydrv_xmit+0x41/0x90 [mydrv]
 [<ffffffff8143c2a1>] ? dev_hard_start_xmit+0x171/0x3e0
---[ end trace a7919e7f17c0a725 ]---
"""

# constructed from arch/x86/kernel/traps.c do_invalid_op via lib/bug.c report_bug `kernel BUG at %s:%u!` (2.6.32),
# __die `invalid opcode: %04lx [#%d] SMP`, `last sysfs file: %s`, __show_regs `Pid: %d, comm: %.20s %s %s %.*s` and
# `RIP: %04lx:[<%016lx>] ` + printk_address `[<%016lx>] %s%pS`, show_registers `Process %s (pid: %d, threadinfo
# %p, task %p)` and `Stack:`, the summary `RIP  [<%016lx>] %pS`
KERNEL_BUG_2632 = """\
------------[ cut here ]------------
kernel BUG at drivers/net/mydrv/core.c:127!
invalid opcode: 0000 [#1] SMP
last sysfs file: /sys/devices/system/cpu/cpu1/cache/index2/shared_cpu_map
CPU 1
Modules linked in: mydrv ext4 jbd2

Pid: 2290, comm: mytool Not tainted 2.6.32-71.el6.x86_64 #1 ProLiant DL380 G6
RIP: 0010:[<ffffffffa0152b41>]  [<ffffffffa0152b41>] mydrv_xmit+0x41/0x90 [mydrv]
RSP: 0018:ffff88007a6a1b28  EFLAGS: 00010246
Process mytool (pid: 2290, threadinfo ffff88007a6a0000, task ffff880079c6c4e0)
Stack:
 ffff88007a6a1b48 ffffffff8143c2a1 ffff88007a6a1b68 ffff880079c6c4e0
Call Trace:
 [<ffffffff8143c2a1>] dev_hard_start_xmit+0x171/0x3e0
 [<ffffffff8143c7f8>] dev_queue_xmit+0x378/0x4a0
Code: 48 89 e5 0f 1f 44 00 00 48 8b 47 10 48 85 c0 75 04 <0f> 0b eb fe c9 c3
RIP  [<ffffffffa0152b41>] mydrv_xmit+0x41/0x90 [mydrv]
 RSP <ffff88007a6a1b28>
"""

# constructed from arch/x86/mm/fault.c show_fault_oops (2.6.32): `BUG: unable to handle kernel ` + KERN_CONT
# `NULL pointer dereference` + ` at %p` (`(null)` for 0), then `IP:` + printk_address `[<%p>] %pS`
NULL_2632 = """\
BUG: unable to handle kernel NULL pointer dereference at (null)
IP: [<ffffffffa0152b41>] mydrv_xmit+0x41/0x90 [mydrv]
PGD 7a6a1067 PUD 7a6a2067 PMD 0
Oops: 0000 [#1] SMP
last sysfs file: /sys/devices/system/cpu/cpu1/cache/index2/shared_cpu_map
CPU 1
Pid: 2290, comm: mytool Not tainted 2.6.32-71.el6.x86_64 #1 ProLiant DL380 G6
RIP: 0010:[<ffffffffa0152b41>]  [<ffffffffa0152b41>] mydrv_xmit+0x41/0x90 [mydrv]
Process mytool (pid: 2290, threadinfo ffff88007a6a0000, task ffff880079c6c4e0)
Stack:
 ffff88007a6a1b48 ffffffff8143c2a1 ffff88007a6a1b68 ffff880079c6c4e0
Call Trace:
 [<ffffffff8143c2a1>] dev_hard_start_xmit+0x171/0x3e0
 [<ffffffff8143c7f8>] dev_queue_xmit+0x378/0x4a0
CR2: 0000000000000000
"""

# constructed from arch/i386/mm/fault.c do_page_fault (2.6.18): `BUG: unable to handle kernel NULL pointer
# dereference at virtual address %08lx`, ` printing eip:`, then die() `Oops: %04lx [#%d]` and `EIP is at %s`
NULL_2618_I386 = """\
BUG: unable to handle kernel NULL pointer dereference at virtual address 00000008
 printing eip:
f8a1c0b1
*pde = 3a6a1067
Oops: 0000 [#1]
SMP
Modules linked in: mydrv ext3 jbd
CPU:    1
EIP:    0060:[<f8a1c0b1>]    Not tainted VLI
EFLAGS: 00010246   (2.6.18-194.el5PAE #1)
EIP is at mydrv_xmit+0x41/0x90 [mydrv]
Process mytool (pid: 2290, ti=f7a6a000 task=f79c6c4e0 task.ti=f7a6a000)
Call Trace:
 [<c02a3e8f>] dev_hard_start_xmit+0x9f/0x190
 [<c02b1a2a>] __qdisc_run+0x6a/0x190
EIP: [<f8a1c0b1>] mydrv_xmit+0x41/0x90 [mydrv] SS:ESP 0068:f7a6a1a0
"""

# constructed from arch/arm/mm/fault.c __do_kernel_fault (2.6.32: `Unable to handle kernel %s at virtual address
# %08lx`), arch/arm/kernel/traps.c __die (`Internal error: %s: %x [#%d]`), __show_regs (`PC is at %pS`, `LR is at
# %pS`) and the old unwinder's dump_backtrace_entry `[<%08lx>] (%pS) from [<%08lx>] (%pS)` under `Backtrace: `
ARM_NULL_2632 = """\
Unable to handle kernel NULL pointer dereference at virtual address 00000008
pgd = c7a6a000
[00000008] *pgd=00000000
Internal error: Oops: 5 [#1] PREEMPT
Modules linked in: mydrv
CPU: 0    Not tainted  (2.6.32 #1)
PC is at mydrv_xmit+0x41/0x90 [mydrv]
LR is at dev_hard_start_xmit+0xfe/0x1a0
pc : [<bf0a2b41>]    lr : [<c03a2c9e>]    psr: 20000013
Process mytool (pid: 2290, stack limit = 0xc7a6a270)
Stack: (0xc7a6bd58 to 0xc7a6c000)
Backtrace:
[<bf0a2b00>] (mydrv_xmit+0x0/0x90 [mydrv]) from [<c03a2c9e>] (dev_hard_start_xmit+0xfe/0x1a0)
 r5:c7a6a1c0 r4:00000000
[<c03a2ba0>] (dev_hard_start_xmit+0x0/0x1a0) from [<c03b1a2a>] (__qdisc_run+0x6a/0x190)
Code: e5943010 e3530000 0a000002 e5934008 (e5930008)
"""

# constructed from arch/arm/kernel/traps.c __bug (2.6.28, before GENERIC_BUG: `kernel BUG at %s:%d!` then a
# deliberate NULL write) and dump_backtrace_entry
ARM_BUG_2628 = """\
kernel BUG at drivers/net/mydrv/core.c:127!
Unable to handle kernel NULL pointer dereference at virtual address 00000000
pgd = c7a6a000
[00000000] *pgd=00000000
Internal error: Oops: 817 [#1]
Modules linked in: mydrv
CPU: 0    Not tainted  (2.6.28 #1)
PC is at __bug+0x20/0x2c
LR is at __bug+0x1c/0x2c
pc : [<c002e4d8>]    lr : [<c002e4d4>]    psr: 60000013
Backtrace:
[<c002e4b8>] (__bug+0x0/0x2c) from [<bf0a2b41>] (mydrv_xmit+0x41/0x90 [mydrv])
[<bf0a2b00>] (mydrv_xmit+0x0/0x90 [mydrv]) from [<c03a2c9e>] (dev_hard_start_xmit+0xfe/0x1a0)
Code: e59f0010 e1a01003 eb00c83d e3a03000 (e5833000)
"""

# constructed from arch/powerpc/mm/fault.c bad_page_fault (2.6.32: `Unable to handle kernel paging request for
# data at address 0x%08lx` whatever the address), arch/powerpc/kernel/traps.c die `Oops: %s, sig: %ld [#%d]`,
# show_regs `NIP [%lx] %pS`, and the ELFv1 `.`-prefixed symbols of 64-bit kallsyms
PPC64_FAULT_2632 = """\
Unable to handle kernel paging request for data at address 0x00000008
Faulting instruction address: 0xd0000000008cb4dc
Oops: Kernel access of bad area, sig: 11 [#1]
SMP NR_CPUS=1024 NUMA pSeries
Modules linked in: mydrv
NIP: d0000000008cb4dc LR: d0000000008cb4d8 CTR: c00000000006b258
REGS: c000000010ff37b0 TRAP: 0300   Not tainted  (2.6.32-71.el6.ppc64)
DAR: 0000000000000008, DSISR: 0000000040000000
TASK = c000000010d66a60[2290] 'mytool' THREAD: c000000010ff0000 CPU: 1
NIP [d0000000008cb4dc] .mydrv_xmit+0x41/0x90 [mydrv]
LR [d0000000008cb4d8] .mydrv_xmit+0x3d/0x90 [mydrv]
Call Trace:
[c000000010ff3a30] [d0000000008cb4d8] .mydrv_xmit+0x3d/0x90 [mydrv] (unreliable)
[c000000010ff3ad0] [c00000000806b258] .dev_hard_start_xmit+0x98/0x110
Instruction dump:
eb41ffd0 eb61ffd8 eb81ffe0 7c0803a6 eba1ffe8 ebc1fff0 ebe1fff8 4e800020
"""

AUDITED_OK = {
    "lockdep recursive 2.6.32": (LOCKDEP_RECURSIVE_26, "possible deadlock in mydrv_suspend", "mydrv_suspend", "lockdep"),
    "lockdep inconsistent 3.10": (LOCKDEP_INCONSISTENT_310, "inconsistent lock state in mydrv_xmit", "mydrv_xmit",
                                  "lockdep"),
    "lockdep rcu 2.6.34": (LOCKDEP_RCU_2634, "INFO: suspicious RCU usage in mydrv_find_peer", "mydrv_find_peer", "lockdep"),
    "lockdep unlock 3.10": (LOCKDEP_UNLOCK_310, "BUG: bad unlock balance in mydrv_close", "mydrv_close", "lockdep"),
    "lockdep user space 3.10": (LOCKDEP_USER_310, "BUG: lock held when returning to user space in mydrv_ioctl",
                                "mydrv_ioctl", "lockdep"),
    "lockdep static key 3.10": (LOCKDEP_STATIC_KEY_310, "INFO: trying to register non-static key in mydrv_irq",
                                "mydrv_irq", "lockdep"),
    "lockdep recursive 4.14": (LOCKDEP_RECURSIVE_414, "possible deadlock in mydrv_reset", "mydrv_reset", "lockdep"),
    "might_sleep 2.6.32": (MIGHT_SLEEP_2632, "BUG: sleeping function called from invalid context in mydrv_update",
                           "mydrv_update", "atomic-sleep"),
    "might_sleep 2.6.18 i386": (MIGHT_SLEEP_2618_I386, "BUG: sleeping function called from invalid context in mydrv_rx",
                                "mydrv_rx", "atomic-sleep"),
    "might_sleep arm 4.4": (MIGHT_SLEEP_ARM_44, "BUG: sleeping function called from invalid context in mydrv_update",
                            "mydrv_update", "atomic-sleep"),
    "schedule_bug 3.10": (SCHED_ATOMIC_310, "BUG: scheduling while atomic in mydrv_reset_hw", "mydrv_reset_hw",
                          "atomic-sleep"),
    "schedule_bug arm 2.6.32": (SCHED_ATOMIC_ARM_2632, "BUG: scheduling while atomic in mydrv_reset_hw", "mydrv_reset_hw",
                                "atomic-sleep"),
    "hung task 2.6.32": (HUNG_2632, "INFO: task hung in mydrv_update", "mydrv_update", "hung-task"),
    "hung task 2.6.18 x86_64": (HUNG_2618_X86_64, "INFO: task hung in mydrv_update", "mydrv_update", "hung-task"),
    "kasan 4.9": (KASAN_49, "KASAN: use-after-free Read in mydrv_rx", "mydrv_rx", "kasan"),
    "warning 2.6.32": (WARNING_2632, "WARNING in mydrv_xmit", "mydrv_xmit", "warning"),
    "kernel BUG 2.6.32": (KERNEL_BUG_2632, "kernel BUG in mydrv_xmit", "mydrv_xmit", "bug"),
    "NULL 2.6.32": (NULL_2632, "BUG: unable to handle kernel NULL pointer dereference in mydrv_xmit", "mydrv_xmit",
                    "null-deref"),
    "NULL 2.6.18 i386": (NULL_2618_I386, "BUG: unable to handle kernel NULL pointer dereference in mydrv_xmit",
                         "mydrv_xmit", "null-deref"),
    "arm NULL 2.6.32": (ARM_NULL_2632, "BUG: unable to handle kernel NULL pointer dereference in mydrv_xmit",
                        "mydrv_xmit", "null-deref"),
    "arm BUG 2.6.28": (ARM_BUG_2628, "kernel BUG in mydrv_xmit", "mydrv_xmit", "bug"),
    # the kernel said `paging request` whatever the address (5.2+ says `Kernel NULL pointer dereference`)
    # Address 0x8, in the first page: the NULL dereference 4.20+ names so (test_an_old_powerpc_fault_in_the_first_page...).
    "ppc64 fault 2.6.32": (PPC64_FAULT_2632, "BUG: unable to handle kernel NULL pointer dereference in mydrv_xmit",
                           "mydrv_xmit", "null-deref"),
}


@pytest.mark.parametrize("capture", sorted(CAPTURES))
@pytest.mark.parametrize("name", sorted(AUDITED_OK))
def test_audited_old_forms_are_read(name: str, capture: str) -> None:
    text, title, function, kind = AUDITED_OK[name]
    assert _read(CAPTURES[capture](text)) == (title, function, kind)


def test_busybox_lines_of_other_programs_are_not_the_kernel_s() -> None:
    # busybox syslogd writes every program's line with its facility and level: only `kernel: ` lines count
    log = ("Mar  3 10:00:00 OpenWrt daemon.info procd: BUG: scheduling while atomic: x/1/0x00000002\n"
           "Mar  3 10:00:01 OpenWrt user.notice root: WARNING: CPU: 0 PID: 1 at foo.c:1 bar+0x1/0x2\n"
           "Mar  3 10:00:01 OpenWrt user.notice root: Call Trace:\n"
           "Mar  3 10:00:01 OpenWrt user.notice root:  bar+0x1/0x2\n")
    assert analyze(log).kind == "none"


# --- fixed: lockdep's bracketed headers of 2.6.18-4.14 ------------------------------------------------------

# constructed from kernel/lockdep.c print_irq_inversion_bug (2.6.32): `[ INFO: possible irq lock inversion
# dependency detected ]`, `%s/%d just changed the state of lock:` + print_lock, `but this lock took another,
# %s-unsafe lock in the past:` + print_lock_name, the dependencies (print_lock_class_header's `%s at:`), dump_stack
LOCKDEP_IRQ_INVERSION_2632 = """\

=========================================================
[ INFO: possible irq lock inversion dependency detected ]
2.6.32-71.el6.x86_64 #1
---------------------------------------------------------
mytool/2290 just changed the state of lock:
 (&priv->lock){+.+...}, at: [<ffffffffa0152b41>] mydrv_timer_fn+0x41/0x90 [mydrv]
but this lock took another, SOFTIRQ-unsafe lock in the past:
 (&other->lock){+.+...}

and interrupts could create inverse lock ordering between them.


other info that might help us debug this:
no locks held by mytool/2290.

the shortest dependencies between 2nd lock and 1st lock:
 -> (&other->lock){+.+...} ops: 2 {
    HARDIRQ-ON-W at:
                          [<ffffffff810a68f4>] lock_acquire+0xa4/0x120
                          [<ffffffffa0152c21>] mydrv_setup+0x21/0x90 [mydrv]
  }

stack backtrace:
Pid: 2290, comm: mytool Not tainted 2.6.32-71.el6.x86_64 #1
Call Trace:
 <IRQ>  [<ffffffff810a3f2b>] print_irq_inversion_bug+0x11b/0x130
 [<ffffffff810a4a8a>] check_usage_forwards+0x8a/0xc0
 [<ffffffff810a3b71>] mark_lock+0x1a1/0x610
 [<ffffffff810a68f4>] lock_acquire+0xa4/0x120
 [<ffffffff8165c2b1>] _spin_lock+0x31/0x40
 [<ffffffffa0152b41>] mydrv_timer_fn+0x41/0x90 [mydrv]
 [<ffffffff81073a01>] run_timer_softirq+0x1a1/0x3a0
"""

# constructed from kernel/lockdep.c print_bad_irq_dependency (3.10): `[ INFO: %s-safe -> %s-unsafe lock order
# detected ]` (the state's name, `RECLAIM_FS` among them), `%s/%d [HC%u[%lu]:SC%u[%lu]:HE%u:SE%u] is trying to
# acquire:` + print_lock, `and this task is already holding:` + print_lock
LOCKDEP_BAD_IRQ_310 = """\

======================================================
[ INFO: {irqclass}-safe -> {irqclass}-unsafe lock order detected ]
3.10.0-rc4+ #7 Not tainted
------------------------------------------------------
mytool/2290 [HC0[0]:SC0[0]:HE0:SE1] is trying to acquire:
 (&other->lock){+.+...}, at: [<ffffffffa0152c41>] mydrv_setup+0x41/0x90 [mydrv]

and this task is already holding:
 (&priv->lock){..-...}, at: [<ffffffffa0152b41>] mydrv_ioctl+0x41/0x90 [mydrv]
which would create a new lock dependency:
 (&priv->lock){..-...} -> (&other->lock){+.+...}

stack backtrace:
CPU: 1 PID: 2290 Comm: mytool Not tainted 3.10.0-rc4+ #7
Call Trace:
 [<ffffffff81653c21>] dump_stack+0x19/0x1b
 [<ffffffff810a3b71>] check_usage+0x4b1/0x4c0
 [<ffffffff810a68f4>] lock_acquire+0xa4/0x120
 [<ffffffff8165c2b1>] _raw_spin_lock+0x31/0x40
 [<ffffffffa0152c41>] mydrv_setup+0x41/0x90 [mydrv]
"""


def test_irq_lock_inversion_of_the_bracketed_era_is_a_deadlock() -> None:
    assert _read_in_every_capture(LOCKDEP_IRQ_INVERSION_2632) == {("possible deadlock in mydrv_timer_fn", "mydrv_timer_fn", "lockdep")}


@pytest.mark.parametrize("irqclass", ["HARDIRQ", "SOFTIRQ", "HARDIRQ-READ", "RECLAIM_FS", "hard", "soft", "hard-read"])
def test_safe_to_unsafe_lock_order_of_the_bracketed_era_is_a_deadlock(irqclass: str) -> None:
    text = LOCKDEP_BAD_IRQ_310.replace("{irqclass}", irqclass)
    assert _read(text) == ("possible deadlock in mydrv_setup", "mydrv_setup", "lockdep")


def test_bracketed_lockdep_header_alone_is_no_crash() -> None:
    # lockdep's INFO rows require the lock lines or the stack below (a quoted header is not a report)
    for line in ("[ INFO: possible irq lock inversion dependency detected ]\n",
                 "[ INFO: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected ]\n",
                 "mydrv: INFO: soft-safe -> soft-unsafe lock order detected on port 2\n"):
        assert analyze(line).kind == "none"


# constructed from kernel/lockdep.c print_held_locks_bug (2.6.24): `[ BUG: lock held at task exit time! ]`,
# `%s/%d is exiting with locks still held!`, lockdep_print_held_locks, dump_stack
LOCKDEP_EXIT_HELD_2624 = """\

=====================================
[ BUG: lock held at task exit time! ]
-------------------------------------
mytool/2290 is exiting with locks still held!
1 lock held by mytool/2290:
 #0:  (&priv->lock){--..}, at: [<ffffffffa0152b41>] mydrv_ioctl+0x41/0x90 [mydrv]

stack backtrace:
Pid: 2290, comm: mytool Not tainted 2.6.24 #1

Call Trace:
 [<ffffffff8023a7e1>] debug_check_no_locks_held+0x81/0x90
 [<ffffffff8023b2c1>] do_exit+0x7e1/0x8c0
 [<ffffffff8023b3f1>] do_group_exit+0x31/0x90
"""

# constructed from kernel/locking/lockdep.c print_held_locks_bug (3.10-4.14): `[ BUG: %s/%d still has locks held! ]`,
# print_kernel_ident, lockdep_print_held_locks, dump_stack (`CPU: %d PID: %d Comm: %.20s`)
LOCKDEP_EXIT_HELD_310 = """\

=====================================
[ BUG: {task} still has locks held! ]
3.10.0-rc4+ #7 Not tainted
-------------------------------------
1 lock held by {task}:
 #0:  (&priv->lock){+.+...}, at: [<ffffffffa0152b41>] mydrv_ioctl+0x41/0x90 [mydrv]

stack backtrace:
CPU: 1 PID: 2290 Comm: mytool Not tainted 3.10.0-rc4+ #7
Call Trace:
 [<ffffffff81653c21>] dump_stack+0x19/0x1b
 [<ffffffff810a7a11>] debug_check_no_locks_held+0x81/0x90
 [<ffffffff8105b2c1>] do_exit+0x7e1/0xb20
 [<ffffffff8105b6f1>] do_group_exit+0x41/0xc0
"""


@pytest.mark.parametrize(("text", "title"), [
    (LOCKDEP_EXIT_HELD_2624, "BUG: lock held at task exit time in mydrv_ioctl"),
    (LOCKDEP_EXIT_HELD_310.replace("{task}", "mytool/2290"), "BUG: still has locks held in mydrv_ioctl"),
    (LOCKDEP_EXIT_HELD_310.replace("{task}", "kworker/0:1/17"), "BUG: still has locks held in mydrv_ioctl"),
], ids=["2.6.24", "3.10", "3.10-kworker"])
def test_locks_held_at_exit_name_the_locker(text: str, title: str) -> None:
    assert _read_in_every_capture(text) == {(title, "mydrv_ioctl", "lockdep")}


# constructed from kernel/lockdep.c print_lock_contention_bug (2.6.24-4.14) `[ BUG: bad contention detected! ]`,
# `%s/%d is trying to contend lock (` print_lockdep_cache `) at:` + print_ip_sym, and (3.x-4.14)
# print_lock_nested_lock_not_held `[ BUG: Nested lock was not taken ]`; 4.15+ prints both as `WARNING: ...`
LOCKDEP_UNLOCKISH = """\

=================================
{header}
---------------------------------
mytool/2290 is trying to contend lock (&priv->lock) at:
[<ffffffffa0152b41>] mydrv_poll+0x41/0x90 [mydrv]
but there are no locks held!

stack backtrace:
CPU: 1 PID: 2290 Comm: mytool Not tainted 3.10.0 #7
Call Trace:
 [<ffffffff81653c21>] dump_stack+0x19/0x1b
 [<ffffffff810a1c3e>] print_lock_contention_bug+0xfe/0x110
 [<ffffffff810a6bb7>] lock_contended+0x1d7/0x2a0
 [<ffffffff8165a20e>] _raw_spin_lock+0x5e/0x70
 [<ffffffffa0152b41>] mydrv_poll+0x41/0x90 [mydrv]
"""


@pytest.mark.parametrize(("header", "title"), [
    ("[ BUG: bad contention detected! ]", "BUG: bad contention detected in mydrv_poll"),
    ("WARNING: bad contention detected!", "WARNING: bad contention detected in mydrv_poll"),
    ("[ BUG: Nested lock was not taken ]", "BUG: nested lock was not taken in mydrv_poll"),
])
def test_lockdep_contention_and_nesting_bugs_are_lockdep(header: str, title: str) -> None:
    assert _read(LOCKDEP_UNLOCKISH.replace("{header}", header)) == (title, "mydrv_poll", "lockdep")


# --- fixed: WARN_ON() of 2.6.18-2.6.24 and of the generic bug table -----------------------------------------

# constructed from include/asm-generic/bug.h WARN_ON (2.6.18): `BUG: warning at %s:%d/%s()` (RHEL 5 adds ` (%s)`
# with print_tainted()), then dump_stack: arch/i386/kernel/traps.c show_trace_log_lvl with no `Call Trace:` line
BUG_WARNING_2618_I386 = """\
BUG: warning at drivers/net/mydrv/core.c:127/mydrv_xmit() (Not tainted)
 [<c0105351>] show_trace_log_lvl+0x58/0x16a
 [<c0105478>] show_trace+0xd/0x10
 [<c01054a3>] dump_stack+0x19/0x1b
 [<f8a1c0b1>] mydrv_xmit+0x41/0x90 [mydrv]
 [<c02a3e8f>] dev_hard_start_xmit+0x9f/0x190
 =======================
"""

# constructed from include/asm-generic/bug.h WARN_ON (2.6.18) and arch/x86_64/kernel/traps.c show_trace
# (`\nCall Trace:\n`, printk_address's `:mod:` prefix)
BUG_WARNING_2618_X86_64 = """\
BUG: warning at drivers/net/mydrv/core.c:127/mydrv_xmit()

Call Trace:
 [<ffffffff8006b2c1>] show_trace+0x34/0x47
 [<ffffffff8006b3c6>] dump_stack+0x12/0x17
 [<ffffffff8845ab41>] :mydrv:mydrv_xmit+0x41/0x90
 [<ffffffff8043c2a1>] dev_hard_start_xmit+0x171/0x3e0
"""


@pytest.mark.parametrize("text", [BUG_WARNING_2618_I386, BUG_WARNING_2618_X86_64], ids=["i386", "x86_64"])
def test_warn_on_of_2_6_18_is_a_warning(text: str) -> None:
    assert _read_in_every_capture(text) == {("WARNING in mydrv_xmit", "mydrv_xmit", "warning")}
    # Version 3 titled it as a BUG: its key continues.
    assert analyze(text).fingerprint_aliases


def test_other_bug_warnings_stay_bugs() -> None:
    text = BUG_WARNING_2618_I386.replace("BUG: warning at drivers/net/mydrv/core.c:127/mydrv_xmit() (Not tainted)",
                                         "BUG: warning at boot: firmware table unreadable")
    assert analyze(text).kind == "bug"


# constructed from lib/bug.c report_bug (2.6.32, e.g. Motorola's jordan kernel tree): `------------[ cut here
# ]------------`, `Badness at %s:%u`, then show_regs (powerpc: `NIP [%lx] %pS`, the ELFv1 `.`-prefixed symbols)
BADNESS_PPC64_2632 = """\
------------[ cut here ]------------
Badness at drivers/net/mydrv/core.c:127
NIP: d0000000008cb4dc LR: d0000000008cb4d8 CTR: c00000000006b258
REGS: c000000010ff37b0 TRAP: 0700   Not tainted  (2.6.32-71.el6.ppc64)
MSR: 8000000000029032 <EE,ME,CE,IR,DR>  CR: 88000028  XER: 20000009
TASK = c000000010d66a60[2290] 'mytool' THREAD: c000000010ff0000 CPU: 1
NIP [d0000000008cb4dc] .mydrv_xmit+0x41/0x90 [mydrv]
LR [d0000000008cb4d8] .mydrv_xmit+0x3d/0x90 [mydrv]
Call Trace:
[c000000010ff3a30] [d0000000008cb4d8] .mydrv_xmit+0x3d/0x90 [mydrv] (unreliable)
[c000000010ff3ad0] [c00000000806b258] .dev_hard_start_xmit+0x98/0x110
Instruction dump:
eb41ffd0 eb61ffd8 eb81ffe0 7c0803a6 eba1ffe8 ebc1fff0 ebe1fff8 4e800020
"""


def test_badness_at_of_the_generic_bug_table_is_a_warning() -> None:
    assert _read_in_every_capture(BADNESS_PPC64_2632) == {("WARNING in mydrv_xmit", "mydrv_xmit", "warning")}
    unverbose = BADNESS_PPC64_2632.replace("drivers/net/mydrv/core.c:127",
                                           "d0000000008cb4dc [verbose debug info unavailable]")
    assert _read(unverbose) == ("WARNING in mydrv_xmit", "mydrv_xmit", "warning")


@pytest.mark.parametrize("line", [
    "mydrv: Badness at 3 dB, retraining\n",
    "Badness at drivers/net/mydrv/core.c:127 seen twice, ignoring\n",
    "eth0: link quality report: Badness at level 4\n",
])
def test_badness_at_lookalikes_are_no_crash(line: str) -> None:
    assert analyze(line).kind == "none"


# --- fixed: BUG() of x86_64 before the i386 merge -----------------------------------------------------------

# constructed from arch/x86_64/kernel/traps.c handle_BUG (2.6.18: `----------- [cut here ] --------- [please bite
# here ] ---------`, `Kernel BUG at %.50s:%d`), then die("invalid opcode") -> __die `%s: %04lx [%u] SMP`, show_registers
# (`RIP: %04lx:[<%016lx>] ` + printk_address with the module as `:mod:`), `Process %s (pid: %d, threadinfo %p, task %p)`
KERNEL_BUG_2618_X86_64 = """\
----------- [cut here ] --------- [please bite here ] ---------
Kernel BUG at drivers/net/mydrv/core.c:127
invalid opcode: 0000 [1] SMP
last sysfs file: /devices/pci0000:00/0000:00:1c.0/0000:02:00.0/irq
CPU 1
Modules linked in: mydrv ext3 jbd
Pid: 2290, comm: mytool Not tainted 2.6.18-194.el5 #1
RIP: 0010:[<ffffffff8845ab41>]  [<ffffffff8845ab41>] :mydrv:mydrv_xmit+0x41/0x90
RSP: 0018:ffff81007a6a1b28  EFLAGS: 00010246
Process mytool (pid: 2290, threadinfo ffff81007a6a0000, task ffff810079c6c4e0)
Stack:  ffff81007a6a1b48 ffffffff8043c2a1 ffff81007a6a1b68 ffff810079c6c4e0
Call Trace:
 [<ffffffff8043c2a1>] dev_hard_start_xmit+0x171/0x3e0
 [<ffffffff8043c7f8>] dev_queue_xmit+0x378/0x4a0


Code: 0f 0b 68 a0 3b 46 88 c2 7f 00 eb fe c9 c3
RIP  [<ffffffff8845ab41>] :mydrv:mydrv_xmit+0x41/0x90
 RSP <ffff81007a6a1b28>
"""


def test_kernel_bug_of_x86_64_before_2_6_24_is_a_bug() -> None:
    assert _read_in_every_capture(KERNEL_BUG_2618_X86_64) == {("kernel BUG in mydrv_xmit", "mydrv_xmit", "bug")}
    # Version 3 titled it by die()'s invalid opcode: its key continues.
    assert analyze(KERNEL_BUG_2618_X86_64).fingerprint_aliases


# constructed from lib/bug.c report_bug `Kernel BUG at %p [verbose debug info unavailable]` (no bug-table entry:
# a trap no BUG() left) and arch/s390/kernel/traps.c do_trap -> die `%s: %04x ilc:%d [#%d] `
S390_TRAP_AFTER_UNVERBOSE_BUG = """\
Kernel BUG at 00000000001219d0 [verbose debug info unavailable]
illegal operation: 0001 ilc:3 [#1] SMP
Krnl PSW : 0704e00180000000 00000000001219d0 (mydrv_probe+0x38/0xe0)
Call Trace:
([<00000000001219b0>] mydrv_probe+0x18/0xe0)
 [<0000000000112345>] do_one_initcall+0x45/0x1a0
"""


def test_kernel_bug_at_an_address_is_not_a_bug() -> None:
    title, function, kind = _read(S390_TRAP_AFTER_UNVERBOSE_BUG)
    assert (title, function, kind) == ("invalid opcode in mydrv_probe", "mydrv_probe", "invalid-opcode")
    assert analyze("mydrv: Kernel BUG at line 12 of the firmware script\n").kind == "none"


# --- fixed: 2.6.0-2.6.17's atomic-sleep reports without `BUG: ` ----------------------------------------------

# constructed from kernel/sched.c __might_sleep (2.6.9: `Debug: sleeping function called from invalid context at
# %s:%d`, `in_atomic():%d, irqs_disabled():%d`, dump_stack) with arch/i386/kernel/traps.c show_trace (no
# `Call Trace:` line from dump_stack)
DEBUG_SLEEP_269_I386 = """\
Debug: sleeping function called from invalid context at mm/slab.c:2063
in_atomic():1, irqs_disabled():0
 [<c011bc81>] __might_sleep+0x61/0x80
 [<c0149d5a>] kmem_cache_alloc+0x5a/0x70
 [<f8a1c0b1>] mydrv_rx+0x41/0x90 [mydrv]
 [<c02a3e8f>] net_rx_action+0x9f/0x190
"""

# constructed from kernel/sched.c __might_sleep (2.6.9) with arch/x86_64/kernel/traps.c show_trace (2.6.9:
# `Call Trace:` then `<%016lx>{%s%s%s%s%+ld}` entries several to a line, `<IRQ>` where the irq stack starts)
DEBUG_SLEEP_269_X86_64 = """\
Debug: sleeping function called from invalid context at mm/slab.c:2063
in_atomic():1, irqs_disabled():0

Call Trace: <IRQ> <ffffffff80133de1>{__might_sleep+173} <ffffffff80161c5b>{kmem_cache_alloc+39}
       <ffffffffa00a1b41>{:mydrv:mydrv_rx+65} <ffffffff802a3e8f>{net_rx_action+159}
       <ffffffff8013a1c4>{__do_softirq+68}
"""

# constructed from kernel/sched.c schedule() (2.6.10-2.6.17: `scheduling while atomic: %s/0x%08x/%d`, dump_stack)
SCHED_ATOMIC_2611 = """\
scheduling while atomic: mytool/0x00000001/2290
 [<c02f1a2b>] schedule+0x5eb/0x610
 [<c0125a1e>] schedule_timeout+0x5e/0xa0
 [<c0125b3e>] msleep+0x2e/0x40
 [<f8a1c0b1>] mydrv_reset_hw+0x41/0x90 [mydrv]
 [<f8a1c1b1>] mydrv_ioctl+0x41/0x90 [mydrv]
"""


@pytest.mark.parametrize(("text", "title", "function"), [
    (DEBUG_SLEEP_269_I386, "BUG: sleeping function called from invalid context in mydrv_rx", "mydrv_rx"),
    (DEBUG_SLEEP_269_X86_64, "BUG: sleeping function called from invalid context in mydrv_rx", "mydrv_rx"),
    (SCHED_ATOMIC_2611, "BUG: scheduling while atomic in mydrv_reset_hw", "mydrv_reset_hw"),
], ids=["might_sleep-i386", "might_sleep-x86_64", "schedule"])
def test_atomic_sleep_reports_before_2_6_18(text: str, title: str, function: str) -> None:
    assert _read_in_every_capture(text) == {(title, function, "atomic-sleep")}


@pytest.mark.parametrize("line", [
    "mydrv: scheduling while atomic: retrying later\n",
    "scheduling while atomic: mytool/0x00000001/2290 (seen before)\n",
    "Debug: sleeping function called from invalid context was reported earlier\n",
    "myapp: Debug: sleeping function called from invalid context at foo.c:12\n",
])
def test_atomic_sleep_lookalikes_are_no_crash(line: str) -> None:
    assert analyze(line).kind == "none"


# --- fixed: the page allocator's bad page before `BUG: ` ------------------------------------------------------

# constructed from mm/page_alloc.c bad_page (2.6.18: `Bad page state in process '%s'`, `page:%p flags:0x%0*lx
# mapping:%p mapcount:%d count:%d`, `Trying to fix it up, but a reboot is needed`, `Backtrace:`, dump_stack)
BAD_PAGE_2618 = """\
Bad page state in process 'mytool'
page:c1a2b3c0 flags:0x40000004 mapping:00000000 mapcount:0 count:0
Trying to fix it up, but a reboot is needed
Backtrace:
 [<c0105351>] show_trace_log_lvl+0x58/0x16a
 [<c0105478>] show_trace+0xd/0x10
 [<c01054a3>] dump_stack+0x19/0x1b
 [<c014a1b1>] bad_page+0x61/0x90
 [<c014a8f1>] free_hot_cold_page+0x71/0x150
 [<c014a9f1>] __free_pages+0x21/0x30
 [<f8a1c0b1>] mydrv_free_ring+0x41/0x90 [mydrv]
 [<f8a1c1b1>] mydrv_close+0x41/0x90 [mydrv]
"""


@pytest.mark.parametrize("header", ["Bad page state in process 'mytool'", "Bad page state in process mytool  pfn:1a2b3"])
def test_bad_page_before_2_6_29_names_the_freer(header: str) -> None:
    text = BAD_PAGE_2618.replace("Bad page state in process 'mytool'", header)
    assert _read_in_every_capture(text) == {("BUG: Bad page state in mydrv_free_ring", "mydrv_free_ring", "bug")}


@pytest.mark.parametrize("line", ["mydrv: Bad page state in process foo, ignoring\n", "Bad page state in process mytool\n"])
def test_bad_page_lookalikes_are_no_crash(line: str) -> None:
    assert analyze(line).kind == "none"


# --- powerpc before 4.20: every kernel data fault was a `paging request` (arch/powerpc/mm/fault.c bad_page_fault) ---

_PPC_OLD_FAULT = (
    "Unable to handle kernel paging request for data at address 0x{address}\n"
    "Faulting instruction address: 0xc00000000029d800\n"
    "Oops: Kernel access of bad area, sig: 11 [#1]\n"
    "NIP [c00000000029d800] mydrv_read+0x60/0x180 [mydrv]\n"
    "LR [c00000000029dac4] mydrv_ioctl+0x1a4/0x1f0 [mydrv]\n"
    "Call Trace:\n"
    "[c0000000fe93fc80] [c00000000029dac4] mydrv_ioctl+0x1a4/0x1f0 [mydrv] (unreliable)\n"
)


@pytest.mark.parametrize("address", ["00000000", "00000068", "0000000000000ff8"])
def test_an_old_powerpc_fault_in_the_first_page_is_a_null_dereference(address: str) -> None:
    # 4.20+ prints `BUG: Kernel NULL pointer dereference on read at 0x%08lx` for an address below PAGE_SIZE.
    report = analyze(_PPC_OLD_FAULT.format(address=address))
    assert (report.title, report.kind) == ("BUG: unable to handle kernel NULL pointer dereference in mydrv_read", "null-deref")
    assert report.alt_titles[0] == "bad-access in mydrv_read"  # the key, unchanged from version 3


@pytest.mark.parametrize("address", ["00001000", "000012e0", "d000000c250c00f8", "f0000100"])
def test_an_old_powerpc_fault_past_the_first_page_stays_a_paging_request(address: str) -> None:
    report = analyze(_PPC_OLD_FAULT.format(address=address))
    assert (report.title, report.kind) == ("BUG: unable to handle kernel paging request in mydrv_read", "paging-fault")


def test_old_and_new_powerpc_null_dereferences_agree() -> None:
    old = analyze((CORPUS / "production" / "patches" / "stable-ftrace-t-probe-next-ppc64-null-deref.txt").read_bytes())
    assert (old.title, old.kind) == ("BUG: unable to handle kernel NULL pointer dereference in t_probe_next", "null-deref")
    new = analyze(_PPC_OLD_FAULT.format(address="00000068").replace(
        "Unable to handle kernel paging request for data at address", "BUG: Kernel NULL pointer dereference on read at"))
    assert (new.title, new.fingerprint) == (analyze(_PPC_OLD_FAULT.format(address="00000068")).title,
                                            analyze(_PPC_OLD_FAULT.format(address="00000068")).fingerprint)


# constructed from kernel/locking/lockdep.c print_usage_bug (5.1): the `inconsistent lock state` banner, print_lock's
# `, at: %pS` of the acquire ip, stack_trace_print's `%*c%pS` entries, then dump_stack; on a big-endian ppc64
# (ELFv1) kernel every `%pS` prints the function's `.`-prefixed text symbol.  The same report's x86 shape is the
# control: one title, one culprit on both.
LOCKDEP_INCONSISTENT_PPC64_ELFV1 = """\
================================
WARNING: inconsistent lock state
5.1.0 #1 Not tainted
--------------------------------
inconsistent {SOFTIRQ-ON-W} -> {IN-SOFTIRQ-W} usage.
swapper/5/0 [HC0[0]:SC1[1]:HE1:SE0] takes:
0000000080d1120c (&(&priv->lock)->rlock){+.?.}, at: .mydrv_timer_fn+0x40/0x230 [mydrv]
{SOFTIRQ-ON-W} state was registered at:
  .lock_acquire+0xd0/0x240
  ._raw_spin_lock+0x34/0x60
  .mydrv_get_buffer+0xd0/0x360 [mydrv]
irq event stamp: 2629216

other info that might help us debug this:
 Possible unsafe locking scenario:

       CPU0
       ----
  lock(&(&priv->lock)->rlock);
  <Interrupt>
    lock(&(&priv->lock)->rlock);

 *** DEADLOCK ***

1 lock held by swapper/5/0:
 #0: 000000004b612042 ((&priv->timer)){+.-.}, at: .call_timer_fn+0x0/0x3c0

stack backtrace:
CPU: 5 PID: 0 Comm: swapper/5 Not tainted 5.1.0 #1
Call Trace:
"""


@pytest.mark.parametrize("dotted", [True, False])
def test_elfv1_dotted_symbols_of_a_lockdep_report_name_the_locker(dotted: bool) -> None:
    text = LOCKDEP_INCONSISTENT_PPC64_ELFV1 if dotted else LOCKDEP_INCONSISTENT_PPC64_ELFV1.replace(" .", " ")
    assert _read(text) == ("inconsistent lock state in mydrv_timer_fn", "mydrv_timer_fn", "lockdep")


@pytest.mark.parametrize("line, want", [
    ("(&(&priv->lock)->rlock){+.?.}, at: .mydrv_timer_fn+0x40/0x230", "mydrv_timer_fn"),
    ("(&priv->lock){+.+.}, at: [<d0000000008cb4dc>] .mydrv_timer_fn+0x40/0x230 [mydrv]", "mydrv_timer_fn"),
    ("(&priv->lock){+.+.}, at: .mydrv_timer_fn", "mydrv_timer_fn"),
    # negatives: a path, two dots, a dot before a digit are no ELFv1 symbol
    ("(&priv->lock){+.+.}, at: ./drivers/net/mydrv.c:12", None),
    ("(&priv->lock){+.+.}, at: ..mydrv_timer_fn+0x40/0x230", None),
    ("(&priv->lock){+.+.}, at: .5+0x40/0x230", None),
])
def test_a_lock_line_drops_only_an_elfv1_dot(line: str, want: str | None) -> None:
    from kcrashd.core.culprit import _AT_LINE

    m = _AT_LINE.search(line)
    assert (m and (m.group(1) or m.group(2))) == want


@pytest.mark.parametrize("header, want", [
    ("WARNING: CPU: 3 PID: 1048 at drivers/net/mydrv.c:722 .mydrv_remove+0x20c/0x220 [mydrv]", "mydrv_remove"),
    ("WARNING: CPU: 3 PID: 1048 at ./arch/x86/include/asm/fpu/internal.h:340 __switch_to+0x10bd/0x13c0", "__switch_to"),
    ("WARNING: CPU: 3 PID: 1048 at drivers/net/mydrv.c:722 ..mydrv_remove+0x20c/0x220", None),
])
def test_a_warn_site_drops_only_an_elfv1_dot(header: str, want: str | None) -> None:
    from kcrashd.core.culprit import _WARN_SITE

    m = _WARN_SITE.search(header)
    assert (m and m.group(1)) == want
