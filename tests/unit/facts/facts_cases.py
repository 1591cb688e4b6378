"""Shared helpers of the fact-checker tests (imported as ``facts_cases``: the folder has no package):
the example records by id, a checker bound to the repository's lexicon, and the assertion that a verdict
failed for the right reason."""
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


def assert_fails(result, text: str, kind: str, span_text: str | None) -> None:
    """``result`` failed with a ``kind`` mismatch at ``span_text`` (None: a missing fact, no span)."""
    assert not result.passed
    hits = [m for m in result.mismatches if m.kind == kind]
    assert hits, (kind, [(m.kind, m.found, m.message) for m in result.mismatches])
    if span_text is None:
        assert hits[0].span is None
    else:
        assert any(text[m.span[0]:m.span[1]] == span_text for m in hits), [(m.span, m.found) for m in hits]
        assert all(m.message for m in result.mismatches)
