"""Names and inflection: lookup keys of names, prepositions before them, safe guesses for teams and
people not in the lexicon (pymorphy3 only where its parse is safe) and verb agreement with a gender."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from newsgen.grammar.morph import CASES, GENDERS, _morph
from newsgen.grammar.text import capfirst, oneline


@dataclass(frozen=True)
class Entry:
    """One lexicon name: case forms, grammatical gender (``plur`` for plural names), English name."""

    name: str
    forms: dict[str, str] = field(default_factory=dict)
    gender: str = "masc"
    quoted: bool = True
    en: str | None = None
    wrap: bool = False  # unknown team: write ``команда «X»`` and inflect ``команда`` instead


    def form(self, case: str, written: str | None = None) -> str:
        """The name in ``case``; the nominative (and any case without a form) is the name as written."""
        if case == "nomn" or case not in self.forms:
            return written or self.name
        return self.forms[case]


_TEAM_WRAPPER = {"nomn": "команда", "gent": "команды", "datv": "команде", "accs": "команду",
                 "ablt": "командой", "loct": "команде"}


def _prep(prep: str, word: str) -> str:
    """``с`` -> ``со`` before с/з/ш/ж + consonant and щ (``со «Спартаком»``); ``в`` -> ``во`` likewise."""
    letters = re.sub(r"^[«\"„]+", "", word).lower()
    vowels = "аеёиоуыэюя"
    if prep == "с" and (letters[:1] == "щ" or (letters[:1] in "сзшж" and letters[1:2] and letters[1:2] not in vowels)):
        return "со"
    if prep == "в" and letters[:1] in "вф" and letters[1:2] and letters[1:2] not in vowels:
        return "во"
    return prep


def _bare(name: str) -> str:
    """A name as written, on one line, without outer quotes."""
    return oneline(unicodedata.normalize("NFC", name)).strip("«»\"„“ ")


def name_key(name: str) -> str:
    """Lookup key of a name: NFC, one line, no outer quotes, ``ё`` read as ``е`` (providers often drop it)."""
    return _bare(name).replace("ё", "е").replace("Ё", "Е")


@lru_cache(maxsize=2048)
def _guess_team(name: str) -> Entry:
    """A team not in the lexicon.

    - an abbreviation (``СКА``, ``МБА``): unquoted, indeclinable, masculine;
    - one dictionary noun (``Факел``, ``Химки``, ``Звезда``): inflected as an inanimate noun;
    - anything else: the ``команда «X»`` construction, which needs no inflection of the name.
    """
    if re.fullmatch(r"[А-ЯЁA-Z]{2,6}", name):
        return Entry(name=name, gender="masc", quoted=False)
    if re.fullmatch(r"[А-ЯЁ][а-яё]+", name):
        parses = [p for p in _morph().parse(name)
                  if p.is_known and p.tag.POS == "NOUN" and p.tag.case == "nomn"
                  and not ({"Name", "Surn", "Patr"} & set(p.tag.grammemes))]
        parses.sort(key=lambda p: ("anim" in p.tag, -p.score))
        if parses:
            p = parses[0]
            plural_name = p.tag.number == "plur"
            gender = "plur" if plural_name else str(p.tag.gender or "masc")
            forms = {}
            for case in CASES:
                if case == "accs" and not plural_name and gender in ("masc", "neut"):
                    forms[case] = name          # a club is inanimate: обыграл «Спартак», not «Спартака»
                    continue
                form = p.inflect({case, "plur" if plural_name else "sing"})
                if form is None:
                    return Entry(name=name, gender="femn", wrap=True)
                forms[case] = capfirst(form.word)
            if plural_name:
                forms["accs"] = forms["nomn"]
            return Entry(name=name, forms=forms, gender=gender)
    return Entry(name=name, gender="femn", wrap=True)


@lru_cache(maxsize=4096)
def _inflect_person(name: str, case: str) -> str:
    """Inflect only when every word is a dictionary first name or surname of one gender."""
    if case == "nomn":
        return name
    words = name.split()
    if not words or len(words) > 3 or not all(re.fullmatch(r"[А-ЯЁ][а-яё]+", w) for w in words):
        return name
    gender = _guess_person_gender(name)
    out = []
    for word in words:
        parses = [p for p in _morph().parse(word)
                  if p.is_known and p.tag.case == "nomn" and p.tag.number == "sing" and p.tag.gender == gender
                  and {"Name", "Surn", "Patr"} & set(p.tag.grammemes)]
        form = parses[0].inflect({case, "sing"}) if parses else None
        if form is None:
            return name
        out.append(capfirst(form.word))
    return " ".join(out)


@lru_cache(maxsize=4096)
def _guess_person_gender(name: str) -> str:
    words = name.split()
    if not words:
        return "masc"
    for p in _morph().parse(words[0]):
        if p.is_known and "Name" in p.tag and p.tag.case == "nomn" and p.tag.number == "sing" and p.score >= 0.5:
            return str(p.tag.gender or "masc")
    return "masc"


@lru_cache(maxsize=1024)
def inflect_verb(verb: str, gender: str) -> str:
    """Agree a past-tense masculine (or present 3rd-person singular) verb with ``gender``.

    ``обыграл`` -> ``обыграла`` / ``обыграло`` / ``обыграли``; ``ведёт`` -> ``ведут`` (plur).
    """
    if gender not in GENDERS:
        raise ValueError(f"unknown gender {gender!r}")
    if gender == "masc":
        return verb
    parses = [p for p in _morph().parse(verb) if p.tag.POS == "VERB"]
    if parses:
        p = parses[0]
        wanted = {"plur"} if gender == "plur" else ({gender, "sing"} if p.tag.tense == "past" else set())
        form = p.inflect(wanted) if wanted else None
        if form is not None:
            return form.word
        if not wanted:
            return verb
    # rule of thumb for past tense forms pymorphy3 does not know
    ending = {"femn": "а", "neut": "о", "plur": "и"}[gender]
    if verb.endswith("лся"):
        return verb[:-2] + ending + "сь"
    if verb.endswith("л"):
        return verb + ending
    return verb
