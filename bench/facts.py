"""Mutation benchmark of the fact checker: how much of each kind of wrong note ``newsgen.facts.check`` rejects.

Run by hand (never in the test suite):

    .venv/bin/python bench/facts.py                  # 2,000 records of each sport, ru and en
    .venv/bin/python bench/facts.py --records 200    # a quick run

Renders every template-only note and summary (``newsgen.fallback.render_fallback``) of ``--records``
synthetic football, hockey and basketball records per sport (``newsgen.training.corpus``: Russian and
Latin-script names with diacritics, multi-word and hyphenated names, extra time, shoot-outs, own goals,
live and unplayed matches), in Russian and English, checks each one unmutated (target: 100 % accepted),
then checks one copy per mutation kind (``newsgen.training.mutations``; target: >= 99 % rejected). Kinds
that do not apply to a note (no winner to swap, no goal list) are counted as skipped. Prints a table and
writes bench/results/facts.json with the shares per kind, language and sport and examples of every miss.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsgen.training.corpus import SPORTS, corpus_records  # noqa: E402
from newsgen.training.mutations import KINDS, Note, mutate  # noqa: E402

LANGUAGES = ("ru", "en")
EXAMPLES = 4  # misses kept per kind and language


@lru_cache(maxsize=1)
def _en_filter():
    from newsgen.seeds import SeedRenderer

    return SeedRenderer(ROOT / "templates").env.filters["en"]


def notes_of(record: dict[str, Any], languages=LANGUAGES):
    """The template-only notes of a record as :class:`Note` objects, per language and task."""
    from newsgen.fallback import render_fallback
    from newsgen.seeds import tasks_for_type

    en = _en_filter()
    for lang in languages:
        def render(rec, lang=lang):
            return render_fallback(rec, "summary", lang).text

        head = render(record)
        for task in tasks_for_type(record["type"]):
            text = render_fallback(record, task, lang).text
            yield Note(record, task, lang, text, head if text.startswith(head) else text, render, en)


def _empty() -> dict[str, Any]:
    return {"baseline": {}, "mutations": {}, "misses": {}, "baseline_failures": []}


def _bump(table: dict, keys: tuple, field: str) -> None:
    for depth in range(len(keys)):  # totals per kind/language, and per sport below them
        node = table
        for k in keys[:depth + 1]:
            node = node.setdefault(k, {})
        node[field] = node.get(field, 0) + 1


def evaluate(records: list[dict[str, Any]], seed: int = 0) -> dict[str, Any]:
    """Check every note of ``records`` unmutated and once per mutation kind; counts and examples."""
    from newsgen.facts import check

    out = _empty()
    for rec in records:
        rng = random.Random(f"{seed}:{rec['id']}")
        for note in notes_of(rec):
            verdict = check(rec, note.text, note.task, note.language)
            key = (note.language, rec["type"])
            _bump(out["baseline"], key, "notes")
            if not verdict.passed:
                out["baseline_failures"].append({"record": rec, "task": note.task, "language": note.language,
                                                 "text": note.text, "reasons": verdict.reasons()})
                continue
            _bump(out["baseline"], key, "accepted")
            for kind in KINDS:
                mkey = (kind, note.language, rec["type"])
                mutated = mutate(note, kind, rng)
                if mutated is None:
                    _bump(out["mutations"], mkey, "skipped")
                    continue
                _bump(out["mutations"], mkey, "applied")
                if check(rec, mutated, note.task, note.language).passed:
                    misses = out["misses"].setdefault(kind, {}).setdefault(note.language, [])
                    misses.append({"record_id": rec["id"], "task": note.task, "text": note.text, "mutated": mutated})
                else:
                    _bump(out["mutations"], mkey, "rejected")
    return out


def _merge(into: Any, part: Any) -> Any:
    if isinstance(into, dict):
        for k, v in part.items():
            into[k] = _merge(into[k], v) if k in into else v
        return into
    return into + part


def run(records_per_sport: int, seed: int, jobs: int) -> dict[str, Any]:
    from newsgen.config import ROOT as PROJECT
    from newsgen.records import RecordValidator

    validator = RecordValidator(PROJECT / "schemas")
    records = list(corpus_records(records_per_sport, seed=seed, split="train"))
    for rec in records:
        validator.validate(rec)  # the corpus is valid by construction; a bad record is a bug here
    chunks = [records[i::jobs * 4] for i in range(jobs * 4)]
    total = _empty()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for part in pool.map(evaluate, chunks, [seed] * len(chunks)):
            total = _merge(total, part)
    return total


def _share(node: dict[str, int], num: str, den: str) -> float | None:
    return round(node.get(num, 0) / node[den], 4) if node.get(den) else None


def summarise(raw: dict[str, Any], args, seconds: float) -> dict[str, Any]:
    baseline = {lang: {"notes": v.get("notes", 0), "accepted": v.get("accepted", 0),
                       "share": _share(v, "accepted", "notes"),
                       "by_sport": {s: {**c, "share": _share(c, "accepted", "notes")}
                                    for s, c in v.items() if isinstance(c, dict)}}
                for lang, v in raw["baseline"].items()}
    mutations = {}
    for kind in KINDS:
        mutations[kind] = {}
        for lang in LANGUAGES:
            v = raw["mutations"].get(kind, {}).get(lang, {})
            mutations[kind][lang] = {
                "applied": v.get("applied", 0), "rejected": v.get("rejected", 0), "skipped": v.get("skipped", 0),
                "share": _share(v, "rejected", "applied"),
                "by_sport": {s: {**c, "share": _share(c, "rejected", "applied")}
                             for s, c in v.items() if isinstance(c, dict)}}
    misses = {k: {lang: {"count": len(v), "examples": v[:EXAMPLES]} for lang, v in langs.items()}
              for k, langs in raw["misses"].items()}
    return {
        "what": "share of mutated template notes newsgen.facts.check rejects, and of unmutated ones it accepts",
        "targets": {"mutations_rejected": 0.99, "unmutated_accepted": 1.0},
        "records_per_sport": args.records, "sports": list(SPORTS), "seed": args.seed, "split": "train",
        "seconds": round(seconds, 1), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {args.jobs} jobs",
        "unmutated": baseline, "mutations": mutations, "misses": misses,
        "unmutated_failures": {"count": len(raw["baseline_failures"]),
                               "examples": [{k: f[k] for k in ("task", "language", "text", "reasons")}
                                            | {"record_id": f["record"]["id"]} for f in raw["baseline_failures"][:12]]},
    }


def print_table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    def cell(share: float | None, n: int, target: float) -> str:
        if share is None:
            return "—"
        style = "green" if share >= target else "red"
        return f"[{style}]{share * 100:.2f} %[/{style}] of {n}"

    table = Table(title=f"fact checker: {result['records_per_sport']} records per sport, {result['seconds']} s")
    table.add_column("mutation")
    for lang in LANGUAGES:
        table.add_column(f"{lang}: rejected")
        table.add_column(f"{lang}: skipped", justify="right")
    for kind, langs in result["mutations"].items():
        row = [kind]
        for lang in LANGUAGES:
            v = langs[lang]
            row += [cell(v["share"], v["applied"], 0.99), str(v["skipped"])]
        table.add_row(*row)
    row = ["unmutated: accepted"]
    for lang in LANGUAGES:
        v = result["unmutated"].get(lang, {"share": None, "notes": 0})
        row += [cell(v["share"], v["notes"], 1.0), ""]
    table.add_row(*row, style="bold")
    Console().print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=2000, help="synthetic records per sport (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="corpus and mutation seed (default 0)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: CPUs)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "facts.json",
                        help="JSON result file (default bench/results/facts.json)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    raw = run(args.records, args.seed, args.jobs)
    result = summarise(raw, args, time.perf_counter() - start)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print_table(result)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
