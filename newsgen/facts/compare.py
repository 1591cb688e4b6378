"""Compare what a text states with what its record allows, and collect the mismatches.

:func:`check` is the entry point (re-exported as :func:`newsgen.facts.check`). Each ``_check_*``
function looks at one kind of fact, adds a :class:`~newsgen.facts.verdict.Mismatch` for each stated
fact the record does not support, and counts what it looked at.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from newsgen.facts import claims as cl
from newsgen.facts import readability
from newsgen.facts.expected import Expected, Person, build, record_strings
from newsgen.facts.extract import (DateFact, MinuteFact, NumberFact, PairFact, find_dates, find_minutes,
                                   find_numbers, find_pairs)
from newsgen.facts.names import Mention, UnknownName, find_mentions
from newsgen.facts.text import MONTHS_RU, WORD, Segments, Token, fold, is_cyrillic, segment, tokenize
from newsgen.facts.verdict import FactCheck, Mismatch
from newsgen.grammar import Lexicon
from newsgen.records import UNPLAYED
from newsgen.routing import TASKS
from newsgen.seeds import LANGUAGES

#: tasks whose match notes must state the score and the winner (or the status)
REQUIRED_TASKS = ("note", "summary")
ELAPSED_CONTEXT = re.compile(r"ид[её]т|прерван|останов|in progress|abandoned|in its|played|stopped|halted|"
                             r"suspended", re.I)
TIME_PREPOSITION = re.compile(r"(?:\b[вс]|\bдо|\bк|\bat|\bfrom|\buntil|\bto|\bby|\bна)\s*$", re.I)
ATTENDANCE_UNIT = re.compile(r"^(?:зрител|болельщик|spectator|fan|crowd|people)")
ATTENDANCE_BEFORE = re.compile(r"(?:attendance|посещаемость)[^.\d]*:\s*$", re.I)
#: the mark of a report-style minute (``71'``), written right after its player's name
REPORT_MINUTE = "'’′"
GOAL_UNIT = re.compile(r"^(?:гол|шайб|мяч|goal)")
STATS = {"points": re.compile(r"^(?:очк|point|pts)"), "rebounds": re.compile(r"^(?:подбор|rebound)"),
         "assists": re.compile(r"^(?:передач|assist)")}
#: a pair stated as the match's score («счёт 1:1», «со счётом 2:1», "score 1-1"), not a running or period score
SCORE_BEFORE = re.compile(r"(?:\bсч[её]т(?:ом)?|\bscore)\s*[:—–-]?\s*$", re.I)
#: a sentence about part of a match, where «со счётом 82:82» is that part's score (the end of regulation time)
PART_OF_MATCH = re.compile(r"основн|тайм|период|четверт|перерыв|половин|овертайм|дополнительн|сери[ия]|пенальти|"
                           r"буллит|regulation|half|period|quarter|interval|overtime|extra time|shoot|penalt", re.I)
#: a sentence naming a team's single top scorer (not ``Top scorers:``, ``Самые результативные:``)
TOP_SCORER = re.compile(r"\btop[- ]scorer\b(?!s)|\bсамы[мй]\s+результативн", re.I)
#: ``for Dinamo:``, ``у «Динамо»``: the team whose top scorer follows
TEAM_BEFORE_LEADER = re.compile(r"(?:\bfor|\bу)\s*«?$", re.I)
SIDE_PHRASES = {"у победителей": "winner", "у проигравших": "loser", "у хозяев": "home", "у гостей": "away",
                "for the winners": "winner", "for the losers": "loser", "for the hosts": "home",
                "for the visitors": "away"}


@lru_cache(maxsize=4)
def _load_lexicon(path: str) -> Lexicon:
    return Lexicon.load(Path(path))


def lexicon_of(templates_dir: Path) -> Lexicon:
    """The lexicon of a templates directory (``<dir>/lexicon.json``), loaded once per process."""
    return _load_lexicon(str(Path(templates_dir) / "lexicon.json"))


def default_lexicon() -> Lexicon:
    """The lexicon of the configured templates directory; reads the settings on every call (about 2 ms),
    so code that has its settings calls :func:`lexicon_of` instead."""
    from newsgen.config import load_settings

    return lexicon_of(load_settings().templates_dir)


@dataclass
class Context:
    """One check in progress: the text read once, the record's facts, and the verdict being built."""

    text: str
    exp: Expected
    seg: Segments
    tokens: list[Token]
    mentions: list[Mention] = field(default_factory=list)
    claims: list[cl.Claim] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    def fail(self, kind: str, span: tuple[int, int] | None, found: str, expected: str, message: str) -> None:
        self.mismatches.append(Mismatch(kind=kind, span=span, found=found, expected=expected, message=message))

    def count(self, what: str, n: int = 1) -> None:
        self.checked[what] = self.checked.get(what, 0) + n

    def team(self, side: str | None) -> str:
        return self.exp.teams[side].label if side in self.exp.teams else "?"

    def persons_near(self, span: tuple[int, int], brackets: bool = False, report: bool = False) -> list[Mention]:
        """The person mention a fact at ``span`` belongs to: the name right before a bracket it opens, else
        the nearest person in its clause, else the nearest before it in its sentence (``Угальде — на
        45+2-й``), else the first after it. ``brackets``: a fact inside ``(...)`` belongs to the name right
        before the bracket (``Иван Ухов (24 очка, 4 подбора)``); ``report``: a fact right after a name
        is his (``Agüero 19', Müller 55'``)."""
        people = [m for m in self.mentions if m.kind == "person"]
        owner = (self._bracket_owner(span, people) if brackets else []) or \
            (self._owner_before(span[0], people) if report else [])
        if owner:
            return owner
        clause, sentence = self.seg.clause_of(span[0]), self.seg.sentence_of(span[0])
        here = [m for m in people if m.clause == clause]
        if here:
            return [min(here, key=lambda m: _distance(m.span, span))]
        before = [m for m in people if m.sentence == sentence and m.span[1] <= span[0]]
        after = [m for m in people if m.sentence == sentence and m.span[0] >= span[1]]
        return before[-1:] or after[:1]

    def _bracket_owner(self, span: tuple[int, int], people: list[Mention]) -> list[Mention]:
        """For a fact inside ``(...)``: the person right before the opening bracket."""
        open_at = self.text.rfind("(", 0, span[0])
        if open_at < 0 or ")" in self.text[open_at:span[0]]:
            return []
        return self._owner_before(open_at, people)

    def _owner_before(self, pos: int, people: list[Mention]) -> list[Mention]:
        """The person whose mention ends right before ``pos`` (only spaces between)."""
        return [m for m in people if m.span[1] <= pos and not self.text[m.span[1]:pos].strip()][-1:]


def _a(word: str | None) -> str:
    return "an" if (word or "x")[0] in "aeiou" else "a"


def _distance(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(b[0] - a[1], a[0] - b[1], 0)


def check(record: dict[str, Any], text: str, task: str = "note", language: str = "ru", *,
          lexicon: Lexicon | None = None) -> FactCheck:
    """Check ``text`` (a note, summary or rewrite of ``record``) against the record.

    Every score, minute, date, number, name, result and status word the text states must be true of the
    record; a match note (task ``note`` or ``summary``) must also state the final score and the winner
    (or, for an unplayed or abandoned match, its status). ``language`` is a hint for reading numbers
    (``54,312`` is English grouping); both languages' patterns are always applied. A rewrite must keep
    a name or number of its source; every text must end at a sentence end and repeat no four words
    (:mod:`newsgen.facts.readability`). An unknown ``task`` or ``language`` is a :class:`ValueError`.
    """
    if task not in TASKS or language not in LANGUAGES:
        raise ValueError(f"task must be one of {', '.join(TASKS)} and language one of {', '.join(LANGUAGES)}; "
                         f"got {task!r}, {language!r}")
    exp = build(record, lexicon or default_lexicon())
    seg = segment(text)
    ctx = Context(text, exp, seg, tokenize(text, seg))
    taken: list[tuple[int, int]] = []
    dates = find_dates(text, taken)
    pairs = find_pairs(text, taken)
    minutes = find_minutes(text, taken, brackets=exp.type == "football_match") if exp.is_match else []
    numbers = find_numbers(text, taken, english=language == "en" or not is_cyrillic(text))
    ctx.mentions, unknown = find_mentions(text, ctx.tokens, exp)
    _check_names(ctx, unknown)
    _check_dates(ctx, dates)
    if exp.is_match:
        ctx.claims = cl.find_claims(ctx.tokens, ctx.mentions, seg)
        final_found = _check_scores(ctx, pairs)
        _check_minutes(ctx, minutes)
        _check_roles(ctx, pairs)
        _check_claims(ctx)
        _check_status(ctx)
        _check_decided(ctx)
        _check_language(ctx, language)
        if task in REQUIRED_TASKS:
            _check_required(ctx, final_found)
    else:
        _check_text_pairs(ctx, pairs)
    _check_numbers(ctx, numbers)
    if task == "rewrite" and exp.type == "rewrite_request":
        _check_kept(ctx, bool(dates or pairs or numbers))
    ctx.mismatches += readability.problems(seg, [(m.span, m.label) for m in ctx.mentions])
    mismatches = sorted(ctx.mismatches, key=lambda m: m.span or (len(text), len(text)))
    return FactCheck(passed=not mismatches, mismatches=mismatches, checked=dict(sorted(ctx.checked.items())))


# --- names ----------------------------------------------------------------------------------------------

#: what may stand between the two sides of a match: «Зенит» и «Спартак», «Зенит» — «Спартак», «Зенит» обыграл
#: «Спартак», Zenit beat Spartak (at most two words, no sentence end)
_PAIRED = re.compile(r"[\s«»\"—–-]*(?:[^\s.!?;:«»\"]+[\s«»\"—–-]+){0,2}", re.IGNORECASE)


def _check_names(ctx: Context, unknown: list[UnknownName]) -> None:
    exp = ctx.exp
    ctx.count("names", len(ctx.mentions) + len(unknown))
    teams = " / ".join(n.label for n in exp.teams.values()) or "-"
    for m in ctx.mentions:
        if m.kind == "foreign_team":
            ctx.fail("team", m.span, ctx.text[m.span[0]:m.span[1]], teams,
                     f"«{m.label}» is not a team of this match")
    labels = {n.label for n in exp.teams.values()}
    named = [m for m in ctx.mentions if m.kind == "team" and m.side and m.label in labels]  # not «хозяева»
    for a, b in zip(named, named[1:]):
        if a.side == b.side and _PAIRED.fullmatch(ctx.text[a.span[1]:b.span[0]]):
            ctx.fail("team", b.span, ctx.text[b.span[0]:b.span[1]], teams,
                     f"«{b.label}» is paired with itself: a match is between {teams}")
    people = ", ".join(exp.persons) or "-"
    for u in unknown:
        if u.person_like:
            ctx.fail("player", u.span, u.text, people, f"{u.text!r} is nobody the record names")
        else:
            ctx.fail("name", u.span, u.text, "-", f"{u.text!r} is not a name the record contains")


def _states_facts(text: str) -> bool:
    """Whether ``text`` has a number or a capitalised word inside a sentence (a name)."""
    words = tokenize(text, segment(text))
    return bool(re.search(r"\d", text)) or any(t.capitalised and not t.initial for t in words)


def _check_kept(ctx: Context, stated: bool) -> None:
    """A rewrite keeps at least one name or number of its source (else it is about something else)."""
    source = ctx.exp.record.get("text", "")
    if not stated and not ctx.mentions and _states_facts(source):
        ctx.fail("unrelated", None, "", "a name or number of the source",
                 "the rewrite keeps none of its source's names and numbers")


# --- dates, times, numbers ------------------------------------------------------------------------------

def _date_text(d: tuple[int, int, int | None]) -> str:
    return f"{d[0]} {MONTHS_RU[d[1] - 1]}" + (f" {d[2]}" if d[2] else "")


def _check_dates(ctx: Context, dates: list[DateFact]) -> None:
    allowed = ctx.exp.dates
    for d in dates:
        ctx.count("dates")
        if not any(d.day == day and d.month == month and (d.year is None or year is None or d.year == year)
                   for day, month, year in allowed):
            ctx.fail("date", d.span, d.text, ", ".join(sorted(_date_text(a) for a in allowed)) or "no date",
                     f"{d.text!r} is not a date of the record")


def _number_ok(exp: Expected, value: float, scale: float) -> bool:
    """The value is in the record: the same amount (``12,5 млрд`` = 12.5 with unit ``млрд руб.``), or the
    same figure when the text gives no scale word. Signs are ignored (``до минус 8`` / ``−8``)."""
    for v, s in exp.numbers:
        if abs(abs(v * s) - abs(value * scale)) < 1e-6 * max(1.0, abs(v * s)):
            return True
        if scale == 1.0 and abs(abs(v) - abs(value)) < 1e-9:
            return True
    return False


def _check_numbers(ctx: Context, numbers: list[NumberFact]) -> None:
    exp = ctx.exp
    for n in numbers:
        before = ctx.text[ctx.seg.sentences[ctx.seg.sentence_of(n.span[0])][0]:n.span[0]]
        if ATTENDANCE_UNIT.match(n.unit) or (exp.is_match and ATTENDANCE_BEFORE.search(before)):
            _check_attendance(ctx, n)
            continue
        ctx.count("numbers")
        if exp.type == "basketball_game" and _check_stat(ctx, n):
            continue
        if exp.type in ("football_match", "hockey_match") and _check_goal_count(ctx, n):
            continue
        if not _number_ok(exp, n.value, n.scale):
            ctx.fail("number", n.span, n.text, "-", f"{n.text!r} is not a number of the record")


def _check_attendance(ctx: Context, n: NumberFact) -> None:
    ctx.count("attendance")
    att = ctx.exp.attendance
    if not ctx.exp.is_match:
        if not _number_ok(ctx.exp, n.value, n.scale):
            ctx.fail("number", n.span, n.text, "-", f"{n.text!r} is not a number of the record")
        return
    value = n.value * n.scale
    close = n.scale > 1 and att is not None and abs(value - att) < n.scale
    if att is None or not (value == att or close):
        ctx.fail("attendance", n.span, n.text, str(att) if att is not None else "not in the record",
                 f"{n.text!r} spectators; the record has {att if att is not None else 'no attendance'}")


def _check_stat(ctx: Context, n: NumberFact) -> bool:
    """Basketball: ``24 очка`` next to a leader must be that leader's points (rebounds, assists).
    Returns False when the number is not a stat of a named leader (then the general rule applies)."""
    stat = next((k for k, p in STATS.items() if p.match(n.unit)), None)
    if stat is None:
        return False
    near = ctx.persons_near(n.span, brackets=True)
    people = [ctx.exp.persons[p] for m in near for p in m.persons if p in ctx.exp.persons]
    values = {p.stats[stat] for p in people if stat in p.stats}
    if not values:
        owner = ctx._bracket_owner(n.span, [m for m in ctx.mentions if m.kind == "person"])
        if people and any(p.stats for p in people):
            # a leader credited with a stat the record does not give him (another leader's 11 rebounds)
            ctx.fail("number", n.span, n.text, "no " + stat,
                     f"{people[0].name}: {n.text!r} {stat}, the record gives no {stat} for {people[0].name}")
            return True
        if owner and people:
            # a person of the record who is no leader, credited with a leader's line
            ctx.fail("scorer", n.span, n.text, "no stats",
                     f"{people[0].name}: {n.text!r} {stat}, the record has no stats for {people[0].name}")
            return True
        return False
    if int(n.value) not in values:
        ctx.fail("number", n.span, n.text, " / ".join(map(str, sorted(values))),
                 f"{people[0].name}: {n.text!r} {stat}, the record has {sorted(values)[0]}")
    return True


def _check_goal_count(ctx: Context, n: NumberFact) -> bool:
    """``Тарас Белов забросил две шайбы``: a goal count in a clause with one scorer is his count.
    Returns False when no scorer of the record is in the clause (the general rule applies)."""
    if not GOAL_UNIT.match(n.unit):
        return False
    clause = ctx.seg.clause_of(n.span[0])
    near = [m for m in ctx.mentions if m.kind == "person" and m.clause == clause]
    people = [ctx.exp.persons[p] for m in near for p in m.persons if p in ctx.exp.persons]
    scorers = [p for p in people if p.goals]
    if len(near) != 1 or not scorers:
        return False
    if int(n.value) not in {p.goals for p in scorers}:
        ctx.fail("scorer", n.span, n.text, str(scorers[0].goals),
                 f"{scorers[0].name} scored {scorers[0].goals}, not {n.text}")
    return True


def _check_text_pairs(ctx: Context, pairs: list[PairFact]) -> None:
    """News events and rewrites: a pair (time, score, range) must be in the record's text, or both its
    numbers must be."""
    exp = ctx.exp
    for p in pairs:
        ctx.count("numbers")
        if (p.a, p.b) in exp.text_pairs or (p.colon and (p.a, p.b) in exp.times):
            continue
        if not (_number_ok(exp, p.a, 1.0) and _number_ok(exp, p.b, 1.0)):
            ctx.fail("number", p.span, p.text, "-", f"{p.text!r} is not in the record")


# --- scores and clocks ----------------------------------------------------------------------------------

def _clock_like(ctx: Context, p: PairFact) -> bool:
    """Hockey game clock (``05:12``, ``52:30``) or a time of day (``в 19:30``)."""
    if not p.colon:
        return False
    a_text, b_text = re.split(r"\s?:\s?", p.text)
    if len(b_text) != 2:
        return False
    if ctx.exp.type == "hockey_match" and len(a_text) == 2:
        return True
    return p.a <= 23 and p.b <= 59 and bool(TIME_PREPOSITION.search(ctx.text[max(0, p.span[0] - 6):p.span[0]]))


def _clock_form(p: PairFact) -> bool:
    """Written as a clock or a time of day: a colon and two digits after it (``07:01``, ``19:30``); ``7:1``
    and ``4:2`` are scores even when the record has a clock 07:01 or 04:02."""
    return p.colon and len(re.split(r"\s?:\s?", p.text)[1]) == 2


def _check_clock_owner(ctx: Context, p: PairFact) -> None:
    """A hockey game clock right after a person (``Артём Борисов (15:31)``, ``Hakan Vadakraoğlu 35:55``) is
    the clock of one of that person's goals, assists or penalties, not just any clock of the record."""
    people_mentions = [m for m in ctx.mentions if m.kind == "person"]
    owner = ctx._bracket_owner(p.span, people_mentions) or ctx._owner_before(p.span[0], people_mentions)
    people = [ctx.exp.persons[n] for m in owner for n in m.persons if n in ctx.exp.persons]
    clocks = set().union(*(x.clocks for x in people)) if people else set()
    if clocks and (p.a, p.b) not in clocks:
        who = " / ".join(x.name for x in people)
        ctx.fail("minute", p.span, p.text, ", ".join(f"{a:02d}:{b:02d}" for a, b in sorted(clocks)),
                 f"{p.text!r}: the record has {who} at {', '.join(f'{a:02d}:{b:02d}' for a, b in sorted(clocks))}")


def _subjects(ctx: Context, sentence: int) -> set[str]:
    """Sides a true result claim is about (whose score the text may give first): claims of the pair's
    sentence, else of the whole text."""
    true = [c for c in ctx.claims
            if c.kind in ("win", "lead", "favour") and c.subject and c.side == ctx.exp.leader]
    here = {c.subject for c in true if c.sentence == sentence}
    return here or {c.subject for c in true}


def _check_scores(ctx: Context, pairs: list[PairFact]) -> bool:
    """Scores, clocks and times; returns whether the final (live: current) score was stated."""
    exp = ctx.exp
    final_found = False
    for p in pairs:
        if (_clock_form(p) and (p.a, p.b) in exp.clocks | exp.times) or _clock_like(ctx, p):
            ctx.count("times")
            if (p.a, p.b) not in exp.clocks | exp.times:
                expected = ", ".join(f"{a:02d}:{b:02d}" for a, b in sorted(exp.clocks | exp.times)) or "none"
                ctx.fail("time", p.span, p.text, expected, f"{p.text!r} is not a time or game clock of the record")
            else:
                _check_clock_owner(ctx, p)
            continue
        ctx.count("scores")
        if exp.final is None or (not exp.narrated and exp.status != "abandoned"):
            ctx.fail("status", p.span, p.text, f"status {exp.status}, no score",
                     f"{_a(exp.status)} {exp.status} match has no score, the text gives {p.text!r}")
            continue
        found = _score_ok(ctx, p)
        final_found |= found == "final"
    return final_found


def _score_ok(ctx: Context, p: PairFact) -> str | None:
    """``final`` for the final score in an accepted order, ``partial`` for another score of the record;
    None (and a mismatch) otherwise."""
    exp = ctx.exp
    pair, swapped = (p.a, p.b), (p.b, p.a)
    home, away = exp.final
    if pair == exp.final:
        return "final"
    if (SCORE_BEFORE.search(ctx.text[max(0, p.span[0] - 12):p.span[0]]) and swapped != exp.final
            and not PART_OF_MATCH.search(ctx.seg.sentence_text(ctx.seg.sentence_of(p.span[0])))):
        ctx.fail("score", p.span, p.text, f"{home}:{away}",
                 f"{p.text!r} is given as the match's score; it is {home}:{away} ({ctx.team('home')} first)")
        return None
    if pair in exp.partial_pairs:
        return "partial"
    if swapped == exp.final:
        if "away" in _subjects(ctx, ctx.seg.sentence_of(p.span[0])):
            return "final"
        ctx.fail("score", p.span, p.text, f"{home}:{away}",
                 f"{p.text!r} puts {ctx.team('away')}'s score first, but the text does not say who "
                 f"{'won' if exp.status == 'finished' else 'leads'} with {ctx.team('away')} as the subject; "
                 f"the record has {ctx.team('home')} {home}:{away} {ctx.team('away')}")
        return None
    if swapped in exp.partial_pairs - {exp.final} and p.a > p.b:
        return "partial"
    ctx.fail("score", p.span, p.text, f"{home}:{away}",
             f"{p.text!r} is no score of the record (final {home}:{away}, {ctx.team('home')} first)")
    return None


# --- minutes --------------------------------------------------------------------------------------------

def minute_matches(minute: int, added: int | None, events: set[tuple[int, int | None]]) -> bool:
    """``45+2`` matches (45, 2); a bare minute matches its event minute or minute plus added time."""
    for m, a in events:
        if added is not None:
            if m == minute and a == added:
                return True
        elif minute == m or (a and minute == m + a):
            return True
    return False


def _minute_text(events: set[tuple[int, int | None]]) -> str:
    ordered = sorted(events, key=lambda e: (e[0], e[1] or 0))
    return ", ".join(f"{m}+{a}" if a else str(m) for m, a in ordered) or "none"


def _check_minutes(ctx: Context, minutes: list[MinuteFact]) -> None:
    exp = ctx.exp
    people_mentions = [m for m in ctx.mentions if m.kind == "person"]
    for f in minutes:
        if f.in_brackets and not ctx._bracket_owner(f.span, people_mentions):
            ctx.count("numbers")           # ``(1)`` after no name is no minute
            if not _number_ok(exp, f.minute, 1.0) or (f.added and not _number_ok(exp, f.added, 1.0)):
                ctx.fail("number", f.span, f.text, "-", f"{f.text!r} is not a number of the record")
            continue
        ctx.count("minutes")
        clause = ctx.seg.clause_text(ctx.seg.clause_of(f.span[0]))
        if exp.elapsed_minute is not None and ELAPSED_CONTEXT.search(clause):
            if f.minute != exp.elapsed_minute or f.added:
                ctx.fail("minute", f.span, f.text, str(exp.elapsed_minute),
                         f"{f.text!r}: play {'stopped' if exp.status == 'abandoned' else 'is'} at minute "
                         f"{exp.elapsed_minute}")
            continue
        near = ctx.persons_near(f.span, brackets=True, report=f.text[-1] in REPORT_MINUTE)
        people = [exp.persons[n] for m in near for n in m.persons if n in exp.persons]
        events = set().union(*(p.minutes for p in people)) if people else set()
        if events:
            if not minute_matches(f.minute, f.added, events):
                who = " / ".join(p.name for p in people)
                ctx.fail("minute", f.span, f.text, _minute_text(events),
                         f"{f.text!r}: the record has {who} at minute {_minute_text(events)}")
        elif not minute_matches(f.minute, f.added, exp.minutes):
            ctx.fail("minute", f.span, f.text, _minute_text(exp.minutes),
                     f"{f.text!r} is no minute of the record")


# --- people's roles -------------------------------------------------------------------------------------

ROLE_NAMES = {"goal": ("goal", "own_goal"), "card": ("card", "penalty"), "assist": ("assist",),
              "leader": ("leader",)}
ROLE_WORDS = {"goal": "a goal", "card": "a card or penalty", "assist": "an assist", "leader": "top scoring"}


def _people(ctx: Context, m: Mention) -> list[Person]:
    return [ctx.exp.persons[n] for n in m.persons if n in ctx.exp.persons]


def _check_roles(ctx: Context, pairs: list[PairFact]) -> None:
    """What the text says each named person did: scored (a brace, the winner, an own goal), assisted,
    was sent off; the running score a goal made; which team they play for."""
    roles_of: dict[int, cl.Roles] = {}
    for m in ctx.mentions:
        people = _people(ctx, m) if m.kind == "person" else []
        if not people:
            continue
        if m.clause not in roles_of:
            words = [t for t in ctx.tokens if t.clause == m.clause]
            roles_of[m.clause] = cl.clause_roles(words, ctx.seg.clause_text(m.clause),
                                                 ctx.seg.sentence_text(m.sentence), ctx.exp.type)
        ctx.count("roles")
        if _person_roles(ctx, m, people, roles_of[m.clause]) and roles_of[m.clause].listed:
            _check_running(ctx, m, people, pairs)
    _check_sides(ctx)


def _person_roles(ctx: Context, m: Mention, people: list[Person], roles: cl.Roles) -> bool:
    """Check one mention against the roles of its clause; False if it has none of them."""
    found = ctx.text[m.span[0]:m.span[1]]
    name = people[0].name
    wanted = {r for role in roles.roles for r in ROLE_NAMES[role]}
    if wanted and not any(wanted & p.roles for p in people):
        said = " or ".join(ROLE_WORDS[r] for r in sorted(roles.roles))
        ctx.fail("scorer", m.span, found, ", ".join(sorted(r for p in people for r in p.roles)) or "-",
                 f"the text credits {name} with {said}; the record does not")
        return False
    if roles.count and "goal" in roles.roles and not any(p.goals == roles.count for p in people):
        ctx.fail("scorer", m.span, found, f"{people[0].goals} goal(s)",
                 f"the text says {name} scored {roles.count}; the record has {people[0].goals}")
    if roles.winner and ctx.exp.winning_scorer not in {p.name for p in people}:
        ctx.fail("scorer", m.span, found, ctx.exp.winning_scorer or "no winning goal",
                 f"the winning goal was scored by {ctx.exp.winning_scorer or 'nobody (no winning goal)'}, "
                 f"not {name}")
    alone = sum(1 for x in ctx.mentions if x.kind == "person" and x.clause == m.clause) == 1
    if roles.own_goal and alone and not any("own_goal" in p.roles for p in people):
        ctx.fail("scorer", m.span, found, "no own goal", f"{name} scored no own goal")
    return True


def _check_running(ctx: Context, m: Mention, people: list[Person], pairs: list[PairFact]) -> None:
    """In a goal list, ``1:0 — Луиз Энрике``: the score right before a scorer is the score his goal made."""
    for p in pairs:
        if p.span[1] <= m.span[0] and re.fullmatch(r"\s*[—–-]?\s*", ctx.text[p.span[1]:m.span[0]]):
            runs = set().union(*(x.running for x in people))
            if runs and (p.a, p.b) not in runs:
                ctx.fail("scorer", m.span, ctx.text[m.span[0]:m.span[1]],
                         ", ".join(f"{a}:{b}" for a, b in sorted(runs)),
                         f"{p.text} was not scored by {people[0].name}")


def _check_sides(ctx: Context) -> None:
    """``Соболев («Спартак», ...)`` and ``у победителей стал Иван Ухов``: the person plays for that side."""
    exp = ctx.exp
    people = [m for m in ctx.mentions if m.kind == "person"]
    teams = [m for m in ctx.mentions if m.kind == "team" and m.side]
    for person in people:
        for team in teams:
            between = ctx.text[person.span[1]:team.span[0]]
            if team.span[0] > person.span[1] and re.fullmatch(r"\s*\(\s*«?", between):
                _side_ok(ctx, person, team.side, team.span)
    low = ctx.text.lower()
    for phrase, which in SIDE_PHRASES.items():
        for hit in re.finditer(re.escape(phrase), low):
            side = exp.result.get(which) if which in ("winner", "loser") else which
            clause, sentence = ctx.seg.clause_of(hit.start()), ctx.seg.sentence_of(hit.start())
            here = [m for m in people if m.clause == clause]
            after = [m for m in people if m.span[0] >= hit.end() and m.sentence == sentence]
            owner = min(here, key=lambda m: _distance(m.span, hit.span())) if here else after[0] if after else None
            if side and owner:
                _side_ok(ctx, owner, side, (hit.start(), hit.end()))
    if exp.type == "basketball_game":
        _check_top_scorers(ctx)


def _check_top_scorers(ctx: Context) -> None:
    """Basketball ``Top scorer for Dinamo: X (33 points)``, ``Самым результативным у «Динамо» стал X``: X
    plays for the team named before him (``for``/``у``), and X is his team's top scorer: the most points
    among its leaders, ties going to the one the record lists first (as the templates pick him)."""
    exp = ctx.exp
    leaders = exp.record.get("leaders") or []
    teams = [m for m in ctx.mentions if m.kind == "team" and m.side]
    for i in range(len(ctx.seg.sentences)):
        if not TOP_SCORER.search(ctx.seg.sentence_text(i)):
            continue
        prev_end = ctx.seg.sentences[i][0]
        for person in [m for m in ctx.mentions if m.kind == "person" and m.sentence == i]:
            named = [t for t in teams if prev_end <= t.span[0] and t.span[1] <= person.span[0]
                     and TEAM_BEFORE_LEADER.search(ctx.text[max(0, t.span[0] - 6):t.span[0]])]
            prev_end = person.span[1]
            if named:
                _side_ok(ctx, person, named[-1].side, named[-1].span)
            people = _people(ctx, person)
            names = {p.name for p in people}
            mine = [ld for ld in leaders if ld["player"] in names]
            if not mine:
                continue
            ctx.count("roles")
            team = mine[0]["team"]
            best = sorted((ld for ld in leaders if ld["team"] == team), key=lambda ld: -ld.get("points", 0))[0]
            if best["player"] not in names:
                ctx.fail("scorer", person.span, ctx.text[person.span[0]:person.span[1]], best["player"],
                         f"the top scorer of {ctx.team(team)} is {best['player']} ({best.get('points', 0)} "
                         f"points), not {people[0].name}")


def _side_ok(ctx: Context, person: Mention, side: str, span: tuple[int, int]) -> None:
    ctx.count("sides")
    people = _people(ctx, person)
    if people and all(p.sides and side not in p.sides for p in people):
        actual = "/".join(ctx.team(s) for s in sorted(people[0].sides))
        ctx.fail("team", span, ctx.text[span[0]:span[1]], actual,
                 f"{people[0].name} plays for {actual}, not {ctx.team(side)}")


# --- results and status ---------------------------------------------------------------------------------

def _level_regulation(exp: Expected) -> bool:
    r = exp.record
    if exp.type == "hockey_match" and r.get("periods"):
        parts = r["periods"][:3]
    elif exp.type == "basketball_game" and r.get("quarters"):
        parts = r["quarters"][:4]
    elif exp.type == "football_match" and r.get("goals") is not None:
        goals = [g for g in r["goals"] if g["minute"] <= 90]
        return sum(g["team"] == "home" for g in goals) == sum(g["team"] == "away" for g in goals)
    else:
        return bool(exp.final and exp.final[0] == exp.final[1])
    return sum(p["home"] for p in parts) == sum(p["away"] for p in parts)


def _check_claims(ctx: Context) -> None:
    exp = ctx.exp
    level = bool(exp.final) and exp.final[0] == exp.final[1]
    leader = None if not exp.final or level else ("home" if exp.final[0] > exp.final[1] else "away")
    for c in ctx.claims:
        ctx.count("claims")
        found = ctx.text[c.span[0]:c.span[1]]
        if exp.status in UNPLAYED or (exp.status in ("abandoned", "live") and c.final):
            ctx.fail("status", c.span, found, f"status {exp.status}",
                     f"{_a(exp.status)} {exp.status} match has no result, the text says {found!r}")
            continue
        if c.kind == "draw":
            # a finished hockey or basketball match has a winner: a draw is the regulation score
            regulation = c.regulation or exp.type != "football_match"
            ok = _level_regulation(exp) if regulation and exp.status == "finished" else level
            if not ok:
                ctx.fail("winner", c.span, found, _result_text(ctx), f"not a draw: {_result_text(ctx)}")
            continue
        if exp.status == "finished" and c.kind == "lead":
            continue  # a lead at some moment of a finished match: not checked
        wanted = exp.result.get("winner") if exp.status == "finished" else leader
        if c.side is None:
            ctx.fail("winner", c.span, found, _result_text(ctx), f"{found!r} names no team: {_result_text(ctx)}")
        elif c.side != wanted:
            ctx.fail("winner", c.span, found, _result_text(ctx),
                     f"the text says {ctx.team(c.side)} {'won' if exp.status == 'finished' else 'leads'}; "
                     f"{_result_text(ctx)}")


def _result_text(ctx: Context) -> str:
    exp = ctx.exp
    if not exp.final:
        return f"status {exp.status}"
    h, a = exp.final
    if exp.status == "finished" and exp.result.get("winner"):
        w = exp.result["winner"]
        extra = " on penalties" if exp.result.get("decided") == "shootout" else ""
        return f"{ctx.team(w)} won{extra} ({ctx.team('home')} {h}:{a} {ctx.team('away')})"
    return f"{ctx.team('home')} {h}:{a} {ctx.team('away')}"


def _check_decided(ctx: Context) -> None:
    """A finished match said to be decided in a way it was not: a shoot-out the record has none of, overtime
    in a match that had none, extra time in a football match without it (``«Зенит» обыграл «Спартак» в
    серии буллитов`` for a 2:1 in regulation)."""
    exp = ctx.exp
    if exp.status != "finished":
        return
    decided = exp.result.get("decided", "regulation")
    extra_time = bool(exp.record.get("extra_time"))
    allowed = {"shootout": decided == "shootout",
               "overtime": decided in ("overtime", "shootout") and exp.type != "football_match",
               "extra_time": exp.type == "football_match" and (extra_time or decided == "extra_time")}
    for claim in cl.find_decided_claims(ctx.text):
        ctx.count("decided")
        if not allowed[claim.status]:
            found = ctx.text[claim.span[0]:claim.span[1]]
            ctx.fail("status", claim.span, found, f"decided: {decided}",
                     f"the text says the match went to {claim.status.replace('_', ' ')}, the record says it was "
                     f"decided in {decided.replace('_', ' ')}")


def _check_status(ctx: Context) -> None:
    exp = ctx.exp
    for s in cl.find_status_claims(ctx.text):
        ctx.count("statuses")
        ok = s.status == exp.status or (s.status == "scheduled" and exp.status == "postponed"
                                        and bool(exp.record.get("rescheduled_to")))
        if not ok:
            found = ctx.text[s.span[0]:s.span[1]]
            ctx.fail("status", s.span, found, exp.status or "-",
                     f"the text says the match is {s.status}, the record says {exp.status}")


#: a quoted stretch of text (a record string such as a postponement's reason is quoted as the record has it)
_QUOTED_TEXT = re.compile(r"«[^«»]*»|\"[^\"]*\"|“[^”]*”")


def _check_language(ctx: Context, language: str) -> None:
    """``language`` for a lower-case word in the other script (``«Спартак» beat «Спартак»``, ``Zenit
    обыграл Spartak``) outside the names found, quoted text and the words of the record's own strings."""
    inside = [m.span for m in ctx.mentions] + [q.span() for q in _QUOTED_TEXT.finditer(ctx.text)]
    known = {fold(w) for s in record_strings(ctx.exp.record) for w in WORD.findall(s)}
    for t in ctx.tokens:
        if len(t.text) < 2 or not t.text[:1].islower():
            continue
        if not (t.latin if language == "ru" else is_cyrillic(t.text)) or fold(t.text) in known:
            continue
        if any(a <= t.start and t.end <= b for a, b in inside):
            continue
        own, other = ("Russian", "English") if language == "ru" else ("English", "Russian")
        ctx.fail("language", (t.start, t.end), t.text, f"a {own} text",
                 f"{t.text!r} is {other} in a {language} text and no name of the record")


def _check_required(ctx: Context, final_found: bool) -> None:
    exp = ctx.exp
    if exp.status == "finished" and exp.narrated and not exp.result.get("winner"):
        # a draw is between two teams: «ЦСКА сыграли вничью 0:0» is no note (a win or a lead may name one side)
        named = {m.side for m in ctx.mentions if m.kind == "team"}
        for side, team in exp.teams.items():
            if side not in named:
                ctx.fail("missing_team", None, "", team.label,
                         f"the note of a draw never names {team.label}, one of the two teams")
    if exp.narrated:
        if not final_found and exp.final is not None:
            h, a = exp.final
            ctx.fail("missing_score", None, "", f"{h}:{a}",
                     f"the note never gives the {'final' if exp.status == 'finished' else 'current'} score {h}:{a}")
        if exp.status == "finished":
            winner = exp.result.get("winner")
            said = {c.side for c in ctx.claims if c.kind in ("win", "favour")} if winner else \
                {"draw" for c in ctx.claims if c.kind == "draw"}
            if (winner or "draw") not in said:
                ctx.fail("missing_winner", None, "", _result_text(ctx),
                         f"the note never says {'who won' if winner else 'that it was a draw'}: {_result_text(ctx)}")
    elif exp.status and not cl.states_status(ctx.text, exp.status):
        ctx.fail("missing_status", None, "", exp.status, f"the note never says the match is {exp.status}")


__all__ = ["check", "default_lexicon", "minute_matches"]
