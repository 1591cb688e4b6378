"""What a note about a record may write, as strings: the allowed set of record-grounded decoding.

Built from the fact checker's reading of the record (:func:`newsgen.facts.expected.build`), so the decoder
and the checker agree on which numbers a record holds or implies:

- numbers: every value and derived count, score pairs both ways round with ``:``, ``–``, ``-``, minutes with
  added time (``45+2``), clock times, dates (``2026-11-22``, ``22.11.2026``) and attendance (``54 312``,
  ``54312``, ``54,312``);
- quoted names: ``«…»`` around every form of every record string (teams in each case of the lexicon and
  pymorphy3, English names and transliterations);
- capitalised words: every word of those forms, each part of a hyphenated or apostrophised word, initials,
  and the *frame* words of the seed (capitalised words of the few-shot example notes that are not names
  of the example records, such as «Хозяева» or "Goals"), plus the capitalised words of the seed's own
  record part and lead.
"""
from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from newsgen.facts import default_lexicon
from newsgen.facts.expected import build, record_strings
from newsgen.facts.text import WORD, inflected_forms
from newsgen.generation.grounding import Grounding
from newsgen.grammar import CASES, Lexicon
from newsgen.grammar.names import _TEAM_WRAPPER

_SEPARATORS = (":", "–", "-")
_PARTS = re.compile(r"['’ʼ-]")
_QUOTED = re.compile(r"«([^«»]+)»")
#: digits joined as a number lexeme of the decoder reads them
NUMBER_RUN = re.compile(r"\d+(?:(?:\s?[:\-–—+/]\s?|[.,]|[ \u00a0\u202f])\d+)*")
_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
#: example text fields whose capitalised words may be frame words
_EXAMPLE_TEXTS = ("note", "summary", "rewrite", "text")


def grounding_for(record: dict[str, Any], mode: str, prompt: str = "", prefix: str = "",
                  frame: Iterable[str] = (), lexicon: Lexicon | None = None,
                  slots: Iterable[str] = (), language: str | None = None) -> Grounding | None:
    """The grounding of one request (None when ``mode == "off"``); ``slots`` are the slot tokens a slot
    model may write for this record (:meth:`newsgen.slots.Slots.tokens`). With slots, ``language`` (ru, en)
    keeps the other script's letters out of the free text (:attr:`Grounding.language`)."""
    if mode == "off":
        return None
    lexicon = lexicon or default_lexicon()
    exp = build(record, lexicon)
    names = set()
    for form in _name_forms(record, exp, lexicon):     # the lexicon writes some team forms in quotes already
        names |= set(_QUOTED.findall(form)) or {form}
    words = {w for n in names for w in _words(n)} | set(frame) | set(_capitalised(prompt[len(prefix):]))
    words |= {w[0] for n in names for w in WORD.findall(n) if w[:1].isupper()}   # initials: «А. Мостовой»
    slots = frozenset(slots)
    return Grounding(mode=mode, numbers=frozenset(_numbers(exp)),
                     quoted=frozenset(f"«{n}»" for n in names if len(n) <= 80), words=frozenset(words),
                     slots=slots, language=language if slots else None)


def _numbers(exp) -> Iterable[str]:
    for text in record_strings(exp.record):    # as the record writes them: «1/4 финала», «19:30»
        yield from NUMBER_RUN.findall(text)
    for value, _scale in exp.numbers:
        if value == int(value):
            yield str(int(value))
        else:
            yield from (f"{value:g}", f"{value:g}".replace(".", ","))
    pairs = set(exp.partial_pairs) | set(exp.text_pairs) | {p for p in (exp.final, exp.shootout) if p}
    for a, b in pairs:
        for sep in _SEPARATORS:
            yield from (f"{a}{sep}{b}", f"{b}{sep}{a}")
    for minute, added in exp.minutes:
        yield str(minute)
        if added:
            yield f"{minute}+{added}"
    for a, b in exp.clocks | exp.times:
        yield from (f"{a:02d}:{b:02d}", f"{a}:{b:02d}")
    for day, month, year in exp.dates:
        yield from (str(day), f"{day:02d}")
        if year:
            yield from (str(year), f"{year}-{month:02d}-{day:02d}", f"{day:02d}.{month:02d}.{year}",
                        f"{day}.{month:02d}.{year}")
    if exp.attendance:
        n = int(exp.attendance)
        yield from (str(n), f"{n:,}", f"{n:,}".replace(",", " "), f"{n:,}".replace(",", "\u00a0"),
                    str(n // 1000), str(-(-n // 1000)))


def _name_forms(record: dict[str, Any], exp, lexicon: Lexicon) -> Iterable[str]:
    """Every string of the record in every form the grammar layer can write it."""
    for s in record_strings(record):
        s = unicodedata.normalize("NFC", s)
        yield s
        if len(s) > 120:
            continue
        yield lexicon.en(s)
        for case in CASES:
            yield lexicon.team(s, case)
            yield lexicon.player(s, case)
        words = WORD.findall(s)
        per_word = [sorted(_word_forms(w)) for w in words]
        if len(words) == 1:
            yield from per_word[0]
        for forms in per_word:      # each word alone: a surname, a city
            yield from forms


def _word_forms(word: str) -> set[str]:
    forms = {word}
    for form in inflected_forms(word):
        forms.add(_like(word, form))
    return forms


def _like(word: str, form: str) -> str:
    """``form`` (folded) written with ``word``'s capitalisation."""
    if word.isupper() and len(word) > 1:
        return form.upper()
    return form[:1].upper() + form[1:] if word[:1].isupper() else form


def _words(text: str) -> Iterable[str]:
    for word in WORD.findall(text):
        yield word
        if "ё" in word or "Ё" in word:
            yield word.replace("ё", "е").replace("Ё", "Е")
        for part in _PARTS.split(word):
            if part:
                yield part


def _capitalised(text: str) -> Iterable[str]:
    return (w for w in _words(text) if w[:1].isupper())


@lru_cache(maxsize=64)
def frame_words(templates_dir: str, record_type: str, language: str) -> frozenset[str]:
    """Capitalised words a note may open a sentence or a list with, whatever its record: those of the
    templates' own text (comments left out) and those of the few-shot example texts that name nothing of
    the example records («Хозяева», «Голы», "The", "Attendance")."""
    root = Path(templates_dir)
    out: set[str] = set()
    for path in [*root.glob(f"*.{language}.j2"), *(root / record_type).glob(f"*.{language}.j2")]:
        # every word of the templates' own text, also capitalised: a sentence may open with any of them
        # («Команда «X» обыграла…» from «команда»)
        out |= {w[:1].upper() + w[1:] for w in _words(_JINJA_COMMENT.sub("", path.read_text(encoding="utf-8")))}
    out |= {w[:1].upper() + w[1:] for w in _TEAM_WRAPPER.values()}
    path = root / record_type / f"examples.{language}.json"
    examples = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    lexicon = default_lexicon()
    stems = {_stem(w) for ex in examples for s in record_strings(ex.get("record", {}))
             for w in (*_words(s), *_words(lexicon.en(s)))}
    for ex in examples:
        for key in _EXAMPLE_TEXTS:
            if isinstance(ex.get(key), str):
                out |= {w for w in _capitalised(ex[key]) if _stem(w) not in stems}
    return frozenset(out)


def _stem(word: str) -> str:
    return word.lower().replace("ё", "е")[:3]
