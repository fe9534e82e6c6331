// SPDX-License-Identifier: GPL-2.0
/*
 * Built with -fstack-protector-all (see Kbuild): the overflow below clobbers
 * the canary, and the check on return panics naming this function.
 */
#include <linux/compiler.h>
#include <linux/kernel.h>

#include "kcrashd_lab.h"

static volatile unsigned int lab_overrun = 48;

noinline void lab_trigger_stack_protector(void)
{
	volatile char buf[16];
	unsigned int i;

	for (i = 0; i < lab_overrun; i++)
		buf[i] = (char)(0x41 + i);
}
