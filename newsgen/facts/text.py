"""Text plumbing for the fact checker: tokens with sentence and clause indexes, morphological keys for
matching inflected names, a transliteration skeleton for English spellings, number words.

A *key* of a word is a folded string it can be recognised by: the word itself (lower case, ``ё`` as
``е``), its pymorphy3 lemmas (Cyrillic) or ``~`` plus its transliteration skeleton (any script), so
``Зенитом`` and ``Зенит`` share ``зенит`` and ``Andrey`` and ``Андрей`` share ``~andrei``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from newsgen.grammar import _morph as morph  # one shared MorphAnalyzer (its dictionaries are large)
from newsgen.grammar import translit
from newsgen.grammar.text import sentence_spans

#: a letter of any script (the combining accents of a decomposed letter stay with it: ``Mu\u0308ller``)
LETTER = r"(?:[^\W\d_][\u0300-\u036f]*)"
#: a word: letters, with inner apostrophes (``O'Shea``, ``d'Ivoire``, ``N’Golo``) and hyphens (``Saint-Étienne``,
#: ``Нефтехимик-2``)
WORD = re.compile(rf"{LETTER}+(?:['’ʼ]{LETTER}+|-{LETTER}+|-\d+(?!\d|[.,:]\d))*")
#: clause separators inside a sentence
CLAUSE_BREAK = re.compile(r"[,;:()—–]|\s-\s|\s(?:а|но|and|but)\s")
#: words after which a team is not the subject of a result verb: prepositions (``в Самаре``, ``at Rubin``),
#: ``матч`` (``матча «Спартак» — «Краснодар»``) and ``и``/``and`` (the second of two teams)
NOT_SUBJECT_AFTER = {"у", "в", "во", "на", "с", "со", "над", "от", "против", "к", "ко", "для", "после", "перед",
                     "из", "до", "без", "о", "об", "при", "за", "по", "между", "матч", "матча", "матче", "и",
                     "at", "in", "to", "against", "over", "with", "by", "for", "from", "of", "v", "vs", "on", "and"}
CYRILLIC = re.compile("[А-Яа-яЁё]")
MONTHS_RU = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
             "ноября", "декабря")
MONTHS_EN = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december")

#: English words that may be capitalised without being a name (sentence starts, titles, abbreviations)
EN_COMMON = set("""
a an the and but or of in on at to for from by with after before as it its this that these those there
he she they we you i his her their our my your who what when where which while with without into over
under about against between during since until than then so yet also only just not no nor all any each
every both few more most other some such one two three four five six seven eight nine ten first second
third fourth last next new old good great big little top key source reason referee attendance goal
goals score scores period periods quarter quarters penalty penalties minutes minute sent off overtime
shoot-out shootout extra time match game season round final semi-final quarter-final league cup premier
super first second regular play-offs playoffs division conference championship tournament stage group
arena stadium hall centre center park square street avenue road bridge station airport library museum
theatre university school hospital ministry minister department agency office service press council
committee government region city town state federal national russian russia mayor deputy governor
president chief head coach manager captain mr mrs ms dr st saint north south east west northern southern
eastern western upper lower central big bank company group club team fc hc bc pp sh en ps og ot so var
tv uefa fifa khl vtb rpl nhl nba ok monday tuesday wednesday thursday friday saturday sunday january
february march april may june july august september october november december according meanwhile however
because despite although earlier later today yesterday tomorrow tonight here now
""".split())
#: Russian abbreviations that are not names of anything a record lists
RU_ABBREVIATIONS = {"рпл", "кхл", "фнл", "втб", "нхл", "рфс", "уефа", "фифа", "вар", "мвд", "мчс", "рф", "сша",
                    "тасс", "риа", "ссср", "снг", "ес", "оон", "мкад"}

RU_NUMBERS = {"ноль": 0, "нуль": 0, "два": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7,
              "восемь": 8, "девять": 9, "десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13,
              "четырнадцать": 14, "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18,
              "девятнадцать": 19, "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50,
              "шестьдесят": 60, "семьдесят": 70, "восемьдесят": 80, "девяносто": 90, "сто": 100,
              "двести": 200, "триста": 300, "четыреста": 400, "пятьсот": 500, "шестьсот": 600,
              "семьсот": 700, "восемьсот": 800, "девятьсот": 900}
EN_NUMBERS = {"zero": 0, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
              "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
              "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
              "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
              "hundred": 100}


def fold(text: str) -> str:
    """NFC, lower case, ``ё`` as ``е``, typographic apostrophes as ``'``."""
    return unicodedata.normalize("NFC", text).lower().replace("ё", "е").replace("’", "'").replace("ʼ", "'")


#: Latin letters that do not decompose into a base letter and an accent
_LATIN_EXTRA = str.maketrans({"ß": "ss", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "æ": "ae", "œ": "oe", "ı": "i",
                              "þ": "th"})


def strip_accents(text: str) -> str:
    """``müller`` -> ``muller``, ``džemaili`` -> ``dzemaili``, ``ø`` -> ``o`` (lower-case Latin)."""
    bare = unicodedata.normalize("NFKD", text.translate(_LATIN_EXTRA))
    return "".join(ch for ch in bare if not unicodedata.combining(ch))


def is_cyrillic(text: str) -> bool:
    return bool(CYRILLIC.search(text))


def skeleton(word: str) -> str:
    """A spelling-tolerant Latin key: ``Andrey``/``Andrei``/``Андрей`` -> ``andrei``; ``Yegor``/``Egor`` ->
    ``egor``; ``Semyonov``/``Семёнов`` -> ``semenov``; double letters collapsed."""
    low = strip_accents(fold(translit(word) if is_cyrillic(word) else word))
    low = re.sub(r"'s$", "", low)
    low = low.replace("x", "ks").replace("shch", "sch").replace("kh", "h").replace("j", "i")
    low = re.sub(r"y[eo]", "e", low)
    low = low.replace("y", "i")
    low = re.sub(r"[^a-z0-9]", "", low)
    return re.sub(r"(.)\1+", r"\1", low)


@dataclass(frozen=True)
class Parse:
    """The part of a pymorphy3 parse the checker uses."""

    lemma: str
    pos: str
    grammemes: frozenset[str]
    score: float
    known: bool


@lru_cache(maxsize=32768)
def parses(word: str) -> tuple[Parse, ...]:
    """pymorphy3 parses of a Cyrillic word (empty for other scripts). A character without a Unicode name (an
    unassigned code point a byte-level model can write) is dropped first: pymorphy3 raises on it."""
    if not is_cyrillic(word):
        return ()
    if any(not unicodedata.name(ch, "") for ch in word):
        word = "".join(ch for ch in word if unicodedata.name(ch, ""))
        if not word:
            return ()
    return tuple(Parse(fold(p.normal_form), str(p.tag.POS or ""), frozenset(p.tag.grammemes), p.score,
                       p.is_known) for p in morph().parse(word))


def is_known_word(word: str) -> bool:
    """Whether pymorphy3 knows the word from its dictionary (not a guess)."""
    found = parses(word)
    return bool(found) and found[0].known


@lru_cache(maxsize=32768)
def word_keys(word: str) -> frozenset[str]:
    """The keys a word is recognised by (see the module docstring)."""
    low = fold(word)
    keys = {low, "~" + skeleton(word)}
    if low.endswith("'s"):
        keys.add(low[:-2])
    keys.update(p.lemma for p in parses(word))
    return frozenset(keys)


_ADJ_SURNAME = re.compile(r"(.*)(ий|ый|ой)$")
_FEM_ADJ = re.compile(r"(.*)(ая|яя)$")


@lru_cache(maxsize=8192)
def inflected_forms(word: str) -> frozenset[str]:
    """Rule-of-thumb case forms of a name word pymorphy3 may not know (``Сперцян`` -> ``Сперцяна``,
    ``Мостовой`` -> ``Мостового``, ``Кордоба`` -> ``Кордобы``, ``Егорова`` -> ``Егоровой``), folded.
    Words ending in о, е, и, у, э, ю are taken as indeclinable."""
    low = fold(word)
    if not is_cyrillic(low) or len(low) < 3:
        return frozenset({low})
    forms = {low}
    if m := _ADJ_SURNAME.match(low):
        stem = m.group(1)
        forms |= {stem + e for e in ("ого", "ому", "ым", "ом", "ий", "ый", "ой", "его", "ему", "им", "ем")}
    elif m := _FEM_ADJ.match(low):
        stem = m.group(1)
        forms |= {stem + e for e in ("ой", "ую", "ей", "юю")}
    elif low.endswith(("ова", "ева", "ёва", "ина", "ына")):
        forms |= {low[:-1] + e for e in ("ой", "у")}
    elif low.endswith(("а", "я")):
        stem = low[:-1]
        forms |= {stem + e for e in ("ы", "и", "е", "у", "ю", "ой", "ей", "ою")}
    elif low.endswith(("ь", "й")):
        stem = low[:-1]
        forms |= {stem + e for e in ("я", "ю", "ем", "ём", "е", "и", "ью")}
    elif low[-1] not in "оеиуэюы":
        forms |= {low + e for e in ("а", "у", "ом", "ем", "е", "ым", "ым", "ой")}
    return frozenset(f.replace("ё", "е") for f in forms)


@dataclass(frozen=True)
class Token:
    """A word of the checked text with its position: sentence and clause indexes, and whether it stands
    where a capital is expected anyway (sentence start, after ``:``, an opening quote or bracket)."""

    text: str
    start: int
    end: int
    index: int
    sentence: int
    clause: int
    initial: bool

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()

    @property
    def all_caps(self) -> bool:
        letters = self.text.replace("-", "")
        return len(letters) >= 2 and letters.isupper()

    @property
    def latin(self) -> bool:
        return not is_cyrillic(self.text)

    @property
    def keys(self) -> frozenset[str]:
        return word_keys(self.text)


@dataclass(frozen=True)
class Segments:
    """Sentence and clause boundaries of a text: ``sentences`` and ``clauses`` are ``(start, end)`` spans."""

    text: str
    sentences: tuple[tuple[int, int], ...]
    clauses: tuple[tuple[int, int], ...]

    def sentence_of(self, pos: int) -> int:
        return _index_of(self.sentences, pos)

    def clause_of(self, pos: int) -> int:
        return _index_of(self.clauses, pos)

    def sentence_text(self, i: int) -> str:
        start, end = self.sentences[i]
        return self.text[start:end]

    def clause_text(self, i: int) -> str:
        start, end = self.clauses[i]
        return self.text[start:end]


def _index_of(spans: tuple[tuple[int, int], ...], pos: int) -> int:
    for i, (start, end) in enumerate(spans):
        if start <= pos < end:
            return i
    return max(len(spans) - 1, 0)


def segment(text: str) -> Segments:
    """Split ``text`` into sentences (:func:`newsgen.grammar.text.sentence_spans`, the project's one
    splitter: not after an initial like ``А.`` or an abbreviation like ``г.``) and sentences into clauses."""
    sentences = list(sentence_spans(text))
    clauses = []
    for s_start, s_end in sentences:
        c_start = s_start
        for m in CLAUSE_BREAK.finditer(text, s_start, s_end):
            clauses.append((c_start, m.start()))
            c_start = m.start()
        clauses.append((c_start, s_end))
    clauses = [c for c in clauses if c[1] > c[0]] or [(0, len(text))]
    return Segments(text, tuple(sentences), tuple(clauses))


def tokenize(text: str, segments: Segments) -> list[Token]:
    """The words of ``text`` with their sentence and clause indexes."""
    tokens = []
    for i, m in enumerate(WORD.finditer(text)):
        sentence = segments.sentence_of(m.start())
        before = text[segments.sentences[sentence][0]:m.start()]
        initial = not re.search(r"\w", before) or before.rstrip()[-1:] in (":", "«", "\"", "„", "“", "(", "—", "–")
        tokens.append(Token(m.group(), m.start(), m.end(), i, sentence, segments.clause_of(m.start()), initial))
    return tokens


def number_word(word: str) -> int | None:
    """The value of a cardinal number word (``трёх`` -> 3, ``twelve`` -> 12); ``один``/``one`` -> None
    (too often a pronoun: ``один из``, ``one of``)."""
    low = fold(word)
    if not is_cyrillic(low):
        return EN_NUMBERS.get(low)
    found = parses(word)
    if found and found[0].pos == "NUMR":
        return RU_NUMBERS.get(found[0].lemma)
    return None


def has_lemma(token: Token, lemmas: set[str] | frozenset[str], pos: tuple[str, ...] = ()) -> bool:
    """Whether one of the token's parses has a lemma in ``lemmas`` (and, if given, a POS in ``pos``);
    English tokens match their lower-case form."""
    if token.latin:
        return fold(token.text) in lemmas
    return any(p.lemma in lemmas and (not pos or p.pos in pos) for p in parses(token.text))


__all__ = ["Token", "Segments", "segment", "tokenize", "fold", "skeleton", "word_keys", "parses", "Parse",
           "inflected_forms", "number_word", "has_lemma", "strip_accents", "WORD", "LETTER",
           "is_known_word", "is_cyrillic", "MONTHS_RU",
           "MONTHS_EN", "EN_COMMON", "RU_ABBREVIATIONS", "NOT_SUBJECT_AFTER"]
