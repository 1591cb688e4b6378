"""Issue 14, CLI findings: each case gives one line and its own exit code, never a traceback.

    unreachable Kafka (produce, consume, dead-letters, replay, desk) -> exit 5 within connect_timeout_s
    unreachable Redis (bridge)                                  -> exit 6 within connect_timeout_s
    unreachable RabbitMQ (bridge, worker; broker=rabbitmq)      -> exit 7 within connect_timeout_s
    non-UTF-8 or unreadable input (validate, seed, check)       -> exit 3
    a choice outside its list (task, language, backend, device, precision, pool, part) -> exit 2
    --version; help texts keep their "[default: ...]"; a mistyped NEWSGEN_* variable is named with the
    closest setting; --json on validate, templates lint and seed.
"""
from __future__ import annotations

import json
import re
import socket
import threading
import time
from importlib.metadata import version
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from newsgen.cli import app
from newsgen.config import ROOT, unknown_env_warnings

FOOTBALL = str(ROOT / "producers" / "examples" / "football.jsonl")
RECORD_ID = "rpl-2026-15-zen-spa"
NOT_UTF8 = b'{"type": "football_match", "id": "x", "home": "\xff\xfe"}\n'


def run(*args: str, env: dict[str, str] | None = None, stdin: bytes | str | None = None):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "400", **(env or {})}, input=stdin)


def one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


@pytest.fixture
def not_utf8(tmp_path) -> Path:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(NOT_UTF8)
    return path


# --- Kafka and Redis out of reach ----------------------------------------------------------------------

UNREACHABLE = {"NEWSGEN_KAFKA_BOOTSTRAP": "127.0.0.1:1", "NEWSGEN_CONNECT_TIMEOUT_S": "1"}
#: seconds a command may take with connect_timeout_s = 1: well under the clients' own 30 s and more, with room
#: for importing the worker's stack on a loaded 2-core machine
BOUND = 20


@pytest.mark.parametrize("args", [
    ("produce", FOOTBALL), ("consume",), ("consume", "--topic", "dead-letters"), ("dead-letters",),
    ("replay", "--reason", "schema"), ("desk", "--port", "18089"),
], ids=lambda a: " ".join(a[:3]).replace(FOOTBALL, "FILE"))
def test_an_unreachable_kafka_is_one_line_and_exit_5_after_the_bounded_wait(args):
    started = time.monotonic()
    result = run(*args, env=UNREACHABLE)
    took = time.monotonic() - started
    assert result.exit_code == 5, result.output
    line = one_line(result.output)
    assert "cannot reach Kafka at 127.0.0.1:1 within 1s" in line
    # waits connect_timeout_s, not kafka-python's 30 s and a traceback (the margin: command start-up on a busy machine)
    assert 0.9 <= took < BOUND, took


@pytest.fixture
def fake_kafka_port():
    """A listening socket: the Kafka reachability check passes, so the Redis one is what is tested."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                conn.close()
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    server.close()


def test_an_unreachable_redis_is_one_line_and_exit_6(fake_kafka_port):
    env = {"NEWSGEN_KAFKA_BOOTSTRAP": f"127.0.0.1:{fake_kafka_port}", "NEWSGEN_REDIS_URL": "redis://:pw@127.0.0.1:1/0",
           "NEWSGEN_CONNECT_TIMEOUT_S": "1", "NEWSGEN_BRIDGE_PORT": "0"}
    started = time.monotonic()
    result = run("bridge", env=env)
    assert result.exit_code == 6, result.output
    assert time.monotonic() - started < BOUND
    line = [ln for ln in result.output.splitlines() if ln.strip() and "bridge" not in ln.split(":")[0]][-1]
    assert "cannot reach Redis at redis://:***@127.0.0.1:1/0 within 1s" in line
    assert "pw" not in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("command", ["bridge", "worker"])
def test_an_unreachable_rabbitmq_is_one_line_and_exit_7(fake_kafka_port, command):
    env = {"NEWSGEN_KAFKA_BOOTSTRAP": f"127.0.0.1:{fake_kafka_port}", "NEWSGEN_BROKER": "rabbitmq",
           "NEWSGEN_AMQP_URL": "amqp://newsgen:pw@127.0.0.1:1//", "NEWSGEN_CONNECT_TIMEOUT_S": "1",
           "NEWSGEN_BRIDGE_PORT": "0"}
    started = time.monotonic()
    result = run(command, env=env)
    assert result.exit_code == 7, result.output
    assert time.monotonic() - started < BOUND
    line = [ln for ln in result.output.splitlines() if ln.strip() and "bridge" not in ln.split(":")[0]][-1]
    assert "cannot reach RabbitMQ at amqp://newsgen:***@127.0.0.1:1// within 1s" in line
    assert ":pw@" not in result.output and "Traceback" not in result.output


def test_the_kafka_check_passes_as_soon_as_a_server_accepts(fake_kafka_port):
    from newsgen.cli.common import require_kafka
    from newsgen.config import load_settings

    require_kafka(load_settings(kafka_bootstrap=f"nowhere.invalid:1,127.0.0.1:{fake_kafka_port}",
                                connect_timeout_s=2))


def test_connect_timeout_is_a_positive_setting():
    from newsgen.config import load_settings
    from newsgen.errors import ConfigError

    assert load_settings().connect_timeout_s == 10.0
    with pytest.raises(ConfigError):
        load_settings(connect_timeout_s=0)


# --- input files ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    ("validate", "{file}"), ("seed", "{file}"), ("seed", "{file}", "--fallback"), ("check", "{file}", "text"),
    ("check", FOOTBALL, "@{file}"),
], ids=lambda c: " ".join(c).replace(FOOTBALL, "RECORD"))
def test_a_file_that_is_not_utf8_is_one_line_and_exit_3(command, not_utf8):
    result = run(*(part.format(file=not_utf8) for part in command))
    assert result.exit_code == 3, result.output
    assert one_line(result.output) == f"error: {not_utf8} is not UTF-8: byte 0xff at offset 47 (line 1)"


@pytest.mark.parametrize("command", ["validate", "seed"])
def test_stdin_that_is_not_utf8_is_exit_3(command):
    result = run(command, "-", stdin=NOT_UTF8)
    assert result.exit_code == 3, result.output
    assert one_line(result.output) == "error: <stdin> is not UTF-8: byte 0xff at offset 47 (line 1)"


@pytest.mark.parametrize("command", [("validate",), ("seed",), ("check", "{dir}", "text")])
def test_an_unreadable_file_is_one_line_and_exit_3(command, tmp_path):
    args = [part.format(dir=tmp_path) for part in command]
    result = run(*args) if len(args) > 1 else run(args[0], str(tmp_path))
    assert result.exit_code == 3, result.output
    assert one_line(result.output) == f"error: cannot read file {tmp_path}: Is a directory"


@pytest.mark.parametrize("command", [("validate",), ("seed",), ("check", "{missing}", "text")])
def test_a_missing_file_stays_a_usage_error(command, tmp_path):
    missing = tmp_path / "nope.jsonl"
    args = [part.format(missing=missing) for part in command] if len(command) > 1 else [command[0], str(missing)]
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert one_line(result.output) == f"no such file: {missing}"


def test_an_example_file_that_is_not_utf8_fails_the_lint_with_exit_3(tmp_path, not_utf8):
    result = run("templates", "lint", "--examples", str(not_utf8.parent))
    assert result.exit_code == 3, result.output
    assert one_line(result.output) == f"error: {not_utf8} is not UTF-8: byte 0xff at offset 47 (line 1)"


# --- choices -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, option, allowed", [
    (("seed", FOOTBALL, "--task", "bogus"), "'--task' / '-t'", "note, summary, rewrite"),
    (("seed", FOOTBALL, "--language", "de"), "'--language' / '-l'", "ru, en"),
    (("seed", FOOTBALL, "--part", "body"), "'--part'", "prompt, prefix, record, lead"),
    (("check", FOOTBALL, "text", "--task", "bogus"), "'--task' / '-t'", "note, summary, rewrite"),
    (("check", FOOTBALL, "text", "--language", "de"), "'--language' / '-l'", "ru, en"),
    (("model", "export", "src", "out", "--precision", "fp8"), "'--precision'", "fp32, fp16, int8"),
    (("model", "generate", "hi", "--backend", "tpu"), "'--backend'", "auto, onnx, torch"),
    (("model", "generate", "hi", "--device", "tpu"), "'--device'", "cpu, cuda"),
    (("worker", "--pool", "gevent"), "'--pool'", "threads, prefork, solo"),
], ids=lambda v: v[-1] if isinstance(v, tuple) else None)
def test_a_value_outside_its_choices_is_a_usage_error_exit_2(args, option, allowed):
    result = run(*args)
    assert result.exit_code == 2, result.output
    bad = args[-1]
    assert f"Invalid value for {option}: '{bad}' is not one of {allowed}" in result.output
    assert "Traceback" not in result.output


# --- version, help, environment ------------------------------------------------------------------------

def test_version():
    result = run("--version")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"newsgen {version('newsgen')}"


def _commands(group, path: tuple[str, ...] = ()):
    for name, cmd in group.commands.items():
        yield (*path, name), cmd
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*path, name))


def _flat(text: str) -> str:
    return re.sub(r"[\s│]+", " ", text)


def test_every_help_text_keeps_its_default_in_square_brackets():
    root = typer.main.get_command(app)
    written = 0
    for path, cmd in _commands(root):
        wanted = [m for p in cmd.params for m in re.findall(r"\[default: [^\]]*\]", getattr(p, "help", None) or "")]
        if not wanted:
            continue
        result = run(*path, "--help")
        assert result.exit_code == 0, result.output
        shown = _flat(result.output)
        for fragment in wanted:
            written += 1
            assert _flat(fragment) in shown, (path, fragment)
    assert written >= 14  # the issue counted 14 lost ones


def test_a_mistyped_newsgen_variable_is_named_with_the_closest_setting():
    result = run("config", env={"NEWSGEN_KAFKA_BOOTSTARP": "kafka:9092"})
    assert result.exit_code == 0, result.output
    assert ("warning: NEWSGEN_KAFKA_BOOTSTARP is not a setting and is ignored (did you mean "
            "NEWSGEN_KAFKA_BOOTSTRAP?)") in result.output
    assert "kafka_bootstrap" in json.loads(result.output[result.output.index("{"):])  # the command still ran


def test_unknown_variable_warnings():
    assert unknown_env_warnings({"NEWSGEN_SAMPLING__TEMPRATURE": "1"}) == [
        "NEWSGEN_SAMPLING__TEMPRATURE is not a setting and is ignored (did you mean NEWSGEN_SAMPLING__TEMPERATURE?)"]
    # a name far from every setting (the shared NEWSGEN_ prefix alone makes short names look close)
    assert unknown_env_warnings({"NEWSGEN_QQQQQQQQQQQQ": "1"}) == [
        "NEWSGEN_QQQQQQQQQQQQ is not a setting and is ignored (see `newsgen config` for the settings)"]
    known = {"NEWSGEN_MODEL": "x", "NEWSGEN_SAMPLING__TOP_K": "5", "NEWSGEN_CONFIG": "x", "NEWSGEN_VENV": "x",
             "newsgen_language": "en", "PATH": "/bin", "NEWSGEN_CONNECT_TIMEOUT_S": "3"}
    assert unknown_env_warnings(known) == []


# --- --json --------------------------------------------------------------------------------------------

def test_validate_json():
    result = CliRunner().invoke(app, ["validate", FOOTBALL, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["invalid"] == 0 and report["valid"] > 0
    assert report["by_type"]["football_match"]["valid"] == report["valid"]


def test_validate_json_lists_each_bad_record_and_exits_3(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "football_match", "id": "b1", "score": "two"}\nnot json\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(bad), "--json"])
    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["invalid"] == 2
    assert [e["line"] for e in report["errors"]] == [1, 2]
    assert report["errors"][0]["id"] == "b1" and report["errors"][1]["reason"] == "decode"


def test_templates_lint_json():
    result = CliRunner().invoke(app, ["templates", "lint", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["problems"] == [] and report["renders"] > 0 and report["records"] > 0


def test_seed_json_and_fallback_json():
    result = CliRunner().invoke(app, ["seed", FOOTBALL, "--id", RECORD_ID, "--json"])
    assert result.exit_code == 0, result.output
    seed = json.loads(result.stdout)
    assert seed["record_id"] == RECORD_ID and seed["fallback"] is False
    assert seed["prompt"] == seed["prefix"] + seed["record"] and len(seed["sha256"]) == 64
    result = CliRunner().invoke(app, ["seed", FOOTBALL, "--id", RECORD_ID, "--fallback", "--json"])
    assert result.exit_code == 0, result.output
    note = json.loads(result.stdout)
    assert note["fallback"] is True and note["text"] and note["template"]


def test_as_a_process_the_unreachable_kafka_is_one_line_on_stderr_and_exit_5():
    """Outside CliRunner too: nothing but the one line (no kafka-python log, no traceback) reaches stderr."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSGEN_")} | UNREACHABLE | {"COLUMNS": "400"}
    proc = subprocess.run([sys.executable, "-c", "from newsgen.cli import app; app(prog_name='newsgen')",
                           "dead-letters"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 5, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.strip() == ("error: cannot reach Kafka at 127.0.0.1:1 within 1s (NEWSGEN_KAFKA_BOOTSTRAP, "
                                   "NEWSGEN_CONNECT_TIMEOUT_S)")
