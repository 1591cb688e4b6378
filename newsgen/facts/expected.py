"""What a record allows a text to say: its teams and people (with their events), scores, minutes,
numbers, dates and names, computed once per check.

Match records use the shared helpers of :mod:`newsgen.records` (``outcome``, ``goal_timeline``,
``winning_goal``), so the checker and the templates agree on who won and on the running score. News
events and rewrite requests allow whatever their own text fields state, read with the same extractors
as the checked text (:mod:`newsgen.facts.extract`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator

from newsgen.facts import extract
from newsgen.facts.text import WORD, inflected_forms, word_keys
from newsgen.grammar import CASES, Lexicon, clock_minute
from newsgen.records import NARRATED, clock_seconds, goal_timeline, outcome, winning_goal

MATCH_TYPES = ("football_match", "hockey_match", "basketball_game")
Pair = tuple[int, int]
Minute = tuple[int, "int | None"]


@dataclass
class Person:
    """A person the record names, with what the record says they did."""

    name: str
    sides: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)        # goal own_goal card penalty assist sub leader referee
    minutes: set[tuple[int, int | None]] = field(default_factory=set)
    clocks: set[Pair] = field(default_factory=set)       # hockey: game clocks of their goals, assists, penalties
    goals: int = 0                                       # own goals not counted
    running: set[Pair] = field(default_factory=set)      # home:away score after each of their goals
    stats: dict[str, int] = field(default_factory=dict)  # basketball: points, rebounds, assists


@dataclass(frozen=True)
class Phrase:
    """A way a name can be written: one key set per word (any key of a text word must hit it)."""

    words: tuple[frozenset[str], ...]


@dataclass
class Named:
    """A team, person or other name with the phrases it can be written as (shared between checks by
    the caches below: never changed once built)."""

    kind: str                     # team, person, foreign_team
    label: str                    # as the record (or lexicon) writes it
    side: str | None = None       # teams: home/away
    phrases: list[Phrase] = field(default_factory=list)
    partial: list[Phrase] = field(default_factory=list)  # persons: one word alone (a surname)


@dataclass
class Expected:
    """Everything the checker compares a text with."""

    record: dict[str, Any]
    type: str
    status: str | None
    teams: dict[str, Named] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)
    named: list[Named] = field(default_factory=list)
    vocabulary: set[str] = field(default_factory=set)
    final: Pair | None = None
    result: dict[str, Any] = field(default_factory=dict)
    partial_pairs: set[Pair] = field(default_factory=set)
    shootout: Pair | None = None
    clocks: set[Pair] = field(default_factory=set)
    times: set[Pair] = field(default_factory=set)
    minutes: set[tuple[int, int | None]] = field(default_factory=set)
    elapsed_minute: int | None = None
    numbers: list[tuple[float, float]] = field(default_factory=list)
    dates: set[tuple[int, int, int | None]] = field(default_factory=set)
    attendance: int | None = None
    winning_scorer: str | None = None
    text_pairs: set[Pair] = field(default_factory=set)
    latin_strict: bool = True
    lexicon: Lexicon | None = None

    @property
    def is_match(self) -> bool:
        return self.type in MATCH_TYPES

    @property
    def narrated(self) -> bool:
        """Live and finished matches: the ones with a score narrative."""
        return self.status in NARRATED

    @property
    def leader(self) -> str | None:
        """The side ahead (finished: the winner, shoot-out included)."""
        return self.result.get("winner")


# --- building -------------------------------------------------------------------------------------------

def build(record: dict[str, Any], lexicon: Lexicon) -> Expected:
    """The facts of a validated record."""
    exp = Expected(record=record, type=record.get("type", ""), status=record.get("status"), lexicon=lexicon)
    if exp.is_match:
        _match_people(exp)
        _match_scores(exp)
        _match_minutes(exp)
        _teams(exp, lexicon)
        exp.attendance = record.get("attendance")
        for key in ("date", "rescheduled_to"):
            if key in record:
                d = dt.date.fromisoformat(record[key])
                exp.dates.add((d.day, d.month, d.year))
        if record.get("time"):
            exp.times.add(_clock(record["time"]))
    else:
        exp.latin_strict = record.get("language") == "en"
        if record.get("when"):
            d = dt.date.fromisoformat(record["when"])
            exp.dates.add((d.day, d.month, d.year))
        if record.get("time"):
            exp.times.add(_clock(record["time"]))
        for n in record.get("key_numbers", []):
            scale = _unit_scale(n.get("unit", ""))
            exp.numbers.append((float(n["value"]), scale))
        _text_facts(exp)
    _vocabulary(exp, lexicon)
    _numbers(exp)
    for person in exp.persons.values():
        exp.named.append(_person_named(person.name, lexicon))
    return exp


def _clock(value: str) -> Pair:
    mm, ss = value.split(":")
    return int(mm), int(ss)


def _unit_scale(unit: str) -> float:
    return extract.scale_of(unit.split()[0]) if unit.strip() else 1.0


def _person(exp: Expected, name: str, side: str | None, role: str) -> Person:
    person = exp.persons.setdefault(name, Person(name))
    if side:
        person.sides.add(side)
    person.roles.add(role)
    return person


def _match_people(exp: Expected) -> None:
    r = exp.record
    hockey = exp.type == "hockey_match"
    for g in goal_timeline(r) if r.get("goals") else []:
        own = g["kind"] == "own_goal"
        person = _person(exp, g["player"], g["player_side"], "own_goal" if own else "goal")
        home, away = (int(x) for x in g["running"].split(":"))
        person.running.add((home, away))
        person.goals += 0 if own else 1
        minute = (clock_minute(g["time"]), None) if hockey else (g["minute"], g["added"])
        person.minutes.add(minute)
        clock = _clock(g["time"]) if hockey and g.get("time") else None
        if clock:
            person.clocks.add(clock)
        for name in g.get("assists", []):
            helper = _person(exp, name, g["team"], "assist")
            helper.minutes.add(minute)
            if clock:
                helper.clocks.add(clock)
    for c in r.get("cards", []):
        _person(exp, c["player"], c["team"], "card").minutes.add((c["minute"], c.get("added")))
    for s in r.get("substitutions", []):
        for name in (s["player_in"], s["player_out"]):
            _person(exp, name, s["team"], "sub").minutes.add((s["minute"], s.get("added")))
    for p in r.get("penalties", []):
        person = _person(exp, p["player"], p["team"], "penalty")
        person.minutes.add((clock_minute(p["time"]), None))
        person.clocks.add(_clock(p["time"]))
    for lead in r.get("leaders", []):
        person = _person(exp, lead["player"], lead["team"], "leader")
        person.stats.update({k: lead[k] for k in ("points", "rebounds", "assists") if k in lead})
    if r.get("referee"):
        _person(exp, r["referee"], None, "referee")


def _cumulative(periods: list[dict[str, int]]) -> Iterator[Pair]:
    home = away = 0
    for p in periods:
        home, away = home + p["home"], away + p["away"]
        yield home, away


def _match_scores(exp: Expected) -> None:
    r = exp.record
    if not isinstance(r.get("score"), dict):
        return
    exp.final = (r["score"]["home"], r["score"]["away"])
    exp.result = outcome(r)
    pairs = {(0, 0), exp.final}
    for g in goal_timeline(r) if r.get("goals") else []:
        pairs.add(tuple(int(x) for x in g["running"].split(":")))
    if exp.type == "football_match" and r.get("goals") is not None:
        for limit in (45, 90):
            pairs.add((sum(1 for g in r["goals"] if g["team"] == "home" and g["minute"] <= limit),
                       sum(1 for g in r["goals"] if g["team"] == "away" and g["minute"] <= limit)))
    for key in ("periods", "quarters"):
        parts = r.get(key, [])
        pairs |= {(p["home"], p["away"]) for p in parts}
        pairs |= set(_cumulative(parts))
    if r.get("shootout"):
        exp.shootout = (r["shootout"]["home"], r["shootout"]["away"])
        pairs.add(exp.shootout)
    exp.partial_pairs = pairs
    w = winning_goal(r) if exp.status == "finished" and r.get("goals") else None
    exp.winning_scorer = w["player"] if w else None


def _match_minutes(exp: Expected) -> None:
    r = exp.record
    for person in exp.persons.values():
        exp.minutes |= person.minutes
    hockey = exp.type == "hockey_match"
    for key in ("goals", "penalties"):
        for event in r.get(key, []) if hockey else []:
            exp.clocks.add(_clock(event["time"]))
    elapsed = r.get("elapsed")
    if elapsed is not None:
        if hockey:
            exp.clocks.add(_clock(elapsed))
            exp.elapsed_minute = clock_minute(elapsed)
        else:
            exp.elapsed_minute = int(elapsed)
        exp.minutes.add((exp.elapsed_minute, None))


# --- names ----------------------------------------------------------------------------------------------

def _phrase(text: str, extra: bool = False) -> Phrase | None:
    """Key sets of the words of ``text``; ``extra`` adds rule-of-thumb case forms of each word."""
    words = [m.group() for m in WORD.finditer(text)]
    if not words:
        return None
    keys = []
    for w in words:
        k = set(word_keys(w))
        if extra:
            for form in inflected_forms(w):
                k |= word_keys(form)
        keys.append(frozenset(k))
    return Phrase(tuple(keys))


def _add(named: Named, text: str | None, extra: bool = False) -> None:
    phrase = _phrase(text, extra) if text else None
    if phrase is not None and phrase not in named.phrases:
        named.phrases.append(phrase)


@lru_cache(maxsize=1024)
def team_named(name: str, lexicon: Lexicon, side: str | None, kind: str = "team") -> Named:
    """A team with its lexicon (or safely guessed) case forms, English name and transliteration."""
    entry = lexicon.team_entry(name)
    named = Named(kind, name, side)
    _add(named, name, extra=True)
    for form in entry.forms.values():
        _add(named, form)
    _add(named, lexicon.en(name))
    return named


@lru_cache(maxsize=4096)
def _person_named(name: str, lexicon: Lexicon) -> Named:
    """A person with lexicon forms, safe pymorphy3 inflections, English name; each word alone as partial."""
    named = Named("person", name)
    forms = [lexicon.player(name, case) for case in CASES] + [lexicon.en(name)]
    _add(named, name, extra=True)
    for form in forms:
        _add(named, form)
    if not named.phrases:
        return named
    # one word alone (a surname, a first name): the case forms of each word position merged
    merged = [set(k) for k in named.phrases[0].words]
    for phrase in named.phrases[1:]:
        if len(phrase.words) == len(merged):
            for i, keys in enumerate(phrase.words):
                merged[i] |= keys
        else:
            named.partial += [Phrase((keys,)) for keys in phrase.words if _long_enough(keys)]
    named.partial += [Phrase((frozenset(k),)) for k in merged if _long_enough(k)]
    for form in [name] + forms:
        _add_initialled(named, form, extra=form is name)
    return named


def _add_initialled(named: Named, text: str, extra: bool) -> None:
    """The name with its first word as an initial: ``А. Мостовой``, ``A. Mostovoy``, ``J. Félix``."""
    words = WORD.findall(text)
    rest = _phrase(" ".join(words[1:]), extra) if len(words) >= 2 else None
    if rest is not None:
        phrase = Phrase((word_keys(words[0][0]),) + rest.words)
        if phrase not in named.phrases:
            named.phrases.append(phrase)


def _long_enough(keys: frozenset[str] | set[str]) -> bool:
    return any(len(k) >= 3 and not k.startswith("~") for k in keys) or any(len(k) >= 4 for k in keys)


def _teams(exp: Expected, lexicon: Lexicon) -> None:
    r = exp.record
    for side in ("home", "away"):
        exp.teams[side] = team_named(r[side]["name"], lexicon, side)
        exp.named.append(exp.teams[side])


@lru_cache(maxsize=8)
def lexicon_teams(lexicon: Lexicon) -> tuple[Named, ...]:
    """Every team of the lexicon as a ``foreign_team`` (a match's own teams are told apart by label)."""
    return tuple(team_named(name, lexicon, None, "foreign_team") for name in lexicon.teams)


def record_strings(value: Any) -> Iterator[str]:
    """Every string a record states (names, tournament, round, times…), not its codes (type, status, side)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in ("type", "id", "url", "status", "kind", "color", "strength", "style", "length_unit",
                         "language", "decided", "team"):
                yield from record_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from record_strings(v)


def _vocabulary(exp: Expected, lexicon: Lexicon) -> None:
    """Keys of every word in the record's strings and of their English names (places, competitions,
    venues, people in a news fact sheet...)."""
    for s in record_strings(exp.record):
        for text in (s, lexicon.en(s)) if len(s) <= 120 else (s,):
            for m in WORD.finditer(text):
                parts = [m.group()] + [p for p in m.group().split("-") if len(p) >= 4 and "-" in m.group()]
                for word in parts:        # Санкт-Петербург also as Петербург
                    exp.vocabulary |= word_keys(word)
                    for form in inflected_forms(word):
                        exp.vocabulary |= word_keys(form)


def _text_facts(exp: Expected) -> None:
    """News events and rewrites: the dates, pairs, times and numbers their text fields state, read as the
    checked text is read."""
    english = exp.record.get("language") == "en"
    for s in record_strings(exp.record):
        taken: list[extract.Span] = []
        exp.dates |= {(d.day, d.month, d.year) for d in extract.find_dates(s, taken)}
        for p in extract.find_pairs(s, taken):
            exp.text_pairs.add((p.a, p.b))
            if p.colon and p.b < 60:
                exp.times.add((p.a, p.b))
        exp.numbers += [(n.value, n.scale) for n in extract.find_numbers(s, taken, english)]


# --- numbers --------------------------------------------------------------------------------------------

def _ints(value: Any) -> Iterator[float]:
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield float(value)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _ints(v)
    elif isinstance(value, list):
        for v in value:
            yield from _ints(v)


def _numbers(exp: Expected) -> None:
    """Every number the record holds or implies: values, digits inside strings, date and clock parts,
    and (matches) counts, sums, margins and seconds left in a period."""
    r = exp.record
    pool = set(_ints(r))
    if exp.is_match:
        for s in record_strings(r):        # also as English names them: 1/8 финала -> round of 16
            for text in {s, exp.lexicon.en(s)} if exp.lexicon else {s}:
                pool |= {n.value for n in extract.find_numbers(text, [])}
    for day, month, year in exp.dates:
        pool |= {day, month} | ({year} if year else set())
    for a, b in exp.times | exp.clocks:
        pool |= {a, b}
    if exp.is_match:
        pool |= _derived(exp)
    exp.numbers += [(v, 1.0) for v in pool]


def _derived(exp: Expected) -> set[float]:
    """Numbers a match note may state that no field holds: score parts, sums and margins, goals per
    player and minute plus added time, counts of goals, cards, periods (won by each side), penalty
    minutes per side, a hockey goal's minute and the seconds left in its period."""
    r = exp.record
    out: set[float] = set()
    for a, b in exp.partial_pairs | ({exp.final} if exp.final else set()):
        out |= {a, b, a + b, abs(a - b)}
    for person in exp.persons.values():
        out.add(person.goals)
        out |= {m for m, _ in person.minutes} | {m + (a or 0) for m, a in person.minutes}
    goals = r.get("goals", [])
    out |= {len(goals), len(r.get("cards", [])), len(r.get("substitutions", []))}
    out |= {sum(1 for c in r.get("cards", []) if c["color"] != "yellow")}
    for key in ("periods", "quarters"):
        parts = r.get(key, [])
        out |= {len(parts), max(len(parts) - (3 if key == "periods" else 4), 0)}
        for side, other in (("home", "away"), ("away", "home")):
            out.add(sum(1 for p in parts if p[side] > p[other]))
    for side in ("home", "away"):
        out.add(sum(p["minutes"] for p in r.get("penalties", []) if p["team"] == side))
    for g in goals:
        if "time" in g:
            seconds = clock_seconds(g["time"])
            out |= {clock_minute(g["time"]), 1200 - seconds % 1200, 60 - seconds % 60}
    return out


__all__ = ["Expected", "Person", "Named", "Phrase", "build", "team_named", "lexicon_teams", "MATCH_TYPES"]
