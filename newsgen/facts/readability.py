"""Readability rules: a text ends at a sentence end (not cut after an initial or after an abbreviation
that needs a following word, nor with an abbreviation in brackets such as ``(pen.)``), repeats no four
words in a row, and has no gap where a word was left out (an unclosed bracket, a preposition before a verb,
a list item without its name).

They look at the text only, not at the record: a weak model's loop (``«Зенит» обыграл «Спартак» ...
«Зенит» обыграл «Спартак» ...``) and a text the sentence cutter left dangling (``Гол забил А.``, ``2:1 в
г.``) state no false fact, yet are no note.
"""
from __future__ import annotations

import re

from newsgen.facts.text import WORD, Segments, fold
from newsgen.facts.verdict import Mismatch
from newsgen.grammar.text import ends_sentence

Span = tuple[int, int]
NGRAM = 4
#: the units of a repeat: words, and numbers with what joins them (``2:0``, ``45+2``: a goal list's running
#: scores and minutes tell its lines apart)
UNIT = re.compile(rf"\d+(?:[:+–—-]\d+)*|{WORD.pattern}")


#: a text that ends with an abbreviation in brackets (``Björn Veić 13' (pen.)``, ``62' (o.g.)``): the dot is
#: the abbreviation's, the sentence around the bracket has no end of its own (a complete list ends ``(pen.).``)
BRACKETED_ABBREVIATION = re.compile(r"(?:\(|[\s,])(?:[^\W\d_]{1,4}\.)+\)$")


def problems(seg: Segments, names: list[tuple[Span, str]]) -> list[Mismatch]:
    """The readability mismatches of a text (its ``seg``): ``truncated``, ``garbled`` and ``repetition``.
    ``names`` are the spans and labels of the names found in it: a name counts as one word (``Son Khyn Min
    scored twice. Son Khyn Min scored the winner`` repeats no four words)."""
    return _ending(seg) + _garbled(seg.text) + _repetitions(seg.text, names)


#: Russian prepositions that must govern a word: one right before a verb or a punctuation mark is a gap
#: where the model left a word out (``Победный гол на забил``, ``в .``)
PREPOSITIONS = ("в", "во", "на", "с", "со", "к", "ко", "по", "от", "до", "из", "у", "о", "об", "за", "под", "над",
                "при", "для", "без", "про", "через", "после", "перед", "против", "между")
#: a list item whose name was left out: a bracket right after a dash or a comma (``1:0 — (17, автогол)``)
_NAMELESS = re.compile(r"[—–,]\s*\(")
_GAP = re.compile(r"(?<![\w-])(" + "|".join(PREPOSITIONS) + r")(?:\s+([^\W\d_]+)|\s*([.,;:!?)]))", re.I)


def _garbled(text: str) -> list[Mismatch]:
    """``garbled`` for each bracket or guillemet left open or closed unopened, and each preposition with a
    verb or a punctuation mark right after it."""
    found: list[Mismatch] = []
    for open_, close in (("(", ")"), ("«", "»")):
        depth, start = 0, None
        for i, ch in enumerate(text):
            if ch == open_:
                depth, start = depth + 1, i if depth == 0 else start
            elif ch == close:
                depth -= 1
                if depth < 0:
                    found.append(_garble((i, i + 1), text, f"{close} closes nothing"))
                    depth = 0
        if depth > 0:
            found.append(_garble((start, len(text)), text, f"{open_} is never closed"))
    for m in _GAP.finditer(text):
        word = m.group(2)
        if word is None or _is_verb(word):
            found.append(_garble(m.span(), text, f"{m.group(1)!r} governs no word"))
    for m in _NAMELESS.finditer(text):
        found.append(_garble(m.span(), text, "a bracket right after a dash or a comma: a list item lost its name"))
    return found


def _garble(span: Span, text: str, why: str) -> Mismatch:
    return Mismatch(kind="garbled", span=span, found=text[span[0]:span[1]][:80], expected="well-formed text",
                    message=why)


def _is_verb(word: str) -> bool:
    from newsgen.grammar.morph import _morph

    if not re.fullmatch(r"[а-яё]+", word.lower()):
        return False
    p = _morph().parse(word.lower())[0]
    return p.tag.POS in ("VERB", "INFN")


def _ending(seg: Segments) -> list[Mismatch]:
    """``truncated`` (its span: the last sentence) unless the text ends at a sentence end
    (:func:`newsgen.grammar.text.ends_sentence`: not after an initial, ``в г.``, ``St.``) and not with a
    bracketed abbreviation (``13' (pen.)``, ``62' (o.g.)``: the note was cut inside a list)."""
    body = seg.text.rstrip()
    if ends_sentence(body) and not BRACKETED_ABBREVIATION.search(body):
        return []
    start = seg.sentences[-1][0]
    return [Mismatch(kind="truncated", span=(start, len(body)) if body else None, found=body[start:],
                     expected="a complete last sentence",
                     message="the text does not end at a sentence end: no final . ! ? or …, or it stops after "
                             "an initial or an abbreviation that needs its word")]


def _units(text: str, names: list[tuple[Span, str]]) -> list[tuple[str, Span]]:
    """Words and numbers (case folded) with their spans; a name is one unit, its label."""
    units: list[tuple[str, Span]] = []
    for m in UNIT.finditer(text):
        name = next(((span, label) for span, label in names if span[0] <= m.start() < span[1]), None)
        if name is None:
            units.append((fold(m.group()), m.span()))
        elif not units or units[-1][1] != name[0]:
            units.append(("\0" + name[1], name[0]))
    return units


#: a list item's bracket: its minute or clock, then what kind of goal it was (``(08:49, в большинстве, со
#: штрафного броска)``): two items may say the same of their goals
_ITEM_BRACKET = re.compile(r"\(\d[^()]*\)")


def _repetitions(text: str, names: list[tuple[Span, str]]) -> list[Mismatch]:
    """Each run of units that repeats an earlier run of four; four with two different numbers are data, not a
    loop (two leaders with ``31 очко, 4 подбора`` each), but a number over and over (``2:1 — 2:1 — 2:1``) is.
    A run inside a list item's bracket repeats only a run of the same bracket (two goals ``в большинстве, со
    штрафного броска`` are data; ``(17, автогол, автогол, автогол, автогол)`` is a loop)."""
    units = _units(text, names)
    brackets = [m.span() for m in _ITEM_BRACKET.finditer(text)]
    seen: set[tuple[tuple[str, ...], int]] = set()
    found: list[Mismatch] = []
    for i in range(len(units) - NGRAM + 1):
        gram = tuple(u for u, _ in units[i:i + NGRAM])
        numbers = [u for u in gram if u[:1].isdigit()]
        if len(numbers) >= 2 and len(set(numbers)) == len(numbers):
            continue
        start, end = units[i][1][0], units[i + NGRAM - 1][1][1]
        where = next((b for b, (a, z) in enumerate(brackets) if a <= start and end <= z), -1)
        if (gram, where) not in seen:
            seen.add((gram, where))
            continue
        if found and found[-1].span[1] >= start:       # the same repeated run, one word on
            start = found.pop().span[0]
        found.append(Mismatch(kind="repetition", span=(start, end), found=text[start:end], expected="no repeat",
                              message=f"{text[start:end]!r} repeats words the text already has"))
    return found


__all__ = ["problems", "NGRAM"]
