"""Render a record into a *seed*: the few-shot prompt that steers the model.

A seed template ``templates/<record type>/<task>.<lang>.j2`` defines three blocks:

- ``prefix``: the few-shot examples, rendered from ``examples.<lang>.json`` beside the template. It sees
  ``examples`` only, never ``record``, so it is the same for every record of the type and the runtime can
  reuse its KV cache;
- ``record``: the record's facts in the examples' format;
- ``lead`` (optional): the first words of the note; the generated text continues them.

Templates run in Jinja2's sandbox with ``StrictUndefined``: a missing field is an error, and record content
(``{{ ... }}``, HTML, control characters) is inserted as text, never evaluated.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from newsgen.errors import SeedError
from newsgen.grammar import FILTERS


@dataclass(frozen=True)
class Seed:
    """A rendered seed. ``prompt == prefix + facts + lead``; the note is ``lead`` + generated text."""

    prompt: str
    prefix: str
    lead: str
    template: str          # e.g. "football_match/note.ru.j2"
    template_version: str  # content hash of the template, its macros and its examples

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.prompt.encode("utf-8")).hexdigest()


class SeedRenderer:
    """Renders seeds from the templates folder."""

    def __init__(self, templates_dir: Path):
        self.templates_dir = Path(templates_dir)
        self.env = SandboxedEnvironment(loader=FileSystemLoader(str(self.templates_dir)),
                                        undefined=StrictUndefined, autoescape=False,
                                        keep_trailing_newline=True)
        self.env.filters.update(FILTERS)

    def template_name(self, record_type: str, task: str, language: str) -> str:
        return f"{record_type}/{task}.{language}.j2"

    def has_template(self, record_type: str, task: str, language: str) -> bool:
        return (self.templates_dir / self.template_name(record_type, task, language)).is_file()

    @lru_cache(maxsize=64)
    def _examples(self, record_type: str, language: str) -> list[dict[str, Any]]:
        path = self.templates_dir / record_type / f"examples.{language}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []

    @lru_cache(maxsize=64)
    def template_version(self, record_type: str, task: str, language: str) -> str:
        """Content hash (12 hex) of the template, the shared macros and the examples file."""
        h = hashlib.sha256()
        name = self.template_name(record_type, task, language)
        parts = [self.templates_dir / name, self.templates_dir / record_type / f"examples.{language}.json",
                 *sorted(self.templates_dir.glob("_*.j2"))]
        for part in parts:
            if part.is_file():
                h.update(part.relative_to(self.templates_dir).as_posix().encode() + b"\0" + part.read_bytes())
        return h.hexdigest()[:12]

    def render(self, record: dict[str, Any], task: str, language: str = "ru") -> Seed:
        """Render the seed for one validated record; template failures raise :class:`SeedError`."""
        record_type = record["type"]
        name = self.template_name(record_type, task, language)
        if not self.has_template(record_type, task, language):
            raise SeedError(f"no template {name} for record type {record_type!r}, task {task!r}")
        try:
            template = self.env.get_template(name)
            prefix = self._block(template, "prefix", {"examples": self._examples(record_type, language)})
            facts = self._block(template, "record", {"record": record})
            lead = self._block(template, "lead", {"record": record})
        except TemplateError as exc:
            raise SeedError(f"template {name} failed for record {record.get('id')!r}: {exc}") from exc
        return Seed(prompt=prefix + facts + lead, prefix=prefix, lead=lead, template=name,
                    template_version=self.template_version(record_type, task, language))

    @staticmethod
    def _block(template, block: str, context: dict[str, Any]) -> str:
        if block not in template.blocks:
            return ""
        return "".join(template.blocks[block](template.new_context(context)))
