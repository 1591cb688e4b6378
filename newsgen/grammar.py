"""Russian grammar for templates: numeral agreement, minutes, dates. Registered as Jinja2 filters."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

MONTHS_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
                   "сентября", "октября", "ноября", "декабря")


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=4096)
def agree(word: str, n: int) -> str:
    """The form of ``word`` that agrees with the number ``n``: гол -> 1 гол, 2 гола, 5 голов."""
    parsed = _morph().parse(word)[0]
    form = parsed.make_agree_with_number(abs(n))
    return form.word if form is not None else word


def plural(n: int, word: str) -> str:
    """``2|plural("гол")`` -> ``2 гола``."""
    return f"{n} {agree(word, n)}"


def minute(m: int, added: int | None = None) -> str:
    """Ordinal minute as written in match reports: ``12-я``, ``45+2-я``."""
    return f"{m}+{added}-я" if added else f"{m}-я"


def ru_date(value: str | dt.date) -> str:
    """ISO date -> ``26 ноября 2026``."""
    d = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.day} {MONTHS_GENITIVE[d.month - 1]} {d.year}"


FILTERS = {"plural": plural, "minute": minute, "ru_date": ru_date}
