"""Draw the pipeline section of bench/results/serving.json: record-to-note latency against load, lookup on/off.

    .venv/bin/python bench/plot_serving.py [bench/results/serving.json] [bench/results/serving.png]

bench/serving.py --pipeline calls :func:`plot` itself; this redraws the figure from the JSON alone.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def plot(report: dict, out: Path) -> Path:
    """p50/p95/p99 latency (s) against load (fraction of the measured capacity; one record at a time at 0), one
    line per percentile and lookup setting (solid: on, dashed: off); returns ``out``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, style, marker in (("on", "-", "o"), ("off", "--", "s")):
        run = report["lookup"].get(name, {})
        # one record at a time is drawn at load 0
        single = [{**run["one_at_a_time"], "load": 0.0}] if run.get("one_at_a_time") else []
        levels = single + [lv for lv in run.get("levels", []) if lv.get("notes")]
        for q, color in (("p50", "tab:blue"), ("p95", "tab:orange"), ("p99", "tab:red")):
            ax.plot([lv["load"] for lv in levels], [lv[f"{q}_ms"] / 1000 for lv in levels], style, color=color,
                    marker=marker, label=f"{q}, lookup {name}")
    model = Path(report["model"]).name + (" (random tiny model)" if report.get("model_kind") == "tiny" else "")
    ax.set(xlabel=f"load (fraction of the measured capacity, {report['capacity_notes_per_s']:.2f} notes/s)",
           ylabel="record-to-note latency (s)", xlim=(0, 1), ylim=(0, None),
           title=f"Kafka -> bridge -> worker latency under Poisson arrivals\n"
                 f"{model}, {report['duration_s']:.0f} s per level")
    ax.title.set_fontsize(10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


if __name__ == "__main__":
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS / "serving.json"
    dst = Path(sys.argv[2]) if len(sys.argv) > 2 else src.with_suffix(".png")
    print(plot(json.loads(src.read_text(encoding="utf-8"))["pipeline"], dst))
