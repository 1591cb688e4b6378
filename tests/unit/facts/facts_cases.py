"""Shared helpers of the fact-checker tests (imported as ``facts_cases``: the folder has no package):
the example records by id and a checker bound to the repository's lexicon."""
from __future__ import annotations

import json

from newsgen.config import ROOT
from newsgen.facts import check
from newsgen.grammar import Lexicon

TEMPLATES = ROOT / "templates"
EXAMPLES = ROOT / "producers" / "examples"
LEXICON = Lexicon.load(TEMPLATES / "lexicon.json")


def example_records() -> dict[str, dict]:
    """Every record of producers/examples/*.jsonl, by id."""
    out = {}
    for path in sorted(EXAMPLES.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                out[record["id"]] = record
    return out


RECORDS = example_records()


def verdict(record_id: str, text: str, task: str = "note", language: str = "ru"):
    return check(RECORDS[record_id], text, task, language, lexicon=LEXICON)
