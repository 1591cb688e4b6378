"""Names in a text: which words are the record's teams and people (in any case form, any spelling the
lexicon, pymorphy3 or transliteration gives), which are other names the record contains, and which
capitalised words are names the record does not know.

A mention starts at a capitalised word; the longest phrase wins (``Андрея Мостового`` over ``Мостового``),
a whole name over one of its words, a team over a person. ``хозяева``/``гости`` (``the hosts``/``the
visitors``) are mentions of the home and away teams.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from newsgen.facts.expected import Expected, Named, Phrase, lexicon_teams
from newsgen.facts.extract import Span
from newsgen.facts.text import (EN_COMMON, NOT_SUBJECT_AFTER, RU_ABBREVIATIONS, Token, fold, has_lemma, is_known_word,
                                parses)

PERSON_TAGS = {"Name", "Surn", "Patr"}
PLACE_TAGS = {"Geox", "Orgn", "Trad"}
_KIND_RANK = {"team": 3, "person": 2, "foreign_team": 1, "known": 0}
#: words that refer to a side: lemma (Russian, plural forms only) or English word -> side
SIDE_WORDS_RU = {"хозяин": "home", "гость": "away"}
#: words whose case a quoted team name after them takes (``команду «Лон»``)
WRAPPERS = {"команда", "клуб"}
SIDE_WORDS_EN = {"hosts": "home", "visitors": "away", "guests": "away"}
#: a transliterated Russian surname (Petrov, Karasyov, Shchetinin, Kolotievsky, Tikhonenko, Martyuk)
RU_SURNAME_EN = re.compile(r"[a-z]{2,}(?:ov|ev|yov|in|yn|sky|skiy|skii|enko|yuk|uk|ich|ova|eva|ina|aya)(?:'s)?$")


@dataclass(frozen=True)
class Mention:
    """A name found in the text."""

    span: Span
    first: int              # index of the first token
    last: int               # index of the last token
    kind: str               # team, person, foreign_team, known
    label: str              # the record's (or lexicon's) name
    side: str | None = None
    persons: tuple[str, ...] = ()
    cases: frozenset[str] | None = None   # Russian cases the first word can be in (None: unknown)
    not_subject: bool = False             # after a preposition, ``матч`` or ``и``
    sentence: int = 0
    clause: int = 0

    @property
    def nominative(self) -> bool:
        """Whether the mention can be a grammatical subject."""
        return not self.not_subject and (self.cases is None or "nomn" in self.cases)


@dataclass(frozen=True)
class UnknownName:
    """A run of capitalised words the record does not contain."""

    span: Span
    text: str
    person_like: bool


Index = dict[str, list[tuple[Named, Phrase, bool]]]


def _index(names) -> Index:
    """Phrases by the keys of their first word."""
    index: Index = {}
    for named in names:
        for phrase, partial in [(p, False) for p in named.phrases] + [(p, True) for p in named.partial]:
            for key in phrase.words[0]:
                index.setdefault(key, []).append((named, phrase, partial))
    return index


@lru_cache(maxsize=8)
def _lexicon_index(lexicon) -> Index:
    return _index(lexicon_teams(lexicon))


def _initial(text: str, a: Token, b: Token) -> bool:
    """Whether ``a`` is a capital letter with a dot right before ``b`` (``А. Мостовой``)."""
    return len(a.text) == 1 and a.capitalised and bool(re.fullmatch(r"\.\s*", text[a.end:b.start]))


def _adjacent(text: str, a: Token, b: Token) -> bool:
    return a.sentence == b.sentence and (_initial(text, a, b) or
                                         bool(re.fullmatch(r"[\s\-«»\"]*", text[a.end:b.start])))


def _cases(token: Token) -> frozenset[str] | None:
    """Cases a Russian word can stand in (from its parses); None for foreign, indeclinable or unknown."""
    if token.latin or token.all_caps:
        return None
    found = parses(token.text)
    if not found or not found[0].known or any("Fixd" in p.grammemes for p in found):
        return None
    return frozenset(g for p in found for g in p.grammemes if g in ("nomn", "gent", "datv", "accs", "ablt", "loct",
                                                                   "voct", "gen2", "acc2", "loc2"))


def _after_non_subject_word(tokens: list[Token], i: int, text: str) -> bool:
    if i == 0:
        return False
    prev = tokens[i - 1]
    return prev.sentence == tokens[i].sentence and fold(prev.text) in NOT_SUBJECT_AFTER and \
        bool(re.fullmatch(r"[\s«\"]*", text[prev.end:tokens[i].start]))


def _side_word(tokens: list[Token], i: int) -> str | None:
    t = tokens[i]
    if t.latin:
        low = fold(t.text)
        return SIDE_WORDS_EN.get(low) if i > 0 and fold(tokens[i - 1].text) == "the" else None
    for p in parses(t.text):
        if p.lemma in SIDE_WORDS_RU and "plur" in p.grammemes and p.pos == "NOUN":
            return SIDE_WORDS_RU[p.lemma]
    return None


def find_mentions(text: str, tokens: list[Token], exp: Expected) -> tuple[list[Mention], list[UnknownName]]:
    """The record's names in ``text`` and the capitalised runs it does not know."""
    own = {fold(n.label) for n in exp.teams.values()}
    indexes = [_index(exp.named)] + ([_lexicon_index(exp.lexicon)] if exp.is_match and exp.lexicon else [])
    mentions: list[Mention] = []
    unmatched: list[Token] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        side = _side_word(tokens, i) if exp.is_match else None
        if side is not None:
            mentions.append(_mention(text, tokens, i, i, "team", side_label(side), side))
            i += 1
            continue
        if not t.capitalised:
            i += 1
            continue
        best = _longest(text, tokens, i, indexes, own)
        if best is not None:
            tied, length = best
            lead = tied[0]
            if lead.kind == "foreign_team" and all(tokens[k].keys & exp.vocabulary for k in range(i, i + length)):
                lead = Named("known", " ".join(tokens[k].text for k in range(i, i + length)))  # a city too
            people = tuple(sorted({n.label for n in tied if n.kind == "person"}))
            mentions.append(_mention(text, tokens, i, i + length - 1, lead.kind, lead.label, lead.side, people))
            i += length
            continue
        initial = i + 1 < len(tokens) and _initial(text, t, tokens[i + 1])
        if t.keys & exp.vocabulary and not initial:
            mentions.append(_mention(text, tokens, i, i, "known", t.text))
        else:
            unmatched.append(t)
        i += 1
    wrong, unmatched = _other_people(text, tokens, mentions, unmatched)
    kept = [m for m in mentions if not any(u.span[0] <= m.span[0] and m.span[1] <= u.span[1] for u in wrong)]
    return kept, wrong + _unknown_runs(text, unmatched, exp)


def _other_people(text: str, tokens: list[Token], mentions: list[Mention],
                  unmatched: list[Token]) -> tuple[list[UnknownName], list[Token]]:
    """Persons the record does not name though a word of theirs is a record person's: a wrong initial
    (``И. Мостовой`` for Андрей Мостовой) or a first name with an unknown surname (``Sergio Ramírez`` for
    Sergio Agüero). Returns them and the unmatched tokens left."""
    starts = {m.first: m for m in mentions if m.kind == "person"}
    ends = {m.last: m for m in mentions if m.kind == "person" and m.first == m.last}
    found, rest = [], []
    for t in unmatched:
        after, before = starts.get(t.index + 1), ends.get(t.index - 1)
        if after is not None and _initial(text, t, tokens[t.index + 1]):
            span = (t.start, after.span[1])
        elif before is not None and _adjacent(text, tokens[t.index - 1], t) and \
                word_class(t.text, False) != "ordinary":
            span = (before.span[0], t.end)
        else:
            rest.append(t)
            continue
        found.append(UnknownName(span, text[span[0]:span[1]], True))
    return found, rest


def side_label(side: str) -> str:
    return {"home": "хозяева", "away": "гости"}[side]


def _longest(text: str, tokens: list[Token], i: int, indexes: list[Index],
             own: set[str]) -> tuple[list[Named], int] | None:
    """The names whose phrase starting at token ``i`` ranks best (longest, then a whole name over one of
    its words, then a team over a person), with the phrase length; several when tied (``Кирилл``).
    Lexicon teams whose label is one of the match's own teams (``own``) are skipped."""
    tied: list[Named] = []
    best_rank = None
    candidates = {id(c): c for index in indexes for key in tokens[i].keys for c in index.get(key, [])}
    for named, phrase, partial in candidates.values():
        if named.kind == "foreign_team" and fold(named.label) in own:
            continue
        n = len(phrase.words)
        if i + n > len(tokens):
            continue
        if all(tokens[i + k].keys & phrase.words[k] for k in range(n)) and \
                all(_adjacent(text, tokens[i + k], tokens[i + k + 1]) for k in range(n - 1)):
            rank = (n, not partial, _KIND_RANK[named.kind])
            if best_rank is None or rank > best_rank:
                tied, best_rank = [named], rank
            elif rank == best_rank and all(other is not named for other in tied):
                tied.append(named)
    return (tied, best_rank[0]) if best_rank else None


def _mention(text: str, tokens: list[Token], first: int, last: int, kind: str, label: str,
             side: str | None = None, persons: tuple[str, ...] = ()) -> Mention:
    a, b = tokens[first], tokens[last]
    head = first - 1 if _wrapped(text, tokens, first) else first
    return Mention((a.start, b.end), first, last, kind, label, side, persons, _cases(tokens[head]),
                   _after_non_subject_word(tokens, head, text), a.sentence, a.clause)


def _wrapped(text: str, tokens: list[Token], i: int) -> bool:
    """A quoted name after ``команда``/``клуб`` (``команду «Лон»``): that word carries the case."""
    if i == 0:
        return False
    prev = tokens[i - 1]
    return prev.sentence == tokens[i].sentence and has_lemma(prev, WRAPPERS, ("NOUN",)) and \
        bool(re.fullmatch(r"\s*«", text[prev.end:tokens[i].start]))


# --- unknown names --------------------------------------------------------------------------------------

@lru_cache(maxsize=8192)
def word_class(word: str, initial: bool) -> str:
    """``ordinary`` (a dictionary word where a capital is expected, a common English word, a Roman
    numeral), ``person`` (a first name, surname or patronymic, or a word no dictionary knows) or ``name``
    (another proper name: a place, an organisation, a capitalised word mid-sentence)."""
    low = fold(word)
    letters = word.replace("-", "")
    if re.fullmatch(r"[IVXLC]+", word):
        return "ordinary"
    if not re.search("[А-Яа-яЁё]", word):
        if low in EN_COMMON or low.removesuffix("'s") in EN_COMMON:
            return "ordinary"
        return "ordinary" if initial else "name"
    if len(letters) >= 2 and letters.isupper():
        return "ordinary" if low in RU_ABBREVIATIONS or is_known_word(word) else "name"
    found = parses(word)
    if not found or not found[0].known:
        return "person"
    top = found[0].grammemes
    if initial:
        if PERSON_TAGS & top:
            return "person"
        return "name" if PLACE_TAGS & top else "ordinary"
    if any(PERSON_TAGS & p.grammemes for p in found):
        return "person"
    return "name"


def _unknown_runs(text: str, unmatched: list[Token], exp: Expected) -> list[UnknownName]:
    """Group adjacent unknown capitalised words and keep the runs that name something."""
    runs: list[list[Token]] = []
    for t in unmatched:
        if runs and runs[-1][-1].index == t.index - 1 and _adjacent(text, runs[-1][-1], t):
            runs[-1].append(t)
        else:
            runs.append([t])
    found = []
    for run in runs:
        if all(t.latin for t in run):
            # English: two or three uncommon capitalised words make a person; one word a name (checked
            # only where names can be transliterated: match records and English records)
            content = [t for t in run if word_class(t.text, False) != "ordinary"]
            person_like = (len(run) >= 2 and len(content) == len(run)) or \
                (len(content) == 1 and bool(RU_SURNAME_EN.search(fold(content[0].text))))
            lone_initial = len(content) == 1 and content[0].initial
            if not content or (not person_like and (not exp.latin_strict or lone_initial)):
                continue
        else:
            classes = [word_class(t.text, t.initial) for t in run]
            if all(c == "ordinary" for c in classes):
                continue
            person_like = "person" in classes
        span = (run[0].start, run[-1].end)
        found.append(UnknownName(span, text[span[0]:span[1]], person_like))
    return found


__all__ = ["Mention", "UnknownName", "find_mentions", "word_class", "side_label"]
