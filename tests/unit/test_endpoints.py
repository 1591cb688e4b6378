"""Issue 18, item 4: the bridge's and workers' /metrics and /healthz bind to ``metrics_host`` (loopback by
default) with a request timeout; ``redis_url`` is masked in ``newsgen config``; ``validate`` reads lines
exactly as ``produce`` does (U+2028 / U+0085 / a lone CR are not line ends)."""
from __future__ import annotations

import json
import socket
import time
import urllib.request

import pytest
from typer.testing import CliRunner

from newsgen.config import load_settings, mask_url
from newsgen.health import serve
from newsgen.records import RecordValidator, iter_raw, validate_file
from producers.publish import EXAMPLES_DIR, read_lines


def _non_loopback_address() -> str | None:
    """An address of this machine that is not loopback (None when it has none)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # no packet is sent: this only picks the outgoing interface
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_metrics_bind_to_loopback_by_default_and_to_the_configured_host():
    assert load_settings().metrics_host == "127.0.0.1"
    server = serve(0, lambda: (True, {}), host=load_settings().metrics_host)
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            assert r.status == 200 and b"# HELP" in r.read()
        other = _non_loopback_address()
        if other:  # not listening on the machine's other addresses
            with pytest.raises(OSError), socket.create_connection((other, port), timeout=2):
                pass
    finally:
        server.shutdown()
        server.server_close()
    server = serve(0, lambda: (True, {"x": 1}), host="0.0.0.0")
    try:
        assert server.server_address[0] == "0.0.0.0"
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/healthz", timeout=5) as r:
            assert json.loads(r.read()) == {"ok": True, "x": 1}
    finally:
        server.shutdown()
        server.server_close()


def test_an_idle_client_is_dropped_after_the_request_timeout():
    server = serve(0, lambda: (True, {}), timeout_s=0.5)
    try:
        with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=5) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\n")  # ... and never the rest
            start = time.monotonic()
            assert s.recv(1024) == b""  # the server hung up
            assert time.monotonic() - start < 4
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("url, shown", [
    ("redis://:s3cret@redis:6379/0", "redis://:***@redis:6379/0"),
    ("redis://newsgen:s3cret@redis:6379/0", "redis://newsgen:***@redis:6379/0"),
    ("rediss://s3cret@redis.example:6380/1", "rediss://***@redis.example:6380/1"),
    ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
])
def test_redis_password_is_masked(url, shown):
    assert mask_url(url) == shown
    assert load_settings(redis_url=url).public_dict()["redis_url"] == shown


def test_newsgen_config_prints_no_secret(monkeypatch):
    from newsgen.cli import app

    monkeypatch.setenv("NEWSGEN_REDIS_URL", "redis://:s3cret-pw@redis:6379/0")
    monkeypatch.setenv("NEWSGEN_DESK_TOKEN", "desk-s3cret")
    monkeypatch.setenv("NEWSGEN_DESK_EDITORS", '{"anna-s3cret-token": "Anna"}')
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    shown = json.loads(result.output)
    assert shown["redis_url"] == "redis://:***@redis:6379/0"
    assert shown["desk_token"] == shown["desk_editors"] == "**********"


def test_validate_reads_lines_exactly_as_produce(tmp_path):
    first, second = list(read_lines(EXAMPLES_DIR / "football.jsonl"))[:2]
    record = json.loads(first)
    record["venue"] = "Стадион\u2028«Газпром Арена»\u0085\u2029 (Санкт-Петербург)\rсевер"
    path = tmp_path / "odd.jsonl"
    path.write_bytes(json.dumps(record, ensure_ascii=False).encode() + b"\r\n\n  \n" + second + b"\n")
    produced = list(read_lines(path))
    assert len(produced) == 2 and json.loads(produced[0])["venue"] == record["venue"]
    raw = [line for _, line in iter_raw(path.read_bytes().decode("utf-8"), path.name)]
    assert [r.encode() for r in raw] == produced
    report = validate_file(RecordValidator(load_settings().schemas_dir), path)
    assert report.ok and len(report.valid) == 2 and [i.line for i in report.items] == [1, 4]


def test_newsgen_validate_accepts_a_line_with_u2028(tmp_path):
    from newsgen.cli import app

    record = json.loads(next(read_lines(EXAMPLES_DIR / "football.jsonl")))
    record["venue"] = "Арена\u2028Север"
    path = tmp_path / "u2028.jsonl"
    path.write_bytes(json.dumps(record, ensure_ascii=False).encode() + b"\n")
    result = CliRunner().invoke(app, ["validate", str(path), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "1 valid, 0 invalid" in " ".join(result.output.split())
