"""Prometheus' classic text format (version 0.0.4) for the metric families of a registry.

Written from the format's specification (prometheus.io, "Exposition formats"): per family a
`# HELP` and a `# TYPE` line, then one `name{label="value"} value` line per sample. A counter's
lines are named with its `_total` suffix and an info family is a gauge named `_info` (as its
samples are), so every sample belongs to the family its `# TYPE` line names. Help texts escape `\\`
and newlines; label values also escape `"`. Values are written as Go reads floats (`+Inf`, `-Inf`,
`NaN`, else Python's shortest repr); a timestamp, if a sample has one, in milliseconds. A
counter's creation-time samples (`_created`) are left out: no kcrashd family has them.

Served to scrapers that do not accept OpenMetrics (curl, promtool). prometheus-client has its own
encoder for this format, but its module imports `ssl`, `urllib.request` and the HTTP server stack
at load (OpenSSL alone is ~3.5 MiB of an idle daemon's memory), so the daemon uses this one; the
tests check that both give the same bytes."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric
    from prometheus_client.samples import Sample

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# family type -> (suffix of the name its lines carry, type word in `# TYPE`)
TYPES = {"counter": ("_total", "counter"), "info": ("_info", "gauge"), "gauge": ("", "gauge")}


def go_float(value: float) -> str:
    """A sample value as Go's strconv.ParseFloat reads it."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def escape_help(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")


def escape_label(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def sample_line(sample: Sample) -> str:
    labels = ",".join(f'{key}="{escape_label(value)}"' for key, value in sample.labels.items())
    line = f"{sample.name}{{{labels}}} {go_float(sample.value)}" if labels else f"{sample.name} {go_float(sample.value)}"
    if sample.timestamp is not None:
        line += f" {int(float(sample.timestamp) * 1000)}"
    return line + "\n"


def family_text(family: Metric) -> str:
    suffix, word = TYPES.get(family.type, ("", "untyped"))
    name = family.name + suffix
    lines = [f"# HELP {name} {escape_help(family.documentation)}\n", f"# TYPE {name} {word}\n"]
    lines.extend(sample_line(s) for s in family.samples if s.name == name or not suffix)
    return "".join(lines)


def classic_text(families: Iterable[Metric]) -> bytes:
    """The classic text exposition of `families` (a registry's `collect()`)."""
    return "".join(family_text(f) for f in families).encode()
