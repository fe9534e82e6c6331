"""`kcrashd run` that writes the names of its loaded modules to a file on SIGUSR1:
`python tests/daemon/modules_launcher.py OUT [kcrashd run options]` (tests/daemon/test_idle_modules.py).
Only the standard library is imported before the CLI's own `main`, as the console script does."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def run(out: Path, args: list[str]) -> int:
    def dump(_signum: int, _frame: FrameType | None) -> None:
        loaded = sorted(name for name, module in list(sys.modules.items()) if module is not None)
        partial = out.with_suffix(".part")
        partial.write_text(json.dumps(loaded))
        partial.rename(out)

    signal.signal(signal.SIGUSR1, dump)
    from kcrashd.cli import main

    return main(["run", *args])


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1]), sys.argv[2:]))
