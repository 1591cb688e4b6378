"""Check a generated text against its record: every fact it states must be true of the record.

    >>> from newsgen.facts import check
    >>> record = ...  # rpl-2026-15-zen-spa of producers/examples/football.jsonl: Мостовой scored at 71'
    >>> verdict = check(record, "Гол Мостового на 72-й минуте принёс «Зениту» победу 2:1", task="summary")
    >>> verdict.passed, [m.kind for m in verdict.mismatches]
    (False, ['minute'])

Deterministic, rule based, no model. What is read (Russian and English alike, whatever ``language`` says):

- scores ``2:1``, ``2–1``, ``2-1``, ``со счётом 2:1``, ``by 2-1``; the final score may be written home:away
  or, as the Russian press does, with the score of the sentence's subject first, when the text truly
  says who won (``«Динамо» обыграло «Ростов» со счётом 3:1`` and ``«Ростов» проиграл «Динамо» 1:3`` for
  a 1:3 record; ``«Спартак» уступил «Зениту» 1:2`` for 2:1). Running, period/quarter, half-time,
  regulation and shoot-out scores of the record are allowed (a part score also with its winner first);
- minutes ``на 45+2-й минуте``, ``98-я минута``, ``71'``, ``in the 71st minute``, ``(17)`` after a scorer;
  a minute must be one of the named player's events (the nearest name: bracket, clause, sentence), else one
  of the record's; ``идёт 58-я минута``/``прерван на 63-й минуте`` must be the record's ``elapsed``.
  a report-style minute (``Agüero 19', Müller 55'``) is the name's right before it.
  Hockey minutes are the ordinal minutes of the game clock (``42:17`` is the 43rd), clocks ``05:12`` must be
  the record's, and a clock right after a person (``Артём Борисов (15:31)``, ``Hakan Vadakraoğlu 35:55``) one of
  that person's goals, assists or penalties. Only a pair with two digits after the colon is a clock: ``7:1``
  and ``4:2`` are scores even when the record has the clocks 07:01 and 04:02;
- names through the lexicon (``templates/lexicon.json``), pymorphy3 lemmas, rule-of-thumb case endings and a
  transliteration skeleton: ``Зенитом``, ``Мостового``, ``Andrey``/``Andrei`` all match; a surname alone
  counts. Words are Unicode (``Müller``, ``Côte d'Ivoire``, ``N'Golo Kanté``, ``Saint-Étienne``, ``Ким
  Мин-джэ``, ``Нефтехимик-2``), compared after NFC with ``ё`` as ``е``; the skeleton drops accents
  (``Muller`` = ``Müller``); an initial stands for the first name (``А. Мостовой``, ``S. Agüero``). A
  capitalised run the record does not contain fails: ``player`` when person-like (pymorphy3
  Name/Surn/Patr, or a word no dictionary knows, or a wrong initial or unknown surname with a record
  person's name: ``И. Мостовой``, ``Sergio Ramírez``), ``name`` otherwise (places, organisations); a team of
  the lexicon that is not in this match fails as ``team``;
- results: ``обыграл``, ``победил``, ``уступил``, ``проиграл``, ``ведёт``, ``сильнее оказался``, ``в пользу``,
  ``победа «Зенита»``/``принёс «Зениту» победу``/``поражение от``, ``вничью``, ``beat``, ``won``, ``lost to``,
  ``lead``, ``drew``, ``level``... with the subject the nearest team before the verb (``хозяева``/``гости``
  count). A past-tense result of a live match, or any result of an unplayed one, fails as ``status``;
- status words ``перенесён``/``отменён``/``прерван``/``состоится``/``идёт``, ``postponed``/``cancelled``/
  ``abandoned``/``is scheduled``/``in progress``; any score or result of an unplayed match fails;
- roles: a person in a clause about goals must have scored (``дубль``/``brace`` = 2, ``хет-трик`` = 3),
  ``победный гол``/``the winner`` must be :func:`newsgen.records.winning_goal`, cards and assists likewise;
  ``1:0 — Луиз Энрике`` must be the score his goal made; ``Соболев («Спартак», ...)`` his team;
- dates (``22 ноября``, ``22 November``, ISO), times of day, attendance (``54 312 зрителей``,
  ``Attendance: 54,312``, ``более 54 тысяч``), basketball stats next to a leader (``24 очка``), and every
  other number (digits, ``три``, ``XIX``) must be in the record or follow from it (counts, sums, margins,
  seconds left in a period). A stat in brackets after a leader must be his (a leader with no rebounds in
  the record has no ``10 подборов``); a basketball top scorer (``Top scorer for Dinamo: X``, ``Самым
  результативным у победителей стал X``) plays for the team named and is its leader with the most points,
  a tie going to the one the record lists first (as the templates choose). News events allow what their fields state; a rewrite what its source states.
- required (task ``note``/``summary`` of a match): a finished match's final score and winner (or draw),
  a live match's current score, an unplayed or abandoned match's status; a rewrite must keep at least one
  name or number of its source (``unrelated``);
- readability (:mod:`newsgen.facts.readability`), any text: it ends at a sentence end, not after an
  initial or an abbreviation that needs its word (``Гол забил А.``, ``2:1 в г.``: ``truncated``) nor with an
  abbreviation in brackets and no end of its own (``Goals: 1-0 Björn Veić 13' (pen.)``), and no
  four words in a row come twice (``repetition``; a name counts as one word, and four with two numbers
  are data: ``31 очко, 4 подбора`` of two leaders).

An unknown task (not ``note``, ``summary``, ``rewrite``) or language (not ``ru``, ``en``) is a ``ValueError``.

Honest limits:

- Rule based: a paraphrase the rules do not know passes unchecked (``вывел вперёд`` is not a lead,
  ``петербуржцы`` is not a team, so ``петербуржцы победили`` does not state the winner); an unusual word
  order may pick the wrong subject (the subject is the nearest nominative team before the verb).
  Negation is seen only right before the verb.
- Number words are read for cardinals (``три``, ``двух``, ``twelve``), not ordinals (``третья четверть``)
  or ``один``/``one``; a number is checked against *all* the record's numbers, so a true number said of
  the wrong thing passes (except minutes, stats next to a basketball leader, scores and attendance).
- Weekdays (``в четверг``), relative dates and seasons are not checked.
- English translations of Russian names that are not transliterations (``Hermitage`` for ``Эрмитаж``,
  ``Transport Ministry``) cannot be verified: in English notes of Russian news records single unknown
  Latin words are let through; in match notes they fail as ``name``.
- A person-like name shared by two people of the record is a mention of both (``Кирилл``); two different
  people with the same surname cannot be told apart, nor one's first name with another's surname.
- In English, a capitalised word at a sentence start is taken for an ordinary word unless it looks like a
  transliterated Russian surname (``Petrov``, ``Tikhonenko``): there is no English dictionary here.
- Names without letters (``{{ x }}``, ``№ 7``) cannot be found in a text; a note about such a team misses
  its winner.
- A rewrite that keeps one name or number of its source passes ``unrelated`` however garbled the rest (its
  unknown names still fail); a loop shorter than four words (``гол, гол, гол``) is no ``repetition``.
- Two leaders of one team with the same points: only the first the record lists may be called its top
  scorer (``X and Y scored 33 each`` passes); the other named as *the* top scorer fails, on the safe side.
- Status words and dates about another match (``ответный матч состоится 3 декабря``) are read as this
  match's.
- A team whose name is also a city (``Краснодар``, ``Самара``) is always read as the team.
- ``прерван``/``остановлен`` said of a temporary stoppage in a finished match reads as an abandoned status.
- Unverifiable claims fail (an assist in a football note, a place the record does not name): the pipeline
  then falls back to the template note, which is the safe side.
"""
from newsgen.facts.compare import check, default_lexicon, lexicon_of
from newsgen.facts.verdict import KINDS, FactCheck, Mismatch

__all__ = ["check", "FactCheck", "Mismatch", "KINDS", "default_lexicon", "lexicon_of"]
