"""The pure helpers of bench/pipeline.py: trace-file events, per-note timelines, stages and the wall split."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("bench_pipeline",
                                               Path(__file__).resolve().parents[2] / "bench" / "pipeline.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

T0 = 1_790_000_000_000.0          # epoch ms


def iso(ms: float) -> str:
    return bench.dt.datetime.fromtimestamp(ms / 1e3, bench.dt.timezone.utc).isoformat().replace("+00:00", "Z")


def span(name: str, sid: str, start: float, end: float, parent: str | None = None, key: str | None = None) -> str:
    return json.dumps({"name": name, "context": {"span_id": sid}, "parent_id": parent, "start_time": iso(start),
                       "end_time": iso(end), "attributes": {"newsgen.key": key} if key else {}})


def note(key: str, created: float, sent_ts: float, total: float, queue: float) -> dict:
    return {"value": {"key": key, "record_id": "r1", "created_at": iso(created),
                      "provenance": {"timings_ms": {"total_ms": total, "queue_ms": queue}}},
            "timestamp_ms": sent_ts}


def test_trace_events_link_bridge_and_worker_spans_to_the_task_key():
    lines = [span("process bench.records", "p", T0 + 10, T0 + 30),
             span("dispatch", "d", T0 + 12, T0 + 15, parent="p", key="r1:note:1"),
             span("generate_note", "g", T0 + 100, T0 + 900, key="r1:note:1"),
             span("generate", "x", T0 + 110, T0 + 800, parent="g"),
             span("generate", "y", T0 + 5, T0 + 6, parent="unrelated"), ""]
    ev = bench.trace_events(lines)["r1:note:1"]
    assert ev == pytest.approx({"bridge_polled": T0 + 10, "dispatch_start": T0 + 12, "enqueued": T0 + 15,
                                "task_started": T0 + 100, "task_done": T0 + 900, "generate_called": T0 + 110,
                                "generate_returned": T0 + 800}, abs=0.01)


def test_timelines_and_stages_without_and_with_the_trace():
    notes = {"r1:note:1": note("r1:note:1", created=T0 + 1000, sent_ts=T0 + 1010, total=600, queue=100)}
    lines = bench.timelines(notes, {"r1": T0}, {"r1:note:1": T0 + 1020})
    ev = lines["r1:note:1"]
    assert (ev["engine_added"], ev["gen_started"], ev["gen_ended"]) == pytest.approx((T0 + 400, T0 + 500, T0 + 1000))
    stages = bench.stage_stats(lines)
    assert {"to_worker_engine", "engine_slot_wait", "generation", "note_serialise_send", "notes_to_bench",
            "end_to_end"} == set(stages)                      # no [trace] stage without the trace
    assert stages["generation"]["median_ms"] == pytest.approx(500)
    assert stages["end_to_end"]["median_ms"] == pytest.approx(1020)

    traced = {"r1:note:1": {"bridge_polled": T0 + 10, "dispatch_start": T0 + 12, "enqueued": T0 + 15,
                            "task_started": T0 + 100, "generate_called": T0 + 110, "generate_returned": T0 + 990,
                            "task_done": T0 + 1050}}
    stages = bench.stage_stats(bench.timelines(notes, {"r1": T0}, {"r1:note:1": T0 + 1020}, traced))
    assert {name for name, *_ in bench.STAGES} == set(stages)
    assert stages["batch_fill_wait"]["median_ms"] == pytest.approx(280)     # 990 - 600 - 110
    assert stages["postprocess"]["median_ms"] == pytest.approx(10)
    assert stages["publish_ack"]["median_ms"] == pytest.approx(40)


def test_wall_split_adds_up_to_the_wall_time():
    lines = {k: {"gen_started": T0 + s, "gen_ended": T0 + e}
             for k, (s, e) in {"a": (1000, 3000), "b": (1500, 3500), "c": (4000, 5000)}.items()}
    w = bench.wall_split(lines, T0, T0 + 6000)
    assert (w["head_s"], w["busy_s"], w["idle_s"], w["tail_s"]) == pytest.approx((1.0, 3.5, 0.5, 1.0))
    assert w["head_s"] + w["busy_s"] + w["idle_s"] + w["tail_s"] == pytest.approx(6.0)
    assert w["busy_fraction"] == pytest.approx(3.5 / 6)
    assert w["rows_in_flight"] == pytest.approx(5.0 / 3.5)


def test_spread():
    assert bench.spread([0.03, -0.01, 0.05]) == {"median": 0.03, "min": -0.01, "max": 0.05}


def test_cpu_split_counts_this_process_as_bench_and_leaves_out_idle_kinds():
    before = bench.cpu_seconds()
    deadline = bench.time.process_time() + 0.2
    while bench.time.process_time() < deadline:      # burn 0.2 s of CPU here
        pass
    used = bench.cpu_used(before, bench.cpu_seconds())
    assert used["bench"] >= 0.15 and all(v > 0 for v in used.values())
    assert list(used.values()) == sorted(used.values(), reverse=True)
    assert bench.cpu_used({"kafka": 3.0, "bench": 1.0}, {"kafka": 3.0, "bench": 2.5}) == {"bench": 1.5}
