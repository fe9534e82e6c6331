/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KCRASHD_LAB_H
#define KCRASHD_LAB_H

void lab_trigger_stack_protector(void);

#endif
