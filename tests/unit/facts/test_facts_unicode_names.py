"""Names in Latin script with diacritics, apostrophes, hyphens, several words and initials (national teams,
foreign players): true texts pass, each wrong claim fails for the right reason, in Russian and English."""
import pytest

from facts_cases import LEXICON, assert_fails
from newsgen.config import ROOT
from newsgen.facts import check
from newsgen.records import RecordValidator

VALIDATOR = RecordValidator(ROOT / "schemas")


def _record(**fields) -> dict:
    base = {"type": "football_match", "status": "finished", "date": "2026-06-20", "tournament": "Чемпионат мира"}
    return VALIDATOR.validate({**base, **fields}).data


RECORDS = {
    # Álvarez (Türkiye) put the ball into his own net: the goal counts for Côte d'Ivoire
    "civ-tur": _record(
        id="civ-tur", round="1/8 финала", home={"name": "Côte d'Ivoire"}, away={"name": "Türkiye"},
        score={"home": 2, "away": 1}, attendance=41250,
        goals=[{"team": "home", "player": "Sergio Agüero", "minute": 19},
               {"team": "away", "player": "Thomas Müller", "minute": 55},
               {"team": "home", "player": "Julián Álvarez", "minute": 70, "kind": "own_goal"}],
        cards=[{"team": "away", "player": "Blerim Džemaili", "minute": 80, "color": "red"}]),
    # 1:1 after extra time, Curaçao won the shoot-out 4:3
    "cuw-bih": _record(
        id="cuw-bih", round="1/4 финала", home={"name": "Curaçao"}, away={"name": "Bosnia and Herzegovina"},
        score={"home": 1, "away": 1}, extra_time=True, shootout={"home": 4, "away": 3},
        goals=[{"team": "home", "player": "João Félix", "minute": 30},
               {"team": "away", "player": "John O'Shea", "minute": 118}],
        cards=[{"team": "home", "player": "N'Golo Kanté", "minute": 44, "color": "yellow"}]),
    # a club with a hyphen and accents against a Russian one; Korean and Brazilian names
    "ste-zen": _record(
        id="ste-zen", date="2026-11-22", tournament="Товарищеский матч", home={"name": "Saint-Étienne"},
        away={"name": "Зенит"}, score={"home": 1, "away": 2},
        goals=[{"team": "away", "player": "Ludwig Augustinsson", "minute": 50},
               {"team": "home", "player": "Vinícius Jr.", "minute": 77},
               {"team": "away", "player": "Ким Мин-джэ", "minute": 88}]),
}

# (record, language, text): all true of the record
TRUE = [
    ("civ-tur", "en", "Côte d'Ivoire beat Türkiye 2-1. Goals: Agüero 19', Müller 55', Álvarez 70' (o.g.)."),
    ("civ-tur", "en", "Côte d'Ivoire beat Türkiye 2-1: Sergio Agüero scored in the 19th minute and Thomas Müller "
                      "equalised in the 55th."),
    ("civ-tur", "en", "Côte d'Ivoire beat Türkiye 2-1 thanks to an own goal by Julián Álvarez in the 70th minute."),
    ("civ-tur", "en", "Türkiye lost 1-2 to Côte d'Ivoire; Blerim Džemaili was sent off in the 80th minute."),
    ("civ-tur", "en", "Cote d'Ivoire beat Turkiye 2-1, Muller scored for the visitors."),           # no accents
    ("civ-tur", "en", "Côte d’Ivoire beat Türkiye 2-1, Mu\u0308ller scored in the 55th minute."),   # ’ and NFD
    ("civ-tur", "en", "Côte d'Ivoire beat Türkiye 2-1, S. Agüero opened the scoring in the 19th minute."),
    ("civ-tur", "ru", "«Côte d'Ivoire» обыграл «Türkiye» со счётом 2:1: Agüero открыл счёт на 19-й минуте, "
                      "Müller сравнял на 55-й."),
    ("civ-tur", "ru", "Команда «Côte d'Ivoire» обыграла команду «Türkiye» со счётом 2:1, победным стал автогол "
                      "Julián Álvarez на 70-й минуте."),
    ("civ-tur", "ru", "Победу «Côte d'Ivoire» над «Türkiye» со счётом 2:1 принёс автогол Álvarez. Матч посетили "
                      "41 250 зрителей."),
    ("civ-tur", "ru", "«Côte d'Ivoire» обыграл «Türkiye» 2:1, первый гол забил S. Agüero."),
    ("cuw-bih", "en", "Curaçao and Bosnia and Herzegovina drew 1-1 after extra time; Curaçao won the penalty "
                      "shoot-out 4-3."),
    ("cuw-bih", "en", "Curaçao beat Bosnia and Herzegovina 4-3 on penalties after a 1-1 draw. João Félix scored in "
                      "the 30th minute and John O'Shea equalised in the 118th minute."),
    ("cuw-bih", "en", "Curaçao won the shoot-out 4-3 after a 1-1 draw; N'Golo Kanté was booked in the 44th minute."),
    ("cuw-bih", "ru", "«Curaçao» и «Bosnia and Herzegovina» сыграли вничью 1:1 после дополнительного времени, в "
                      "серии пенальти сильнее оказался «Curaçao» — 4:3. Гол на 118-й минуте забил John O'Shea."),
    ("cuw-bih", "ru", "«Curaçao» обыграл «Bosnia and Herzegovina» в серии пенальти 4:3 после ничьей 1:1, гол "
                      "забил J. Félix."),
    ("ste-zen", "en", "Zenit beat Saint-Étienne 2-1. Goals: 0-1 Augustinsson 50', 1-1 Vinícius Jr. 77'."),
    ("ste-zen", "en", "Zenit won 2-1 at Saint-Étienne, Vinícius Jr. scored for the hosts in the 77th minute."),
    ("ste-zen", "ru", "«Зенит» обыграл «Saint-Étienne» со счётом 2:1, победный гол на 88-й минуте забил Ким "
                      "Мин-джэ."),
    ("ste-zen", "ru", "«Зенит» победил «Saint-Étienne» 2:1: отличились Augustinsson и Ким Мин-джэ."),
]


@pytest.mark.parametrize("record_id,language,text", TRUE)
def test_true_texts_pass(record_id, language, text):
    result = check(RECORDS[record_id], text, "note", language, lexicon=LEXICON)
    assert result.passed, [(m.kind, m.found, m.message) for m in result.mismatches]


# (record, language, text, the reason it must fail, the text of the span it must point at or None)
FALSE = [
    # brace claimed for a single (own) goal; a wrong minute; the minute of another player
    ("civ-tur", "en", "Côte d'Ivoire beat Türkiye 2-1. Álvarez scored twice.", "scorer", "Álvarez"),
    ("civ-tur", "ru", "«Côte d'Ivoire» обыграл «Türkiye» 2:1, дубль оформил Álvarez.", "scorer", "Álvarez"),
    ("civ-tur", "en", "Côte d'Ivoire beat Türkiye 2-1. Agüero scored in the 23rd minute.", "minute", "23rd minute"),
    ("civ-tur", "ru", "«Côte d'Ivoire» обыграл «Türkiye» 2:1, Agüero забил на 23-й минуте.", "minute",
     "23-й минуте"),
    ("civ-tur", "en", "Côte d'Ivoire beat Türkiye 2-1. Goals: Agüero 55', Müller 19'.", "minute", "55'"),
    ("civ-tur", "en", "Côte d'Ivoire beat Türkiye 2-1. Goals: Agüero 19'  Müller 19'.", "minute", "19'"),
    # the winner and the score
    ("civ-tur", "en", "Türkiye beat Côte d'Ivoire 2-1.", "winner", "beat"),
    ("civ-tur", "ru", "«Türkiye» обыграл «Côte d'Ivoire» со счётом 2:1.", "winner", "обыграл"),
    ("civ-tur", "ru", "Команда «Côte d'Ivoire» обыграла команду «Türkiye» со счётом 3:1.", "score", "3:1"),
    ("civ-tur", "en", "Côte d'Ivoire and Türkiye met in the round of 16.", "missing_winner", None),
    # an invented player, a wrong initial, a team not in the match, the wrong team for a player
    ("civ-tur", "en", "Côte d'Ivoire beat Türkiye 2-1, Sergio Ramírez scored first.", "player", "Sergio Ramírez"),
    ("civ-tur", "en", "Côte d'Ivoire beat Türkiye 2-1, T. Agüero opened the scoring.", "player", "T. Agüero"),
    ("civ-tur", "ru", "«Côte d'Ivoire» обыграл «Türkiye» 2:1, Džemaili был удалён на 85-й минуте.", "minute",
     "85-й минуте"),
    ("civ-tur", "en", "Côte d'Ivoire beat Türkiye 2-1, Thomas Müller scored for the hosts.", "team",
     "for the hosts"),
    ("civ-tur", "en", "Côte d'Ivoire beat Türkiye 2-1, Agüero got the winner.", "scorer", "Agüero"),
    # shoot-out and extra time
    ("cuw-bih", "en", "Bosnia and Herzegovina won the shoot-out 4-3 after a 1-1 draw.", "winner", "won"),
    ("cuw-bih", "ru", "«Curaçao» обыграл «Bosnia and Herzegovina» в серии пенальти 5:3 после ничьей 1:1.", "score",
     "5:3"),
    # a result whose team was left out (the model dropped the winner's slot)
    ("cuw-bih", "ru", "«Curaçao» и «Bosnia and Herzegovina» сыграли вничью 1:1, в серии пенальти сильнее оказался "
                      "4:3.", "winner", "сильнее оказался"),
    ("cuw-bih", "en", "Curaçao beat Bosnia and Herzegovina 4-3 on penalties after a 1-1 draw; John O'Shea "
                      "equalised in the 108th minute.", "minute", "108th minute"),
    ("cuw-bih", "en", "Curaçao beat Bosnia and Herzegovina 4-3 on penalties after a 1-1 draw; N'Golo Kanté "
                      "scored.", "scorer", "N'Golo Kanté"),
    # dates: «0-1 Augustinsson» is no «1 August», but a wrong date still fails
    ("ste-zen", "en", "Zenit beat Saint-Étienne 2-1 on 1 August.", "date", "1 August"),
    ("ste-zen", "ru", "«Зенит» обыграл «Saint-Étienne» 2:1, гол забил Ким Мин-джэ на 77-й минуте.", "minute",
     "77-й минуте"),
    ("ste-zen", "ru", "«Saint-Étienne» обыграл «Зенит» 2:1.", "winner", "обыграл"),
]


@pytest.mark.parametrize("record_id,language,text,kind,span_text", FALSE)
def test_false_texts_fail_for_the_right_reason(record_id, language, text, kind, span_text):
    assert_fails(check(RECORDS[record_id], text, "note", language, lexicon=LEXICON), text, kind, span_text)


def test_latin_names_are_read_whole():
    result = check(RECORDS["civ-tur"], "Côte d'Ivoire beat Türkiye 2-1, Müller scored in the 55th minute.", "note",
                   "en", lexicon=LEXICON)
    assert result.passed and result.checked["names"] == 3 and result.checked["minutes"] == 1


def test_a_goal_list_minute_is_not_a_date():
    text = "Zenit beat Saint-Étienne 2-1. Goals: 0-1 Augustinsson 50', 1-1 Vinícius Jr. 77', 1-2 Ким Мин-джэ 88'."
    result = check(RECORDS["ste-zen"], text, "note", "en", lexicon=LEXICON)
    assert result.passed, [(m.kind, m.found) for m in result.mismatches]
    assert "dates" not in result.checked and result.checked["scores"] == 4
