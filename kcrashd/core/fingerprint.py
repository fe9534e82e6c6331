"""Fingerprints: a short, versioned hash of the normalised title, the key alerts are deduplicated on.

The title already has addresses, numbers, PIDs and CPU numbers normalised away, so the same bug on
another host, boot or build gets the same key.  When the algorithm changes, FINGERPRINT_VERSION goes
up and the keys the old algorithm would have produced are listed in `fingerprint_aliases`, so a
store can match history across the upgrade.
"""

from __future__ import annotations

import hashlib

FINGERPRINT_VERSION = 1
PREFIX = f"kc{FINGERPRINT_VERSION}-"
STRICT_FRAMES = 3


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def fingerprint_title(title: str) -> str:
    """`kc1-` + 16 hex digits of sha256(normalised title); empty for no title."""
    return PREFIX + _digest(title) if title else ""


def strict_fingerprint(title: str, functions: list[str]) -> str:
    """The title plus the top frames: separates different call paths into the same culprit."""
    if not title:
        return ""
    return PREFIX + "s-" + _digest(title + "\n" + "\n".join(functions[:STRICT_FRAMES]))


def fingerprint_aliases(title: str) -> list[str]:
    """Keys earlier algorithm versions gave the same crash (none yet: version 1 is the first)."""
    return []
