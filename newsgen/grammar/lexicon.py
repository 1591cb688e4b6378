"""The lexicon: team and player names with their case forms and genders, read from
``templates/lexicon.json`` (see ``templates/README.md``), with the safe guesses of :mod:`newsgen.grammar.names`
for names it lacks."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from newsgen.grammar.english import _EN_ROUNDS, translit
from newsgen.grammar.morph import CASES, GENDERS, _check_case
from newsgen.grammar.names import (_TEAM_WRAPPER, Entry, _bare, _guess_person_gender, _guess_team, _inflect_person,
                                   _prep, inflect_verb, name_key)
from newsgen.grammar.text import oneline


class LexiconError(ValueError):
    """The lexicon file is malformed (names the entry and the problem)."""


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
