"""Wrong copies of template-only notes: each mutation makes one false statement about the record.

Used by ``bench/facts.py`` to measure how much of each kind of error :func:`newsgen.facts.check` rejects.
A mutation returns the mutated text, or ``None`` when it cannot apply to the note (a draw has no winner to
swap, a summary has no goal list, a basketball note has no minutes); it never returns a text whose facts
are those of the record. Notes are the template-only notes of :func:`newsgen.fallback.render_fallback`;
``head`` is the note's first sentence (the template-only summary of the same record).
"""
from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass
from typing import Any, Callable

from newsgen.grammar.text import sentences
from newsgen.records import goal_timeline, multi_scorers, outcome

KINDS = ("wrong_score", "score_reversed", "winner_swapped", "shootout_winner_swapped", "wrong_scorer",
         "wrong_minute", "invented_player", "brace_single_goal", "own_goal_wrong_side", "missing_final_score",
         "truncated_last_sentence")
_INVENTED = {"ru": ("Прохор Шаляпинский", "Евлампий Тучков", "Добрыня Северянов"),
             "latin": ("Piotr Zaręba-Nowak", "Émile Dufresnoy", "Tiago Mourão")}


@dataclass
class Note:
    """One template-only note and what mutations need to rewrite it."""

    record: dict[str, Any]
    task: str
    language: str
    text: str
    head: str                      # the first sentence (the template summary)
    render: Callable[[dict[str, Any]], str]   # record -> its summary in this language (for swapped copies)
    en: Callable[[str], str]       # the templates' ``en`` filter

    @property
    def rest(self) -> str:
        return self.text[len(self.head):] if self.text.startswith(self.head) else ""

    def name(self, name: str) -> str:
        """A record name as the note writes it."""
        return self.en(name) if self.language == "en" else name

    def score(self, a: int, b: int) -> str:
        return f"{a}-{b}" if self.language == "en" else f"{a}:{b}"


def _score_re(note: Note, a: int, b: int) -> re.Pattern:
    sep = "-" if note.language == "en" else ":"
    return re.compile(rf"(?<![\d:–-]){a}{sep}{b}(?![\d:–-])")


def _played(rec: dict[str, Any]) -> bool:
    return rec.get("status") in ("finished", "live") and isinstance(rec.get("score"), dict)


def final_pair(note: Note) -> tuple[int, int] | None:
    """The score as the first sentence writes it (winner's or leader's first, else home:away)."""
    rec = note.record
    if not _played(rec):
        return None
    h, a = rec["score"]["home"], rec["score"]["away"]
    if rec["status"] == "live":
        return (max(h, a), min(h, a)) if note.language == "en" else (h, a)
    o = outcome(rec)
    level_after = o["winner"] is None or (o["decided"] == "shootout" and rec["type"] != "hockey_match")
    return (h, a) if level_after else (o["ws"], o["ls"])


def allowed_scores(rec: dict[str, Any]) -> set[tuple[int, int]]:
    """Every score a correct note may write, in both orientations."""
    pairs = {(rec["score"]["home"], rec["score"]["away"])}
    pairs |= {tuple(map(int, g["running"].split(":"))) for g in goal_timeline(rec)}
    for key in ("periods", "quarters"):
        home = away = 0
        for p in rec.get(key, []):
            home, away = home + p["home"], away + p["away"]
            pairs |= {(p["home"], p["away"]), (home, away)}
    if rec.get("shootout"):
        pairs.add((rec["shootout"]["home"], rec["shootout"]["away"]))
    return pairs | {(b, a) for a, b in pairs}


def _replace_in_head(note: Note, old: re.Pattern, new: str) -> str | None:
    head, n = old.subn(new, note.head, count=1)
    return head + note.rest if n else None


def wrong_score(note: Note, rng: random.Random) -> str | None:
    pair = final_pair(note)
    if pair is None:
        return None
    taken = allowed_scores(note.record)
    a, b = pair
    d = 1
    while (a + d, b) in taken:
        d += 1
    return _replace_in_head(note, _score_re(note, a, b), note.score(a + d, b))


def score_reversed(note: Note, rng: random.Random) -> str | None:
    """The score turned round; skipped when that is a true way of writing it: home:away, or the leader's
    score first (``счёт 2:1 в пользу гостей``)."""
    pair = final_pair(note)
    if pair is None or pair[0] == pair[1]:
        return None
    h, a = note.record["score"]["home"], note.record["score"]["away"]
    if (pair[1], pair[0]) in ((h, a), (max(h, a), min(h, a))):
        return None
    return _replace_in_head(note, _score_re(note, *pair), note.score(pair[1], pair[0]))


def _swapped_names(rec: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(rec)
    out["home"], out["away"] = {"name": rec["away"]["name"]}, {"name": rec["home"]["name"]}
    return out


def _with_head(note: Note, mutated_record: dict[str, Any]) -> str | None:
    head = note.render(mutated_record)
    if head == note.head or not note.text.startswith(note.head):
        return None
    return head + note.rest


def winner_swapped(note: Note, rng: random.Random) -> str | None:
    rec = note.record
    if not _played(rec) or rec["score"]["home"] == rec["score"]["away"]:
        return None  # a level score (or a football shoot-out) has no winner of the match to swap
    return _with_head(note, _swapped_names(rec))


def shootout_winner_swapped(note: Note, rng: random.Random) -> str | None:
    rec = note.record
    if rec.get("shootout"):
        swapped = copy.deepcopy(rec)
        swapped["shootout"] = {"home": rec["shootout"]["away"], "away": rec["shootout"]["home"]}
        return _with_head(note, swapped)
    if rec["type"] == "hockey_match" and rec.get("decided") == "shootout":
        return _with_head(note, _swapped_names(rec))
    return None


def _people(rec: dict[str, Any]) -> list[str]:
    names = []
    for key in ("goals", "leaders", "cards", "penalties"):
        for e in rec.get(key, []):
            assists = e.get("assists")
            names += [e["player"], *(assists if isinstance(assists, list) else [])]
    return list(dict.fromkeys(names))


def _goal_anchor(note: Note, g: dict[str, Any], player: str | None = None, running: str | None = None) -> str:
    """``1:0 — Луиз Энрике (`` / ``1-0 Luiz Enrike `` as the goal list writes one goal."""
    run = running or g["running"]
    who = note.name(player or g["player"])
    return f"{run.replace(':', '-')} {who} " if note.language == "en" else f"{run} — {who} ("


def _scored_entries(note: Note) -> list[dict[str, Any]]:
    """Goals (or basketball leaders) the note's body names, each with ``anchor``: its text."""
    rest = note.rest
    if note.record["type"] == "basketball_game":
        out = [{**ld, "anchor": f"{note.name(ld['player'])} ("} for ld in note.record.get("leaders", [])]
    else:
        out = [{**g, "anchor": _goal_anchor(note, g)} for g in goal_timeline(note.record)]
    return [e for e in out if e["anchor"] in rest]


def _swap_person(note: Note, rng: random.Random, pick_new: Callable[[dict[str, Any]], str | None]) -> str | None:
    entries = _scored_entries(note)
    if not entries:
        return None
    e = rng.choice(entries)
    new = pick_new(e)
    if new is None:
        return None
    if note.record["type"] == "basketball_game":
        anchor = f"{note.name(new)} ("
    else:
        anchor = _goal_anchor(note, e, player=new)
    return note.head + note.rest.replace(e["anchor"], anchor, 1)


def wrong_scorer(note: Note, rng: random.Random) -> str | None:
    """Another person of the record credited with a goal (or a leader's line) that is not theirs."""
    rec = note.record

    def when(e: dict[str, Any]) -> Any:
        return e.get("time") or (e.get("minute"), e.get("added"))

    def stats(e: dict[str, Any]) -> tuple:
        return e.get("points"), e.get("rebounds"), e.get("assists")

    def pick(e: dict[str, Any]) -> str | None:
        same = {g["player"] for g in rec.get("goals", []) if when(g) == when(e)}
        same |= {x["player"] for x in rec.get("leaders", []) if stats(x) == stats(e)}
        others = [p for p in _people(rec) if p not in same and note.name(p) != note.name(e["player"])]
        return rng.choice(others) if others else None

    return _swap_person(note, rng, pick)


def invented_player(note: Note, rng: random.Random) -> str | None:
    """A person the record does not know credited with a goal (or a leader's line)."""
    known = " ".join(_people(note.record))

    def pick(e: dict[str, Any]) -> str | None:
        script = "ru" if re.search(r"[А-Яа-яЁё]", e["player"]) else "latin"
        fresh = [n for n in _INVENTED[script] if not set(n.split()) & set(known.split())]
        return rng.choice(fresh) if fresh else None

    return _swap_person(note, rng, pick)


def wrong_minute(note: Note, rng: random.Random) -> str | None:
    rec = note.record
    if rec["type"] == "basketball_game":
        return None
    entries = _scored_entries(note)
    if not entries:
        return None
    g = rng.choice(entries)
    own = [(x.get("minute"), x.get("added"), x.get("time")) for x in goal_timeline(rec)
           if x["player"] == g["player"]]
    if rec["type"] == "hockey_match":
        mm, ss = map(int, g["time"].split(":"))
        clocks = {x["time"] for x in rec.get("goals", [])}
        new_mm = mm + 1
        while f"{new_mm:02d}:{ss:02d}" in clocks:
            new_mm += 1
        old, new = g["time"], f"{new_mm:02d}:{ss:02d}"
    else:
        m, added = g["minute"], g.get("added")
        if added:
            step = 1
            while (m, added + step, None) in own:
                step += 1
            old, new = f"{m}+{added}", f"{m}+{added + step}"
        else:
            new_m = m + 1
            while any(o[0] == new_m for o in own):
                new_m += 1
            old, new = str(m), str(new_m)
    suffix = "'" if note.language == "en" and rec["type"] == "football_match" else ""
    at = note.rest.index(g["anchor"]) + len(g["anchor"])
    rest = note.rest
    if not rest.startswith(old + suffix, at) or rest[at + len(old) + len(suffix):at + len(old) + len(suffix) + 1] == "+":
        return None
    return note.head + rest[:at] + new + rest[at + len(old):]


def brace_single_goal(note: Note, rng: random.Random) -> str | None:
    rec = note.record
    multi = {m["player"] for m in multi_scorers(rec)}
    singles = sorted({g["player"] for g in goal_timeline(rec) if g["kind"] != "own_goal" and g["player"] not in multi
                      and all(x["player"] != g["player"] or x["kind"] != "own_goal" for x in goal_timeline(rec))})
    if not singles or rec["type"] == "basketball_game":
        return None
    who = rng.choice(singles)
    claim = f" {note.name(who)} scored twice." if note.language == "en" else f" Дубль оформил {who}."
    return note.text + claim


def own_goal_wrong_side(note: Note, rng: random.Random) -> str | None:
    """An own goal written in the goal list as if it counted for the other side."""
    owns = [e for e in _scored_entries(note) if e.get("kind") == "own_goal"]
    if not owns:
        return None
    g = rng.choice(owns)
    h, a = map(int, g["running"].split(":"))
    h, a = (h - 1, a + 1) if g["team"] == "home" else (h + 1, a - 1)
    return note.head + note.rest.replace(g["anchor"], _goal_anchor(note, g, running=f"{h}:{a}"), 1)


def missing_final_score(note: Note, rng: random.Random) -> str | None:
    pair = final_pair(note)
    if pair is None:
        return None
    score = _score_re(note, *pair).pattern
    lead = r"(?: со счётом|: счёт)?" if note.language == "ru" else r"(?: at)?"
    head, n = re.subn(lead + " " + score, "", note.head, count=1)
    if not n:
        return None
    gone = [_score_re(note, *pair), _score_re(note, pair[1], pair[0])]
    rest = " ".join(s for s in sentences(note.rest) if s and not any(p.search(s) for p in gone))
    text = head + (" " + rest if rest else "")
    return None if any(p.search(text) for p in gone) else text


def truncated_last_sentence(note: Note, rng: random.Random) -> str | None:
    """The last sentence cut in the middle: at a word, or after a name's initial (``…забил А.``)."""
    parts = sentences(note.text)
    words = parts[-1].split(" ")
    if len(words) < 3:
        return None
    k = len(words) // 2
    cut, nxt = " ".join(words[:k]).rstrip(" .,:;—–("), words[k]
    if nxt[:1].isupper():
        cut += f" {nxt[0]}."
    return " ".join([*parts[:-1], cut])


MUTATIONS: dict[str, Callable[[Note, random.Random], str | None]] = {k: globals()[k] for k in KINDS}


def mutate(note: Note, kind: str, rng: random.Random) -> str | None:
    """The ``kind`` mutation of ``note`` or ``None`` when it does not apply (or would change nothing)."""
    text = MUTATIONS[kind](note, rng)
    return text if text and text != note.text else None


__all__ = ["KINDS", "MUTATIONS", "Note", "mutate"]
