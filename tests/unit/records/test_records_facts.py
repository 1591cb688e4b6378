"""Facts read off validated match records: outcome, goal order with running score, braces, winner."""
import json

from newsgen.records import goal_timeline, multi_scorers, outcome, winning_goal
from producers.publish import EXAMPLES_DIR, read_lines

R = {rec["id"]: rec for path in sorted(EXAMPLES_DIR.glob("*.jsonl")) for rec in map(json.loads, read_lines(path))}


def test_outcome_from_the_winners_side():
    o = outcome(R["cup-2026-qf-ros-dyn"])      # 1:3 away win
    assert (o["winner"], o["loser"], o["ws"], o["ls"], o["level"], o["home_win"]) == ("away", "home", 3, 1, False, False)
    o = outcome(R["rpl-2026-15-cska-rub"])
    assert o["winner"] is None and o["level"]
    o = outcome(R["cup-2026-sf-ros-spa"])      # 1:1, shoot-out 4:3
    assert (o["winner"], o["decided"], o["shootout"]) == ("home", "shootout", {"ws": 4, "ls": 3})
    assert outcome(R["khl-2026-cska-trk"])["decided"] == "shootout"
    assert outcome(R["khl-2026-cska-trk"])["winner"] == "away"
    assert outcome(R["vtb-2026-zen-lokk"])["decided"] == "overtime"


def test_goal_timeline_sorts_and_counts():
    t = goal_timeline(R["rpl-2026-15-zen-spa"])
    assert [(g["player"], g["running"]) for g in t] == [("Луиз Энрике", "1:0"), ("Манфред Угальде", "1:1"),
                                                        ("Андрей Мостовой", "2:1")]
    own = [g for g in goal_timeline(R["rpl-2026-15-kra-ore"]) if g["kind"] == "own_goal"][0]
    assert (own["team"], own["player_side"]) == ("home", "away")
    shuffled = dict(R["khl-2026-avg-ska"], goals=list(reversed(R["khl-2026-avg-ska"]["goals"])))
    assert [g["time"] for g in goal_timeline(shuffled)] == sorted(g["time"] for g in R["khl-2026-avg-ska"]["goals"])


def test_added_time_sorts_before_the_next_minute():
    rec = {"type": "football_match", "goals": [{"team": "home", "player": "B", "minute": 46},
                                               {"team": "away", "player": "A", "minute": 45, "added": 2}]}
    assert [g["player"] for g in goal_timeline(rec)] == ["A", "B"]


def test_multi_scorers_and_winner():
    assert multi_scorers(R["rpl-2026-15-kra-ore"]) == [{"player": "Джон Кордоба", "side": "home", "goals": 2}]
    assert winning_goal(R["rpl-2026-15-zen-spa"])["player"] == "Андрей Мостовой"
    assert winning_goal(R["cup-2026-qf-ros-dyn"])["player"] == "Бительо"     # 1:2 put Dynamo ahead for good
    assert winning_goal(R["rpl-2026-15-cska-rub"]) is None
    assert winning_goal(R["cup-2026-sf-ros-spa"]) is None
    assert winning_goal(R["khl-2026-akb-mmg"])["time"] == "63:21"
