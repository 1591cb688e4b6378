"""Plain-text helpers: the one control-character filter (:func:`clean_text`), the one sentence splitter
(:func:`sentence_spans`, :func:`sentences`, on razdel), paragraphs, sentence ends, capitals and trimming
to a length. Everything in the project that cleans or splits text calls these."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from razdel.rule import JOIN, FunctionRule
from razdel.segmenters.sentenize import RULES, SentSegmenter
from razdel.segmenters.sokr import HEAD_SOKRS, INITIALS, TAIL_PAIR_SOKRS, TAIL_SOKRS

#: what :func:`clean_text` drops: C0 and C1 controls (line breaks and tabs are handled before), DEL, the
#: bidi marks, embeddings, overrides and isolates used to disguise text (U+200E/F, U+061C, U+202A–U+202E,
#: U+2066–U+2069), zero-width and other invisible format characters (U+200B–U+200D, U+2060–U+2064, the
#: soft hyphen, U+180E) and the BOM
_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
                       "\u2060-\u2064\u2066-\u2069\ufeff]")
_LINE_BREAKS = re.compile(r"\s*[\n\r\u2028\u2029\x0b\x0c\x85]+\s*")


def clean_text(value: Any, multiline: bool = False) -> str:
    """Make a value safe to print: drop control, bidi and zero-width characters (:data:`_CONTROLS`) and
    NFC-normalise; unless ``multiline``, fold line breaks into spaces so one field cannot fake a line
    (``\\nЗаметка: ...``) of the seed. Tabs become spaces."""
    text = str(value).replace("\t", " ").replace("\r\n", "\n")
    if not multiline:
        text = _LINE_BREAKS.sub(" ", text)
    else:
        text = text.replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    return unicodedata.normalize("NFC", _CONTROLS.sub("", text))


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


# --- sentences -----------------------------------------------------------------------------------------
#
# razdel (a kept library) splits sentences and already keeps Russian initials (``А. Мостовой``), razdel's
# abbreviations (``г. Москве``, ``им. Ленина``, ``Mr.``, ``Dr.``, ``vs.``) and any ``.`` before a
# lower-case word (``Vinícius Jr. scored``) inside a sentence. On top of it: a blank line ends a
# sentence (a paragraph), ``;`` never does, and neither does ``.`` after the English abbreviations below.

#: English abbreviations razdel does not know, after which ``.`` does not end a sentence
_EN_ABBREVIATIONS = frozenset({"st", "mt", "ft", "jr", "sr", "prof", "gen", "col", "lt", "sgt", "capt", "rev",
                               "gov", "sen", "messrs", "mme", "mlle", "nos"})
#: of those, the ones that may end a sentence (a name suffix: ``… scored by Vinícius Jr.``)
_NAME_SUFFIXES = frozenset({"jr", "sr"})
#: abbreviations that are always followed by what they abbreviate: a text ending with one is cut short
#: (``Матч прошёл в г.``); ``г``, ``с``, ``р``, ``см``, ``стр`` also end sentences after a number
#: (``в 2026 г.``), so they count only when no number stands before them
_OPEN_ABBREVIATIONS = (HEAD_SOKRS | INITIALS | _EN_ABBREVIATIONS) - _NAME_SUFFIXES - {"no", "ок"}
_AFTER_NUMBER = HEAD_SOKRS & TAIL_SOKRS
PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")
_END = re.compile(r"[.!?…][»\"”’)\]]*$")
_LAST_DOTTED = re.compile(r"(?:^|[^\w.])([^\W\d_]+)\.$")
_GROUP_WORD = re.compile(r"(?i)(?:групп[аыеуой]*|подгрупп[аыеуой]*|group|pool)\s+$")


def _keep_together(split) -> str | None:
    if split.delimiter == ";":
        return JOIN
    if split.delimiter == "." and (split.left_token or "").lower() in _EN_ABBREVIATIONS:
        return JOIN
    return None


_SENTENIZE = SentSegmenter(rules=[FunctionRule(_keep_together), *RULES])


def paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text`` (split at blank lines), as written; the first may be empty."""
    return PARAGRAPH_BREAK.split(text)


@lru_cache(maxsize=8192)
def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """``(start, end)`` offsets of the sentences of ``text``, covering it: each sentence runs to the next
    one's start (its trailing whitespace included), the first starts at 0, the last ends at ``len(text)``.

    Sentences end at ``.``, ``!``, ``?``, ``…`` (with closing quotes and brackets) and at blank lines, not
    after initials (``А. Мостовой``, ``J. Álvarez``) or abbreviations (``в г. Москве``, ``St. Pauli``,
    ``Vinícius Jr. scored``), not inside guillemets (``«1. FC Köln»``), and not at ``;``.
    """
    starts = []
    offset = 0
    for paragraph in paragraphs(text):
        starts.extend(offset + s.start for s in _SENTENIZE(paragraph) if s.text)
        offset += len(paragraph)
        offset = PARAGRAPH_BREAK.match(text, offset).end() if offset < len(text) else offset
    starts = [s for s in starts if text.count("«", 0, s) <= text.count("»", 0, s)]   # not inside «…»
    if not starts:
        return ((0, len(text)),)
    starts[0] = 0
    return tuple(zip(starts, starts[1:] + [len(text)]))


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (see :func:`sentence_spans`), each with its whitespace normalised."""
    parts = (" ".join(text[a:b].split()) for a, b in sentence_spans(text))
    return [p for p in parts if p]


def ends_sentence(text: str) -> bool:
    """Whether ``text`` ends a sentence: with ``.``, ``!``, ``?`` or ``…`` (and closing quotes), but not
    with an initial (``Гол забил А.``) or an abbreviation that needs its word (``в г.``, ``St.``)."""
    text = text.rstrip()
    if not _END.search(text):
        return False
    m = _LAST_DOTTED.search(text)
    if m is None:
        return True
    word, before = m.group(1), text[:m.start(1)]
    pair = re.search(r"(\w)\.\s*$", before)
    if pair and (pair.group(1).lower(), word.lower()) in TAIL_PAIR_SOKRS:
        return True                                       # «и т. д.», «и т. п.»
    if len(word) == 1 and word.isupper():
        return bool(_GROUP_WORD.search(before))          # «в группе B.» ends; «Гол забил А.» does not
    low = word.lower()
    if low in _AFTER_NUMBER:
        return bool(re.search(r"\d\s*$", before))       # «в 2026 г.» ends; «в г.» does not
    return low not in _OPEN_ABBREVIATIONS


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
