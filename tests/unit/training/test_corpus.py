"""The wide synthetic corpus: valid records of every sport and situation, varied names, disjoint splits."""
from __future__ import annotations

import re

from newsgen.config import ROOT
from newsgen.records import RecordValidator, multi_scorers
from newsgen.training.corpus import SPORTS, corpus_records
from newsgen.training.names import all_names, name_pools, name_words


def _names(records) -> set[str]:
    out = set()
    for r in records:
        out |= {r["home"]["name"], r["away"]["name"]}
        for key in ("goals", "leaders", "penalties", "cards"):
            out |= {e["player"] for e in r.get(key, [])}
    return out


def test_records_are_valid_deterministic_and_cover_the_situations():
    records = list(corpus_records(300, seed=5))
    validator = RecordValidator(ROOT / "schemas")
    for r in records:
        validator.validate(r)
    assert records == list(corpus_records(300, seed=5))
    assert records != list(corpus_records(300, seed=6))
    assert {r["type"] for r in records} == set(SPORTS)
    assert {r["status"] for r in records} >= {"finished", "live", "postponed", "abandoned", "cancelled", "scheduled"}
    football = [r for r in records if r["type"] == "football_match"]
    assert any(r.get("shootout") for r in football) and any(r.get("extra_time") for r in football)
    assert any(g.get("kind") == "own_goal" for r in football for g in r.get("goals", []))
    assert {m["goals"] for r in football for m in multi_scorers(r)} >= {2, 3}
    hockey = {r.get("decided") for r in records if r["type"] == "hockey_match"}
    assert hockey >= {"regulation", "overtime", "shootout"}
    assert any(len(r.get("quarters", [])) > 4 for r in records if r["type"] == "basketball_game")


def test_names_are_varied():
    names = _names(corpus_records(300, seed=5))
    assert any(re.search(r"[À-ž]", n) for n in names)            # Latin with diacritics
    assert any(re.search(r"[А-Яа-яЁё]", n) for n in names)        # Cyrillic
    assert any("-" in n for n in names) and any("'" in n for n in names)
    assert any(len(n.split()) >= 3 for n in names)                # multi-word teams and players


def test_splits_share_no_name_nor_word():
    train, held = all_names(name_pools(3, "train")), all_names(name_pools(3, "heldout"))
    assert train and held and not train & held
    train_words = {w for n in _names(corpus_records(200, seed=3, split="train")) for w in name_words(n)}
    held_words = {w for n in _names(corpus_records(200, seed=3, split="heldout")) for w in name_words(n)}
    assert held_words and not train_words & held_words
