"""Golden files: the seeds and template-only notes of every example record, reviewed by hand.

Regenerate after a deliberate template change, then review the diff:

    NEWSGEN_UPDATE_GOLDEN=1 python -m pytest tests/unit/seeds/test_seeds_golden.py

Layout: ``tests/golden/prefix/<type>.<task>.<lang>.txt`` holds each few-shot prefix once;
``tests/golden/<type>/<record id>.txt`` holds, per record, the record part of every seed (facts + lead)
and every template-only note, in sections.
"""
import json
import os
from pathlib import Path

import pytest

from newsgen.config import ROOT
from newsgen.fallback import render_fallback
from newsgen.seeds import LANGUAGES, SeedRenderer, tasks_for_type

GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("NEWSGEN_UPDATE_GOLDEN") == "1"
RENDERER = SeedRenderer(ROOT / "templates")


def _records():
    out = []
    for path in sorted((ROOT / "producers" / "examples").glob("*.jsonl")):
        out += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in out if tasks_for_type(r["type"])]  # match events have no text of their own


RECORDS = _records()


def record_golden(rec: dict) -> str:
    parts = []
    for language in LANGUAGES:
        for task in tasks_for_type(rec["type"]):
            seed = RENDERER.render(rec, task, language)
            parts.append(f"=== seed {task} {language} ({seed.template}) ===\n{seed.prompt[len(seed.prefix):]}\n")
    for language in LANGUAGES:
        for task in tasks_for_type(rec["type"]):
            note = render_fallback(rec, task, language, templates_dir=ROOT / "templates")
            parts.append(f"=== fallback {task} {language} -> {note.language} ===\n{note.text}\n")
    return "\n".join(parts)


def _compare(path: Path, actual: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.is_file(), f"missing golden file {path}; run with NEWSGEN_UPDATE_GOLDEN=1 and review it"
    assert actual == path.read_text(encoding="utf-8"), f"{path} differs; if intended, regenerate and review"


@pytest.mark.parametrize("rec", RECORDS, ids=[r["id"] for r in RECORDS])
def test_record_seeds_and_fallback_notes(rec):
    _compare(GOLDEN / rec["type"] / f"{rec['id']}.txt", record_golden(rec))


PREFIXES = sorted({(r["type"], task, lang) for r in RECORDS for task in tasks_for_type(r["type"]) for lang in LANGUAGES})


@pytest.mark.parametrize("record_type,task,language", PREFIXES)
def test_few_shot_prefixes(record_type, task, language):
    rec = next(r for r in RECORDS if r["type"] == record_type)
    _compare(GOLDEN / "prefix" / f"{record_type}.{task}.{language}.txt", RENDERER.render(rec, task, language).prefix)


def test_no_stale_golden_files():
    expected = {GOLDEN / r["type"] / f"{r['id']}.txt" for r in RECORDS}
    expected |= {GOLDEN / "prefix" / f"{t}.{k}.{lang}.txt" for t, k, lang in PREFIXES}
    found = {p for p in GOLDEN.rglob("*.txt")}
    assert found <= expected, f"stale golden files: {sorted(str(p) for p in found - expected)}"
