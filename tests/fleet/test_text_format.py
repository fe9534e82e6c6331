"""The daemon's classic text format (kcrashd.daemon.text_format) reads back, with prometheus-client's
own parser, as the same families as prometheus-client's encoder of that format (which the daemon
does not load: it imports ssl); the two differ only in how a float is spelled (`1764758400.0` here,
`1.7647584e+09` there: the same number to every parser). promtool checks the daemon's output in
test_metrics.py."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector, CollectorRegistry

from kcrashd.daemon.text_format import CONTENT_TYPE, classic_text, go_float

HOSTILE = ['a"b', "back\\slash", "new\nline", "ünïcödé", "", "}{,=", "\\n literally"]


class Families(Collector):
    def __init__(self, values: list[float]) -> None:
        self.values = values

    def collect(self) -> Iterator[Metric]:
        crashes = CounterMetricFamily("kcrashd_crashes", "Crashes\nwith a \\ help.", labels=["kind", "severity"])
        for n, text in enumerate(HOSTILE):
            crashes.add_metric([text, "error"], n)
        yield crashes
        seen = GaugeMetricFamily("kcrashd_fingerprint_last_seen_timestamp_seconds", "Last seen.", labels=["fingerprint"])
        for n, value in enumerate(self.values):
            seen.add_metric([f"kc5-{n:016x}"], value)
        yield seen
        yield GaugeMetricFamily("kcrashd_last_crash_timestamp_seconds", "Latest.", value=1764758400.0)
        yield CounterMetricFamily("kcrashd_unexplained_reboots", "Reboots.", value=0)
        yield InfoMetricFamily("kcrashd_build", "The running kcrashd.", value={"version": "1.2.3"})


@pytest.mark.parametrize(
    "values",
    [[0, 1, 2.5, 1764758400.123456], [math.inf, -math.inf, 1e-7, 1e21, 123456789012345678.0], [-0.0, 3]],
)
def test_same_bytes_as_prometheus_clients_encoder(values: list[float]) -> None:
    registry = CollectorRegistry()
    registry.register(Families(values))
    ours = list(text_string_to_metric_families(classic_text(registry.collect()).decode()))
    theirs = list(text_string_to_metric_families(generate_latest(registry).decode()))
    assert [(f.name, f.type, f.documentation) for f in ours] == [(f.name, f.type, f.documentation) for f in theirs]
    assert [f.samples for f in ours] == [f.samples for f in theirs]


def test_escapes_as_the_format_says() -> None:
    registry = CollectorRegistry()
    registry.register(Families([1764758400.0]))
    text = classic_text(registry.collect()).decode()
    assert r"# HELP kcrashd_crashes_total Crashes\nwith a \\ help." + "\n" in text
    assert 'kcrashd_crashes_total{kind="a\\"b",severity="error"} 0.0\n' in text
    assert 'kcrashd_crashes_total{kind="back\\\\slash",severity="error"} 1.0\n' in text
    assert 'kcrashd_crashes_total{kind="new\\nline",severity="error"} 2.0\n' in text
    assert "# TYPE kcrashd_build_info gauge\nkcrashd_build_info{version=\"1.2.3\"} 1.0\n" in text
    assert "# TYPE kcrashd_unexplained_reboots_total counter\nkcrashd_unexplained_reboots_total 0.0\n" in text


def test_values_as_go_reads_them() -> None:
    assert [go_float(v) for v in (math.nan, math.inf, -math.inf, 1.0, 0.1)] == ["NaN", "+Inf", "-Inf", "1.0", "0.1"]
    assert CONTENT_TYPE.startswith("text/plain; version=0.0.4")
