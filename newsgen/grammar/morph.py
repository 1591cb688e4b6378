"""The shared pymorphy3 analyzer and the grammeme names the grammar layer uses.

Case names are pymorphy3's: ``nomn gent datv accs ablt loct``; genders ``masc femn neut plur``.
"""
from __future__ import annotations

from functools import lru_cache

CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
GENDERS = ("masc", "femn", "neut", "plur")


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def _check_case(case: str) -> str:
    if case not in CASES:
        raise ValueError(f"unknown case {case!r}; use one of {', '.join(CASES)}")
    return case
