"""The record commands: validate, seed, templates lint, schemas check."""
import json
import re

from typer.testing import CliRunner

from newsgen.cli import app
from newsgen.config import ROOT

EXAMPLES = ROOT / "producers" / "examples"
runner = CliRunner()


def test_validate_good_file():
    result = runner.invoke(app, ["validate", str(EXAMPLES / "football.jsonl")])
    assert result.exit_code == 0, result.output
    assert "12 valid, 0 invalid" in result.output


def test_validate_bad_file_names_path_and_rule(tmp_path, monkeypatch):
    from newsgen.cli import common

    monkeypatch.setattr(common.console, "_width", 300)     # keep table cells on one line
    good = json.loads((EXAMPLES / "football.jsonl").read_text(encoding="utf-8").splitlines()[0])
    good["score"]["home"] = -1
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(good, ensure_ascii=False) + "\nnot json\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 3
    assert "$.score.home" in result.output and "-1 is less than the minimum of 0" in result.output
    assert re.search(r"│ 2\s+│ -\s+│ -\s+│ \$\s+│ decode\s+│ record is not valid JSON", result.output)
    assert "0 valid, 2 invalid" in result.output


def test_seed_prints_the_prompt_and_the_fallback():
    result = runner.invoke(app, ["seed", str(EXAMPLES / "football.jsonl"), "--id", "rpl-2026-15-zen-spa",
                                 "--task", "note", "--part", "record"])
    assert result.exit_code == 0, result.output
    assert "Матч: «Зенит» (Санкт-Петербург) — «Спартак» (Москва)." in result.output
    assert "football_match/note.ru.j2 version" in result.output
    result = runner.invoke(app, ["seed", str(EXAMPLES / "football.jsonl"), "--id", "rpl-2026-16-ahm-fak", "--fallback"])
    assert result.exit_code == 0 and "перенесён на 3 декабря" in result.output
    result = runner.invoke(app, ["seed", str(EXAMPLES / "football.jsonl"), "--id", "rpl-2026-16-ahm-fak"])
    assert "status gate" in result.output
    result = runner.invoke(app, ["seed", str(EXAMPLES / "rewrite.jsonl"), "--task", "note"])
    assert result.exit_code == 3 and "no template" in result.output


def test_templates_lint_and_schemas_check():
    result = runner.invoke(app, ["templates", "lint"])
    assert result.exit_code == 0, result.output
    assert "0 problem(s)" in result.output
    result = runner.invoke(app, ["schemas", "check"])
    assert result.exit_code == 0, result.output
