"""Pointer slots: a record's names written as slot tokens in a prompt and a note, and realised back.

A model fine-tuned with slots (its ``generation_config.json``: ``"newsgen_prompt": {"slots": true}``) never
reads or writes a name. In its prompt every team, player, tournament, round, venue and city of the record is
a slot token, ``⟦a⟧``, ``⟦b⟧`` … in order of first appearance, followed by a form token when the grammar
layer wrote it in another case (``⟦gent⟧``) or as a label (``⟦lbl⟧``); the match date (``⟦short⟧``: without the year), the final score
(winner first) and the attendance («20 416 зрителей», plural agreed) are slots too, and so are a note's whole lists
(``⟦l⟧`` … ``⟦p⟧``: its goals, sent-off players, players with more than one goal, period or quarter scores and
penalty minutes, the seed's list blocks as the template-only note writes them, so their scorers, minutes and
running scores are the record's, in the record's order, by construction). What a note works out from the record
has a fixed slot as well: the winning goal's scorer and minute (``⟦q⟧``, ``⟦r⟧``) and the two top scorers of a
basketball game with their stat lines (``⟦s⟧`` … ``⟦v⟧``, the winners' first), so the model writes «Победный гол
на ⟦r⟧⟦loct⟧ забил ⟦q⟧.» and never picks the scorer. The text the model writes is realised
from the record by the grammar layer (:class:`~newsgen.grammar.Lexicon`): each slot becomes its string in
that form, capitalised at a sentence start, and a past-tense verb next to a team or person in the
nominative agrees with it (the model writes the masculine form: it cannot know an unseen team's gender).

So a name in such a note is always one of the record's, in the form the grammar layer gives it, whatever
the model knows: the demo model's answer to names it has never seen. Other numbers stay digits the model
copies (grounded decoding still limits them to the record's).
"""
from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from newsgen.grammar import (CASES, Lexicon, clock_minute, en_date, en_minute, en_number, en_on_minute,
                             en_plural, minute, on_minute, plural, ru_date)
from newsgen.grammar.morph import _morph
from newsgen.grammar.names import inflect_verb
from newsgen.grammar.text import capfirst, oneline
from newsgen.records import goal_timeline, outcome, reader_view, winning_goal

if TYPE_CHECKING:
    from newsgen.generation.base import PromptFormat
    from newsgen.seeds import Seed

#: slot tokens: ⟦a⟧ … ⟦z⟧, ⟦aa⟧ … ⟦cz⟧ (lower-case letters only: free text to the grounding constraint)
SLOTS = tuple(f"⟦{c}⟧" for c in string.ascii_lowercase) + tuple(
    f"⟦{a}{c}⟧" for a in "abc" for c in string.ascii_lowercase)
#: form tokens after a slot: a case other than the nominative, or the label form («X» without «команда»)
FORMS = {case: f"⟦{case}⟧" for case in CASES if case != "nomn"} | {"label": "⟦lbl⟧", "short": "⟦short⟧"}
#: every token a slot model's tokenizer adds
TOKENS = SLOTS + tuple(FORMS.values())
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TOKEN = re.compile(r"⟦([a-z]+)⟧(?:⟦([a-z]+)⟧)?")
#: one slot or form token
SLOT_TOKEN = re.compile(r"⟦[a-z]+⟧")
_FORM_OF = {token: form for form, token in FORMS.items()}
_SENTENCE_START = re.compile(r"(?:^\s*|[.!?]\s+|\n\s*)$")
_WORD_BEFORE = re.compile(r"(\w+)(\s+)$")
_WORD_AFTER = re.compile(r"^(\s+)(\w+)")


def served_prompt(seed: "Seed", record: dict[str, Any], language: str, fmt: "PromptFormat",
                  lexicon: Lexicon) -> tuple[str, str, "Slots | None"]:
    """The shared prefix and the rest of the prompt a model of prompt format ``fmt`` reads for ``seed``
    (the few-shot examples dropped unless it reads them; names as slots for a slot model), and the record's
    slots when it writes with them: the one place the worker and fine-tuning both take it from."""
    if fmt.examples and not fmt.slots:
        return seed.prefix, seed.prompt[len(seed.prefix):], None
    rest = seed.prompt[len(seed.prefix):]
    if not fmt.slots:
        return "", rest, None
    slots = Slots(record, language, lexicon, order_by=rest, lists=seed.lists)
    return "", slots.delex(rest), slots


class SlotError(ValueError):
    """A model text names a slot the record does not have."""


@dataclass(frozen=True)
class Entity:
    """One record string a slot stands for: its kind decides how it is written."""

    text: str
    kind: str   # team | person | date | score | count | minute | clock | stats | penalty_minutes | list | other
    role: str | None = None     # one of ROLES (a fixed slot), or None (a person of the match's events)


#: what always gets the same slot, ⟦a⟧ home team … ⟦k⟧ attendance, ⟦l⟧ … ⟦p⟧ the note's lists, ⟦q⟧ … ⟦v⟧ the facts a
#: note derives (absent ones leave theirs unused); the players of the record's events follow from ⟦w⟧ on, its
#: other numbers from ⟦ba⟧ on, each in the order the prompt first names them: a note, which names them in that
#: order too, mostly writes the next one
ROLES = ("home", "away", "tournament", "round", "date", "venue", "referee", "home_city", "away_city", "score",
         "attendance", "goals", "reds", "scorers", "periods", "penalties", "winner", "winner_minute", "first_leader",
         "first_stats", "second_leader", "second_stats")
NAME_SLOTS = SLOTS[len(ROLES):SLOTS.index("⟦ba⟧")]
NUMBER_SLOTS = SLOTS[SLOTS.index("⟦ba⟧"):]
#: entity kinds that take a number slot
NUMBER_KINDS = ("score", "minute", "clock", "stats", "penalty_minutes", "count")


def entities(record: dict[str, Any]) -> list[Entity]:
    """The record's names, each once: teams, tournament, round, date, venue, referee and cities (read as the
    templates read them), then the people of its goals, leaders, penalties and cards."""
    record = reader_view(record)
    out: dict[tuple[str, str], Entity] = {}

    def add(value: Any, kind: str, role: str | None = None) -> None:
        if isinstance(value, str) and value.strip():
            text = _text(value)
            # a score and a minute may be the same digits as another kind's: one entity per kind and text
            out.setdefault((text, "score" if kind == "score" else kind), Entity(text, kind, role))

    home, away = record.get("home") or {}, record.get("away") or {}
    add(home.get("name"), "team", "home")
    add(away.get("name"), "team", "away")
    add(record.get("tournament"), "other", "tournament")
    add(record.get("round"), "other", "round")
    if isinstance(record.get("date"), str) and _ISO_DATE.fullmatch(record["date"]):
        add(record["date"], "date", "date")
    add(record.get("venue"), "other", "venue")
    add(record.get("referee"), "person", "referee")
    add(home.get("city"), "other", "home_city")
    add(away.get("city"), "other", "away_city")
    score = record.get("score") or {}
    if isinstance(score.get("home"), int) and isinstance(score.get("away"), int):   # the final score, winner first
        add(f"{max(score['home'], score['away'])}:{min(score['home'], score['away'])}", "score", "score")
    if isinstance(record.get("attendance"), int):
        add(str(record["attendance"]), "count", "attendance")
    for key in ("goals", "leaders", "penalties", "cards"):
        for event in record.get(key) or []:
            add(event.get("player"), "person")
            for name in event.get("assists") or [] if isinstance(event.get("assists"), list) else []:
                add(name, "person")
    for text, kind in _numbers(record):
        add(text, kind)
    for text, kind, role in _derived(record):      # a fixed slot for what a note works out from the record
        key = (text, kind)
        if key in out and out[key].role is None and role not in {e.role for e in out.values()}:
            out[key] = Entity(out[key].text, kind, role)
    return list(out.values())


def _text(value: str) -> str:
    """A record string as its entity holds it: NFC, on one line."""
    return oneline(unicodedata.normalize("NFC", value))


def _derived(record: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
    """``(text, kind, role)`` of the facts a note works out from a (reader-view) record: the winning goal's
    scorer and minute (football and hockey, as the templates' winner sentence states them), and the top scorer
    of each side of a basketball game with their stat line (the winners' first, as the note names them)."""
    try:
        result = outcome(record) if record.get("status") in ("finished", "live") else None
        winner = winning_goal(record) if result and record.get("status") == "finished" and record.get("goals") else None
    except (KeyError, TypeError, ValueError):
        result, winner = None, None
    if winner is not None and isinstance(winner.get("player"), str):
        yield _text(winner["player"]), "person", "winner"
        minute_text = (str(clock_minute(winner["time"])) if isinstance(winner.get("time"), str)
                       else _minute_text(winner.get("minute"), winner.get("added")))
        if minute_text:
            yield minute_text, "minute", "winner_minute"
    leaders = [x for x in record.get("leaders") or [] if isinstance(x.get("points"), int)]
    if result is not None and leaders:
        sides = [result["winner"], result["loser"]] if result["winner"] else ["home", "away"]
        for side, role in zip(sides, ("first", "second")):
            best = sorted((x for x in leaders if x.get("team") == side), key=lambda x: -x["points"])[:1]
            for x in best:
                yield _text(x["player"]), "person", f"{role}_leader"
                yield _stats_text(x), "stats", f"{role}_stats"


def _numbers(record: dict[str, Any]) -> Iterable[tuple[str, str]]:
    """The score pairs (home:away: final, by period or quarter, shoot-out, running after each goal), match
    minutes (``45+2``: goals, cards, the minute now, a hockey winner's), game clocks (``06:58``), a
    basketball leader's stat line and a hockey team's penalty minutes a note copies, so that it copies them
    as pointers too."""
    pair = lambda p: f"{p['home']}:{p['away']}" if isinstance(p, dict) and isinstance(p.get("home"), int) \
        and isinstance(p.get("away"), int) else None   # noqa: E731
    hockey = record.get("type") == "hockey_match"
    yield pair(record.get("score")), "score"
    for p in list(record.get("periods") or []) + list(record.get("quarters") or []):
        yield pair(p), "score"
    yield pair(record.get("shootout")), "score"
    try:
        timeline = goal_timeline(record) if record.get("goals") else []
        winner = winning_goal(record) if hockey and timeline and record.get("status") == "finished" else None
    except (KeyError, TypeError, ValueError):
        timeline, winner = [], None
    for g in timeline:
        yield g["running"], "score"
        yield (g.get("time"), "clock") if hockey else (_minute_text(g.get("minute"), g.get("added")), "minute")
    if winner is not None and isinstance(winner.get("time"), str):
        yield str(clock_minute(winner["time"])), "minute"
    for card in record.get("cards") or []:
        yield _minute_text(card.get("minute"), card.get("added")), "minute"
    elapsed = record.get("elapsed")
    if hockey and isinstance(elapsed, str) and ":" in elapsed:
        yield str(clock_minute(elapsed)), "minute"
    elif isinstance(elapsed, int):
        yield str(elapsed), "minute"
    for leader in record.get("leaders") or []:
        if isinstance(leader.get("points"), int):
            yield _stats_text(leader), "stats"
    for side in ("home", "away") if record.get("penalties") else ():
        yield str(sum(p.get("minutes", 0) for p in record["penalties"] if p.get("team") == side)), "penalty_minutes"


#: a stats entity's text: points, rebounds, assists (empty when the record lacks one); how each is written
_STATS = ("points", "rebounds", "assists")
_STAT_UNITS = {"ru": ("очко", "подбор", "передача"), "en": ("point", "rebound", "assist")}


def _stats_text(leader: dict[str, Any]) -> str:
    return ",".join(str(leader[k]) if isinstance(leader.get(k), int) else "" for k in _STATS)


def _minute_text(m: Any, added: Any = None) -> str | None:
    return None if not isinstance(m, int) else f"{m}+{added}" if isinstance(added, int) and added else str(m)


def _minute_of(text: str) -> tuple[int, int | None]:
    m, _, added = text.partition("+")
    return int(m), int(added) if added else None


class Slots:
    """The slots of one record in one language: ``delex`` writes texts with slots, ``realise`` back;
    ``lists`` are the note's lists as the template writes them (:attr:`newsgen.seeds.Seed.lists`)."""

    def __init__(self, record: dict[str, Any], language: str, lexicon: Lexicon, order_by: str = "",
                 lists: Mapping[str, str] | None = None):
        self.language = language
        self.lexicon = lexicon
        found = entities(record) + [Entity(text, "list", role) for role, text in (lists or {}).items()
                                    if role in ROLES and text.strip()]
        surfaces = [(surface, i, form) for i, e in enumerate(found) for surface, form in self._surfaces(e)]
        surfaces.sort(key=lambda s: -len(s[0]))
        # whole words, and never a piece of a longer pair: «(4» is not read out of «(4:2», nor «2» out of «0-2»
        self._pattern = re.compile(r"(?<!\w)(?<!\d[:–-])(?:" + "|".join(re.escape(s) for s, _, _ in surfaces)
                                   + r")(?!\w)(?![:–-]\d)") if surfaces else None
        self._lookup = {s: (i, form) for s, i, form in reversed(surfaces)}   # the longest, first entity wins
        self._slot_of = {i: SLOTS[ROLES.index(e.role)] for i, e in enumerate(found) if e.role}
        first: dict[int, int] = {}      # the others in order of first appearance in ``order_by``, then the rest
        for m in self._matches(order_by):
            first.setdefault(self._lookup[m.group()][0], len(first))
        others = sorted((i for i in first if i not in self._slot_of), key=first.get)
        others += [i for i in range(len(found)) if i not in self._slot_of and i not in first]
        self._slot_of.update(zip([i for i in others if found[i].kind not in NUMBER_KINDS], NAME_SLOTS))
        self._slot_of.update(zip([i for i in others if found[i].kind in NUMBER_KINDS], NUMBER_SLOTS))
        #: slot token -> what it stands for
        self.entities = {slot: found[i] for i, slot in self._slot_of.items()}

    def slot(self, text: str) -> str:
        """The slot token of one of the record's strings."""
        return next(slot for slot, e in self.entities.items() if e.text == text)

    def tokens(self) -> tuple[str, ...]:
        """The slot tokens a text about this record may hold: its slots and every form token."""
        return tuple(self.entities) + tuple(FORMS.values())

    def _surfaces(self, e: Entity) -> Iterable[tuple[str, str]]:
        if e.kind == "date":                 # «21 сентября 2026», and «21 сентября» without the year
            write = ru_date if self.language == "ru" else en_date
            yield write(e.text), "nomn"
            yield write(e.text, False), "short"
            return
        if e.kind in ("score", "count", "clock", "stats", "penalty_minutes", "list"):
            # «3:1» / "3-1"; «20 416 зрителей» / "20,416"; 06:58; «35 очков, 13 подборов»; «12 минут» / "12"
            yield self._write(e, "nomn"), "nomn"
            return
        if e.kind == "minute":   # «45+2-я минута», «(на) 45+2-й минуте», «(45+2» / "45+2'", "(in the) 45+2nd minute"
            for form in ("nomn", "loct", "label") if self.language == "ru" else ("nomn", "loct"):
                yield self._write(e, form), form
            return
        if self.language != "ru":
            yield self.lexicon.en(e.text), "nomn"
            yield e.text, "nomn"
            return
        if e.kind == "team":
            for case in CASES:
                form = self.lexicon.team(e.text, case)
                yield form, case
                yield capfirst(form), case
            yield self.lexicon.team_label(e.text), "label"
        elif e.kind == "person":
            for case in CASES:
                yield self.lexicon.player(e.text, case), case
        else:
            yield f"«{e.text}»", "label"           # a venue: на стадионе «Газпром Арена»
        yield e.text, "nomn"

    def _matches(self, text: str):
        return self._pattern.finditer(text) if self._pattern is not None and text else iter(())

    def delex(self, text: str, agree: bool = False) -> str:
        """``text`` with every name of the record as a slot (and form) token; ``agree=True`` also writes a
        past-tense verb next to a nominative team or person in the masculine, as :meth:`realise` expects."""
        out, at = [], 0
        for m in self._matches(text):
            i, form = self._lookup[m.group()]
            if i not in self._slot_of:
                continue
            out.append(text[at:m.start()])
            out.append(self._slot_of[i] + (FORMS[form] if form != "nomn" else ""))
            at = m.end()
        out.append(text[at:])
        text = "".join(out)
        return self._agree(text, lambda _e, verb: _masculine(verb)) if agree and self.language == "ru" else text

    def realise(self, text: str) -> str:
        """A slot model's text with every slot written out from the record (:class:`SlotError` for a slot
        the record does not have or a form its kind cannot take in this language: a team ``⟦a⟧⟦short⟧``)."""
        index = self.entities
        for m in _TOKEN.finditer(text):
            e = index.get(f"⟦{m.group(1)}⟧")
            if e is None or (m.group(2) and f"⟦{m.group(2)}⟧" not in _FORM_OF):
                raise SlotError(f"unknown slot {m.group()}")
            if m.group(2) and _FORM_OF[f"⟦{m.group(2)}⟧"] not in self._forms(e):
                raise SlotError(f"slot {m.group()}: a {e.kind} has no form {m.group(2)!r} in {self.language}")
        if self.language == "ru":
            text = self._agree(text, lambda e, verb: inflect_verb(_masculine(verb), self._gender(e)))
        out, at = [], 0
        for m in _TOKEN.finditer(text):
            form = _FORM_OF[f"⟦{m.group(2)}⟧"] if m.group(2) else "nomn"
            out.append(text[at:m.start()])
            surface = self._write(index[f"⟦{m.group(1)}⟧"], form)
            out.append(capfirst(surface) if _SENTENCE_START.search("".join(out)) else surface)
            at = m.end()
        out.append(text[at:])
        return "".join(out)

    def _forms(self, e: Entity) -> set[str]:
        """The forms ``e`` takes in this language: those :meth:`_surfaces` writes (an English name ignores
        its form: it has one)."""
        if self.language != "ru" and e.kind in ("team", "person", "other"):
            return set(_FORM_OF.values())
        return {form for _, form in self._surfaces(e)}

    def _write(self, e: Entity, form: str) -> str:
        if e.kind == "date":
            return (ru_date if self.language == "ru" else en_date)(e.text, form != "short")
        if e.kind == "score":
            return e.text if self.language == "ru" else e.text.replace(":", "-")
        if e.kind in ("clock", "list"):
            return e.text
        if e.kind == "stats":
            units = _STAT_UNITS["ru" if self.language == "ru" else "en"]
            write = plural if self.language == "ru" else en_plural
            return ", ".join(write(int(n), unit) for n, unit in zip(e.text.split(","), units) if n)
        if e.kind == "penalty_minutes":
            return plural(int(e.text), "минута") if self.language == "ru" else e.text
        if e.kind == "minute":
            m, added = _minute_of(e.text)
            if self.language != "ru":
                return en_on_minute(m, added).removeprefix("in the ") if form == "loct" else en_minute(m, added)
            if form == "label":          # the bracket after a scorer: «(45+2)», «(66, автогол)»
                return f"({e.text}"
            return on_minute(m, added).removeprefix("на ") if form == "loct" else f"{minute(m, added)} минута"
        if e.kind == "count":
            return plural(int(e.text), "зритель") if self.language == "ru" else en_number(int(e.text))
        if self.language != "ru":
            return self.lexicon.en(e.text)
        if e.kind == "team":
            return self.lexicon.team_label(e.text) if form == "label" else self.lexicon.team(e.text, form)
        if e.kind == "person":
            return self.lexicon.player(e.text, "nomn" if form == "label" else form)
        return f"«{e.text}»" if form == "label" else e.text

    def _gender(self, e: Entity) -> str:
        return self.lexicon.team_gender(e.text) if e.kind == "team" else self.lexicon.player_gender(e.text)

    def _agree(self, text: str, change) -> str:
        """Apply ``change(entity, verb)`` to the past-tense verb right after (else right before) each
        nominative team or person slot of ``text``."""
        index = self.entities
        spans = [(m.start(), m.end(), index.get(f"⟦{m.group(1)}⟧")) for m in _TOKEN.finditer(text)
                 if not m.group(2) or m.group(2) == "lbl"]
        return _change_verbs(text, [(a, b, e) for a, b, e in spans if e is not None and e.kind in ("team", "person")],
                             change)


def _change_verbs(text: str, spans: list[tuple[int, int, Entity]], change) -> str:
    edits: dict[tuple[int, int], str] = {}
    for start, end, e in spans:
        after = _WORD_AFTER.match(text[end:])
        if after and _past_singular(after.group(2)):
            a = end + len(after.group(1))
            edits[(a, a + len(after.group(2)))] = change(e, after.group(2))
            continue
        before = _WORD_BEFORE.search(text[:start])
        if before and _past_singular(before.group(1)):
            edits.setdefault((before.start(1), before.end(1)), change(e, before.group(1)))
    for (a, b), word in sorted(edits.items(), reverse=True):
        text = text[:a] + word + text[b:]
    return text


@lru_cache(maxsize=4096)
def _past_singular(word: str) -> bool:
    """A past-tense singular verb (``обыграл``, ``обыграла``, ``оказалось``) as pymorphy3 reads it best."""
    if not re.fullmatch(r"[а-яё]+", word):
        return False
    p = _morph().parse(word)[0]
    return p.tag.POS == "VERB" and p.tag.tense == "past" and p.tag.number == "sing"


@lru_cache(maxsize=4096)
def _masculine(verb: str) -> str:
    if not _past_singular(verb):
        return verb
    form = _morph().parse(verb)[0].inflect({"masc", "sing"})
    return form.word if form is not None else verb
