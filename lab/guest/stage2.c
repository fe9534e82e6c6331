/*
 * Runs as PID 1 in place of the lab's /init and dies of a fault, so the
 * kernel reports the death of init by a signal.
 */
#include <stddef.h>

int main(void)
{
	volatile int *slot = NULL;

	*slot = 1;
	return 0;
}
