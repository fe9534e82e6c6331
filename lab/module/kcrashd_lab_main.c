// SPDX-License-Identifier: GPL-2.0
/*
 * kcrashd crash lab: one distinctly named function per kind of kernel
 * crash, so that the expected culprit in a stack trace is known.
 *
 * A crash is started by writing its trigger code (triggers.def) to
 * /proc/kcrashd_lab. Nothing here prints or handles the name of the crash
 * kind: the kernel log must contain only what the kernel itself reports.
 */
#include <linux/completion.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/sched/task_stack.h>
#include <linux/delay.h>
#include <linux/timer.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/version.h>
#include <linux/workqueue.h>

#ifdef CONFIG_KFENCE
#include <linux/kfence.h>	/* since 5.12 */
#endif

#include "kcrashd_lab.h"

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kcrashd crash lab triggers");

struct lab_obj {
	unsigned long cookie;
	struct lab_obj *peer;
	unsigned long value;
};

static struct kmem_cache *lab_obj_cache;
static DECLARE_COMPLETION(lab_never_done);

/* Volatile so that the compiler keeps every faulting access at run time. */
static volatile unsigned long lab_zero;
static volatile unsigned long lab_one = 1;
static volatile unsigned long lab_depth_limit = ~0UL;
static volatile unsigned long lab_wild_address = 0x1122334455667788UL;

static noinline void lab_trigger_null_deref(void)
{
	struct lab_obj *obj = (struct lab_obj *)lab_zero;

	obj->value = lab_one;
}

static noinline void lab_trigger_vmalloc_fault(void)
{
	unsigned long *buf = vmalloc(4 * PAGE_SIZE);

	if (!buf)
		return;
	vfree(buf);
	WRITE_ONCE(buf[PAGE_SIZE / sizeof(*buf)], lab_one);
}

static noinline void lab_trigger_bug(void)
{
	BUG_ON(lab_one);
}

static noinline void lab_trigger_gpf(void)
{
	struct lab_obj *obj = (struct lab_obj *)lab_wild_address;

	obj->value = lab_one;
}

static noinline void lab_trigger_divide_error(void)
{
	volatile int dividend = 4096;
	volatile int divisor = (int)lab_zero;

	lab_one = dividend / divisor;
}

static noinline void lab_trigger_warning(void)
{
	WARN_ON(lab_one);
}

static noinline void lab_trigger_soft_lockup(void)
{
	preempt_disable();
	while (READ_ONCE(lab_one))
		cpu_relax();
	preempt_enable();
}

static noinline void lab_trigger_hung_task(void)
{
	wait_for_completion(&lab_never_done);
	barrier();
}

static noinline void lab_trigger_stack_overflow(void)
{
	volatile char frame[256];
	static unsigned long depth;

	frame[0] = (char)depth;
	if (++depth < lab_depth_limit)
		lab_trigger_stack_overflow();
	frame[1] = frame[0];
}

static noinline void lab_trigger_list_corruption(void)
{
	LIST_HEAD(head);
	struct list_head entry;

	list_add(&entry, &head);
	list_del(&entry);
	list_del(&entry);
}

static noinline void lab_trigger_use_after_free(void)
{
	struct lab_obj *obj = kmem_cache_alloc(lab_obj_cache, GFP_KERNEL);

	if (!obj)
		return;
	obj->peer = obj;
	kmem_cache_free(lab_obj_cache, obj);
	READ_ONCE(obj->peer)->value = lab_one;
}

static noinline void lab_trigger_double_free(void)
{
	void *buf = kmalloc(96, GFP_KERNEL);

	kfree(buf);
	kfree(buf);
	barrier();
}

static noinline void lab_trigger_refcount_underflow(void)
{
	refcount_t users = REFCOUNT_INIT(1);

	if (refcount_dec_and_test(&users))
		lab_zero = refcount_dec_and_test(&users);
}

static noinline void lab_trigger_panic(void)
{
	panic("kcrashd_lab: adapter firmware stopped responding (status 0x%08lx)\n",
	      0xc0de0000UL | lab_one);
}

static noinline void lab_trigger_corrupted_stack_end(void)
{
	/* Overwrite the canary at the end of this task's stack, then sleep:
	 * schedule_debug() panics with "corrupted stack end detected". */
	*end_of_stack(current) = lab_one;
	msleep(10);
	lab_zero = 0;	/* no tail call: keep this frame in the trace */
}

static noinline void lab_trigger_exec_nx(void)
{
	unsigned char *buf = kmalloc(64, GFP_KERNEL);
	void (*fn)(void);

	if (!buf)
		return;
	buf[0] = 0xc3;	/* ret: harmless if it ever ran */
	fn = (void (*)(void))buf;
	fn();
	kfree(buf);
}

static noinline void lab_trigger_null_fn_call(void)
{
	void (*fn)(void) = (void (*)(void))lab_zero;

	fn();
	barrier();
}

static const unsigned long lab_ro_value = 1;

static noinline void lab_trigger_write_rodata(void)
{
	*(volatile unsigned long *)&lab_ro_value = lab_one + 1;
}

static struct timer_list lab_timer;

static noinline void lab_timer_bug_fire(struct timer_list *timer)
{
	BUG_ON(lab_one);
}

static noinline void lab_trigger_timer_bug(void)
{
	timer_setup(&lab_timer, lab_timer_bug_fire, 0);
	mod_timer(&lab_timer, jiffies + 1);
	msleep(1000);
}

static struct rcu_head lab_rcu_head;

static void lab_rcu_done(struct rcu_head *head)
{
}

static noinline void lab_trigger_rcu_stall_lockup(void)
{
	/* Ask for a grace period, then never pass a quiescent state: another
	 * CPU's grace-period kthread waits for this one and reports a stall. */
	call_rcu(&lab_rcu_head, lab_rcu_done);
	preempt_disable();
	while (READ_ONCE(lab_depth_limit))
		cpu_relax();
	preempt_enable();
}

static DEFINE_SPINLOCK(lab_bh_lock);
static DEFINE_RAW_SPINLOCK(lab_raw_lock);

static noinline void lab_trigger_sched_atomic(void)
{
	/* Sleep with a lock held: schedule() finds a non-zero preempt count
	 * and __schedule_bug() reports (and with panic_on_warn panics).
	 * spin_lock_bh() counts in preempt_count even where PREEMPT_COUNT is
	 * off (arm64, ppc64el, s390x); PREEMPT_RT's spinlock_t sleeps, so a
	 * raw spinlock is the atomic one there. */
#ifdef CONFIG_PREEMPT_RT
	raw_spin_lock(&lab_raw_lock);
	msleep(10);
	raw_spin_unlock(&lab_raw_lock);
#else
	spin_lock_bh(&lab_bh_lock);
	msleep(10);
	spin_unlock_bh(&lab_bh_lock);
#endif
	lab_zero = 0;
}

/* The user buffer of the write() that started the trigger. */
static const char __user *lab_user_buf;
static volatile unsigned long lab_copy_len = 256;

static noinline void lab_trigger_usercopy(void)
{
	char *buf = kmalloc(64, GFP_KERNEL);

	if (!buf)
		return;
	/* Hide the object's size from the compiler: only the run-time
	 * check (hardened usercopy) sees the copy run past the object. */
	OPTIMIZER_HIDE_VAR(buf);
	if (copy_to_user((char __user *)lab_user_buf, buf, lab_copy_len))
		lab_zero = 0;
	kfree(buf);
}

static const char lab_fortify_src[64] = "0123456789abcdef0123456789abcdef";
static volatile size_t lab_fortify_len = 32;

static noinline void lab_trigger_fortify(void)
{
	char dst[16];

	/* A run-time length into a fixed-size buffer: the fortified
	 * memcpy() checks it against the buffer's size. */
	memcpy(dst, lab_fortify_src, lab_fortify_len);
	barrier_data(dst);
	lab_zero = dst[0] - '0';
}

static struct hrtimer lab_hrtimer;

static noinline enum hrtimer_restart lab_hrtimer_bug_fire(struct hrtimer *timer)
{
	BUG_ON(lab_one);
	return HRTIMER_NORESTART;
}

static noinline void lab_trigger_hrtimer_bug(void)
{
	/* A HARD hrtimer expires in hard-irq context, on PREEMPT_RT too. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
	/* hrtimer_init() was removed in 6.15 */
	hrtimer_setup(&lab_hrtimer, lab_hrtimer_bug_fire, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
#else
	hrtimer_init(&lab_hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	lab_hrtimer.function = lab_hrtimer_bug_fire;
#endif
	hrtimer_start(&lab_hrtimer, ms_to_ktime(2), HRTIMER_MODE_REL_HARD);
	msleep(1000);
}

struct lab_work_item {
	struct work_struct work;
	struct lab_obj *obj;
};

static struct lab_work_item lab_work;

static noinline void lab_work_null_deref(struct work_struct *work)
{
	struct lab_work_item *item = container_of(work, struct lab_work_item, work);

	item->obj->value = lab_one;
}

static noinline void lab_trigger_work_null_deref(void)
{
	/* The work item runs in a kworker thread, not in the writer's task. */
	lab_work.obj = (struct lab_obj *)lab_zero;
	INIT_WORK(&lab_work.work, lab_work_null_deref);
	schedule_work(&lab_work.work);
	flush_work(&lab_work.work);
}

static volatile unsigned long lab_redzone_over = 4;

static noinline void lab_trigger_slub_redzone(void)
{
	char *buf = kmalloc(64, GFP_KERNEL);

	if (!buf)
		return;
	OPTIMIZER_HIDE_VAR(buf);
	/* Four bytes past the object (64 bytes, or the architecture's smallest
	 * kmalloc size: 128 on arm64 before 6.5): with slub_debug=Z they land
	 * in its right red zone, which the free path's check_object() reads. */
	memset(buf, 0x41, ksize(buf) + lab_redzone_over);
	kfree(buf);
	lab_zero = 0;	/* no tail call: keep this frame in the trace */
}

#define LAB_KFENCE_TRIES 20000
#define LAB_KFENCE_SIZE 32

#ifdef CONFIG_KFENCE
/* KFENCE hands out one sampled allocation per interval: allocate until one
 * comes from its pool, free the others. */
static noinline char *lab_kfence_alloc(void)
{
	char **held = kcalloc(LAB_KFENCE_TRIES, sizeof(*held), GFP_KERNEL);
	char *guarded = NULL;
	unsigned int i, n = 0;

	if (!held)
		return NULL;
	for (i = 0; i < LAB_KFENCE_TRIES && !guarded; i++) {
		char *buf = kmalloc(LAB_KFENCE_SIZE, GFP_KERNEL);

		if (!buf)
			break;
		if (is_kfence_address(buf))
			guarded = buf;
		else
			held[n++] = buf;
		if (i % 64 == 63)
			msleep(1);
	}
	while (n)
		kfree(held[--n]);
	kfree(held);
	OPTIMIZER_HIDE_VAR(guarded);
	return guarded;
}
#endif

static noinline void lab_trigger_kfence_oob(void)
{
#ifdef CONFIG_KFENCE
	char *guarded = lab_kfence_alloc();

	if (!guarded)
		return;
	/* The object sits at one end of its page, a guard page at that end:
	 * read one byte past it on the guarded side. */
	if (offset_in_page(guarded) == 0)
		lab_zero = READ_ONCE(guarded[-1]);
	else
		lab_zero = READ_ONCE(guarded[LAB_KFENCE_SIZE]);
	kfree(guarded);
#endif
}

static noinline void lab_trigger_kfence_uaf(void)
{
#ifdef CONFIG_KFENCE
	char *guarded = lab_kfence_alloc();

	if (!guarded)
		return;
	kfree(guarded);
	/* KFENCE protects a freed object's page: the read faults. */
	lab_zero = READ_ONCE(guarded[8]);
#endif
}

static noinline void lab_trigger_kfence_double_free(void)
{
#ifdef CONFIG_KFENCE
	char *guarded = lab_kfence_alloc();

	if (!guarded)
		return;
	kfree(guarded);
	kfree(guarded);
	lab_zero = 0;	/* no tail call: keep this frame in the trace */
#endif
}

static noinline void lab_warn_harmless(void)
{
	WARN_ON(lab_one);
}

static noinline void lab_oops_after_warn(void)
{
	struct lab_obj *obj = (struct lab_obj *)lab_zero;

	obj->peer = obj;
}

static noinline void lab_trigger_warn_then_oops(void)
{
	/* A WARNING the system survives (panic_on_warn is off), then, a
	 * moment later, the oops that kills it. */
	lab_warn_harmless();
	msleep(200);
	lab_oops_after_warn();
	lab_zero = 0;
}

static noinline void lab_trigger_invalid_opcode(void)
{
	/* An undefined instruction with no BUG() table entry, as
	 * __builtin_trap() or a trapping sanitizer leaves: x86's ud2 is
	 * "invalid opcode" (arch/x86/kernel/traps.c handle_invalid_op). */
#ifdef CONFIG_X86
	if (lab_one)
		asm volatile("ud2");
#endif
	lab_zero = 0;
}

#define LAB_BAD_PAGE_ORDER 4

static noinline void lab_trigger_bad_page(void)
{
	/* An order above the per-CPU lists' is checked when it is freed:
	 * a page still marked reserved (as for a driver's mmap) is bad. */
	struct page *page = alloc_pages(GFP_KERNEL, LAB_BAD_PAGE_ORDER);

	if (!page)
		return;
	SetPageReserved(page);
	__free_pages(page, LAB_BAD_PAGE_ORDER);
	lab_zero = 0;
}

#define LAB_TRIGGER(code, name) [code] = lab_trigger_##name,
static void (*const lab_triggers[])(void) = {
#include "triggers.def"
};
#undef LAB_TRIGGER

static ssize_t lab_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *pos)
{
	unsigned int code;
	int err;

	err = kstrtouint_from_user(ubuf, len, 10, &code);
	if (err)
		return err;
	if (code >= ARRAY_SIZE(lab_triggers) || !lab_triggers[code])
		return -ENOENT;
	lab_user_buf = ubuf;
	lab_triggers[code]();
	return len;
}

static const struct proc_ops lab_proc_ops = {
	.proc_write = lab_write,
	.proc_lseek = noop_llseek,
};

static int __init lab_init(void)
{
	/* Poisoned frees make a dangling pointer read back 0x6b6b6b6b6b6b6b6b. */
	lab_obj_cache = kmem_cache_create("kcrashd_lab_obj", sizeof(struct lab_obj),
					  0, SLAB_POISON, NULL);
	if (!lab_obj_cache)
		return -ENOMEM;
	if (!proc_create("kcrashd_lab", 0200, NULL, &lab_proc_ops)) {
		kmem_cache_destroy(lab_obj_cache);
		return -ENOMEM;
	}
	return 0;
}

static void __exit lab_exit(void)
{
	remove_proc_entry("kcrashd_lab", NULL);
	kmem_cache_destroy(lab_obj_cache);
}

module_init(lab_init);
module_exit(lab_exit);
