"""Numeral agreement, numbers, minutes, dates, text trimming: checked against hand-written Russian."""
import datetime as dt

import pytest

from newsgen.grammar import (agree, clean_text, en_date, en_minute, en_on_minute, en_ordinal, en_plural, minute,
                             on_minute, oneline, period, plural, ru_date, ru_number, sentences, trim_text, unit)

#: known-correct forms: (after 1, 21, 101...), (after 2-4, 22-24...), (after 0, 5-20, 25-30...)
FORMS = {
    "гол": ("гол", "гола", "голов"),
    "очко": ("очко", "очка", "очков"),
    "минута": ("минута", "минуты", "минут"),
    "матч": ("матч", "матча", "матчей"),
}


def _category(n: int) -> int:
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


@pytest.mark.parametrize("word", sorted(FORMS))
def test_agreement_table_0_to_125(word):
    expected = [f"{n} {FORMS[word][_category(n)]}" for n in range(126)]
    assert [plural(n, word) for n in range(126)] == expected


def test_agreement_spot_checks_written_out():
    assert [plural(n, "гол") for n in (0, 1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111, 112, 121, 125)] == [
        "0 голов", "1 гол", "2 гола", "4 гола", "5 голов", "11 голов", "12 голов", "14 голов", "21 гол",
        "22 гола", "25 голов", "101 гол", "111 голов", "112 голов", "121 гол", "125 голов"]
    assert plural(1, "очко") == "1 очко" and plural(3, "очко") == "3 очка" and plural(100, "очко") == "100 очков"
    assert plural(21, "минута") == "21 минута" and plural(44, "минута") == "44 минуты"


def test_agreement_up_to_1000():
    for n in range(1001):
        assert agree("гол", n) == FORMS["гол"][_category(n)], n
    assert plural(1000, "матч") == "1000 матчей"
    assert plural(54312, "зритель") == "54 312 зрителей"
    assert plural(18003, "зритель") == "18 003 зрителя"
    assert plural(1240, "зритель") == "1240 зрителей"


@pytest.mark.parametrize("n,expected", [(1, "1 знака"), (2, "2 знаков"), (5, "5 знаков"), (11, "11 знаков"),
                                        (21, "21 знака"), (200, "200 знаков")])
def test_genitive_phrase(n, expected):
    assert plural(n, "знак", "gent") == expected  # "не более 21 знака"


def test_genitive_plural_of_neuter_and_feminine():
    assert plural(2, "предложение", "gent") == "2 предложений"
    assert plural(3, "минута", "gent") == "3 минут"


def test_units_agree_or_stay():
    assert unit(3, "станция") == "3 станции"
    assert unit(5, "станций") == "5 станций"          # any form of the noun
    assert unit(2.5, "километр") == "2,5 километра"   # fraction: genitive singular
    assert unit(4.5, "км") == "4,5 км"                # abbreviation as is
    assert unit(12.5, "млрд руб.") == "12,5 млрд руб."
    assert unit(30, "%") == "30 %"
    assert unit(-8, "градус") == "−8 градусов"
    assert unit(7, None) == "7"


def test_numbers():
    assert ru_number(1500) == "1500"
    assert ru_number(54312) == "54 312"
    assert ru_number(1234567) == "1 234 567"
    assert ru_number(12.5) == "12,5"
    assert ru_number(3.0) == "3"
    assert ru_number(1234567.5) == "1 234 567,5"   # never exponent notation
    assert ru_number(-0.0) == "0"


def test_minutes():
    assert minute(12) == "12-я" and minute(45, 2) == "45+2-я"
    assert on_minute(45, 2) == "на 45+2-й минуте"
    assert on_minute(71) == "на 71-й минуте"
    assert en_minute(90, 4) == "90+4'"
    assert en_on_minute(71) == "in the 71st minute"
    assert en_on_minute(90, 3) == "in the 90+3rd minute"
    assert [en_ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]


def test_dates():
    assert ru_date("2026-11-26") == "26 ноября 2026"
    assert ru_date("2026-11-26", year=False) == "26 ноября"
    assert ru_date(dt.date(2026, 3, 1), False) == "1 марта"
    assert en_date("2026-11-26") == "26 November 2026"


def test_english_plural():
    assert en_plural(1, "goal") == "1 goal"
    assert en_plural(2, "penalty") == "2 penalties"
    assert en_plural(7, "assist") == "7 assists"
    assert en_plural(12011, "spectator") == "12,011 spectators"


def test_clean_text_drops_controls_and_folds_lines():
    raw = "A\x00B\x1b[31mC\x07\u202eD\r\nE\tF\x85G"
    assert clean_text(raw) == "AB[31mCD E F G"  # NEL is a line break
    assert clean_text("a\nb", multiline=True) == "a\nb"
    assert oneline("a \n\n b") == "a b"


def test_period():
    assert period("станции") == "станции."
    assert period("млрд руб.") == "млрд руб."
    assert period("«Цитата?»") == "«Цитата?»"


def test_sentences_and_trim():
    text = "Первое предложение здесь. Второе подлиннее! А. С. Пушкин пришёл. «Цитата.» Конец"
    assert sentences(text) == ["Первое предложение здесь.", "Второе подлиннее!", "А. С. Пушкин пришёл.",
                               "«Цитата.»", "Конец"]
    assert trim_text(text, 45) == "Первое предложение здесь. Второе подлиннее!"
    assert trim_text(text, 2, "sentences") == "Первое предложение здесь. Второе подлиннее!"
    assert trim_text(text, 6, "words") == "Первое предложение здесь. Второе подлиннее!"
    assert trim_text(text, 10) == "Первое…"                      # no sentence fits: cut at a word
    assert trim_text("Коротко.", 100) == "Коротко."
    with pytest.raises(ValueError):
        trim_text(text, 3, "pages")
