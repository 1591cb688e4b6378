"""The one text toolkit: the sentence splitter (razdel plus what it lacks) and the control-character filter."""
from __future__ import annotations

import pytest

import newsgen.grammar as grammar
from newsgen.generation.postprocess import finish_text
from newsgen.grammar.text import (clean_text, ends_sentence, paragraphs, sentence_spans, sentences, trim_text)


@pytest.mark.parametrize("text, expected", [
    # dotted initials
    ("Гол забил А. Мостовой на 71-й минуте. «Зенит» победил.",
     ["Гол забил А. Мостовой на 71-й минуте.", "«Зенит» победил."]),
    ("Голы: А. С. Иванов (12), Б. Петров (45+2). Ж.-К. Дюма не забил.",
     ["Голы: А. С. Иванов (12), Б. Петров (45+2).", "Ж.-К. Дюма не забил."]),
    ("Goal by J. Álvarez in the 19th minute. Then Ö. Kabak scored.",
     ["Goal by J. Álvarez in the 19th minute.", "Then Ö. Kabak scored."]),
    # abbreviations
    ("Матч прошёл в г. Москве при 2:1. Зрителей было 54 312.", ["Матч прошёл в г. Москве при 2:1.", "Зрителей было 54 312."]),
    ("Игра на стадионе им. Ленина. Потом ещё.", ["Игра на стадионе им. Ленина.", "Потом ещё."]),
    ("Vinícius Jr. scored. Real won 2-1.", ["Vinícius Jr. scored.", "Real won 2-1."]),
    ("Goal by Vinícius Jr. Real won.", ["Goal by Vinícius Jr. Real won."]),
    ("Mr. Smith met Mrs. Jones at St. James' Park. They drew 1-1.",
     ["Mr. Smith met Mrs. Jones at St. James' Park.", "They drew 1-1."]),
    ("St. Pauli beat Dr. Who's team. Ft. Lauderdale lost.", ["St. Pauli beat Dr. Who's team.", "Ft. Lauderdale lost."]),
    # sentence ends: ! ? … quotes, digits, no cut at ';'
    ("Первое предложение здесь. Второе подлиннее! А. С. Пушкин пришёл. «Цитата.» Конец…",
     ["Первое предложение здесь.", "Второе подлиннее!", "А. С. Пушкин пришёл.", "«Цитата.»", "Конец…"]),
    ("Он сказал: «Мы победим!» И они победили. 2:1 — итог.", ["Он сказал: «Мы победим!»", "И они победили.", "2:1 — итог."]),
    ("Голы: Иванов (12); Петров (45+2). Конец.", ["Голы: Иванов (12); Петров (45+2).", "Конец."]),
    # no end inside guillemets: a team «1. FC Köln» is one name
    ("Счёт 2:0 в пользу команды «1. FC Köln». Голы: 1:0.", ["Счёт 2:0 в пользу команды «1. FC Köln».", "Голы: 1:0."]),
    ("Hello. world goes on.", ["Hello. world goes on."]),
    # paragraphs: a blank line ends a sentence; whitespace is normalised
    ("Заголовок\n\nТекст  здесь.\nЕщё строка. Ещё\n \n\nТретий абзац.",
     ["Заголовок", "Текст здесь.", "Ещё строка.", "Ещё", "Третий абзац."]),
    ("Derby day\n\nArsenal beat Spurs 2-1. St. Mary's next.", ["Derby day", "Arsenal beat Spurs 2-1.", "St. Mary's next."]),
    ("", []),
    ("  \n\n ", []),
])
def test_sentences(text, expected):
    assert sentences(text) == expected
    assert grammar.sentences is sentences


@pytest.mark.parametrize("text", [
    "", "Одно", "  Первое.  Второе!\n\nТретий абзац. Гол забил А. Мостовой. ",
    "\n\nLeading blank lines. Then text.", "Mr. Smith.\n\n\n\nSt. Pauli won. End",
])
def test_sentence_spans_cover_the_text(text):
    spans = sentence_spans(text)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    assert [" ".join(text[a:b].split()) for a, b in spans if text[a:b].strip()] == sentences(text)


def test_paragraphs():
    assert paragraphs("a\n\nb\n \nc\nd") == ["a", "b", "c\nd"]
    assert paragraphs("\n\nx") == ["", "x"]


@pytest.mark.parametrize("text, complete", [
    ("Гол забил А. Мостовой на 71-й минуте.", True),
    ("Гол забил А.", False),
    ("Матч прошёл в г.", False),
    ("Матч прошёл 26 ноября 2026 г.", True),
    ("Goal at St.", False),
    ("Scored by Mr.", False),
    ("Scored by Vinícius Jr.", True),
    ("Они сыграли вничью и т. д.", True),
    ("«Зенит» вышел из группы B.", True),
    ("Он сказал: «Победим!»", True),
    ("Счёт 2:1", False),
    ("Счёт 2:1.  ", True),
])
def test_ends_sentence(text, complete):
    assert ends_sentence(text) is complete


def test_trim_keeps_initials_and_abbreviations_inside_sentences():
    text = "Гол забил А. Мостовой на 71-й минуте. Матч прошёл в г. Москве. Зрителей было много."
    assert trim_text(text, 2, "sentences") == "Гол забил А. Мостовой на 71-й минуте. Матч прошёл в г. Москве."
    assert trim_text(text, 50) == "Гол забил А. Мостовой на 71-й минуте."
    assert trim_text("Vinícius Jr. scored twice. Real won 2-1.", 1, "sentences") == "Vinícius Jr. scored twice."


@pytest.mark.parametrize("lead, generated, mode, expected", [
    ("«Зенит» обыграл «Спартак» 2:1.", " Гол забил А. Мостовой на 71-й минуте. И", "paragraph",
     "«Зенит» обыграл «Спартак» 2:1. Гол забил А. Мостовой на 71-й минуте."),
    ("", "Гол забил А. Мостовой на 71-й минуте. Ещё", "sentence", "Гол забил А. Мостовой на 71-й минуте."),
    ("«Зенит» обыграл «Спартак» 2:1.", " Матч прошёл в г.", "paragraph", "«Зенит» обыграл «Спартак» 2:1."),
    ("", "Vinícius Jr. scored. Real won.", "sentence", "Vinícius Jr. scored."),
    ("", "Первый абзац.\nСтрока два.\n\nВторой абзац.", "paragraph", "Первый абзац. Строка два."),
])
def test_finish_text_uses_the_splitter(lead, generated, mode, expected):
    assert finish_text(lead, generated, mode) == expected


def test_facts_segment_uses_the_splitter():
    from newsgen.facts.text import segment

    text = "Гол забил А. Мостовой. Матч прошёл в г. Москве при 2:1."
    assert [text[a:b].strip() for a, b in segment(text).sentences] == sentences(text)


# --- control characters ---------------------------------------------------------------------------------

def test_clean_text_drops_controls_bidi_and_zero_width():
    raw = "«Зе\u200bнит»\u00ad \u202eтсил\u202c \u2066x\u2069 \u200d\u200c\u2060\ufeff\u200e\u200f\u061cok\x00\x1b[2J\x7f\x9b"
    assert clean_text(raw) == "«Зенит» тсил x ok[2J"


def test_clean_text_lines_and_tabs():
    assert clean_text("a\nb\r\nc\u2028d\x85e\tf") == "a b c d e f"
    assert clean_text("a\nb\r\nc\rd\u2029e\tf\x0bg\x00", multiline=True) == "a\nb\nc\nd\ne fg"


def test_clean_text_is_nfc():
    decomposed = "Mu\u0308ller, Agu\u0308ero, Co\u0302te d'Ivoire, Семе\u0308нов"
    assert clean_text(decomposed) == "Müller, Agüero, Côte d'Ivoire, Семёнов"
    assert clean_text("Müller") == "Müller"


def test_finish_text_and_oneline_use_the_filter():
    assert finish_text("", "Гол\u202e забил\u200b Мостовой\x00.") == "Гол забил Мостовой."
    assert grammar.oneline(" a\u2066\n\tb ") == "a b"
