"""Names in cases from the lexicon, safe fallbacks for unknown names, verb agreement, English names."""
import json

import pytest

from newsgen.config import ROOT
from newsgen.grammar import Lexicon, LexiconError, inflect_verb, translit


@pytest.fixture(scope="module")
def lex():
    return Lexicon.load(ROOT / "templates" / "lexicon.json")


def test_known_teams_in_cases(lex):
    assert f'{lex.team("Зенит")} {lex.team_verb("обыграл", "Зенит")} {lex.team("Спартак", "accs")}' == \
        "«Зенит» обыграл «Спартак»"          # not «Спартака»: a club is inanimate
    assert f'в матче {lex.team("Зенит", "ablt", prep="с")}' == "в матче с «Зенитом»"
    assert lex.team("Спартак", "ablt", prep="с") == "со «Спартаком»"
    assert lex.team("Зенит", "gent") == "«Зенита»"
    assert lex.team("Крылья Советов", "gent") == "«Крыльев Советов»"
    assert lex.team_verb("обыграл", "Крылья Советов") == "обыграли"
    assert lex.team_verb("обыграл", "Динамо") == "обыграло" and lex.team("Динамо", "ablt") == "«Динамо»"
    assert lex.team_verb("обыграл", "Северсталь") == "обыграла" and lex.team("Северсталь", "accs") == "«Северсталь»"
    assert lex.team("ЦСКА", "gent") == "ЦСКА" and lex.team_label("ЦСКА") == "ЦСКА"
    assert lex.team("УНИКС", "ablt") == "УНИКСом"
    assert lex.team("Локомотив-Кубань", "gent") == "«Локомотива-Кубань»"


def test_unknown_teams_fall_back_safely():
    lex = Lexicon.empty()
    assert lex.team("Факел", "ablt") == "«Факелом»"                  # one dictionary noun: inflected
    assert lex.team("Нефтехимик", "accs") == "«Нефтехимик»"          # animate noun, inanimate club
    assert lex.team("Звезда", "accs") == "«Звезду»" and lex.team_gender("Звезда") == "femn"
    assert lex.team("Химки", "gent") == "«Химок»" and lex.team_verb("обыграл", "Химки") == "обыграли"
    assert lex.team("МБА", "gent") == "МБА"                          # abbreviation: indeclinable, no quotes
    assert lex.team("Кубань Холдинг", "gent") == "команды «Кубань Холдинг»"   # no safe inflection
    assert lex.team("Кубань Холдинг") == "команда «Кубань Холдинг»"
    assert lex.team_verb("обыграл", "Кубань Холдинг") == "обыграла"
    assert lex.team_label("Кубань Холдинг") == "«Кубань Холдинг»"
    assert lex.team("{{ 7*7 }}", "datv") == "команде «{{ 7*7 }}»"


def test_players(lex):
    assert lex.player("Андрей Мостовой", "gent") == "Андрея Мостового"
    assert lex.player("Джон Кордоба", "ablt") == "Джоном Кордобой"
    assert lex.player_verb("забил", "Надежда Смирнова") == "забила"
    assert lex.player_verb("забил", "Дмитрий Воробьев") == "забил"   # ё and е match
    assert lex.player("Дмитрий Воробьев") == "Дмитрий Воробьев"


def test_unknown_players_inflect_only_when_safe():
    lex = Lexicon.empty()
    assert lex.player("Андрей Смирнов", "gent") == "Андрея Смирнова"
    assert lex.player("Ольга Егорова", "datv") == "Ольге Егоровой"
    assert lex.player("Константин Тюкавин", "gent") == "Константин Тюкавин"  # rare surname: as written
    assert lex.player("Бительо", "gent") == "Бительо"
    assert lex.player_gender("Ольга Егорова") == "femn"
    assert lex.player_verb("отличился", "Ольга Егорова") == "отличилась"
    assert lex.player_gender("Бительо") == "masc"


def test_verbs():
    assert [inflect_verb("обыграл", g) for g in ("masc", "femn", "neut", "plur")] == [
        "обыграл", "обыграла", "обыграло", "обыграли"]
    assert inflect_verb("оказался", "femn") == "оказалась"
    assert inflect_verb("ведёт", "plur") == "ведут"
    with pytest.raises(ValueError):
        inflect_verb("обыграл", "anim")


def test_english_names(lex):
    assert lex.en("Зенит") == "Zenit" and lex.en("Андрей Мостовой") == "Andrei Mostovoy"
    assert lex.en("Российская Премьер-лига") == "Russian Premier League"
    assert lex.en("15-й тур") == "round 15" and lex.en("1/8 финала") == "round of 16"
    assert lex.en("1/4 финала") == "quarter-final"
    assert lex.en("Арсен Адамов") == "Arsen Adamov"               # transliteration
    assert translit("Щётка Юрия") == "Shchyotka Yuriya"


@pytest.mark.parametrize("data,message", [
    ({"teams": {"X": {"gender": "anim"}}}, "gender"),
    ({"teams": {"X": {"forms": {"nomn": "X"}}}}, "all six cases"),
    ({"teams": {"X": {"colour": "red"}}}, "unknown keys"),
    ({"people": {}}, "unknown sections"),
])
def test_lexicon_errors_name_the_entry(data, message):
    with pytest.raises(LexiconError, match=message):
        Lexicon.from_dict(data)


def test_repository_lexicon_is_complete(lex):
    data = json.loads((ROOT / "templates" / "lexicon.json").read_text(encoding="utf-8"))
    assert len(lex.teams) == len(data["teams"]) and len(lex.players) == len(data["players"])
    for name, entry in lex.teams.items():
        assert entry.en, name
