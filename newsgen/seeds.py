"""Render a record into a *seed*: the few-shot prompt that steers the model; and the template-only notes.

A seed template ``templates/<record type>/<task>.<lang>.j2`` defines three blocks:

- ``prefix``: the few-shot examples, rendered from ``examples.<lang>.json`` beside the template. It sees
  ``examples`` only, never ``record``, so it is the same for every record of the type and the runtime can
  reuse its KV cache;
- ``record``: the record's facts in the examples' format;
- ``lead`` (optional): the first words of the note; the generated text continues them;
- :data:`LIST_BLOCKS` (optional): a list of the note exactly as the template-only note writes it (its goals,
  sent-off players, players with more than one goal, period or quarter scores, penalty minutes), which a slot
  model writes as one slot (:mod:`newsgen.slots`): the list is the record's, in order, by construction.

A fallback template ``templates/<record type>/fallback.<lang>.j2`` has one block per task (``note``,
``summary``, ``rewrite``) and renders a complete, factually exact note without the model
(:mod:`newsgen.fallback`). Both kinds render here, in one environment.

Templates run in Jinja2's sandbox with ``StrictUndefined``: a missing field is an error, and record content
(``{{ ... }}``, HTML, control characters) is inserted as text, never evaluated. Record strings are cleaned
before rendering (:func:`clean_record`) and every ``{{ }}`` output passes :func:`~newsgen.grammar.clean_text`.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from newsgen import records as facts
from newsgen.errors import NewsgenError, SeedError
from newsgen.grammar import FILTERS, Lexicon, LexiconError, clean_text

LANGUAGES = ("ru", "en")
#: tasks each record type gets (the router sends a record to every task that has a template)
#: match_event has none: the bridge turns an event into a new revision of its match (newsgen.living)
TASKS_BY_TYPE = {"rewrite_request": ("rewrite",), "match_event": ()}
DEFAULT_TASKS = ("note", "summary")
#: record fields whose line breaks are kept (paragraphs); every other string is folded onto one line
MULTILINE_FIELDS = frozenset({"text"})
LEXICON_FILE = "lexicon.json"
#: seed blocks holding a list of the note as the template writes it (:attr:`Seed.lists`)
LIST_BLOCKS = ("goals", "reds", "scorers", "periods", "penalties")


def tasks_for_type(record_type: str) -> tuple[str, ...]:
    return TASKS_BY_TYPE.get(record_type, DEFAULT_TASKS)


def clean_record(value: Any, key: str | None = None, top: bool = True) -> Any:
    """A copy of a record with every string cleaned (controls dropped, line breaks folded except in the
    record's own top-level :data:`MULTILINE_FIELDS`: a nested ``quote.text`` is folded like any field)."""
    if isinstance(value, str):
        return clean_text(value, multiline=key in MULTILINE_FIELDS)
    if isinstance(value, dict):
        return {k: clean_record(v, k if top else None, top=False) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_record(v, None, top=False) for v in value]
    return value


def _finalize(value: Any) -> Any:
    """Applied to every ``{{ }}`` output: strings are cleaned (line breaks kept: macros emit several lines)."""
    return clean_text(value, multiline=True) if isinstance(value, str) else value


@dataclass(frozen=True)
class Seed:
    """A rendered seed. ``prompt == prefix + facts + lead``; the note is ``lead`` + generated text."""

    prompt: str
    prefix: str
    lead: str
    template: str          # e.g. "football_match/note.ru.j2"
    template_version: str  # content hash of the template, its macros, the lexicon and its examples
    lists: dict[str, str] = field(default_factory=dict)   # LIST_BLOCKS the template and record have

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.prompt.encode("utf-8")).hexdigest()

    def without_examples(self) -> "Seed":
        """The seed without its few-shot examples: the record's facts and the lead only (for a model
        fine-tuned on such seeds)."""
        return replace(self, prompt=self.prompt[len(self.prefix):], prefix="")


@dataclass(frozen=True)
class FallbackText:
    """A template-only note and the template that made it (for provenance)."""

    text: str
    template: str
    template_version: str


class SeedRenderer:
    """Renders seeds and fallback notes from the templates folder."""

    def __init__(self, templates_dir: Path):
        self.templates_dir = Path(templates_dir)
        try:
            self.lexicon = Lexicon.load(self.templates_dir / LEXICON_FILE)
        except LexiconError as exc:
            raise SeedError(f"bad lexicon: {exc}") from exc
        self.env = SandboxedEnvironment(loader=FileSystemLoader(str(self.templates_dir)),
                                        undefined=StrictUndefined, autoescape=False,
                                        keep_trailing_newline=True, finalize=_finalize)
        self.env.filters.update(FILTERS)
        self.env.filters.update(self.lexicon.filters())
        self.env.globals.update(outcome=facts.outcome, goal_timeline=facts.goal_timeline,
                                multi_scorers=facts.multi_scorers, winning_goal=facts.winning_goal,
                                other=facts.other)
        #: template name -> (template version, its rendered few-shot prefix): the prefix depends on the
        #: template and its examples only, and rendering it was most of a seed's time (4 of 7 ms)
        self._prefixes: dict[str, tuple[str, str]] = {}

    # names and versions -----------------------------------------------------------------------------
    def template_name(self, record_type: str, task: str, language: str) -> str:
        return f"{record_type}/{task}.{language}.j2"

    def fallback_name(self, record_type: str, language: str) -> str:
        return f"{record_type}/fallback.{language}.j2"

    def has_template(self, record_type: str, task: str, language: str) -> bool:
        return (self.templates_dir / self.template_name(record_type, task, language)).is_file()

    def has_fallback(self, record_type: str, language: str) -> bool:
        return (self.templates_dir / self.fallback_name(record_type, language)).is_file()

    @lru_cache(maxsize=64)
    def _examples(self, record_type: str, language: str) -> list[dict[str, Any]]:
        path = self.templates_dir / record_type / f"examples.{language}.json"
        if not path.is_file():
            return []
        try:
            examples = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise SeedError(f"{path}: not valid JSON: {exc}") from exc
        # each example's record is cleaned as a record (its top-level text keeps its paragraphs)
        return [{k: clean_record(v) for k, v in ex.items()} if isinstance(ex, dict) else ex for ex in examples]

    def examples(self, record_type: str, language: str) -> list[dict[str, Any]]:
        """The few-shot examples of a record type: ``[{"record": ..., "<task>": text, ...}]``."""
        return self._examples(record_type, language)

    @lru_cache(maxsize=128)
    def _version(self, name: str, examples: str | None) -> str:
        h = hashlib.sha256()
        parts = [self.templates_dir / name, *sorted(self.templates_dir.glob("_*.j2")),
                 self.templates_dir / LEXICON_FILE]
        if examples:
            parts.insert(1, self.templates_dir / examples)
        for part in parts:
            if part.is_file():
                h.update(part.relative_to(self.templates_dir).as_posix().encode() + b"\0" + part.read_bytes())
        return h.hexdigest()[:12]

    def template_version(self, record_type: str, task: str, language: str) -> str:
        """Content hash (12 hex) of the template, the shared macros, the lexicon and the examples file."""
        return self._version(self.template_name(record_type, task, language),
                             f"{record_type}/examples.{language}.json")

    def fallback_version(self, record_type: str, language: str) -> str:
        """Content hash (12 hex) of the fallback template, the shared macros and the lexicon."""
        return self._version(self.fallback_name(record_type, language), None)

    # rendering --------------------------------------------------------------------------------------
    def render(self, record: dict[str, Any], task: str, language: str = "ru") -> Seed:
        """Render the seed for one validated record; template failures raise :class:`SeedError`."""
        record_type = record["type"]
        name = self.template_name(record_type, task, language)
        if not self.has_template(record_type, task, language):
            raise SeedError(f"no template {name} for record type {record_type!r}, task {task!r}")
        safe = clean_record(facts.reader_view(record))  # a structured venue (football_match 2) as its name
        version = self.template_version(record_type, task, language)
        try:
            template = self.env.get_template(name)
            prefix = self._prefix(template, name, version, record_type, language)
            record_part = self._block(template, "record", {"record": safe})
            lead = self._block(template, "lead", {"record": safe})
            lists = {b: text for b in LIST_BLOCKS if (text := self._block(template, b, {"record": safe}).strip())}
        except (TemplateError, NewsgenError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
            raise SeedError(f"template {name} failed for record {record.get('id')!r}: {exc}") from exc
        return Seed(prompt=prefix + record_part + lead, prefix=prefix, lead=lead, template=name,
                    template_version=version, lists=lists)

    def _prefix(self, template, name: str, version: str, record_type: str, language: str) -> str:
        """The template's few-shot prefix, rendered once per template version. A renderer reads each version
        once, so its seeds always match the version they carry; a new renderer picks up edited templates."""
        cached = self._prefixes.get(name)
        if cached is None or cached[0] != version:
            cached = version, self._block(template, "prefix", {"examples": self._examples(record_type, language)})
            self._prefixes[name] = cached
        return cached[1]

    def render_fallback(self, record: dict[str, Any], task: str, language: str = "ru") -> FallbackText:
        """Render the template-only note for ``task``: block ``<task>`` of ``fallback.<lang>.j2``.

        Whitespace is normalised to single spaces: fallback notes are one paragraph, like generated ones.
        """
        record_type = record["type"]
        name = self.fallback_name(record_type, language)
        if not self.has_fallback(record_type, language):
            raise SeedError(f"no fallback template {name} for record type {record_type!r}")
        try:
            template = self.env.get_template(name)
            if task not in template.blocks:
                raise SeedError(f"fallback template {name} has no block {task!r}")
            text = self._block(template, task, {"record": clean_record(facts.reader_view(record))})
        except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
            raise SeedError(f"template {name} failed for record {record.get('id')!r}: {exc}") from exc
        return FallbackText(text=" ".join(text.split()), template=name,
                            template_version=self.fallback_version(record_type, language))

    @staticmethod
    def _block(template, block: str, context: dict[str, Any]) -> str:
        if block not in template.blocks:
            return ""
        return "".join(template.blocks[block](template.new_context(context)))


# --- lint ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LintProblem:
    """One thing wrong with the templates: which template, which record, what."""

    template: str
    record_id: str
    message: str


@dataclass
class LintReport:
    problems: list[LintProblem]
    renders: int

    @property
    def ok(self) -> bool:
        return not self.problems


def lint_templates(renderer: SeedRenderer, validator: facts.RecordValidator,
                   records: Iterable[dict[str, Any]]) -> LintReport:
    """Check every template against every record: the given ones and the few-shot examples' records.

    Checks that each record type with a schema has its seed templates and fallback template in every
    language, that few-shot examples are valid records with a text for each task, that every seed and
    fallback renders, and that no template folder lacks a schema.
    """
    problems: list[LintProblem] = []
    renders = 0
    types = validator.record_types
    by_type: dict[str, list[dict[str, Any]]] = {t: [] for t in types}
    for record in records:
        if isinstance(record, dict) and record.get("type") in by_type:
            by_type[record["type"]].append(record)
    for folder in sorted(p.name for p in renderer.templates_dir.iterdir() if p.is_dir()):
        if folder not in types and not folder.startswith((".", "_")):
            problems.append(LintProblem(f"{folder}/", "-", "template folder without a record schema"))
    for record_type in types:
        tasks = tasks_for_type(record_type)
        if not tasks:  # e.g. match_event: it becomes a revision of its match and has no text of its own
            continue
        for language in LANGUAGES:
            for task in tasks:
                if not renderer.has_template(record_type, task, language):
                    problems.append(LintProblem(renderer.template_name(record_type, task, language), "-",
                                                "missing seed template"))
            if not renderer.has_fallback(record_type, language):
                problems.append(LintProblem(renderer.fallback_name(record_type, language), "-",
                                            "missing fallback template"))
            examples_name = f"{record_type}/examples.{language}.json"
            try:
                examples = renderer.examples(record_type, language)
            except SeedError as exc:
                problems.append(LintProblem(examples_name, "-", str(exc)))
                examples = []
            if not examples:
                problems.append(LintProblem(examples_name, "-", "no few-shot examples"))
            subjects = list(by_type[record_type])
            for i, ex in enumerate(examples):
                rec = ex.get("record") if isinstance(ex, dict) else None
                try:
                    validator.validate(rec)
                    subjects.append(rec)
                except NewsgenError as exc:
                    problems.append(LintProblem(examples_name, f"[{i}]", f"example record is invalid: {exc}"))
                for task in tasks:
                    if not isinstance(ex, dict) or not isinstance(ex.get(task), str) or not ex[task].strip():
                        problems.append(LintProblem(examples_name, f"[{i}]", f"example has no {task!r} text"))
            for rec in subjects:
                rid = str(rec.get("id"))
                for task in tasks:
                    if renderer.has_template(record_type, task, language):
                        problems += _try(renderer.template_name(record_type, task, language), rid,
                                         lambda: renderer.render(rec, task, language))
                        renders += 1
                    if renderer.has_fallback(record_type, language):
                        problems += _try(renderer.fallback_name(record_type, language), f"{rid} ({task})",
                                         lambda: renderer.render_fallback(rec, task, language))
                        renders += 1
    return LintReport(problems, renders)


def _try(template: str, record_id: str, call) -> list[LintProblem]:
    try:
        out = call()
    except Exception as exc:  # noqa: BLE001 - lint reports every failure, typed or not
        return [LintProblem(template, record_id, f"{type(exc).__name__}: {exc}")]
    text = out.text if isinstance(out, FallbackText) else out.prompt
    if not text.strip():
        return [LintProblem(template, record_id, "rendered empty text")]
    return []
