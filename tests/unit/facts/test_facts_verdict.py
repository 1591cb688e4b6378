"""The verdict is a frozen, JSON-serialisable model (it goes into each note's provenance)."""
import json

import pytest
from pydantic import ValidationError

from facts_cases import verdict
from newsgen.facts import KINDS, FactCheck, Mismatch


def test_verdict_round_trips_through_json():
    result = verdict("rpl-2026-15-zen-spa", "Зенит уступил Спартаку 1:2 на 72-й минуте.")
    data = json.loads(result.model_dump_json())
    assert data["passed"] is False and data["mismatches"] and data["checked"]
    assert FactCheck.model_validate(data) == result
    assert all(m.kind in KINDS for m in result.mismatches)


def test_verdict_is_frozen_and_passed_means_no_mismatch():
    result = verdict("rpl-2026-15-zen-spa", "«Зенит» обыграл «Спартак» 2:1.")
    assert result.passed and result.mismatches == [] and result.summary() == "passed"
    with pytest.raises(ValidationError):
        result.passed = False
    m = Mismatch(kind="score", span=(0, 3), found="3:1", expected="2:1", message="wrong")
    assert FactCheck(passed=False, mismatches=[m]).summary() == "failed: score"


def test_mismatches_come_in_text_order_with_missing_facts_last():
    result = verdict("rpl-2026-15-zen-spa", "Иван Петров забил на 80-й минуте.")
    spans = [m.span for m in result.mismatches]
    assert spans[-1] is None and [s for s in spans if s] == sorted(s for s in spans if s)
