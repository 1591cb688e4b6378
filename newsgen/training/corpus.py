"""A wide synthetic corpus of match records: football, hockey and basketball, valid against ``schemas/``.

Names come from one split of :func:`newsgen.training.names.name_pools` (Russian clubs and players,
Latin-script clubs, national teams and players with diacritics, multi-word and hyphenated names, generated
names), so a model trained on the ``train`` split can be evaluated on ``heldout`` records whose names never
occur in training. Situations: regular wins and draws, extra time and penalty shoot-outs (football),
overtime and shoot-outs (hockey), overtimes (basketball), own goals, penalties, braces and hat-tricks, cards
and penalties, live matches, and scheduled, postponed, abandoned and cancelled ones. Deterministic by seed.

    >>> recs = list(corpus_records(2, seed=1, split="heldout"))
    >>> sorted({r["type"] for r in recs})
    ['basketball_game', 'football_match', 'hockey_match']
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any, Callable, Iterator, Sequence

from newsgen.records import UNPLAYED
from newsgen.training.names import NamePools, name_pools

SPORTS = ("football_match", "hockey_match", "basketball_game")
_CUP_ROUNDS = ("1/16 финала", "1/8 финала", "1/4 финала", "1/2 финала", "финал")
_GROUP_ROUNDS = ("групповой этап", "1/8 финала", "1/4 финала", "полуфинал", "финал", "матч за третье место")
#: world -> sport -> (tournament, round maker, knockout)
_TOURNAMENTS: dict[str, dict[str, tuple[tuple[str, Callable[[random.Random], str], bool], ...]]] = {
    "ru": {"football_match": (("Российская Премьер-лига", lambda r: f"{r.randint(1, 30)}-й тур", False),
                              ("Кубок России", lambda r: r.choice(_CUP_ROUNDS), True),
                              ("Первая лига", lambda r: f"{r.randint(1, 34)}-й тур", False)),
           "hockey_match": (("КХЛ", lambda r: "регулярный чемпионат", False),
                            ("КХЛ", lambda r: "плей-офф", False)),
           "basketball_game": (("Единая лига ВТБ", lambda r: "регулярный чемпионат", False),
                               ("Единая лига ВТБ", lambda r: "плей-офф", False))},
    "latin": {"football_match": (("Лига чемпионов", lambda r: r.choice(_GROUP_ROUNDS[:4]), True),
                                 ("Лига Европы", lambda r: r.choice(_GROUP_ROUNDS[:4]), True),
                                 ("Товарищеский турнир", lambda r: "", False)),
              "hockey_match": (("Лига чемпионов", lambda r: "плей-офф", False),),
              "basketball_game": (("Евролига", lambda r: "регулярный чемпионат", False),
                                  ("Евролига", lambda r: "плей-офф", False))},
    "nations": {"football_match": (("Чемпионат мира", lambda r: r.choice(_GROUP_ROUNDS), True),
                                   ("Лига наций", lambda r: f"{r.randint(1, 6)}-й тур", False),
                                   ("Товарищеский матч", lambda r: "", False)),
                "hockey_match": (("Чемпионат мира", lambda r: r.choice(_GROUP_ROUNDS[:5]), False),),
                "basketball_game": (("Чемпионат Европы", lambda r: r.choice(_GROUP_ROUNDS[:5]), False),
                                    ("Олимпийский турнир", lambda r: "групповой этап", False))},
}
_REASONS = ("сильный снегопад", "плохое состояние поля", "беспорядки на трибунах", "решение лиги", "гроза",
            "отключение электричества на стадионе", "вспышка гриппа в команде гостей", "туман")
_STATUS_WEIGHTS = {"finished": 70, "live": 14, "postponed": 4, "abandoned": 4, "cancelled": 3, "scheduled": 5}


# --- shared pieces -------------------------------------------------------------------------------------

def _world(rng: random.Random, sport: str) -> str:
    weights = {"football_match": (45, 25, 30), "hockey_match": (55, 25, 20), "basketball_game": (55, 25, 20)}
    return rng.choices(("ru", "latin", "nations"), weights[sport])[0]


def _teams(rng: random.Random, pools: NamePools, sport: str, world: str) -> tuple[str, str, str]:
    """Home name, away name and the script of their players (``ru`` or ``latin``)."""
    if world == "ru":
        names, script = pools.ru_teams[sport], "ru"
    elif world == "latin":
        names, script = pools.latin_teams[sport], "latin"
    elif rng.random() < 0.6:
        names, script = pools.nations_latin, "latin"
    else:
        names, script = pools.nations_ru, "ru"
    home, away = rng.sample(names, 2)
    return home, away, script


def _player(rng: random.Random, pools: NamePools, script: str) -> str:
    if script == "ru" and rng.random() < 0.15:
        script = "foreign"
    if script == "foreign":
        return rng.choice(pools.ru_foreign)
    if script == "latin" and rng.random() < 0.12:
        return rng.choice(pools.latin_single)
    first, last = (pools.ru_first, pools.ru_surnames) if script == "ru" else (pools.latin_first, pools.latin_surnames)
    return f"{rng.choice(first)} {rng.choice(last)}"


def _place(rng: random.Random, pools: NamePools, script: str, pattern: str) -> str:
    """A city or venue made of a surname of the split (``Вабаский Арена``, ``Estadio Toshaski``): held-out
    records name no place that training records do."""
    surnames = pools.ru_surnames if script == "ru" else pools.latin_surnames
    return pattern.format(rng.choice(surnames))


def _squads(rng: random.Random, pools: NamePools, script: str, size: int = 6) -> dict[str, list[str]]:
    names: list[str] = []
    while len(names) < 2 * size:
        name = _player(rng, pools, script)
        if name not in names:
            names.append(name)
    return {"home": names[:size], "away": names[size:]}


def _scorer(rng: random.Random, squad: list[str], star_bias: float = 0.45) -> str:
    """A scorer, often the side's star (so braces and hat-tricks happen)."""
    return squad[0] if rng.random() < star_bias else rng.choice(squad[1:4])


def _base(rng: random.Random, pools: NamePools, sport: str, i: int, split: str) -> tuple[dict[str, Any], dict, bool]:
    world = _world(rng, sport)
    home, away, script = _teams(rng, pools, sport, world)
    tournament, round_of, knockout = rng.choice(_TOURNAMENTS[world][sport])
    status = rng.choices(list(_STATUS_WEIGHTS), list(_STATUS_WEIGHTS.values()))[0]
    rec: dict[str, Any] = {"type": sport, "id": f"corpus-{split}-{sport.split('_')[0]}-{i}", "revision": 0,
                           "status": status,
                           "date": (date(2026, 8, 1) + timedelta(days=rng.randrange(300))).isoformat(),
                           "tournament": tournament, "home": {"name": home}, "away": {"name": away}}
    rnd = round_of(rng)
    if rnd:
        rec["round"] = rnd
    if status == "scheduled" and rng.random() < 0.6:
        rec["time"] = f"{rng.randint(12, 21):02d}:{rng.choice((0, 15, 30, 45)):02d}"
    if rng.random() < 0.25:
        rec["referee"] = _player(rng, pools, script)
    for side in ("home", "away"):          # the seed's record part names them (the notes name the venue)
        if rng.random() < 0.3:
            rec[side]["city"] = _place(rng, pools, script, "{}ск" if script == "ru" else "{}burg")
    if rng.random() < 0.35:
        rec["venue"] = _place(rng, pools, script, "{} Арена" if script == "ru" else rng.choice(("{} Arena",
                                                                                                "Estadio {}")))
    if status in ("postponed", "abandoned", "cancelled") and rng.random() < 0.8:
        rec["status_reason"] = rng.choice(_REASONS)
    if status == "postponed" and rng.random() < 0.5:
        rec["rescheduled_to"] = (date.fromisoformat(rec["date"]) + timedelta(days=rng.randint(1, 40))).isoformat()
    return rec, _squads(rng, pools, script), knockout


def _finish(rng: random.Random, rec: dict[str, Any], capacity: int) -> dict[str, Any]:
    if rec["status"] == "finished" and rng.random() < 0.5:
        rec["attendance"] = rng.randint(300, capacity)
    return rec


def _sides(rng: random.Random, score: dict[str, int]) -> list[str]:
    sides = ["home"] * score["home"] + ["away"] * score["away"]
    rng.shuffle(sides)
    return sides


# --- football ------------------------------------------------------------------------------------------

def _goal_score(rng: random.Random) -> int:
    return rng.choices(range(7), (26, 30, 22, 12, 6, 3, 1))[0]


def _football_goals(rng: random.Random, squads: dict, sides: list[str], minutes: list[int]) -> list[dict]:
    hat_trick = rng.random() < 0.1
    goals = []
    for minute, side in zip(minutes, sides):
        player = squads[side][0] if hat_trick else _scorer(rng, squads[side])
        goal: dict[str, Any] = {"team": side, "player": player, "minute": minute}
        roll = rng.random()
        if roll < 0.1:
            goal["kind"] = "penalty"
        elif roll < 0.18:
            goal["kind"] = "own_goal"
            goal["player"] = rng.choice(squads["away" if side == "home" else "home"][1:])
        if minute in (45, 90, 105, 120) and rng.random() < 0.6:
            goal["added"] = rng.randint(1, 5)
        goals.append(goal)
    return goals


def football(rng: random.Random, rec: dict[str, Any], squads: dict[str, list[str]], knockout: bool) -> dict[str, Any]:
    """One football match: live, finished or abandoned; extra time and shoot-outs in knockout rounds."""
    status = rec["status"]
    extra = False
    if status == "finished":
        score = {"home": _goal_score(rng), "away": _goal_score(rng)}
        if knockout and rng.random() < 0.45:  # level after 90 minutes: extra time, maybe a shoot-out
            level = min(score.values())
            score = {"home": level, "away": level}
            extra = True
        end = 120 if extra else 90
    else:
        end = rng.randint(5, 89) if rng.random() < 0.93 or not knockout else rng.randint(91, 120)
        extra = end > 90
        score = {side: min(_goal_score(rng), end // 18) for side in ("home", "away")}
    minutes = sorted(rng.sample(range(1, (90 if extra and status == "finished" else end) + 1), sum(score.values())))
    goals = _football_goals(rng, squads, _sides(rng, score), minutes)
    if extra and status == "finished" and rng.random() < 0.3:  # a goal in extra time decides it (else penalties)
        side = rng.choice(("home", "away"))
        score[side] += 1
        goals += _football_goals(rng, squads, [side], [rng.randint(91, 120)])
    rec["score"], rec["goals"] = score, goals
    if extra:
        rec["extra_time"] = True
    if status == "finished" and score["home"] == score["away"] and extra:
        ws, ls = rng.choice(((4, 3), (5, 4), (3, 2), (4, 2), (5, 3), (6, 5), (7, 6), (3, 1)))
        rec["shootout"] = {"home": ws, "away": ls} if rng.random() < 0.5 else {"home": ls, "away": ws}
    if status != "finished":
        rec["elapsed"] = end
    if end >= 10 and rng.random() < 0.15:
        side = rng.choice(("home", "away"))
        rec["cards"] = [{"team": side, "player": rng.choice(squads[side]), "minute": rng.randint(10, min(end, 90)),
                         "color": rng.choice(("red", "second_yellow", "yellow"))}]
    return _finish(rng, rec, 80000)


# --- hockey --------------------------------------------------------------------------------------------

def _clock(seconds: int) -> str:
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _hockey_goal(rng: random.Random, squads: dict, side: str, seconds: int) -> dict[str, Any]:
    player = _scorer(rng, squads[side], 0.35)
    goal: dict[str, Any] = {"team": side, "player": player, "time": _clock(seconds)}
    mates = [p for p in squads[side] if p != player]
    if rng.random() < 0.8:
        goal["assists"] = rng.sample(mates, rng.randint(1, 2))
    roll = rng.random()
    if roll < 0.2:
        goal["strength"] = "power_play"
    elif roll < 0.25:
        goal["strength"] = "short_handed"
    if seconds > 57 * 60 and seconds < 3600 and rng.random() < 0.3:
        goal["empty_net"] = True
    elif rng.random() < 0.02:
        goal["penalty_shot"] = True
    return goal


def hockey(rng: random.Random, rec: dict[str, Any], squads: dict[str, list[str]], knockout: bool) -> dict[str, Any]:
    """One hockey match: regulation, overtime or shoot-out wins, live or abandoned."""
    status = rec["status"]
    decided = rng.choices(("regulation", "overtime", "shootout"), (70, 15, 15))[0] if status == "finished" else None
    end = 3600 if status == "finished" else rng.randint(60, 3599)
    score = {side: rng.choices(range(7), (12, 22, 24, 18, 12, 8, 4))[0] for side in ("home", "away")}
    if status != "finished":
        score = {side: min(n, end // 600) for side, n in score.items()}
    elif decided == "regulation":
        while score["home"] == score["away"]:
            score["away"] = rng.randint(0, 6)
    else:
        score["away"] = score["home"]
    times = sorted(rng.sample(range(1, end), sum(score.values())))
    goals = [_hockey_goal(rng, squads, side, t) for side, t in zip(_sides(rng, score), times)]
    periods = [{"home": 0, "away": 0} for _ in range(min(3, end // 1200 + 1))]
    for g, t in zip(goals, times):
        periods[min(t // 1200, 2)][g["team"]] += 1
    winner = rng.choice(("home", "away"))
    if decided == "overtime":
        t = rng.randint(3601, 3599 + 300)
        goals.append(_hockey_goal(rng, squads, winner, t))
        periods.append({"home": int(winner == "home"), "away": int(winner == "away")})
        score[winner] += 1
    elif decided == "shootout":
        periods.append({"home": 0, "away": 0})
        score[winner] += 1
    rec["score"], rec["goals"] = score, goals
    if status != "abandoned" or rng.random() < 0.5:
        rec["periods"] = periods
    if decided:
        rec["decided"] = decided
    else:
        rec["elapsed"] = _clock(end)
    if rng.random() < 0.6:
        rec["penalties"] = [{"team": rng.choice(("home", "away")), "player": rng.choice(squads["home"]),
                             "time": _clock(rng.randint(60, min(end, 3599))),
                             "minutes": rng.choice((2, 2, 2, 4, 5, 10))} for _ in range(rng.randint(1, 4))]
        for p in rec["penalties"]:
            p["player"] = rng.choice(squads[p["team"]])
            if rng.random() < 0.4:
                p["infraction"] = rng.choice(("подножка", "задержка клюшкой", "грубость", "удар клюшкой"))
    return _finish(rng, rec, 15000)


# --- basketball ----------------------------------------------------------------------------------------

def _leaders(rng: random.Random, squads: dict, score: dict[str, int]) -> list[dict[str, Any]]:
    leaders = []
    for side in ("home", "away"):
        for player in rng.sample(squads[side], rng.randint(0, 2)):
            leader: dict[str, Any] = {"team": side, "player": player,
                                      "points": min(score[side], rng.randint(8, 38))}
            if rng.random() < 0.6:
                leader["rebounds"] = rng.randint(1, 16)
            if rng.random() < 0.5:
                leader["assists"] = rng.randint(1, 12)
            leaders.append(leader)
    return sorted(leaders, key=lambda x: -x["points"])


def basketball(rng: random.Random, rec: dict[str, Any], squads: dict[str, list[str]], knockout: bool) -> dict[str, Any]:
    """One basketball game: wins in regulation or after overtimes, live or abandoned."""
    status = rec["status"]
    played = 4 if status == "finished" else rng.randint(1, 4)
    quarters = [{"home": rng.randint(12, 34), "away": rng.randint(12, 34)} for _ in range(played)]
    if status == "finished":
        totals = {s: sum(q[s] for q in quarters) for s in ("home", "away")}
        # level after regulation, then overtimes until someone leads
        if rng.random() < 0.12 and abs(totals["home"] - totals["away"]) <= 20:
            quarters[-1]["home"] += max(0, totals["away"] - totals["home"])
            quarters[-1]["away"] += max(0, totals["home"] - totals["away"])
            while True:
                ot = {"home": rng.randint(4, 16), "away": rng.randint(4, 16)}
                quarters.append(ot)
                if ot["home"] != ot["away"] or len(quarters) == 10:
                    break
            if quarters[-1]["home"] == quarters[-1]["away"]:
                quarters[-1]["home"] += 1
        elif totals["home"] == totals["away"]:
            quarters[-1]["home"] += 1
    score = {s: sum(q[s] for q in quarters) for s in ("home", "away")}
    rec["score"] = score
    if status != "abandoned" or rng.random() < 0.5:
        rec["quarters"] = quarters
    if status != "finished":
        rec["period"] = played
    if rng.random() < 0.85:
        rec["leaders"] = _leaders(rng, squads, score)
    return _finish(rng, rec, 14000)


_MAKERS = {"football_match": football, "hockey_match": hockey, "basketball_game": basketball}


def corpus_records(n: int, seed: int = 0, split: str = "train",
                   sports: Sequence[str] = SPORTS) -> Iterator[dict[str, Any]]:
    """``n`` records of each sport in ``sports`` (interleaved), names from the ``split`` pools of ``seed``."""
    pools = name_pools(seed, split)
    rng = random.Random(f"corpus:{seed}:{split}")
    for i in range(n):
        for sport in sports:
            rec, squads, knockout = _base(rng, pools, sport, i, split)
            yield rec if rec["status"] in UNPLAYED else _MAKERS[sport](rng, rec, squads, knockout)
