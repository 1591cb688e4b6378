"""The reading layer: patterns, morphology keys and transliteration the checker relies on."""
import pytest

from newsgen.facts.compare import minute_matches
from newsgen.facts.extract import find_dates, find_minutes, find_numbers, find_pairs
from newsgen.facts.names import word_class
from newsgen.facts.text import inflected_forms, skeleton, word_keys


@pytest.mark.parametrize("text,minute,added", [
    ("на 45+2-й минуте", 45, 2), ("в 71-й минуте", 71, None), ("98-я минута", 98, None),
    ("in the 71st minute", 71, None), ("in the 90+3rd minute", 90, 3), ("71'", 71, None), ("45+2'", 45, 2),
    ("a 52nd-minute goal", 52, None), ("сравнял на 45-й", 45, None)])
def test_minutes(text, minute, added):
    (found,) = find_minutes(text, [])
    assert (found.minute, found.added) == (minute, added)


def test_cardinal_minutes_and_rounds_are_not_match_minutes():
    assert find_minutes("2 минуты штрафа в 15-м туре, на 16-й тур", []) == []


@pytest.mark.parametrize("text,pair", [("2:1", (2, 1)), ("2–1", (2, 1)), ("by 2-1", (2, 1)),
                                       ("со счётом 3 : 1", (3, 1)), ("в 19:30", (19, 30))])
def test_pairs(text, pair):
    (found,) = find_pairs(text, [])
    assert (found.a, found.b) == pair


def test_pairs_skip_dates_fractions_and_added_time():
    taken: list = []
    find_dates("2026-11-22", taken)
    assert find_pairs("2026-11-22", taken) == []
    assert find_pairs("1/4 финала, 45+2", []) == []


def test_dates():
    found = find_dates("22 ноября 2026, 3 December, November 5 and 2026-11-22", [])
    assert [(d.day, d.month, d.year) for d in found] == [(22, 11, 2026), (3, 12, None), (5, 11, None),
                                                        (22, 11, 2026)]


@pytest.mark.parametrize("text,english,value,scale", [
    ("54 312 зрителей", False, 54312, 1), ("54,312", True, 54312, 1), ("4,5 км", False, 4.5, 1),
    ("12,5 млрд руб.", False, 12.5, 1e9), ("1.2 billion", True, 1.2, 1e9), ("−8 градусов", False, -8, 1),
    ("минус восьми", False, -8, 1), ("три станции", False, 3, 1), ("XIX века", False, 19, 1),
    ("two goals", True, 2, 1)])
def test_numbers(text, english, value, scale):
    (found,) = find_numbers(text, [], english)
    assert (found.value, found.scale) == (value, scale)


def test_inflected_names_share_keys():
    assert word_keys("Зенитом") & word_keys("Зенит")
    assert word_keys("Мостового") & (word_keys("Мостовой") | {f for f in inflected_forms("Мостовой")})
    assert "сперцяна" in inflected_forms("Сперцян") and "кордобы" in inflected_forms("Кордоба")
    assert "егоровой" in inflected_forms("Егорова") and inflected_forms("Угальде") == {"угальде"}


def test_transliteration_skeleton():
    assert skeleton("Andrey") == skeleton("Andrei") == skeleton("Андрей")
    assert skeleton("Yegor") == skeleton("Egor") and skeleton("Semyonov") == skeleton("Семёнов")


@pytest.mark.parametrize("word,initial,cls", [
    ("Голы", True, "ordinary"), ("Победный", True, "ordinary"), ("Иван", True, "person"),
    ("Сперцян", False, "person"), ("Москве", False, "name"), ("Надежда", False, "person"),
    ("Goals", True, "ordinary"), ("Smith", False, "name"), ("XIX", False, "ordinary")])
def test_word_classes(word, initial, cls):
    assert word_class(word, initial) == cls


def test_minute_matching():
    events = {(45, 2), (71, None)}
    assert minute_matches(45, 2, events) and minute_matches(47, None, events) and minute_matches(45, None, events)
    assert not minute_matches(45, 3, events) and not minute_matches(72, None, events)


def test_a_character_without_a_unicode_name_is_read_past():
    """A byte-level model can write an unassigned code point (U+17000 has no name in this Python's Unicode
    database) inside a Cyrillic word; pymorphy3 raises ``ValueError: no such name`` on it, which once made a
    worker retry a task until its note was lost."""
    from newsgen.facts import check
    from newsgen.facts.text import parses

    word = "\U00017000Мостовой"          # pymorphy3 raises when the word starts with it
    assert parses(word) == parses("Мостовой")
    record = {"type": "football_match", "id": "z-s", "status": "finished", "date": "2026-11-22",
              "home": {"name": "Зенит"}, "away": {"name": "Спартак"}, "score": {"home": 2, "away": 1}}
    verdict = check(record, f"«Зенит» обыграл «Спартак» 3:1, отличился {word}.", "note", "ru")   # no exception
    assert verdict.reasons() == ["score", "missing_score"]
