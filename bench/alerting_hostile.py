"""Alert delivery beside hostile receivers (issue 12, item 4), with the real daemon.

One `kcrashd run` with a crash's alerts queued for three webhook targets, in this order: one that
answers a byte every 2 s (timeout 60 s), one whose 500 answer is 1 GiB long, and a healthy one.
Measured: the healthy target's delivery time from "ready", the daemon's peak RSS (VmHWM) after
the 1 GiB answer against the same daemon with the healthy target alone, and how long SIGTERM
takes while the slow request still hangs. All on 127.0.0.1.

run: PYTHONPATH=. .venv/bin/python bench/alerting_hostile.py
"""

from __future__ import annotations

import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.alerting.hostile import peak_rss_mib, queue_crash, receiver, start_daemon, write_config


def healthy_alone(tmp: Path) -> float:
    with receiver() as healthy:
        targets = [{"name": "healthy", "type": "webhook", "url": healthy.url}]
        queue_crash(tmp, targets)
        proc = start_daemon(write_config(tmp, targets), tmp / "daemon.log")
        try:
            assert healthy.wait_arrivals(1, 30)
            time.sleep(1.0)
            return peak_rss_mib(proc.proc.pid)
        finally:
            proc.stop()


def hostile(tmp: Path) -> dict[str, float]:
    with receiver("drip", interval=2.0, give_up=60) as slow, receiver("huge") as huge, receiver() as healthy:
        targets = [
            {"name": "slow", "type": "webhook", "url": slow.url, "timeout": 60.0},
            {"name": "huge", "type": "webhook", "url": huge.url},
            {"name": "healthy", "type": "webhook", "url": healthy.url},
        ]
        queue_crash(tmp, targets)
        proc = start_daemon(write_config(tmp, targets), tmp / "daemon.log")
        ready = time.monotonic()
        try:
            assert healthy.wait_arrivals(1, 60), proc.output()
            assert huge.closed.wait(60), proc.output()
            rss = peak_rss_mib(proc.proc.pid)
            assert not slow.closed.is_set(), "the slow request ended before SIGTERM"
            stopping = time.monotonic()
            proc.proc.send_signal(signal.SIGTERM)
            proc.proc.wait(60)
            stopped = time.monotonic() - stopping
        finally:
            proc.stop()
        return {
            "healthy_delivery_s": healthy.arrivals[0] - ready,
            "huge_body_bytes_sent_mib": huge.sent[0] / 2**20,
            "peak_rss_mib": rss,
            "sigterm_s": stopped,
        }


def main() -> None:
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        alone = healthy_alone(Path(first))
        numbers = hostile(Path(second))
    print(f"healthy target delivered {numbers['healthy_delivery_s'] * 1000:.0f} ms after ready, "
          f"beside a target dripping a byte every 2 s and a 1 GiB error answer")  # fmt: skip
    print(f"1 GiB answer: the receiver got {numbers['huge_body_bytes_sent_mib']:.1f} MiB out before the hang-up")
    print(f"peak RSS: {numbers['peak_rss_mib']:.1f} MiB (healthy target alone: {alone:.1f} MiB)")
    print(f"SIGTERM with the slow request hanging: exited in {numbers['sigterm_s'] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
