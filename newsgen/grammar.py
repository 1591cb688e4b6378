"""Russian (and a little English) grammar for templates, registered as Jinja2 filters.

Two layers:

- :data:`FILTERS`: stateless helpers: numeral agreement (``5|plural("гол")`` -> ``5 голов``), ordinal
  minutes (``45|on_minute(2)`` -> ``на 45+2-й минуте``), dates (``ru_date`` -> ``26 ноября``), numbers,
  English counterparts, :func:`clean_text`;
- :class:`Lexicon`: team and player names in the needed case, verb agreement with a team or player, and
  English names. It reads ``templates/lexicon.json`` (editable, documented in ``templates/README.md``)
  first and falls back conservatively: pymorphy3 only where its parse is safe, otherwise a construction
  that needs no inflection (``команды «X»``) or the name as written.

Case names are pymorphy3's: ``nomn gent datv accs ablt loct``; genders ``masc femn neut plur``.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

MONTHS_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
                   "сентября", "октября", "ноября", "декабря")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")
CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
GENDERS = ("masc", "femn", "neut", "plur")


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


# --- cleaning ------------------------------------------------------------------------------------------

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


def _check_case(case: str) -> str:
    if case not in CASES:
        raise ValueError(f"unknown case {case!r}; use one of {', '.join(CASES)}")
    return case


# --- numerals ------------------------------------------------------------------------------------------

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


# --- minutes and dates ---------------------------------------------------------------------------------

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


# --- text length --------------------------------------------------------------------------------------

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


# --- English -------------------------------------------------------------------------------------------

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


# --- lexicon -------------------------------------------------------------------------------------------

class LexiconError(ValueError):
    """The lexicon file is malformed (names the entry and the problem)."""


@dataclass(frozen=True)
class Entry:
    """One lexicon name: case forms, grammatical gender (``plur`` for plural names), English name."""

    name: str
    forms: dict[str, str] = field(default_factory=dict)
    gender: str = "masc"
    quoted: bool = True
    en: str | None = None
    wrap: bool = False  # unknown team: write ``команда «X»`` and inflect ``команда`` instead


    def form(self, case: str, written: str | None = None) -> str:
        """The name in ``case``; the nominative (and any case without a form) is the name as written."""
        if case == "nomn" or case not in self.forms:
            return written or self.name
        return self.forms[case]


_TEAM_WRAPPER = {"nomn": "команда", "gent": "команды", "datv": "команде", "accs": "команду",
                 "ablt": "командой", "loct": "команде"}


def _prep(prep: str, word: str) -> str:
    """``с`` -> ``со`` before с/з/ш/ж + consonant and щ (``со «Спартаком»``); ``в`` -> ``во`` likewise."""
    letters = re.sub(r"^[«\"„]+", "", word).lower()
    vowels = "аеёиоуыэюя"
    if prep == "с" and (letters[:1] == "щ" or (letters[:1] in "сзшж" and letters[1:2] and letters[1:2] not in vowels)):
        return "со"
    if prep == "в" and letters[:1] in "вф" and letters[1:2] and letters[1:2] not in vowels:
        return "во"
    return prep


def _bare(name: str) -> str:
    """A name as written, on one line, without outer quotes."""
    return oneline(unicodedata.normalize("NFC", name)).strip("«»\"„“ ")


def name_key(name: str) -> str:
    """Lookup key of a name: NFC, one line, no outer quotes, ``ё`` read as ``е`` (providers often drop it)."""
    return _bare(name).replace("ё", "е").replace("Ё", "Е")


class Lexicon:
    """Names with their case forms and genders, loaded from a JSON file (see ``templates/README.md``).

    >>> lex = Lexicon.empty()
    >>> lex.team("Факел", "ablt", prep="с")
    'с «Факелом»'
    """

    def __init__(self, teams: dict[str, Entry], players: dict[str, Entry], names: dict[str, str]):
        self.teams = teams
        self.players = players
        self.names = names

    @classmethod
    def empty(cls) -> "Lexicon":
        return cls({}, {}, {})

    @classmethod
    def load(cls, path: Path) -> "Lexicon":
        """Read and check a lexicon file; a missing file gives the empty lexicon."""
        path = Path(path)
        if not path.is_file():
            return cls.empty()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise LexiconError(f"{path}: not valid JSON: {exc}") from exc
        return cls.from_dict(data, str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "lexicon") -> "Lexicon":
        if not isinstance(data, dict):
            raise LexiconError(f"{where}: the lexicon must be a JSON object")
        unknown = set(data) - {"_doc", "teams", "players", "names"}
        if unknown:
            raise LexiconError(f"{where}: unknown sections {', '.join(sorted(unknown))}")
        sections = {}
        for section in ("teams", "players"):
            entries = {}
            for name, raw in data.get(section, {}).items():
                entries[name_key(name)] = _entry(name, raw, f"{where}: {section}.{name}", section == "teams")
            sections[section] = entries
        names = data.get("names", {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in names.items()):
            raise LexiconError(f"{where}: names must map Russian names to English strings")
        return cls(sections["teams"], sections["players"], {name_key(k): v for k, v in names.items()})

    # teams ------------------------------------------------------------------------------------------
    def team_entry(self, name: str) -> Entry:
        """The lexicon entry of a team, or one guessed safely (see the module docstring)."""
        return self.teams.get(name_key(name)) or _guess_team(_bare(name))

    def team(self, name: str, case: str = "nomn", prep: str | None = None) -> str:
        """``«Зенит»``, ``«Зенитом»``, ``ЦСКА``, ``команды «Нефтехимик-2»``; ``prep`` adds ``с``/``со``."""
        entry = self.team_entry(name)
        written = _bare(name)
        word = entry.form(_check_case(case), written)
        if entry.wrap:
            text = f"{_TEAM_WRAPPER[case]} «{written}»"
        else:
            text = f"«{word}»" if entry.quoted else word
        return f"{_prep(prep, text)} {text}" if prep else text

    def team_label(self, name: str) -> str:
        """The name as a label, nominative, in quotes unless an abbreviation: ``матч «Зенит» — ЦСКА``."""
        entry = self.team_entry(name)
        return f"«{_bare(name)}»" if entry.quoted or entry.wrap else _bare(name)

    def team_gender(self, name: str) -> str:
        """``masc``/``femn``/``neut``/``plur``; ``femn`` for ``команда «X»``."""
        return self.team_entry(name).gender

    def team_verb(self, verb: str, name: str) -> str:
        """``"обыграл"|team_verb("Динамо")`` -> ``обыграло``; ``"ведёт"`` -> ``ведут`` for plural names."""
        return inflect_verb(verb, self.team_gender(name))

    # players ----------------------------------------------------------------------------------------
    def player(self, name: str, case: str = "nomn") -> str:
        """A person's name in ``case``: lexicon forms, else a safe pymorphy3 inflection, else as written."""
        entry = self.players.get(name_key(name))
        if entry is not None:
            return entry.form(_check_case(case), oneline(name))
        return _inflect_person(oneline(name), _check_case(case))

    def player_gender(self, name: str) -> str:
        """Lexicon gender, else guessed from a dictionary first name (Ольга -> femn), else ``masc``."""
        entry = self.players.get(name_key(name))
        return entry.gender if entry is not None else _guess_person_gender(oneline(name))

    def player_verb(self, verb: str, name: str) -> str:
        """``"забил"|player_verb("Ольга Егорова")`` -> ``забила``."""
        return inflect_verb(verb, self.player_gender(name))

    # English ----------------------------------------------------------------------------------------
    def en(self, name: str) -> str:
        """English name: lexicon (teams, players, other names), numbered rounds, else transliteration."""
        key = name_key(name)
        for entry in (self.teams.get(key), self.players.get(key)):
            if entry is not None and entry.en:
                return entry.en
        if key in self.names:
            return self.names[key]
        bare = _bare(name)
        for pattern, make in _EN_ROUNDS:
            m = pattern.match(bare.lower())
            if m:
                return make(m)
        return translit(bare)

    def filters(self) -> dict[str, Callable[..., str]]:
        """The Jinja2 filters bound to this lexicon."""
        return {"team": self.team, "team_label": self.team_label, "team_verb": lambda verb, name: self.team_verb(verb, name),
                "team_gender": self.team_gender, "player": self.player, "player_gender": self.player_gender,
                "player_verb": lambda verb, name: self.player_verb(verb, name), "en": self.en}


def _entry(name: str, raw: Any, where: str, team: bool) -> Entry:
    if not isinstance(raw, dict):
        raise LexiconError(f"{where}: an entry must be an object")
    unknown = set(raw) - {"forms", "gender", "quoted", "en", "note"}
    if unknown:
        raise LexiconError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    gender = raw.get("gender", "masc")
    if gender not in GENDERS:
        raise LexiconError(f"{where}: gender must be one of {', '.join(GENDERS)}, got {gender!r}")
    forms = raw.get("forms", {})
    if not isinstance(forms, dict) or set(forms) - set(CASES):
        raise LexiconError(f"{where}: forms must map cases ({', '.join(CASES)}) to strings")
    if forms and set(forms) != set(CASES):
        raise LexiconError(f"{where}: forms must list all six cases; missing {', '.join(sorted(set(CASES) - set(forms)))}")
    if forms and forms["nomn"] != name:
        raise LexiconError(f"{where}: forms.nomn {forms['nomn']!r} differs from the name")
    return Entry(name=name, forms=dict(forms), gender=gender, quoted=bool(raw.get("quoted", team)),
                 en=raw.get("en"))


@lru_cache(maxsize=2048)
def _guess_team(name: str) -> Entry:
    """A team not in the lexicon.

    - an abbreviation (``СКА``, ``МБА``): unquoted, indeclinable, masculine;
    - one dictionary noun (``Факел``, ``Химки``, ``Звезда``): inflected as an inanimate noun;
    - anything else: the ``команда «X»`` construction, which needs no inflection of the name.
    """
    if re.fullmatch(r"[А-ЯЁA-Z]{2,6}", name):
        return Entry(name=name, gender="masc", quoted=False)
    if re.fullmatch(r"[А-ЯЁ][а-яё]+", name):
        parses = [p for p in _morph().parse(name)
                  if p.is_known and p.tag.POS == "NOUN" and p.tag.case == "nomn"
                  and not ({"Name", "Surn", "Patr"} & set(p.tag.grammemes))]
        parses.sort(key=lambda p: ("anim" in p.tag, -p.score))
        if parses:
            p = parses[0]
            plural_name = p.tag.number == "plur"
            gender = "plur" if plural_name else str(p.tag.gender or "masc")
            forms = {}
            for case in CASES:
                if case == "accs" and not plural_name and gender in ("masc", "neut"):
                    forms[case] = name          # a club is inanimate: обыграл «Спартак», not «Спартака»
                    continue
                form = p.inflect({case, "plur" if plural_name else "sing"})
                if form is None:
                    return Entry(name=name, gender="femn", wrap=True)
                forms[case] = capfirst(form.word)
            if plural_name:
                forms["accs"] = forms["nomn"]
            return Entry(name=name, forms=forms, gender=gender)
    return Entry(name=name, gender="femn", wrap=True)


@lru_cache(maxsize=4096)
def _inflect_person(name: str, case: str) -> str:
    """Inflect only when every word is a dictionary first name or surname of one gender."""
    if case == "nomn":
        return name
    words = name.split()
    if not words or len(words) > 3 or not all(re.fullmatch(r"[А-ЯЁ][а-яё]+", w) for w in words):
        return name
    gender = _guess_person_gender(name)
    out = []
    for word in words:
        parses = [p for p in _morph().parse(word)
                  if p.is_known and p.tag.case == "nomn" and p.tag.number == "sing" and p.tag.gender == gender
                  and {"Name", "Surn", "Patr"} & set(p.tag.grammemes)]
        form = parses[0].inflect({case, "sing"}) if parses else None
        if form is None:
            return name
        out.append(capfirst(form.word))
    return " ".join(out)


@lru_cache(maxsize=4096)
def _guess_person_gender(name: str) -> str:
    words = name.split()
    if not words:
        return "masc"
    for p in _morph().parse(words[0]):
        if p.is_known and "Name" in p.tag and p.tag.case == "nomn" and p.tag.number == "sing" and p.score >= 0.5:
            return str(p.tag.gender or "masc")
    return "masc"


@lru_cache(maxsize=1024)
def inflect_verb(verb: str, gender: str) -> str:
    """Agree a past-tense masculine (or present 3rd-person singular) verb with ``gender``.

    ``обыграл`` -> ``обыграла`` / ``обыграло`` / ``обыграли``; ``ведёт`` -> ``ведут`` (plur).
    """
    if gender not in GENDERS:
        raise ValueError(f"unknown gender {gender!r}")
    if gender == "masc":
        return verb
    parses = [p for p in _morph().parse(verb) if p.tag.POS == "VERB"]
    if parses:
        p = parses[0]
        wanted = {"plur"} if gender == "plur" else ({gender, "sing"} if p.tag.tense == "past" else set())
        form = p.inflect(wanted) if wanted else None
        if form is not None:
            return form.word
        if not wanted:
            return verb
    # rule of thumb for past tense forms pymorphy3 does not know
    ending = {"femn": "а", "neut": "о", "plur": "и"}[gender]
    if verb.endswith("лся"):
        return verb[:-2] + ending + "сь"
    if verb.endswith("л"):
        return verb + ending
    return verb


FILTERS = {"plural": plural, "agree": lambda word, n, case="nomn": agree(word, n, case), "unit": unit, "ru_number": ru_number,
           "minute": minute, "on_minute": on_minute, "clock_minute": clock_minute, "ru_date": ru_date,
           "en_number": en_number, "en_plural": en_plural, "en_ordinal": en_ordinal, "en_minute": en_minute,
           "en_on_minute": en_on_minute, "en_date": en_date, "translit": translit, "capfirst": capfirst, "period": period, "has_cyrillic": has_cyrillic, "verb": inflect_verb,
           "oneline": oneline, "clean": clean_text, "trim_text": trim_text}

__all__ = ["FILTERS", "Lexicon", "LexiconError", "Entry", "agree", "plural", "unit", "ru_number", "minute",
           "on_minute", "clock_minute", "trim_text", "sentences", "ru_date", "en_number", "en_plural", "en_ordinal", "en_minute",
           "en_on_minute", "en_date", "translit", "inflect_verb", "clean_text", "oneline", "capfirst", "period", "CASES",
           "GENDERS", "name_key"]
