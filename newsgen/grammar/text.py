"""Plain-text helpers: cleaning (control characters, line breaks), sentence ends, capitals, sentence
splitting and trimming to a length."""
from __future__ import annotations

import re
from typing import Any

#: C0 and C1 controls (except \n), DEL, and the bidi/format characters used to disguise text
_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_LINE_BREAKS = re.compile(r"\s*[\n\r\u2028\u2029\x0b\x0c\x85]+\s*")


def clean_text(value: Any, multiline: bool = False) -> str:
    """Make a value safe to print: drop control characters; unless ``multiline``, fold line breaks into
    spaces so one field cannot fake a line (``\\nЗаметка: ...``) of the seed. Tabs become spaces."""
    text = str(value).replace("\t", " ").replace("\r\n", "\n")
    if not multiline:
        text = _LINE_BREAKS.sub(" ", text)
    else:
        text = text.replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    return _CONTROLS.sub("", text)


def oneline(value: Any) -> str:
    """Collapse all whitespace (line breaks included) into single spaces."""
    return " ".join(clean_text(value).split())


def period(value: str) -> str:
    """End a sentence with ``.`` unless it already ends with ``.``, ``!``, ``?`` or ``…`` (before closing
    quotes): ``млрд руб.`` stays, ``станции`` -> ``станции.``."""
    text = value.rstrip()
    return text if re.search(r"[.!?…][»\"”)]*$", text) or not text else text + "."


def has_cyrillic(value: Any) -> bool:
    """Whether a string contains Russian letters (to pick Russian or English formatting)."""
    return bool(re.search("[А-Яа-яЁё]", str(value)))


def capfirst(value: str) -> str:
    """Upper-case the first letter only (Jinja's ``capitalize`` lower-cases the rest)."""
    return value[:1].upper() + value[1:]


_SENTENCE_END = re.compile(r"[.!?…]+[»\"”)]*\s+(?=[«\"„(А-ЯЁA-Z0-9—–-])")
_INITIAL = re.compile(r"(?:^|\s)[А-ЯЁA-Z]\.$")


def sentences(text: str) -> list[str]:
    """Split text into sentences: after ``.``, ``!``, ``?``, ``…`` (and closing quotes) followed by a space
    and a capital, digit, quote or dash; not after an initial (``А. С. Пушкин``). Whitespace is normalised."""
    flat = " ".join(text.split())
    parts, start = [], 0
    for m in _SENTENCE_END.finditer(flat):
        head = flat[start:m.end()].rstrip()
        if _INITIAL.search(head):
            continue
        parts.append(head)
        start = m.end()
    if flat[start:]:
        parts.append(flat[start:])
    return parts


def trim_text(text: str, limit: int, unit: str = "chars") -> str:
    """Shorten ``text`` to at most ``limit`` chars, words or sentences, cutting at a sentence end.

    When even the first sentence is too long, it is cut at a word boundary and ends with ``…``.
    Whitespace is normalised to single spaces.
    """
    flat = " ".join(text.split())
    parts = sentences(flat)
    def size(s: str) -> int:
        return len(s) if unit == "chars" else len(s.split()) if unit == "words" else len(sentences(s))
    if unit not in ("chars", "words", "sentences"):
        raise ValueError(f"unknown length unit {unit!r}")
    if size(flat) <= limit:
        return flat
    kept = ""
    for part in parts:
        candidate = f"{kept} {part}".strip()
        if size(candidate) > limit:
            break
        kept = candidate
    if kept:
        return kept
    if unit == "words":
        return " ".join(flat.split()[:max(limit, 1)]).rstrip(",;:—–-") + "…"
    cut = flat[:max(limit - 1, 1)]
    if " " in cut:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(",;:—–- ") + "…"
