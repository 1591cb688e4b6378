"""Synthetic pairs: every record type, valid records, notes that pass the fact check, real variation."""
from __future__ import annotations

import random

from newsgen.facts import check
from newsgen.training.synth import SynthStats, synth_pairs, vary


def test_pairs_cover_every_type_and_pass_the_fact_check():
    stats = SynthStats()
    pairs = list(synth_pairs(60, seed=3, variants=2, stats=stats))
    types = {p["record"]["type"] for p in pairs}
    assert {"football_match", "hockey_match", "basketball_game", "news_event", "rewrite_request"} <= types
    for p in pairs:
        assert check(p["record"], p["note"], p["task"], p["language"]).passed, p["note"]
    assert stats.varied > 0
    assert sum(stats.pairs.values()) == len(pairs)


def test_variation_keeps_the_first_sentence_and_the_goal_list():
    note = ("«Зенит» обыграл «Спартак» со счётом 2:1 (Российская Премьер-лига, 15-й тур, 22 ноября). "
            "Голы: 1:0 — Луиз Энрике (17), 1:1 — Манфред Угальде (45+2), 2:1 — Андрей Мостовой (71). "
            "Победный гол на 71-й минуте забил Андрей Мостовой. Матч посетили 54 312 зрителей.")
    variants = {vary(note, random.Random(i)) for i in range(20)}
    assert len(variants) > 2
    for v in variants:
        assert v.split(". ")[0].endswith("(Российская Премьер-лига, 15-й тур, 22 ноября)")
        assert v.split(". ")[1].startswith("Голы:")


def test_news_notes_are_not_reordered():
    note = "Москва, 26 ноября. Правительство Москвы открыло станции. Источник — мэрия."
    assert vary(note, random.Random(0), reorder=False) == note
