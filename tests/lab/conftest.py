"""Makes the crash lab fixture available to the tests of the lab itself."""

import sys
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from tests.lab.fixture import crash_lab, pytest_configure  # noqa: E402,F401
