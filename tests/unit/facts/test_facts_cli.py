"""``newsgen check RECORD TEXT``: verdict printed with rich, exit 0 when the text passes, 1 when not."""
import json

import typer
from typer.testing import CliRunner

from facts_cases import EXAMPLES
from newsgen.cli import facts as facts_cli

FOOTBALL = str(EXAMPLES / "football.jsonl")
GOOD = "«Зенит» обыграл «Спартак» со счётом 2:1, победный гол на 71-й минуте забил Андрей Мостовой."
BAD = "«Зенит» обыграл «Спартак» со счётом 2:1. Гол Мостового на 72-й минуте, а Иван Петров был удалён."


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """test root"""

    facts_cli.register(app)
    return app


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(_app(), ["check", *args], input=stdin)


def test_a_true_text_exits_0():
    result = run(FOOTBALL, "--id", "rpl-2026-15-zen-spa", GOOD)
    assert result.exit_code == 0, result.output
    assert "passed" in result.output


def test_a_false_text_exits_1_and_lists_each_mismatch_with_its_span():
    result = run(FOOTBALL, "--id", "rpl-2026-15-zen-spa", BAD)
    assert result.exit_code == 1, result.output
    start = BAD.index("72-й минуте")
    for expected in ("minute", "player", f"{start}-{start + len('72-й минуте')}", "failed: minute, player"):
        assert expected in result.output


def test_text_from_a_file_and_json_output(tmp_path):
    note = tmp_path / "note.txt"
    note.write_text(BAD + "\n", encoding="utf-8")
    record = tmp_path / "record.json"
    record.write_text(json.dumps(json.loads(open(FOOTBALL, encoding="utf-8").readline())), encoding="utf-8")
    result = run(str(record), f"@{note}", "--json")
    assert result.exit_code == 1
    verdict = json.loads(result.output)
    assert verdict["passed"] is False
    assert [m["kind"] for m in verdict["mismatches"]] == ["minute", "player"]
    assert BAD[slice(*verdict["mismatches"][0]["span"])] == "72-й минуте"


def test_text_from_stdin_task_and_language():
    result = run(FOOTBALL, "--id", "rpl-2026-15-zen-spa", "@-", "--task", "summary", "-l", "en",
                 stdin="Zenit beat Spartak 2-1.")
    assert result.exit_code == 0, result.output


def test_bad_input_exits_2_or_3(tmp_path):
    assert run(str(tmp_path / "missing.json"), "x").exit_code == 2
    assert run(FOOTBALL, "--id", "no-such-id", "x").exit_code == 3
    invalid = tmp_path / "bad.json"
    invalid.write_text(json.dumps({"type": "football_match", "id": "x"}), encoding="utf-8")
    assert run(str(invalid), "x").exit_code == 3


def test_an_unknown_task_or_language_is_a_usage_error():
    for option in (["--task", "notes"], ["--language", "de"]):
        result = run(FOOTBALL, "--id", "rpl-2026-15-zen-spa", GOOD, *option)
        assert result.exit_code == 2, result.output
        assert "is not one of" in result.output and "passed" not in result.output
