"""Shared helpers of the fact-checker tests (imported as ``facts_cases``: the folder has no package):
the example records by id and a checker bound to the repository's lexicon."""
from __future__ import annotations

import json

from newsgen.config import ROOT
from newsgen.facts import check
from newsgen.grammar import Lexicon
from producers.publish import EXAMPLES_DIR as EXAMPLES, read_lines

TEMPLATES = ROOT / "templates"
LEXICON = Lexicon.load(TEMPLATES / "lexicon.json")
#: every record of producers/examples/*.jsonl, by id
RECORDS = {rec["id"]: rec for path in sorted(EXAMPLES.glob("*.jsonl")) for rec in map(json.loads, read_lines(path))}


def verdict(record_id: str, text: str, task: str = "note", language: str = "ru"):
    return check(RECORDS[record_id], text, task, language, lexicon=LEXICON)
