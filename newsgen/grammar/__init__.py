"""Russian (and a little English) grammar for templates, registered as Jinja2 filters.

Two layers:

- :data:`FILTERS`: stateless helpers: numeral agreement (``5|plural("гол")`` -> ``5 голов``), ordinal
  minutes (``45|on_minute(2)`` -> ``на 45+2-й минуте``), dates (``ru_date`` -> ``26 ноября``), numbers,
  English counterparts, :func:`clean_text`;
- :class:`Lexicon`: team and player names in the needed case, verb agreement with a team or player, and
  English names. It reads ``templates/lexicon.json`` (editable, documented in ``templates/README.md``)
  first and falls back conservatively: pymorphy3 only where its parse is safe, otherwise a construction
  that needs no inflection (``команды «X»``) or the name as written.

Case names are pymorphy3's: ``nomn gent datv accs ablt loct``; genders ``masc femn neut plur``.

Modules by job: :mod:`~newsgen.grammar.ru_numbers` (Russian numbers, minutes and dates),
:mod:`~newsgen.grammar.english`, :mod:`~newsgen.grammar.lexicon`, :mod:`~newsgen.grammar.names` (names
and inflection), :mod:`~newsgen.grammar.text` (plain-text helpers) and :mod:`~newsgen.grammar.morph`
(the shared pymorphy3 analyzer). Everything public is re-exported here.
"""
from __future__ import annotations

from newsgen.grammar.english import (MONTHS_EN, en_date, en_minute, en_number, en_on_minute, en_ordinal, en_plural,
                                     translit)
from newsgen.grammar.lexicon import Lexicon, LexiconError
from newsgen.grammar.morph import CASES, GENDERS, _morph
from newsgen.grammar.names import Entry, inflect_verb, name_key
from newsgen.grammar.ru_numbers import (MONTHS_GENITIVE, agree, clock_minute, minute, on_minute, plural, ru_date,
                                        ru_number, unit)
from newsgen.grammar.text import (capfirst, clean_text, ends_sentence, has_cyrillic, oneline, paragraphs, period,
                                  sentence_spans, sentences, trim_text)

FILTERS = {"plural": plural, "agree": lambda word, n, case="nomn": agree(word, n, case), "unit": unit, "ru_number": ru_number,
           "minute": minute, "on_minute": on_minute, "clock_minute": clock_minute, "ru_date": ru_date,
           "en_number": en_number, "en_plural": en_plural, "en_ordinal": en_ordinal, "en_minute": en_minute,
           "en_on_minute": en_on_minute, "en_date": en_date, "translit": translit, "capfirst": capfirst, "period": period, "has_cyrillic": has_cyrillic, "verb": inflect_verb,
           "oneline": oneline, "clean": clean_text, "trim_text": trim_text}

__all__ = ["FILTERS", "Lexicon", "LexiconError", "Entry", "agree", "plural", "unit", "ru_number", "minute",
           "on_minute", "clock_minute", "trim_text", "sentences", "sentence_spans", "paragraphs", "ends_sentence", "ru_date", "en_number", "en_plural", "en_ordinal", "en_minute",
           "en_on_minute", "en_date", "translit", "inflect_verb", "clean_text", "oneline", "capfirst", "period", "CASES",
           "GENDERS", "name_key"]
