"""kill -9 at one step of processing: the test's side of `Pipeline(on_step=)`."""

from __future__ import annotations

import os
import signal
import time

from kcrashd.pipeline import Step

STEPS = list(Step)


class KillHook:
    """`step-N[:K]`: SIGKILL this process after step N (1-6, see kcrashd.pipeline.Step) of the
    K-th new crash it processes (default the first)."""

    def __init__(self, spec: str | None) -> None:
        self.step = 0
        self.nth = 1
        self.seen = 0
        if spec:
            head, _, nth = spec.partition(":")
            self.step = int(head.removeprefix("step-"))
            self.nth = int(nth or 1)

    def __call__(self, step: Step) -> None:
        if step is Step.INSPECTED:
            self.seen += 1
        if STEPS.index(step) + 1 == self.step and self.seen == self.nth:
            os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(10)  # never reached
