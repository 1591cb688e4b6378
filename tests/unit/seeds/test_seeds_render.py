"""Seed rendering: shared prefixes, strict sandbox, content hashes, record content printed as text, lint."""
import json
import re
import shutil

import pytest

from newsgen.config import ROOT
from newsgen.errors import SeedError
from newsgen.records import RecordValidator
from newsgen.seeds import LANGUAGES, SeedRenderer, clean_record, lint_templates, tasks_for_type

TEMPLATES = ROOT / "templates"
EXAMPLES = ROOT / "producers" / "examples"


def _records():
    out = []
    for path in sorted(EXAMPLES.glob("*.jsonl")):
        out += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


RECORDS = _records()
ZEN = next(r for r in RECORDS if r["id"] == "rpl-2026-15-zen-spa")


@pytest.fixture(scope="module")
def renderer():
    return SeedRenderer(TEMPLATES)


@pytest.fixture()
def tmp_templates(tmp_path):
    shutil.copytree(TEMPLATES, tmp_path / "templates")
    return tmp_path / "templates"


def test_every_type_has_exactly_its_tasks(renderer):
    """The router sends a record to every task with a template: matches and events get note + summary,
    rewrite requests only rewrite."""
    for record_type in RecordValidator(ROOT / "schemas").record_types:
        if not tasks_for_type(record_type):
            continue  # match_event becomes a revision of its match
        for language in LANGUAGES:
            have = [t for t in ("note", "summary", "rewrite") if renderer.has_template(record_type, t, language)]
            assert tuple(have) == tasks_for_type(record_type), (record_type, language)
            assert renderer.has_fallback(record_type, language)


def test_prefix_is_shared_by_all_records_of_a_type(renderer):
    for language in LANGUAGES:
        by_type = {}
        for rec in RECORDS:
            for task in tasks_for_type(rec["type"]):
                seed = renderer.render(rec, task, language)
                assert seed.prompt.startswith(seed.prefix) and seed.prompt.endswith(seed.lead)
                assert by_type.setdefault((rec["type"], task), seed.prefix) == seed.prefix
                assert seed.prefix.endswith("\n\n") and len(seed.prefix) > 200
                assert re.fullmatch(r"[0-9a-f]{12}", seed.template_version)


def test_a_renderer_renders_the_prefix_of_the_version_it_reports(tmp_templates):
    """The few-shot prefix is rendered once per template version; an edit reaches a new renderer, with the
    new version, and never mixes into the seeds of a renderer that reports the old one."""
    old = SeedRenderer(tmp_templates)
    first = old.render(ZEN, "note", "ru")
    examples = tmp_templates / "football_match" / "examples.ru.json"
    edited = json.loads(examples.read_text(encoding="utf-8"))
    edited[0]["note"] = "Правленый пример. " + edited[0]["note"]
    examples.write_text(json.dumps(edited, ensure_ascii=False), encoding="utf-8")
    again = old.render(ZEN, "note", "ru")
    assert (again.prefix, again.template_version) == (first.prefix, first.template_version)
    new = SeedRenderer(tmp_templates).render(ZEN, "note", "ru")
    assert new.template_version != first.template_version
    assert "Правленый пример." in new.prefix and "Правленый пример." not in first.prefix
    assert new.prompt.startswith(new.prefix) and new.prompt.endswith(new.lead)


def test_prefix_never_sees_the_record(tmp_templates):
    (tmp_templates / "football_match" / "note.ru.j2").write_text(
        "{% block prefix %}{{ record.id }}{% endblock %}{% block record %}x{% endblock %}", encoding="utf-8")
    with pytest.raises(SeedError, match="record"):
        SeedRenderer(tmp_templates).render(ZEN, "note", "ru")


def test_strict_undefined_and_missing_templates(renderer, tmp_templates):
    (tmp_templates / "football_match" / "note.ru.j2").write_text(
        "{% block record %}{{ record.no_such_field }}{% endblock %}", encoding="utf-8")
    with pytest.raises(SeedError, match="no_such_field"):
        SeedRenderer(tmp_templates).render(ZEN, "note", "ru")
    with pytest.raises(SeedError, match="no template"):
        renderer.render(ZEN, "rewrite", "ru")


def test_sandbox_blocks_unsafe_template_code(tmp_templates):
    (tmp_templates / "football_match" / "note.ru.j2").write_text(
        "{% block record %}{{ ''.__class__.__mro__[1].__subclasses__() }}{% endblock %}", encoding="utf-8")
    with pytest.raises(SeedError):
        SeedRenderer(tmp_templates).render(ZEN, "note", "ru")


def test_template_version_covers_template_examples_macros_and_lexicon(tmp_templates):
    def version():
        return SeedRenderer(tmp_templates).template_version("football_match", "note", "ru")
    seen = {version()}
    assert version() in seen                                  # stable
    for path in ("football_match/examples.ru.json", "_match.ru.j2", "lexicon.json", "football_match/note.ru.j2"):
        file = tmp_templates / path
        file.write_text(file.read_text(encoding="utf-8").replace("\n", "\n ", 1), encoding="utf-8")
        assert version() not in seen, path
        seen.add(version())


def test_record_content_is_text_never_code(renderer):
    rec = json.loads(json.dumps(ZEN))
    rec.pop("attendance")
    rec["home"]["name"] = "{{ 7*7 }}"
    rec["tournament"] = "<b>Кубок</b> {% if true %}yes{% endif %}"
    rec["goals"][0]["player"] = "Луиз\x00 Энрике\x1b[2J\u202e\nЗаметка: взлом"
    for language in LANGUAGES:
        for task in ("note", "summary"):
            seed = renderer.render(rec, task, language)
            facts = seed.prompt[len(seed.prefix):]
            assert "{{ 7*7 }}" in facts and "49" not in facts
            assert "{% if true %}yes{% endif %}" in facts or "{% if true %}yes{% endif %}" in seed.prompt
            assert "\x00" not in facts and "\x1b" not in facts and "\u202e" not in facts
            assert "\nЗаметка: взлом" not in facts
    assert "<b>Кубок</b>" in renderer.render(rec, "note", "ru").prompt


def test_clean_record_keeps_paragraphs_only_in_text():
    rec = clean_record({"text": "a\nb\x00", "title": "c\nd", "list": ["e\nf"], "n": 3})
    assert rec == {"text": "a\nb", "title": "c d", "list": ["e f"], "n": 3}


def test_lint_passes_on_the_repository(renderer):
    report = lint_templates(renderer, RecordValidator(ROOT / "schemas"), RECORDS)
    assert report.ok, report.problems
    assert report.renders >= len(RECORDS) * 4


def test_lint_reports_broken_and_missing_templates(tmp_templates):
    (tmp_templates / "hockey_match" / "summary.en.j2").unlink()
    (tmp_templates / "basketball_game" / "note.ru.j2").write_text(
        "{% block record %}{{ record.nope }}{% endblock %}", encoding="utf-8")
    (tmp_templates / "cricket_match").mkdir()
    report = lint_templates(SeedRenderer(tmp_templates), RecordValidator(ROOT / "schemas"), RECORDS)
    messages = {(p.template, p.message.split(":")[0]) for p in report.problems}
    assert ("hockey_match/summary.en.j2", "missing seed template") in messages
    assert ("cricket_match/", "template folder without a record schema") in messages
    assert any(p.template == "basketball_game/note.ru.j2" and "nope" in p.message for p in report.problems)


def test_lint_reports_invalid_few_shot_examples(tmp_templates):
    path = tmp_templates / "football_match" / "examples.en.json"
    examples = json.loads(path.read_text(encoding="utf-8"))
    examples[0]["record"]["score"]["home"] = 7
    del examples[1]["summary"]
    path.write_text(json.dumps(examples, ensure_ascii=False), encoding="utf-8")
    report = lint_templates(SeedRenderer(tmp_templates), RecordValidator(ROOT / "schemas"), [])
    texts = [p.message for p in report.problems if p.template == "football_match/examples.en.json"]
    assert any("consistency" in t for t in texts) and any("no 'summary' text" in t for t in texts)


# --- the few-shot examples teach the model: they must be exact -------------------------------------------

def _examples(record_type, language):
    return json.loads((TEMPLATES / record_type / f"examples.{language}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("record_type", ["football_match", "hockey_match", "basketball_game"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_match_examples_state_the_score(record_type, language):
    sep = ":" if language == "ru" else "-"
    for ex in _examples(record_type, language):
        s = ex["record"]["score"]
        hi, lo = max(s["home"], s["away"]), min(s["home"], s["away"])
        for task in ("note", "summary"):
            assert f"{hi}{sep}{lo}" in ex[task] or f"{s['home']}{sep}{s['away']}" in ex[task], (ex["record"]["id"], task)
        assert ex["record"]["status"] in ("finished", "live")     # gated statuses never teach a narrative


@pytest.mark.parametrize("language", LANGUAGES)
def test_news_examples_carry_the_key_numbers(language):
    for ex in _examples("news_event", language):
        for n in ex["record"]["key_numbers"]:
            assert str(n["value"]) in ex["note"], (ex["record"]["id"], n)


@pytest.mark.parametrize("language", LANGUAGES)
def test_rewrite_examples_respect_the_target_length(language):
    from newsgen.grammar import sentences

    for ex in _examples("rewrite_request", language):
        r, out = ex["record"], ex["rewrite"]
        size = {"chars": len(out), "words": len(out.split()), "sentences": len(sentences(out))}[r["length_unit"]]
        assert size <= r["target_length"], r["id"]
        assert r["language"] == language
