"""Template-only notes: what a record gets when the model is not used.

Two entry points:

- :func:`needs_model` is the status gate: a match that is scheduled, postponed, abandoned or cancelled never
  gets a score narrative from the model; it gets a short status note from :func:`fallback_note` instead.
- :func:`fallback_note` renders ``templates/<type>/fallback.<lang>.j2`` (block ``<task>``) in the same
  sandbox as the seeds: deterministic, complete and factually exact (final score, winner, scorers with
  minutes; for a rewrite request, the original text cut at a sentence end to the target length). Use it
  when the model is unavailable, when its text fails the fact check, and for every gated record.

Records carrying their own ``language`` (news events, rewrite requests) get the template-only note in that
language: their free-text fields cannot be translated without the model, and a note that mixes languages
is worse than one in the record's language. :attr:`FallbackNote.language` says which language came out.

    >>> needs_model({"type": "football_match", "status": "postponed"})
    False
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from newsgen.records import NARRATED
from newsgen.seeds import LANGUAGES, SeedRenderer

#: record types whose ``status`` gates the model (see :data:`newsgen.records.NARRATED`)
MATCH_TYPES = ("football_match", "hockey_match", "basketball_game")


def needs_model(record: dict[str, Any]) -> bool:
    """Whether the model should write this record's note: ``False`` for matches that are scheduled,
    postponed, abandoned or cancelled (the template-only status note is the whole story); ``True`` for
    live and finished matches and for every other record type."""
    if record.get("type") in MATCH_TYPES or "status" in record:
        return record.get("status") in NARRATED
    return True


@dataclass(frozen=True)
class FallbackNote:
    """A template-only note with what provenance needs."""

    text: str
    language: str
    template: str
    template_version: str


@lru_cache(maxsize=8)
def _renderer(templates_dir: str) -> SeedRenderer:
    return SeedRenderer(Path(templates_dir))


def _default_dir() -> Path:
    from newsgen.config import load_settings

    return load_settings().templates_dir


def note_language(record: dict[str, Any], language: str) -> str:
    """The language the template-only note comes out in: the record's own, if it declares one."""
    own = record.get("language")
    return own if isinstance(own, str) and own in LANGUAGES else language


def render_fallback(record: dict[str, Any], task: str, language: str = "ru", *,
                    templates_dir: Path | str | None = None) -> FallbackNote:
    """Render the template-only note of a validated record; raises :class:`~newsgen.errors.SeedError`
    when the type has no fallback template or a template fails."""
    renderer = _renderer(str(templates_dir or _default_dir()))
    lang = note_language(record, language)
    out = renderer.render_fallback(record, task, lang)
    return FallbackNote(text=out.text, language=lang, template=out.template, template_version=out.template_version)


def fallback_note(record: dict[str, Any], task: str, language: str = "ru", *,
                  templates_dir: Path | str | None = None) -> str:
    """The template-only note text for ``task`` (``note``, ``summary``, ``rewrite``)."""
    return render_fallback(record, task, language, templates_dir=templates_dir).text


__all__ = ["needs_model", "fallback_note", "render_fallback", "FallbackNote", "note_language", "MATCH_TYPES"]
