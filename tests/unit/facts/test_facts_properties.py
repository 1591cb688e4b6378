"""Property tests: for generated football records the template-only note always passes the checker, and
the same note with a wrong final score never does."""
import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from facts_cases import LEXICON, TEMPLATES
from newsgen.config import ROOT
from newsgen.errors import RecordError
from newsgen.facts import check
from newsgen.fallback import fallback_note
from newsgen.records import RecordValidator, outcome

VALIDATOR = RecordValidator(ROOT / "schemas")
#: lexicon teams, a one-word dictionary team and names pymorphy3 cannot inflect
TEAMS = sorted(LEXICON.teams) + ["Алания", "Нефтехимик", "Кубань Холдинг", "Спарта энд К", "Велес"]
#: lexicon players, dictionary names, foreign names pymorphy3 only guesses, a one-word name
PLAYERS = sorted(LEXICON.players) + ["Иван Петров", "Ольга Иванова", "Фёдор Смолов", "Кристофер Мартинс",
                                     "Лечи Садулаев", "Джон Смит", "Вильмар Барриос", "Роман Зобнин", "Малком"]
STATUSES = ["scheduled", "live", "finished", "postponed", "abandoned", "cancelled"]
MINUTES = st.one_of(st.integers(1, 90).map(lambda m: (m, None)),
                    st.tuples(st.sampled_from([45, 90]), st.integers(1, 6)))


@st.composite
def football(draw, statuses=STATUSES):
    home, away = draw(st.lists(st.sampled_from(TEAMS), min_size=2, max_size=2, unique=True))
    players = draw(st.lists(st.sampled_from(PLAYERS), min_size=6, max_size=6, unique=True))
    squads = {"home": players[:3], "away": players[3:]}
    status = draw(st.sampled_from(statuses))
    rec = {"type": "football_match", "id": "prop-1", "status": status, "date": draw(st.dates()).isoformat(),
           "tournament": draw(st.sampled_from(["Российская Премьер-лига", "Кубок России", "Первая лига"])),
           "round": f"{draw(st.integers(1, 30))}-й тур", "home": {"name": home}, "away": {"name": away}}
    if status in ("live", "finished", "abandoned"):
        goals = []
        for _ in range(draw(st.integers(0, 5))):
            team = draw(st.sampled_from(["home", "away"]))
            kind = draw(st.sampled_from(["regular", "regular", "penalty", "own_goal"]))
            squad = squads[team] if kind != "own_goal" else squads["away" if team == "home" else "home"]
            minute, added = draw(MINUTES)
            goal = {"team": team, "player": draw(st.sampled_from(squad)), "minute": minute, "kind": kind}
            if added:
                goal["added"] = added
            goals.append(goal)
        rec["goals"] = goals
        rec["score"] = {s: sum(g["team"] == s for g in goals) for s in ("home", "away")}
        if status != "finished":
            rec["elapsed"] = max([g["minute"] for g in goals] + [draw(st.integers(1, 90))])
        elif rec["score"]["home"] == rec["score"]["away"] and draw(st.booleans()):
            rec["extra_time"] = True
            a, b = draw(st.lists(st.integers(0, 6), min_size=2, max_size=2, unique=True))
            rec["shootout"] = {"home": a, "away": b}
        if draw(st.booleans()):
            team = draw(st.sampled_from(["home", "away"]))
            minute, added = draw(MINUTES)
            card = {"team": team, "player": draw(st.sampled_from(squads[team])), "minute": minute,
                    "color": draw(st.sampled_from(["yellow", "second_yellow", "red"]))}
            if added:
                card["added"] = added
            rec["cards"] = [card]
    optional = {"venue": st.sampled_from(["Газпром Арена", "ВЭБ Арена", "Арена Химки"]),
                "attendance": st.integers(0, 80000), "referee": st.sampled_from(PLAYERS[-4:]),
                "time": st.sampled_from(["15:00", "19:30"]), "status_reason": st.just("сильный снегопад")}
    for key, strategy in optional.items():
        if draw(st.booleans()):
            rec[key] = draw(strategy)
    if status == "postponed" and draw(st.booleans()):
        rec["rescheduled_to"] = draw(st.dates()).isoformat()
    return rec


def _valid(rec: dict) -> dict:
    try:
        return VALIDATOR.validate(rec).data
    except RecordError:
        assume(False)


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.filter_too_much])


@PROPERTY
@given(football(), st.sampled_from(["ru", "en"]), st.sampled_from(["note", "summary"]))
def test_the_fallback_note_of_any_football_record_passes(rec, language, task):
    rec = _valid(rec)
    text = fallback_note(rec, task, language, templates_dir=TEMPLATES)
    result = check(rec, text, task, language, lexicon=LEXICON)
    assert result.passed, (text, [(m.kind, m.found, m.message) for m in result.mismatches])


@PROPERTY
@given(football(statuses=["finished"]), st.sampled_from(["ru", "en"]), st.integers(1, 3))
def test_the_fallback_note_with_a_wrong_final_score_fails(rec, language, delta):
    rec = _valid(rec)
    o = outcome(rec)
    assume(o["decided"] != "shootout")
    text = fallback_note(rec, "summary", language, templates_dir=TEMPLATES)
    sep = ":" if language == "ru" else "-"
    right = f"{o['ws']}{sep}{o['ls']}"
    wrong = f"{o['ws'] + delta}{sep}{o['ls']}"
    assert right in text
    result = check(rec, re.sub(re.escape(right), wrong, text, count=1), "summary", language, lexicon=LEXICON)
    assert {"score", "missing_score"} <= set(result.reasons())
