"""The checker's verdict: :class:`FactCheck` with a list of :class:`Mismatch` (JSON-serialisable)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

#: mismatch kinds, each a reason a text states something the record does not support
KINDS = {
    "score": "a score that is not the record's (final, running, period or shoot-out score), or in an order "
             "the text does not justify",
    "winner": "a claim of who won, lost, leads or drew that contradicts the record",
    "status": "a status word (postponed, cancelled, abandoned, scheduled, live) or a result for a match "
              "whose status does not allow it",
    "minute": "a match minute (or hockey clock) that is not the minute of the named player's event or of "
              "the record at all",
    "scorer": "a player credited with a goal, an assist, a card, a winning goal or a brace he does not have",
    "team": "a team that is not in the record, or a player put in the wrong team",
    "player": "a person-like name that is in no field of the record (an invented player or person)",
    "name": "another proper name (place, organisation, competition) that the record does not contain",
    "number": "a number that is nowhere in the record (nor derived from it: counts, margins, sums)",
    "date": "a date that is not the record's",
    "time": "a time of day or a game clock that is not the record's",
    "attendance": "a number of spectators that is not the record's",
    "missing_score": "a match note without the final (or, live, the current) score",
    "missing_winner": "a note of a finished match that never says who won (or that it was a draw)",
    "missing_team": "a note of a drawn match that never names one of the two teams",
    "missing_status": "a note of a postponed, cancelled, abandoned or scheduled match without its status",
    "unrelated": "a rewrite that keeps none of its source's names and numbers",
    "truncated": "a text that does not end at a sentence end (no final . ! ? …, or cut after an initial or an "
                 "abbreviation such as «г.»)",
    "repetition": "four words in a row that the text already has (a loop)",
    "language": "a word in the other language (an English word in a Russian text, a Russian one in an English "
                "text) that is no name of the record",
    "garbled": "a bracket or quote left open, or a preposition with nothing to govern (``на забил``, ``в .``)",
}


class Mismatch(BaseModel):
    """One stated fact that is not true of the record (or a required fact that is missing).

    ``span`` is the ``(start, end)`` character range in the checked text (``None`` for a missing fact);
    ``found`` is what the text says, ``expected`` what the record says.
    """

    model_config = ConfigDict(frozen=True)

    kind: str = Field(description="one of " + ", ".join(KINDS))
    span: tuple[int, int] | None
    found: str
    expected: str
    message: str


class FactCheck(BaseModel):
    """The verdict on one text: ``passed`` when no mismatch was found; ``checked`` counts the facts looked
    at, by kind (``scores``, ``minutes``, ``names``, ``numbers``, ``dates``, ``claims``, ``roles``...)."""

    model_config = ConfigDict(frozen=True)

    passed: bool
    mismatches: list[Mismatch] = Field(default_factory=list)
    checked: dict[str, int] = Field(default_factory=dict)

    def reasons(self) -> list[str]:
        """The kinds of the mismatches, in text order, without repeats."""
        return list(dict.fromkeys(m.kind for m in self.mismatches))

    def summary(self) -> str:
        """One line: ``passed`` or ``failed: minute, player``."""
        return "passed" if self.passed else "failed: " + ", ".join(self.reasons())


__all__ = ["FactCheck", "Mismatch", "KINDS"]
