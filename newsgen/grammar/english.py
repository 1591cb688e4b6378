"""English counterparts: numbers (``54,312``), plurals, ordinals, minutes, dates, transliteration of
Russian names and the English names of numbered rounds."""
from __future__ import annotations

import datetime as dt
import re

from newsgen.grammar.ru_numbers import _date, _digits

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")

_EN_IRREGULAR = {"penalty": "penalties", "assist": "assists", "rebound": "rebounds", "match": "matches",
                 "person": "people"}


def en_number(n: int | float) -> str:
    """``54,312``; ``12.5``; ``-8``."""
    negative, whole, frac = _digits(n)
    return ("-" if negative else "") + f"{int(whole):,}" + ("." + frac if frac else "")


def en_plural(n: int | float, word: str) -> str:
    """``1 goal``, ``2 goals``, ``2 penalties``."""
    if n == 1:
        return f"{en_number(n)} {word}"
    if word in _EN_IRREGULAR:
        form = _EN_IRREGULAR[word]
    elif re.search(r"[^aeiou]y$", word):
        form = word[:-1] + "ies"
    elif re.search(r"(s|x|z|ch|sh)$", word):
        form = word + "es"
    else:
        form = word + "s"
    return f"{en_number(n)} {form}"


def en_ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st, 112th."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def en_minute(m: int, added: int | None = None) -> str:
    """``17'``, ``45+2'`` (report style)."""
    return f"{m}+{added}'" if added else f"{m}'"


def en_on_minute(m: int, added: int | None = None) -> str:
    """``in the 71st minute``, ``in the 90+4th minute``."""
    return f"in the {m}+{en_ordinal(added)} minute" if added else f"in the {en_ordinal(m)} minute"


def en_date(value: str | dt.date, year: bool = True) -> str:
    """ISO date -> ``26 November 2026`` (``year=False``: ``26 November``)."""
    d = _date(value)
    return f"{d.day} {MONTHS_EN[d.month - 1]}" + (f" {d.year}" if year else "")


_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     ["a", "b", "v", "g", "d", "e", "yo", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
                      "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"]))


def translit(text: str) -> str:
    """Russian -> Latin letters (BGN/PCGN, simplified): ``Щетинин`` -> ``Shchetinin``; others unchanged."""
    out = []
    for ch in text:
        low = ch.lower()
        if low in _TRANSLIT:
            lat = _TRANSLIT[low]
            out.append(lat.capitalize() if ch != low else lat)
        else:
            out.append(ch)
    return "".join(out)


_EN_ROUNDS = [
    (re.compile(r"^(\d+)-й тур$"), lambda m: f"round {m.group(1)}"),
    (re.compile(r"^1/(\d+) финала$"), lambda m: {"2": "semi-final", "4": "quarter-final"}.get(
        m.group(1), f"round of {int(m.group(1)) * 2}")),
    (re.compile(r"^(полуфинал)$"), lambda m: "semi-final"),
    (re.compile(r"^(четвертьфинал)$"), lambda m: "quarter-final"),
    (re.compile(r"^(финал)$"), lambda m: "final"),
]
