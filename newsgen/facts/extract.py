"""Pattern extraction: dates, score-like pairs, match minutes, spectators and other numbers, with spans.

The functions here know nothing about a record: the checker runs them over the generated text and over
the record's own strings (a news fact sheet, a text to rewrite), so both sides are read the same way.
Each takes the spans already taken by an earlier pattern, so a number is read once: as part of a date,
a score, a minute, or else as a plain number.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from newsgen.facts.text import LETTER, MONTHS_EN, MONTHS_RU, WORD, fold, number_word

Span = tuple[int, int]


@dataclass(frozen=True)
class DateFact:
    span: Span
    text: str
    day: int
    month: int
    year: int | None


@dataclass(frozen=True)
class PairFact:
    """``2:1``, ``2–1``, ``2-1``, ``19:30``, ``05:12``: two numbers joined by a colon or a dash."""

    span: Span
    text: str
    a: int
    b: int
    colon: bool

    @property
    def clock(self) -> tuple[int, int]:
        return self.a, self.b


@dataclass(frozen=True)
class MinuteFact:
    """A match minute: ``на 45+2-й минуте``, ``71'``, ``in the 90+3rd minute``, ``(17)`` after a name."""

    span: Span
    text: str
    minute: int
    added: int | None
    in_brackets: bool = False


@dataclass(frozen=True)
class NumberFact:
    """A number with its scale word (``12,5 млрд`` -> value 12.5, scale 1e9) and the word after it."""

    span: Span
    text: str
    value: float
    scale: float = 1.0
    unit: str = ""
    approximate: bool = False


_MONTH_RU = "|".join(MONTHS_RU)
_MONTH_EN = "|".join(m.capitalize() for m in MONTHS_EN)
#: a month name is a whole word: ``1 Augustinsson`` is no date
_NOT_LETTER = r"(?![^\W\d_])"
DATE_PATTERNS = (
    (re.compile(rf"(?<!\d)(\d{{1,2}})\s+({_MONTH_RU}){_NOT_LETTER}(?:\s+(\d{{4}})(?:\s*(?:г\.|года?))?)?", re.I),
     "dmy"),
    (re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_EN}){_NOT_LETTER}(?:,?\s+(\d{{4}}))?"),
     "dmy"),
    (re.compile(rf"(?<![^\W\d_])({_MONTH_EN})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?"), "mdy"),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "iso"),
    (re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b"), "dotted"),
)
PAIR = re.compile(r"(?<![\w.,:+−–—-])(\d{1,3})(?:\s?:\s?|[–—-])(\d{1,3})(?![\d+]|[.,:]\d|[–—-]\d)")
MINUTE_PATTERNS = (
    # на 45+2-й минуте, 98-я минута, в 71-й минуте, 12-ю минуту
    # (any digit run: «на 2026-й минуте» is a minute the record lacks, not a year)
    re.compile(r"(?<!\d)(\d+)(?:\s?\+\s?(\d{1,2}))?-?(?:й|я|ю|ой|ая|ую|ей|е|ого|го|м|ом)\s+минут[аеуыой]*",
               re.I),
    # elliptic: сравнял на 45-й
    re.compile(r"(?<=\bна\s)(\d{1,3})(?:\+(\d{1,2}))?-й\b(?!\s+(?:тур|период|четверт|овертайм|секунд|круг|матч))",
               re.I),
    # in the 71st minute, a 52nd-minute goal, 90+3rd minute
    re.compile(r"(?<!\d)(\d+)(?:\+(\d{1,2}))?(?:st|nd|rd|th)[\s-]+minute", re.I),
    # 71', 45+2'
    re.compile(rf"(?<![\d+])(\d{{1,3}})(?:\+(\d{{1,2}}))?['’′]{_NOT_LETTER}"),
)
#: "in the 45th" counts as a minute when the sentence speaks of minutes
EN_ELLIPTIC_MINUTE = re.compile(r"(?<=\bin the )(\d{1,3})(?:\+(\d{1,2}))?(?:st|nd|rd|th)\b"
                                r"(?!\s+(?:round|period|quarter))")
BRACKET_MINUTE = re.compile(r"(?<=\()(\d{1,3})(?:\+(\d{1,2}))?(?=[,)])")
NUMBER = re.compile(
    r"(?<![\w.,+])(?:(минус|minus)\s+)?([−-](?=\d))?"
    r"(\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?(?!\d)|\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|\d+(?:[.,]\d+)?)(?![\d])",
    re.I)
SCALE = re.compile(r"^[\s-]*(тыс\w*\.?|млн\.?|миллион\w*|млрд\.?|миллиард\w*|thousand|million|billion|bn\b)", re.I)
UNIT_WORD = re.compile(rf"^[\s-]*((?:{LETTER}|%)+)")
APPROXIMATE = re.compile(r"(?:около|более|свыше|почти|примерно|порядка|менее|about|over|more than|nearly|almost|"
                         r"some|around|roughly)\s*$", re.I)
ROMAN = re.compile(r"\b(?=[IVXLC]{2,7}\b)(C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})\b")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def free(span: Span, taken: list[Span]) -> bool:
    """Whether ``span`` overlaps none of ``taken``."""
    return all(span[1] <= s or span[0] >= e for s, e in taken)


def find_dates(text: str, taken: list[Span]) -> list[DateFact]:
    """``26 ноября [2026]``, ``26 November``, ``November 26, 2026``, ``2026-11-26``, ``26.11.2026``."""
    found = []
    for pattern, order in DATE_PATTERNS:
        for m in pattern.finditer(text):
            if not free(m.span(), taken):
                continue
            g = m.groups()
            if order == "dmy":
                months = MONTHS_RU if is_ru_month(g[1]) else MONTHS_EN
                day, month, year = int(g[0]), months.index(fold(g[1])) + 1, g[2]
            elif order == "mdy":
                day, month, year = int(g[1]), MONTHS_EN.index(fold(g[0])) + 1, g[2]
            elif order == "iso":
                day, month, year = int(g[2]), int(g[1]), g[0]
            else:
                day, month, year = int(g[0]), int(g[1]), g[2]
            found.append(DateFact(m.span(), m.group(), day, month, int(year) if year else None))
            taken.append(m.span())
    return found


def is_ru_month(word: str) -> bool:
    return fold(word) in MONTHS_RU


def find_pairs(text: str, taken: list[Span]) -> list[PairFact]:
    """Two numbers joined by ``:`` (spaces allowed) or a dash: scores, times of day, game clocks."""
    found = []
    for m in PAIR.finditer(text):
        if free(m.span(), taken):
            found.append(PairFact(m.span(), m.group(), int(m.group(1)), int(m.group(2)), ":" in m.group()))
            taken.append(m.span())
    return found


def find_minutes(text: str, taken: list[Span], brackets: bool = True) -> list[MinuteFact]:
    """Ordinal match minutes in Russian and English; with ``brackets``, also ``(17)``/``(45+2)``/``(66,``
    as the template-only notes write them after a scorer."""
    found = []
    patterns = list(MINUTE_PATTERNS)
    for pattern in patterns:
        for m in pattern.finditer(text):
            if free(m.span(), taken):
                found.append(MinuteFact(m.span(), m.group(), int(m.group(1)), _int(m.group(2))))
                taken.append(m.span())
    for m in EN_ELLIPTIC_MINUTE.finditer(text):
        if free(m.span(), taken) and re.search(r"\bminute", _sentence_around(text, m.start()), re.I):
            found.append(MinuteFact(m.span(), m.group(), int(m.group(1)), _int(m.group(2))))
            taken.append(m.span())
    if brackets:
        for m in BRACKET_MINUTE.finditer(text):
            if free(m.span(), taken):
                found.append(MinuteFact(m.span(), m.group(), int(m.group(1)), _int(m.group(2)), in_brackets=True))
                taken.append(m.span())
    return sorted(found, key=lambda f: f.span)


def _sentence_around(text: str, pos: int) -> str:
    start = max(text.rfind(". ", 0, pos), 0)
    end = text.find(". ", pos)
    return text[start:end if end >= 0 else len(text)]


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def scale_of(word: str) -> float:
    """The multiplier a scale word stands for: ``млрд``/``billion`` -> 1e9, ``тыс.`` -> 1e3, else 1."""
    low = fold(word)
    if low.startswith(("тыс", "thousand")):
        return 1e3
    if low.startswith(("млн", "миллион", "million")):
        return 1e6
    if low.startswith(("млрд", "миллиард", "billion", "bn")):
        return 1e9
    return 1.0


def _value(digits: str, english: bool) -> float:
    """``54 312`` and ``12 500,5`` (Russian), ``54,312`` and ``1,234.5`` (English), ``4,5`` and ``4.5``."""
    compact = re.sub(r"[ \u00a0\u202f]", "", digits)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", compact) and (english or compact.count(",") > 1 or "." in compact):
        return float(compact.replace(",", ""))
    return float(compact.replace(",", "."))


def find_numbers(text: str, taken: list[Span], english: bool = False) -> list[NumberFact]:
    """Numbers in digits (``54 312``, ``54,312`` in English, ``4,5``, ``−8``, ``минус 8``), Roman numerals
    (``XIX``) and cardinal number words (``три``, ``двух``, ``twelve``; not ``один``/``one``)."""
    found = []
    for m in NUMBER.finditer(text):
        if not free(m.span(), taken):
            continue
        value = _value(m.group(3), english)
        if m.group(1) or m.group(2):
            value = -value
        rest = text[m.end():m.end() + 40]
        scale_m = SCALE.match(rest)
        unit_m = UNIT_WORD.match(rest[scale_m.end():] if scale_m else rest)
        approx = bool(APPROXIMATE.search(text[max(0, m.start() - 20):m.start()]))
        found.append(NumberFact(m.span(), m.group(), value, scale_of(scale_m.group(1)) if scale_m else 1.0,
                                fold(unit_m.group(1)) if unit_m else "", approx))
        taken.append(m.span())
    for m in ROMAN.finditer(text):
        if m.group() and free(m.span(), taken):
            found.append(NumberFact(m.span(), m.group(), float(roman_value(m.group()))))
            taken.append(m.span())
    found += _number_words(text, taken)
    return sorted(found, key=lambda f: f.span)


def roman_value(numeral: str) -> int:
    total = 0
    for ch, nxt in zip(numeral, numeral[1:] + " "):
        value = _ROMAN_VALUES[ch]
        total += -value if nxt in _ROMAN_VALUES and _ROMAN_VALUES[nxt] > value else value
    return total


def _number_words(text: str, taken: list[Span]) -> list[NumberFact]:
    """Runs of cardinal number words: ``двадцать пять`` -> 25, ``минус восьми`` -> -8."""
    found: list[NumberFact] = []
    run: list[tuple[re.Match, int]] = []

    def flush() -> None:
        if run:
            start, end = run[0][0].start(), run[-1][0].end()
            value = float(sum(v for _, v in run))
            if re.search(r"(?:минус|minus)\s+$", text[max(0, start - 8):start], re.I):
                value = -value
            unit_m = UNIT_WORD.match(text[end:end + 40])
            found.append(NumberFact((start, end), text[start:end], value, 1.0, fold(unit_m.group(1)) if unit_m else ""))
            taken.append((start, end))
            run.clear()

    for m in WORD.finditer(text):
        if not free(m.span(), taken):
            flush()
            continue
        parts = m.group().split("-") if not re.search("[А-Яа-яЁё]", m.group()) else [m.group()]
        value = number_word(parts[0])
        if value is None:
            flush()
            continue
        if run and not text[run[-1][0].end():m.start()].isspace():
            flush()
        run.append((m, value))
    flush()
    return found


__all__ = ["DateFact", "PairFact", "MinuteFact", "NumberFact", "find_dates", "find_pairs", "find_minutes",
           "find_numbers", "free", "roman_value", "scale_of", "Span"]
