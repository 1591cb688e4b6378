"""Synthetic (record, note) pairs so a small model can learn the note format (``newsgen dataset synth``).

Records: football matches are generated from scratch (teams of the lexicon, random scores, scorers, minutes,
penalties, own goals, added time, red cards, venues, attendance; finished or live). Other record types are
the project's example records (``producers/examples``, few-shot examples) with teams, players, dates and
attendance swapped: valid records of every type, less varied than football.

Notes come from the template-only path (:func:`newsgen.fallback.fallback_note`), then get *controlled*
variation that never touches a fact: an equivalent verb with the same government (``обыграл``/``победил``/
``переиграл`` all take the accusative, so team names keep their form), independent sentences reordered
after the first, a few equivalent sentence shapes. Every note, varied or not, must pass
:func:`newsgen.facts.check`: a varied note that fails is replaced by the plain one, a record whose plain note
fails is dropped; :class:`SynthStats` counts both.

A pair is one JSON line: ``{"record": {...}, "task": "note", "language": "ru", "note": "..."}``. The prompt
is not stored: fine-tuning renders it with :class:`newsgen.seeds.SeedRenderer`, as the worker does.
"""
from __future__ import annotations

import copy
import json
import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterator, Sequence

from newsgen.config import ROOT
from newsgen.grammar.text import sentences as split_sentences

FOOTBALL_TEAMS = ("Зенит", "Спартак", "ЦСКА", "Рубин", "Краснодар", "Оренбург", "Ростов", "Динамо", "Локомотив",
                  "Урал", "Крылья Советов", "Ахмат", "Акрон", "Факел", "Пари НН", "Химки", "Сочи", "Торпедо")
HOCKEY_TEAMS = ("СКА", "Авангард", "Ак Барс", "Металлург", "Трактор", "Салават Юлаев", "Северсталь",
                "Автомобилист", "ЦСКА", "Динамо", "Спартак", "Локомотив")
BASKETBALL_TEAMS = ("ЦСКА", "УНИКС", "Зенит", "Локомотив-Кубань", "Парма", "Енисей", "Автодор",
                    "Нижний Новгород", "Самара")
TEAMS = {"football_match": FOOTBALL_TEAMS, "hockey_match": HOCKEY_TEAMS, "basketball_game": BASKETBALL_TEAMS}
FIRST_NAMES = ("Алексей", "Андрей", "Дмитрий", "Сергей", "Иван", "Никита", "Максим", "Артём", "Кирилл",
               "Егор", "Илья", "Михаил", "Роман", "Павел", "Денис", "Антон", "Владимир", "Николай", "Игорь",
               "Даниил", "Александр", "Георгий", "Олег", "Фёдор")
SURNAMES = ("Смирнов", "Иванов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков", "Морозов",
            "Волков", "Соловьёв", "Васильев", "Зайцев", "Павлов", "Семёнов", "Голубев", "Виноградов",
            "Богданов", "Воробьёв", "Фёдоров", "Михайлов", "Беляев", "Тарасов", "Белов", "Комаров", "Орлов",
            "Киселёв", "Макаров", "Андреев", "Ковалёв", "Ильин", "Гусев", "Титов", "Кузьмин", "Кудрявцев",
            "Баранов", "Куликов", "Алексеев", "Степанов", "Яковлев", "Сорокин", "Сергеев", "Романов",
            "Захаров", "Борисов", "Королёв", "Герасимов", "Пономарёв", "Григорьев", "Лазарев", "Медведев")
VENUES = {"Зенит": "Газпром Арена", "ЦСКА": "ВЭБ Арена", "Краснодар": "Ozon Арена", "Локомотив": "РЖД Арена",
          "Крылья Советов": "Солидарность Самара Арена", "Спартак": "Лукойл Арена", "Ахмат": "Ахмат Арена"}
CITIES = {"Зенит": "Санкт-Петербург", "Спартак": "Москва", "ЦСКА": "Москва", "Рубин": "Казань",
          "Краснодар": "Краснодар", "Ростов": "Ростов-на-Дону", "Динамо": "Москва", "Локомотив": "Москва",
          "Урал": "Екатеринбург", "Крылья Советов": "Самара", "Ахмат": "Грозный", "Пари НН": "Нижний Новгород"}
CUP_ROUNDS = ("1/8 финала", "1/4 финала", "1/2 финала")
EXAMPLE_FILES = tuple(sorted((ROOT / "producers" / "examples").glob("*.jsonl")))


@dataclass
class SynthStats:
    """What generation produced and dropped, per record type."""

    pairs: dict[str, int] = field(default_factory=dict)
    varied: int = 0              # notes whose variation was kept
    variant_rejected: int = 0    # varied notes that failed the fact check (the plain note was used)
    dropped: dict[str, int] = field(default_factory=dict)  # records whose plain note failed (or did not render)

    def as_dict(self) -> dict[str, Any]:
        return {"pairs": dict(self.pairs), "varied": self.varied, "variant_rejected": self.variant_rejected,
                "dropped": dict(self.dropped)}


# --- records -------------------------------------------------------------------------------------------

def _player(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def _date(rng: random.Random) -> str:
    return (date(2026, 8, 1) + timedelta(days=rng.randrange(240))).isoformat()


def football_record(rng: random.Random, i: int) -> dict[str, Any]:
    """One finished or live football match, consistent under :class:`newsgen.records.RecordValidator`."""
    home, away = rng.sample(FOOTBALL_TEAMS, 2)
    live = rng.random() < 0.2
    elapsed = rng.randint(5, 89) if live else 90
    cup = rng.random() < 0.25
    rec: dict[str, Any] = {"type": "football_match", "id": f"synth-fb-{i}", "revision": 0,
                           "status": "live" if live else "finished", "date": _date(rng),
                           "tournament": "Кубок России" if cup else "Российская Премьер-лига",
                           "round": rng.choice(CUP_ROUNDS) if cup else f"{rng.randint(1, 30)}-й тур",
                           "home": {"name": home}, "away": {"name": away}}
    for side, team in (("home", home), ("away", away)):
        if team in CITIES and rng.random() < 0.5:
            rec[side]["city"] = CITIES[team]
    squads = {side: [_player(rng) for _ in range(4)] for side in ("home", "away")}
    weights = (30, 30, 22, 11, 5, 2)
    score = {side: rng.choices(range(6), weights)[0] for side in ("home", "away")}
    if live:
        score = {side: min(n, elapsed // 20) for side, n in score.items()}
    minutes = sorted(rng.sample(range(1, elapsed + 1), score["home"] + score["away"]))
    sides = ["home"] * score["home"] + ["away"] * score["away"]
    rng.shuffle(sides)
    goals = []
    for minute, side in zip(minutes, sides):
        goal: dict[str, Any] = {"team": side, "player": rng.choice(squads[side][:3]), "minute": minute}
        roll = rng.random()
        if roll < 0.1:
            goal["kind"] = "penalty"
        elif roll < 0.14:
            goal["kind"] = "own_goal"
            goal["player"] = rng.choice(squads["away" if side == "home" else "home"])
        if minute in (45, 90) and rng.random() < 0.7:
            goal["added"] = rng.randint(1, 5)
        goals.append(goal)
    rec["score"], rec["goals"] = score, goals
    if live:
        rec["elapsed"] = elapsed
    if rng.random() < 0.12 and elapsed > 30:
        side = rng.choice(("home", "away"))
        rec["cards"] = [{"team": side, "player": rng.choice(squads[side]), "minute": rng.randint(20, elapsed),
                         "color": rng.choice(("red", "second_yellow"))}]
    if home in VENUES and rng.random() < 0.7:
        rec["venue"] = VENUES[home]
    if not live and rng.random() < 0.6:
        rec["attendance"] = rng.randint(1500, 56000)
    if rng.random() < 0.3:
        rec["referee"] = _player(rng)
    return rec


def example_records() -> dict[str, list[dict[str, Any]]]:
    """The project's example records (producer examples and the few-shot examples' records), by type."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path in EXAMPLE_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                out.setdefault(rec.get("type"), []).append(rec)
    for path in sorted((ROOT / "templates").glob("*/examples.*.json")):
        for ex in json.loads(path.read_text(encoding="utf-8")):
            if isinstance(ex, dict) and isinstance(ex.get("record"), dict):
                out.setdefault(ex["record"]["type"], []).append(ex["record"])
    return out


def _swap_names(value: Any, mapping: dict[str, str]) -> Any:
    if isinstance(value, str):
        return mapping.get(value, value)
    if isinstance(value, dict):
        return {k: _swap_names(v, mapping) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap_names(v, mapping) for v in value]
    return value


def mutated_record(base: dict[str, Any], rng: random.Random, i: int) -> dict[str, Any]:
    """An example record with other teams (same sport), other players, another date and attendance."""
    rec = copy.deepcopy(base)
    rec["id"] = f"synth-{rec['type']}-{i}"
    if "date" in rec:
        rec["date"] = _date(rng)
    if "when" in rec:
        rec["when"] = _date(rng)
    teams = TEAMS.get(rec["type"])
    if teams and "home" in rec:
        new_home, new_away = rng.sample(teams, 2)
        mapping = {rec["home"]["name"]: new_home, rec["away"]["name"]: new_away}
        players = {p for key in ("goals", "leaders", "penalties", "cards") for e in rec.get(key, [])
                   for p in [e.get("player"), *(e.get("assists") if isinstance(e.get("assists"), list) else [])]
                   if p}
        mapping.update({p: _player(rng) for p in sorted(players)})
        rec = _swap_names(rec, mapping)
        for side in ("home", "away"):
            rec[side] = {"name": rec[side]["name"]}
            if rec[side]["name"] in CITIES and rng.random() < 0.5:
                rec[side]["city"] = CITIES[rec[side]["name"]]
        rec.pop("venue", None)
    if "attendance" in rec:
        rec["attendance"] = rng.randint(1500, 20000)
    return rec


def synth_records(n: int, seed: int = 0, types: Sequence[str] | None = None,
                  football_share: float = 0.6) -> Iterator[dict[str, Any]]:
    """``n`` synthetic records: a ``football_share`` of football matches, the rest mutated examples of the
    other (narrated) types; ``types`` restricts the record types."""
    from newsgen.fallback import needs_model
    from newsgen.seeds import tasks_for_type

    rng = random.Random(seed)
    bases = {t: [r for r in recs if needs_model(r)] for t, recs in example_records().items()
             if t != "football_match" and tasks_for_type(t)}
    others = [t for t in sorted(bases) if bases[t] and (types is None or t in types)]
    football = types is None or "football_match" in types
    for i in range(n):
        if football and (not others or rng.random() < football_share):
            yield football_record(rng, i)
        else:
            kind = rng.choice(others)
            yield mutated_record(rng.choice(bases[kind]), rng, i)


# --- notes ---------------------------------------------------------------------------------------------

_VERBS = (("обыграл", "победил", "переиграл"),)
_PATTERNS: tuple[tuple[re.Pattern, Any], ...] = (
    # "Победный гол на 71-й минуте с пенальти забил Андрей Мостовой." -> "Андрей Мостовой забил победный гол ..."
    (re.compile(r"^Победный гол (.+?) (забил|забила|забило|забили) ([^.]+)\.$"),
     lambda m: f"{m.group(3)} {m.group(2)} победный гол {m.group(1)}."),
    # "Дубль оформил Джон Кордоба." -> "Джон Кордоба оформил дубль."
    (re.compile(r"^(Дубль|Хет-трик) (оформил|оформила) ([^.]+)\.$"),
     lambda m: f"{m.group(3)} {m.group(2)} {m.group(1).lower()}."),
    # "Матч на стадионе «X» посетили N зрителей." -> "За игрой на стадионе «X» наблюдали N зрителей."
    (re.compile(r"^Матч (.*?)посетили (.+)$"), lambda m: f"За игрой {m.group(1)}наблюдали {m.group(2)}"),
)


def vary(text: str, rng: random.Random, reorder: bool = True) -> str:
    """A variant of a template note with the same facts: verb synonyms, sentence shapes, sentence order
    (``reorder``: match notes only; a news note's dateline and lead must stay first)."""
    for group in _VERBS:
        pick = rng.choice(group)
        text = re.sub(rf"\b(?:{'|'.join(group)})(а|о|и)?\b", lambda m: pick + (m.group(1) or ""), text)
    if not reorder:
        return text
    sentences = split_sentences(text)
    head, tail = sentences[:1], sentences[1:]
    tail = [pat.sub(fn, s) if rng.random() < 0.5 else s for s in tail for pat, fn in [_pick(s)]]
    # the goal list stays right after the result; the later sentences are independent
    fixed = [s for s in tail if s.startswith(("Гол:", "Голы:", "Шайбы:", "Шайба:"))]
    movable = [s for s in tail if s not in fixed]
    rng.shuffle(movable)
    return " ".join(head + fixed + movable)


def _pick(sentence: str) -> tuple[re.Pattern, Any]:
    for pat, fn in _PATTERNS:
        if pat.search(sentence):
            return pat, fn
    return re.compile(r"(?!)"), lambda m: m.group(0)


def make_pairs(records: Sequence[dict[str, Any]], languages: Sequence[str] = ("ru",), variants: int = 1,
               seed: int = 0, stats: SynthStats | None = None, vary_notes: bool = True) -> Iterator[dict[str, Any]]:
    """Pairs for every record, task and language: ``variants`` notes each (the first is the plain one
    when ``variants > 1``), all fact-checked; ``vary_notes=False`` gives the plain note only."""
    from newsgen.errors import NewsgenError
    from newsgen.facts import check
    from newsgen.fallback import note_language, render_fallback
    from newsgen.seeds import tasks_for_type

    rng = random.Random(seed)
    stats = stats if stats is not None else SynthStats()
    for rec in records:
        for language in languages:
            if note_language(rec, language) != language:
                continue  # a record in its own language gets no model note in another one
            for task in tasks_for_type(rec["type"]):
                try:
                    plain = render_fallback(rec, task, language).text
                    ok = check(rec, plain, task, language).passed
                except NewsgenError:
                    ok = False
                if not ok:
                    stats.dropped[rec["type"]] = stats.dropped.get(rec["type"], 0) + 1
                    continue
                seen: set[str] = set()
                for k in range(variants if vary_notes else 1):
                    note = plain
                    if vary_notes and (k > 0 or variants == 1):
                        candidate = vary(plain, rng, reorder=rec["type"] in TEAMS)
                        if candidate != plain:
                            if check(rec, candidate, task, language).passed:
                                note, stats.varied = candidate, stats.varied + 1
                            else:
                                stats.variant_rejected += 1
                    if note in seen:
                        continue
                    seen.add(note)
                    stats.pairs[rec["type"]] = stats.pairs.get(rec["type"], 0) + 1
                    yield {"record": rec, "task": task, "language": language, "note": note}


def synth_pairs(n: int, seed: int = 0, languages: Sequence[str] = ("ru",), types: Sequence[str] | None = None,
                variants: int = 1, stats: SynthStats | None = None) -> Iterator[dict[str, Any]]:
    """Valid synthetic records (``n`` generated, invalid ones dropped) turned into checked pairs."""
    from newsgen.errors import NewsgenError
    from newsgen.records import RecordValidator

    validator = RecordValidator(ROOT / "schemas")
    stats = stats if stats is not None else SynthStats()
    valid = []
    for rec in synth_records(n, seed, types):
        try:
            validator.validate(rec)
            valid.append(rec)
        except NewsgenError:
            stats.dropped[rec["type"]] = stats.dropped.get(rec["type"], 0) + 1
    yield from make_pairs(valid, languages, variants, seed, stats)


def write_pairs(pairs: Iterator[dict[str, Any]], path: Path) -> int:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for pair in pairs:
            fh.write(json.dumps(pair, ensure_ascii=False) + "\n")
            n += 1
    return n


def read_pairs(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
