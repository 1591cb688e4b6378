"""What a text claims about a match beyond bare numbers: who won, lost, leads or drew; the match status;
and the role a sentence gives the people it names (scorer, winning scorer, assistant, sent off).

Result claims are read off the verb and its subject: the nearest team mention before the verb in its
clause (then in its sentence) that can be a subject (not after a preposition, nominative if the case is
known). ``«Зенит» уступил «Спартаку»`` says Spartak won; ``в серии пенальти сильнее оказался «Ростов»``
looks after ``сильнее``; ``в пользу «Пармы»`` and ``победа «Зенита»`` name the winner directly. Claims
about a part of the match (``выиграли первую четверть``, ``won the first period``) are skipped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsgen.facts.extract import Span
from newsgen.facts.names import Mention
from newsgen.facts.text import Segments, Token, fold, has_lemma, parses

WIN_RU = {"обыграть", "обыгрывать", "победить", "побеждать", "выиграть", "выигрывать", "разгромить", "громить",
          "одолеть", "одолевать", "переиграть", "переигрывать", "одержать", "сломить"}
LOSE_RU = {"уступить", "уступать", "проиграть", "проигрывать", "потерпеть"}
LEAD_RU = {"вести", "лидировать"}
WIN_EN = {"beat", "beats", "beating", "defeated", "defeat", "defeats", "defeating", "won", "win", "wins",
          "winning", "edged", "edge", "edges", "thrashed", "overcame", "routed", "downed", "outscored",
          "overpowered", "crushed", "hammered", "stunned"}
LOSE_EN = {"lost", "lose", "loses", "losing", "fell"}
LEAD_EN = {"lead", "leads", "leading"}
#: English forms of winning and losing that describe the match in progress (not its result)
PRESENT_EN = {"win", "wins", "winning", "beats", "beating", "lose", "loses", "losing", "edges", "defeats",
              "defeating"}
DRAW_WORDS = {"вничью", "ничья", "ничейный", "drew", "draw", "drawn", "level", "tied", "stalemate"}
#: a draw said as the outcome of the match: a past-tense verb next to the draw word
#: (``сыграли вничью``, ``завершился ничьей``, ``ended in a draw``), or ``drew`` itself
DRAW_FINAL_EN = {"drew", "ended", "finished", "played", "was", "were"}
#: a claim next to one of these is about a part of the match
PART_RU = {"четверть", "период", "тайм", "пятиминутка", "отрезок", "половина", "треть"}
PART_EN = {"quarter", "quarters", "period", "periods", "half", "halves", "frame"}
#: a part noun after these says when (``in the second quarter``, ``во второй четверти``)
DURING = {"in", "during", "в", "во"}
REGULATION = re.compile(r"основн\w+\s+врем|regulation|normal time|90 minutes|60 minutes", re.I)
NEGATION = {"не", "not", "never", "n't", "failed", "to"}

STATUS_PATTERNS = {
    "postponed": re.compile(r"\b(?:перенес[её]н\w*|перенесли|перенесут|перенос\w*|отлож[её]н\w*|отложили|"
                            r"postponed|put back|rescheduled)\b", re.I),
    "cancelled": re.compile(r"\b(?:отмен[её]н\w*|отменили|отменят|отмен[аы]|cancell?ed|called off)\b", re.I),
    "abandoned": re.compile(r"\b(?:прерван\w*|прервали|остановлен\w*|недоигран\w*|не доигра\w*|abandoned|"
                            r"suspended|halted)\b", re.I),
    "scheduled": re.compile(r"\b(?:состоится|пройд[её]т|будет сыгран\w*|is scheduled|will be played|"
                            r"will take place|kicks off)\b", re.I),
    "live": re.compile(r"\b(?:ид[её]т\s+(?:\d+-я\s+минута|[а-яё]+\s+(?:четверть|период|тайм|овертайм|минута)|"
                       r"матч|игра|овертайм)|in progress|is in its \w+ minute|under way)\b", re.I),
}
#: how a finished match was decided, as a text may say it: in a shoot-out, in overtime, in extra time
DECIDED_PATTERNS = {
    "shootout": re.compile(r"\b(?:сери[яиюей]+\s+(?:послематчевых\s+)?(?:пенальти|буллитов)|по пенальти|по буллитам|"
                           r"on penalties|(?:penalty\s+)?shoot-?out)\b", re.I),
    "overtime": re.compile(r"\b(?:овертайм\w*|(?:in|after) overtime|overtime winner)\b", re.I),
    "extra_time": re.compile(r"\b(?:дополнительн\w+\s+врем\w*|(?:in|after) extra time)\b", re.I),
}


def find_decided_claims(text: str) -> list[StatusClaim]:
    """Where the text says how the match was decided (``в серии буллитов``, ``in overtime``): its
    ``status`` is the way (shootout, overtime, extra_time)."""
    return [StatusClaim(way, m.span()) for way, pattern in DECIDED_PATTERNS.items() for m in pattern.finditer(text)]


#: words that, without a claim, still state an unplayed status (the required status of a status note)
STATUS_WORDS = dict(STATUS_PATTERNS, scheduled=re.compile(
    STATUS_PATTERNS["scheduled"].pattern + r"|\b(?:запланирован\w*|scheduled)\b", re.I))

GOAL_RU = {"забить", "забивать", "забросить", "забрасывать", "отличиться", "гол", "шайба", "мяч", "дубль",
           "хет-трик", "покер", "автогол", "сравнять", "реализовать", "победный", "снайпер", "результативный",
           "бомбардир"}
GOAL_EN = {"scored", "score", "scores", "scoring", "goal", "goals", "brace", "hat-trick", "netted", "nets",
           "equalised", "equalized", "equaliser", "equalizer", "winner", "converted", "scorer", "struck"}
ASSIST_RU = {"передача", "ассистент", "ассист", "ассистировать"}
ASSIST_EN = {"assist", "assists", "assisted"}
CARD_RU = {"удаление", "удалить", "удалять", "карточка", "предупреждение", "штраф", "штрафной", "оштрафовать"}
CARD_EN = {"sent", "red", "yellow", "booked", "dismissed", "sending-off", "penalised", "penalized"}
LEADER_RU = {"очко", "подбор", "набрать", "результативный", "передача"}
LEADER_EN = {"points", "rebounds", "assists", "scorer"}
COUNT_WORDS = {"дубль": 2, "хет-трик": 3, "покер": 4, "brace": 2, "twice": 2, "hat-trick": 3}
LIST_HEAD = re.compile(r"^\s*(?:(Голы|Гол|Шайбы|Шайба|Goals|Goal)|(Удаления|Удаление|Sent off))\s*:", re.I)


@dataclass(frozen=True)
class Claim:
    """``kind``: win (``side`` won), lead (``side`` is ahead now), draw (level), favour (``в пользу``:
    win when finished, lead when live); ``regulation``: about regulation time only; ``final``: said in
    the past tense, so the match is over; ``subject``: the side the sentence is about (the loser in
    ``«Спартак» уступил «Зениту» 1:2``, whose score comes first)."""

    kind: str
    side: str | None
    span: Span
    sentence: int
    regulation: bool = False
    final: bool = False   # a past-tense result (обыграл, beat): the match is over
    subject: str | None = None   # the side the sentence is about (whose score it would give first)


@dataclass(frozen=True)
class StatusClaim:
    status: str
    span: Span


@dataclass
class Roles:
    """The roles a clause gives the people in it, and the goal count it states (дубль = 2)."""

    roles: set[str] = field(default_factory=set)
    count: int | None = None
    winner: bool = False
    own_goal: bool = False
    listed: bool = False     # a list sentence: ``Голы: 1:0 — Луиз Энрике (17), ...``


def _other(side: str | None) -> str | None:
    return {"home": "away", "away": "home"}.get(side or "")


def _teams(mentions: list[Mention]) -> list[Mention]:
    return [m for m in mentions if m.kind == "team"]


def _verb_kind(token: Token) -> str | None:
    """``win``, ``lose``, ``lead`` or ``trail`` for a finite verb or gerund of result, else None. A
    Russian present tense of winning is a lead (``выигрывает``); a past lead (``вёл``) is no claim."""
    if token.latin:
        low = fold(token.text)
        return "win" if low in WIN_EN else "lose" if low in LOSE_EN else "lead" if low in LEAD_EN else None
    for p in parses(token.text):
        if p.pos not in ("VERB", "GRND"):
            continue
        present = "pres" in p.grammemes
        if p.lemma in WIN_RU:
            return "lead" if present else "win"
        if p.lemma in LOSE_RU:
            return "trail" if present else "lose"
        if p.lemma in LEAD_RU and present:
            return "lead"
    return None


def _draw_final(tokens: list[Token], i: int) -> bool:
    """Whether the draw word at ``i`` states the match's outcome: ``drew``, or a past-tense verb within
    three words of it in its clause (``сыграли вничью``, ``ended in a draw``); ``ничья 1:1`` is a score."""
    if fold(tokens[i].text) == "drew":
        return True
    near = [t for t in tokens[max(i - 3, 0):i + 4] if t.clause == tokens[i].clause and t is not tokens[i]]
    if tokens[i].latin:
        return any(fold(t.text) in DRAW_FINAL_EN for t in near)
    return any(p.pos == "VERB" and "past" in p.grammemes for t in near for p in parses(t.text)[:1])


def _negated(tokens: list[Token], i: int) -> bool:
    return i > 0 and tokens[i - 1].sentence == tokens[i].sentence and fold(tokens[i - 1].text) in NEGATION


def _about_part(tokens: list[Token], i: int, now: bool = False) -> bool:
    """A part-of-match noun within five words of token ``i`` in its clause; with ``now`` (a lead), not one
    that says when (``lead 41-30 in the second quarter``: the current score)."""
    t = tokens[i]
    for j in range(max(0, i - 5), min(len(tokens), i + 6)):
        u = tokens[j]
        if j != i and u.clause == t.clause and (has_lemma(u, PART_RU, ("NOUN",)) or fold(u.text) in PART_EN):
            if not (now and any(fold(w.text) in DURING for w in tokens[max(0, j - 3):j])):
                return True
    return False


def _subject(teams: list[Mention], persons: list[Mention], token: Token) -> Mention | None:
    """The nearest possible subject before ``token``: in its clause, else in its sentence; a person in
    between (``Воронов набрал...``) means the person is the subject."""
    before = [m for m in teams if m.span[1] <= token.start and m.sentence == token.sentence and m.nominative]
    for scope in ([m for m in before if m.clause == token.clause], before):
        if scope:
            subject = scope[-1]
            if any(subject.span[1] <= p.span[0] and p.span[1] <= token.start for p in persons):
                return None
            return subject
    return None


def _after(teams: list[Mention], tokens: list[Token], i: int, within: int = 3) -> Mention | None:
    t = tokens[i]
    for m in teams:
        if m.first > i and m.first - i <= within and m.sentence == t.sentence:
            return m
    return None


def find_claims(tokens: list[Token], mentions: list[Mention], seg: Segments) -> list[Claim]:
    """Result claims (win, lead, draw, favour) with the side they name."""
    teams = _teams(mentions)
    persons = [m for m in mentions if m.kind == "person"]
    about_regulation = {i for i in range(len(seg.sentences)) if REGULATION.search(seg.sentence_text(i))}
    claims: list[Claim] = []
    for i, t in enumerate(tokens):
        regulation = t.sentence in about_regulation
        low = fold(t.text)
        if low in DRAW_WORDS or has_lemma(t, {"ничья"}, ("NOUN",)):
            if not _negated(tokens, i) and not _about_part(tokens, i):
                claims.append(Claim("draw", None, (t.start, t.end), t.sentence, regulation, _draw_final(tokens, i)))
            continue
        if low == "сильнее":
            m = _after(teams, tokens, i) or _subject(teams, persons, t)
            if _about_part(tokens, i):
                continue
            if (i + 1 < len(tokens) and has_lemma(tokens[i + 1], {"оказаться"})
                    and not any(i < b.first <= i + 8 for b in teams)    # «1. FC Köln» may read as two sentences
                    and not any(b.clause == t.clause and b.span[1] <= t.start for b in teams)):
                # ``…, в серии пенальти сильнее оказался 4:3``: a result whose team was left out
                claims.append(Claim("win", None, (t.start, tokens[i + 1].end), t.sentence))
            elif m:
                claims.append(Claim("win", m.side, (t.start, t.end), t.sentence, subject=m.side))
            continue
        if low == "пользу" and i > 0 and fold(tokens[i - 1].text) == "в":
            m = _after(teams, tokens, i, 2)
            if m:
                claims.append(Claim("favour", m.side, (tokens[i - 1].start, t.end), t.sentence, subject=m.side))
            continue
        if has_lemma(t, {"победа", "поражение"}, ("NOUN",)) or low in ("victory", "defeat"):
            claims += _noun_claim(tokens, i, teams)
            continue
        verb = _verb_kind(t)
        if verb is None or _negated(tokens, i) or _about_part(tokens, i, now=verb in ("lead", "trail")):
            continue
        subject = _subject(teams, persons, t)
        if subject is None and verb in ("win", "lead") and has_lemma(t, {"победить", "выиграть"}):
            subject = _after(teams, tokens, i, 2)          # В Москве победил «Спартак»
        if t.latin and i + 2 < len(tokens) and fold(tokens[i + 1].text) == "by":
            by = _after(teams, tokens, i + 1, 2)           # were beaten by Zenit
            if by is not None:
                claims.append(Claim("win", by.side, (t.start, t.end), t.sentence, regulation, True,
                                    _other(by.side)))
                continue
        if subject is None or subject.side is None:
            continue
        side = subject.side if verb in ("win", "lead") else _other(subject.side)
        final = verb in ("win", "lose") and fold(t.text) not in PRESENT_EN
        claims.append(Claim("lead" if verb in ("lead", "trail") else "win", side, (t.start, t.end), t.sentence,
                            regulation, final, subject.side))
    return claims


def _before(teams: list[Mention], tokens: list[Token], i: int, within: int = 2) -> Mention | None:
    """A team in an oblique case just before token ``i`` (``принёс «Зениту» победу``)."""
    t = tokens[i]
    for m in reversed(teams):
        if m.last < i and i - m.last <= within and m.clause == t.clause:
            return m if m.cases is not None and "nomn" not in m.cases else None
    return None


def _noun_claim(tokens: list[Token], i: int, teams: list[Mention]) -> list[Claim]:
    """``победа «Зенита»``, ``победа над «Спартаком»``, ``принёс «Зениту» победу``, ``поражение
    «Спартака»``, ``поражение от «Зенита»``, ``victory over Rubin``."""
    t = tokens[i]
    loss = has_lemma(t, {"поражение"}) or fold(t.text) == "defeat"
    m = _after(teams, tokens, i, 2) or _before(teams, tokens, i)
    if m is None or m.side is None:
        return []
    prep = fold(tokens[m.first - 1].text) if m.first > 0 else ""
    side = m.side
    if prep in ("над", "у", "против", "over", "against"):     # победа над/у «Спартака»
        side = _other(side)
    elif loss and prep not in ("от", "to", "by"):
        side = _other(side)
    span = (min(t.start, m.span[0]), max(t.end, m.span[1]))
    return [Claim("win", side, span, t.sentence, subject=_other(side) if loss else side)]


def find_status_claims(text: str) -> list[StatusClaim]:
    """Status words: перенесён/postponed, отменён/cancelled, прерван/abandoned, состоится/is scheduled,
    идёт N-я минута/in progress (not after ``не``/``not``)."""
    found = []
    for status, pattern in STATUS_PATTERNS.items():
        for m in pattern.finditer(text):
            if not re.search(r"\b(?:не|not)\s+$", text[max(0, m.start() - 5):m.start()], re.I):
                found.append(StatusClaim(status, m.span()))
    return found


def states_status(text: str, status: str) -> bool:
    """Whether ``text`` states ``status`` at all (``запланирован`` counts for a scheduled match)."""
    pattern = STATUS_WORDS.get(status)
    return bool(pattern and pattern.search(text))


def clause_roles(tokens: list[Token], clause_text: str, sentence_text: str, sport: str) -> Roles:
    """The roles a clause (its ``tokens`` and text) gives its people. In a list sentence (``Голы: ...``,
    ``Удаление: ...``) the list's role applies to every clause. Basketball knows only leaders."""
    roles = Roles()
    head = LIST_HEAD.match(sentence_text)
    if head:
        roles.roles.add("goal" if head.group(1) else "card")
        roles.listed = True
    for t in tokens:
        low = fold(t.text)
        if has_lemma(t, GOAL_RU) or low in GOAL_EN:
            roles.roles.add("goal")
        if has_lemma(t, ASSIST_RU, ("NOUN", "VERB")) or low in ASSIST_EN:
            roles.roles.add("assist")
        if has_lemma(t, CARD_RU) or low in CARD_EN:
            roles.roles.add("card")
        if sport == "basketball_game" and (has_lemma(t, LEADER_RU) or low in LEADER_EN):
            roles.roles.add("leader")
        for word, n in COUNT_WORDS.items():
            if low == word or has_lemma(t, {word}):
                roles.count = n
        if has_lemma(t, {"победный"}) or low in ("winner", "match-winner") or \
                (low == "winning" and "goal" in clause_text.lower()):
            roles.winner = True
    roles.own_goal = bool(re.search(r"автогол|в\s+свои\s+ворота|own goal|o\.g\.", clause_text, re.I))
    if sport == "basketball_game" and roles.roles & {"goal", "assist"}:
        roles.roles = (roles.roles - {"goal", "assist"}) | {"leader"}
    if roles.winner or roles.own_goal:
        roles.roles.add("goal")
    return roles


__all__ = ["Claim", "StatusClaim", "Roles", "find_claims", "find_status_claims", "states_status",
           "clause_roles"]
