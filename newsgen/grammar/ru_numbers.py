"""Russian numbers and dates: numeral agreement (``2 гола``, ``5 голов``), number style (``54 312``),
units, ordinal minutes (``на 45+2-й минуте``) and dates (``26 ноября``)."""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from newsgen.grammar.morph import _check_case, _morph
from newsgen.grammar.text import capfirst

MONTHS_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
                   "сентября", "октября", "ноября", "декабря")


def _noun_parse(word: str):
    parses = _morph().parse(word)
    for p in parses:
        if p.tag.POS == "NOUN" and p.tag.case == "nomn":
            return p
    return parses[0]


@lru_cache(maxsize=4096)
def agree(word: str, n: int | float, case: str = "nomn") -> str:
    """The form of ``word`` that agrees with the number ``n``: гол -> 1 гол, 2 гола, 5 голов.

    ``case`` is the case the whole phrase stands in: ``"gent"`` gives ``до 21 знака``, ``до 200 знаков``,
    ``до 2 предложений``. A fractional number takes the genitive singular (``4,5 километра``).
    """
    parsed = _noun_parse(word)
    if isinstance(n, float) and not n.is_integer():
        form = parsed.inflect({"gent", "sing"})
    elif case in ("nomn", "accs"):
        form = parsed.make_agree_with_number(abs(int(n)))
    else:
        k = abs(int(n))
        number = "sing" if k % 10 == 1 and k % 100 != 11 else "plur"
        form = parsed.inflect({_check_case(case), number})
    if form is None:
        return word
    return capfirst(form.word) if word[:1].isupper() else form.word


def _digits(n: int | float) -> tuple[bool, str, str]:
    """``(negative, integer digits, fraction digits)`` without exponent notation (6 decimals at most)."""
    text = str(abs(n)) if isinstance(n, int) else f"{abs(n):.6f}".rstrip("0").rstrip(".")
    whole, _, frac = text.partition(".")
    return n < 0 and (whole, frac) != ("0", ""), whole, frac


def ru_number(n: int | float) -> str:
    """Russian number style: ``54 312``, ``1500`` (four digits are not split), ``12,5``, ``−8``."""
    negative, whole, frac = _digits(n)
    if len(whole) > 4:
        whole = f"{int(whole):,}".replace(",", " ")
    return ("−" if negative else "") + whole + ("," + frac if frac else "")


def plural(n: int | float, word: str, case: str = "nomn") -> str:
    """``2|plural("гол")`` -> ``2 гола``; ``54312|plural("зритель")`` -> ``54 312 зрителя``;
    ``21|plural("знак", "gent")`` -> ``21 знака``."""
    return f"{ru_number(n)} {agree(word, n, case)}"


def unit(n: int | float, name: str | None) -> str:
    """A value with its unit: nouns agree (``3 станции``), abbreviations stay (``4,5 км``, ``12 %``)."""
    if not name:
        return ru_number(n)
    if re.fullmatch(r"[А-Яа-яЁё]+", name):
        parsed = _noun_parse(name)
        if parsed.tag.POS == "NOUN" and "Abbr" not in parsed.tag and parsed.is_known:
            return plural(n, parsed.normal_form if name.islower() else name)
    return f"{ru_number(n)} {name}"


def minute(m: int, added: int | None = None) -> str:
    """Ordinal minute as written in match reports: ``12-я``, ``45+2-я``."""
    return f"{m}+{added}-я" if added else f"{m}-я"


def on_minute(m: int, added: int | None = None) -> str:
    """``на 45+2-й минуте``: the prepositional ordinal used in narrative."""
    return f"на {m}+{added}-й минуте" if added else f"на {m}-й минуте"


def clock_minute(clock: str) -> int:
    """Hockey game time ``mm:ss`` -> the ordinal minute it falls in: ``42:17`` -> 43, ``05:00`` -> 6."""
    mm, _ = clock.split(":")
    return int(mm) + 1


def _date(value: str | dt.date) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def ru_date(value: str | dt.date, year: bool = True) -> str:
    """ISO date -> ``26 ноября 2026`` (``year=False``: ``26 ноября``)."""
    d = _date(value)
    return f"{d.day} {MONTHS_GENITIVE[d.month - 1]}" + (f" {d.year}" if year else "")
