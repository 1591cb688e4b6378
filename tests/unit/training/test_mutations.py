"""Mutations of template notes (bench/facts.py): every kind applies to some note and changes its text;
the unmutated notes pass the fact check."""
from __future__ import annotations

import random

from newsgen.facts import check
from newsgen.fallback import render_fallback
from newsgen.seeds import SeedRenderer, tasks_for_type
from newsgen.config import ROOT
from newsgen.training.mutations import KINDS, Note, mutate

FOOTBALL = {"type": "football_match", "id": "m1", "status": "finished", "date": "2026-11-22",
            "tournament": "Кубок России", "round": "1/4 финала", "extra_time": True,
            "home": {"name": "Зенит"}, "away": {"name": "Спартак"}, "score": {"home": 2, "away": 2},
            "shootout": {"home": 4, "away": 3},
            "goals": [{"team": "home", "player": "Андрей Мостовой", "minute": 17},
                      {"team": "away", "player": "Луиз Энрике", "minute": 40, "kind": "own_goal"},
                      {"team": "home", "player": "Андрей Мостовой", "minute": 71},
                      {"team": "away", "player": "Манфред Угальде", "minute": 95}]}
WIN = {**FOOTBALL, "id": "m2", "extra_time": False, "round": "15-й тур", "score": {"home": 3, "away": 1},
       "goals": [{"team": "home", "player": "Андрей Мостовой", "minute": 17},
                 {"team": "away", "player": "Луиз Энрике", "minute": 45, "added": 2, "kind": "own_goal"},
                 {"team": "home", "player": "Джон Кордоба", "minute": 71, "kind": "penalty"},
                 {"team": "away", "player": "Манфред Угальде", "minute": 80}]}
WIN.pop("shootout")
HOCKEY = {"type": "hockey_match", "id": "h1", "status": "finished", "date": "2026-11-24", "tournament": "КХЛ",
          "home": {"name": "Авангард"}, "away": {"name": "СКА"}, "score": {"home": 3, "away": 2},
          "decided": "shootout", "periods": [{"home": 1, "away": 0}, {"home": 0, "away": 1}, {"home": 1, "away": 1},
                                             {"home": 0, "away": 0}],
          "goals": [{"team": "home", "player": "Илья Михеев", "time": "05:12"},
                    {"team": "away", "player": "Марат Хайруллин", "time": "24:40"},
                    {"team": "home", "player": "Кирилл Семёнов", "time": "45:05"},
                    {"team": "away", "player": "Марат Хайруллин", "time": "58:59"}]}
BASKETBALL = {"type": "basketball_game", "id": "b1", "status": "finished", "date": "2026-11-24",
              "tournament": "Единая лига ВТБ", "home": {"name": "ЦСКА"}, "away": {"name": "УНИКС"},
              "score": {"home": 89, "away": 81},
              "quarters": [{"home": 22, "away": 18}, {"home": 20, "away": 25}, {"home": 24, "away": 19},
                           {"home": 23, "away": 19}],
              "leaders": [{"team": "home", "player": "Иван Ухов", "points": 24},
                          {"team": "away", "player": "Джален Рейнольдс", "points": 19}]}


def notes():
    en = SeedRenderer(ROOT / "templates").env.filters["en"]
    for rec in (FOOTBALL, WIN, HOCKEY, BASKETBALL):
        for lang in ("ru", "en"):
            head = render_fallback(rec, "summary", lang).text
            for task in tasks_for_type(rec["type"]):
                text = render_fallback(rec, task, lang).text
                yield Note(rec, task, lang, text, head, lambda r, lang=lang: render_fallback(r, "summary", lang).text,
                           en)


def test_every_kind_changes_some_note_and_the_unmutated_notes_pass():
    applied = {kind: set() for kind in KINDS}
    for note in notes():
        assert note.text.startswith(note.head)
        assert check(note.record, note.text, note.task, note.language).passed, note.text
        for kind in KINDS:
            mutated = mutate(note, kind, random.Random(0))
            if mutated is not None:
                assert mutated != note.text
                applied[kind].add(note.language)
    assert {k: v for k, v in applied.items() if v != {"ru", "en"}} == {}


def test_mutations_that_cannot_apply_are_skipped():
    draw = {**WIN, "score": {"home": 0, "away": 0}, "goals": []}
    note = Note(draw, "summary", "ru", render_fallback(draw, "summary").text, render_fallback(draw, "summary").text,
                lambda r: render_fallback(r, "summary").text, str)
    for kind in ("score_reversed", "winner_swapped", "shootout_winner_swapped", "wrong_scorer", "wrong_minute",
                 "brace_single_goal", "own_goal_wrong_side"):
        assert mutate(note, kind, random.Random(0)) is None, kind
