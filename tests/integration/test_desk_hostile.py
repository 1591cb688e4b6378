"""Issue 18: the desk (``newsgen desk`` as a child process, real Kafka and Redis) survives hostile input.

- poison messages on the notes and approved topics are skipped, counted and logged once; the desk is
  healthy, the notes after them in the same partition load, and a desk started with them in its backlog
  gets ready (and warns when it listens beyond loopback with reads open);
- an oversized body without a token is refused before it is read: the desk's peak RSS (``VmHWM`` of
  ``/proc/<pid>/status``) stays under 200 MB while ~300 MB are streamed at it, by Content-Length and chunked;
- live event streams are capped with a clear 503; a foreign Host header is refused;
- the editor of an approval is the one the token names (or the trusted proxy's header).
"""
from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from kafka import KafkaProducer

from newsgen.cli.stack import LocalStack
from newsgen.config import Settings, load_settings
from newsgen.messages import NoteMessage, Provenance
from producers.publish import EXAMPLES_DIR, read_lines
from workers.topics import ensure_topics, read_messages

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("services")]

ANNA = "anna-desk-token-" + uuid.uuid4().hex[:8]
POISON = b'{"schema":"newsgen.note/1","key":"evil:note:0","record":[1]}'
MAX_STREAMS = 3
RSS_LIMIT_KB = 200 * 1024
BIG = 300 * 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def note(record_id: str, text: str = "Текст заметки.") -> bytes:
    record = {**json.loads(next(read_lines(EXAMPLES_DIR / "football.jsonl"))), "id": record_id}
    p = Provenance(model="m", backend="template", template="t", template_version="1", seed_sha256="0" * 64,
                   sampling={}, prompt_tokens=1, new_tokens=1, finish_reason="eos", timings_ms={}, worker="w")
    return NoteMessage(key=f"{record_id}:note:0", task="note", record_type=record["type"], record_id=record_id,
                       revision=0, language="ru", text=text, record=record, provenance=p).model_dump_json(
        by_alias=True).encode()


def request(port: int, method: str, path: str, headers: dict | None = None, body: bytes | None = None,
            timeout: float = 10):
    """``(status, headers, body bytes)``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


def start_desk(stack: LocalStack, name: str, *args: str) -> subprocess.Popen:
    """``newsgen desk`` as a child of ``stack`` (log ``<name>.log``), once ``/healthz`` says ready."""
    proc = stack.spawn(name, ["desk", *args])
    deadline = time.monotonic() + 90
    port = int(stack.env["NEWSGEN_DESK_PORT"])
    while True:
        try:
            if request(port, "GET", "/healthz", timeout=2)[0] == 200:
                return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stack.stop(name, timeout_s=5)
            log = (stack.log_dir / f"{name}.log").read_text(errors="replace")
            pytest.fail(f"the desk did not get ready\n{log[-3000:]}")
        time.sleep(0.3)


def wait_for(predicate, what: str, timeout_s: float = 60):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def notes_of(port: int) -> set[str]:
    status, _, body = request(port, "GET", "/api/notes")
    assert status == 200, body
    return {n["key"] for n in json.loads(body)["notes"]}


def metric(port: int, name: str, **labels: str) -> float:
    text = request(port, "GET", "/metrics")[2].decode()
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        m = re.fullmatch(rf"{re.escape(name)}\{{(.*)\}} (\S+)", line)
        if m and ",".join(sorted(m[1].split(","))) == want:
            return float(m[2])
    return 0.0


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """Private topics with poison and a good note already in partition 0, and a desk on them."""
    run = uuid.uuid4().hex[:8]
    env = {"NEWSGEN_RECORDS_TOPIC": f"test-{run}.records", "NEWSGEN_NOTES_TOPIC": f"test-{run}.notes",
           "NEWSGEN_DEAD_LETTER_TOPIC": f"test-{run}.dead-letter", "NEWSGEN_APPROVED_TOPIC": f"test-{run}.approved",
           "NEWSGEN_DESK_PORT": str(free_port()), "NEWSGEN_DESK_MAX_STREAMS": str(MAX_STREAMS),
           "NEWSGEN_DESK_EDITORS": json.dumps({ANNA: "Анна\u202e Петрова"}),
           "NEWSGEN_DESK_AUTH_HEADER": "X-Forwarded-User"}
    settings = load_settings(**{name: v for k, v in env.items()
                                if (name := k[len("NEWSGEN_"):].lower()) in Settings.model_fields})
    ensure_topics(settings, settings.approved_topic)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    send = lambda topic, key, value: producer.send(topic, key=key, value=value, partition=0).get(30)  # noqa: E731
    send(settings.notes_topic, b"evil:note", POISON)
    send(settings.notes_topic, b"evil:note", b"\xff not json")
    send(settings.notes_topic, b"before-1:note", note("before-1"))
    send(settings.approved_topic, b"evil:note", b'{"schema":"newsgen.approval/1","key":["x"]}')
    logs = tmp_path_factory.mktemp("desk-hostile")
    try:
        with LocalStack(env, logs, workers=0, bridges=0, manage_services=False) as stack:
            proc = start_desk(stack, "desk")
            yield SimpleNamespace(settings=settings, env=env, port=int(env["NEWSGEN_DESK_PORT"]), proc=proc,
                                  log=logs / "desk.log", logs=logs, send=send)
    finally:
        producer.close()


def test_poison_messages_are_skipped_counted_and_logged_once(desk):
    s, port = desk.settings, desk.port
    assert "before-1:note:0" in notes_of(port)  # loaded past the poison of its backlog
    desk.send(s.notes_topic, b"evil:note", POISON)  # live: poison, then a good note, same partition
    desk.send(s.notes_topic, b"after-1:note", note("after-1"))
    wait_for(lambda: "after-1:note:0" in notes_of(port), "the note after the poison")
    assert request(port, "GET", "/healthz")[0] == 200
    assert not {k for k in notes_of(port) if k.startswith("evil")}
    assert metric(port, "newsgen_desk_messages_skipped_total", topic=s.notes_topic, reason="schema") == 2
    assert metric(port, "newsgen_desk_messages_skipped_total", topic=s.notes_topic, reason="json") == 1
    assert metric(port, "newsgen_desk_messages_skipped_total", topic=s.approved_topic, reason="schema") == 1
    status, _, body = request(port, "GET", "/api/notes/before-1:note:0")
    assert status == 200 and json.loads(body)["record_id"] == "before-1"
    time.sleep(3)  # the old follower retried every 2 s: each message must still be logged once
    log = " ".join(desk.log.read_text(errors="replace").split())  # rich wraps long lines
    assert log.count("skipping the message at") == 4, log[-3000:]
    assert "following the notes topic failed" not in log


def test_a_restarted_desk_gets_ready_with_poison_in_its_backlog_and_warns_beyond_loopback(desk):
    env = {**desk.env, "NEWSGEN_DESK_PORT": str(free_port())}
    with LocalStack(env, desk.logs, workers=0, bridges=0, manage_services=False) as stack:
        start_desk(stack, "desk-any-address", "--host", "0.0.0.0")
        assert {"before-1:note:0", "after-1:note:0"} <= notes_of(int(env["NEWSGEN_DESK_PORT"]))
    text = " ".join((desk.logs / "desk-any-address.log").read_text(errors="replace").split())
    assert "not a loopback address" in text and "reads are open" in text


def _peak_rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)[1])


def _post_big(port: int, chunked: bool, result: dict) -> None:
    """Stream ~300 MB at the edit endpoint without a token; record the status line the desk answers."""
    head = (f"POST /api/notes/x:note:0/edit HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/json\r\n")
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {BIG}\r\n\r\n"
    chunk = b"x" * (1024 * 1024)
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sent = 0
    try:
        sock.sendall(head.encode())
        answer = threading.Thread(target=lambda: result.update(status=sock.recv(64)), daemon=True)
        answer.start()
        while sent < BIG:
            sock.sendall(frame)
            sent += len(chunk)
        if chunked:
            sock.sendall(b"0\r\n\r\n")
        answer.join(30)
    except OSError:  # the desk hung up on the body: expected
        answer.join(30)
    finally:
        result["sent"] = sent
        sock.close()


def test_an_oversized_body_without_a_token_is_refused_before_it_is_read(desk):
    results = [{} for _ in range(5)]
    threads = [threading.Thread(target=_post_big, args=(desk.port, i == 4, results[i])) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    for r in results:
        assert r.get("status", b"").startswith(b"HTTP/1.1 413"), r
    assert min(r["sent"] for r in results[:4]) < BIG  # refused on its Content-Length, not after the body
    peak = _peak_rss_kb(desk.proc.pid)
    print(f"desk peak RSS {peak / 1024:.0f} MB; sent before the refusal: {[r['sent'] >> 20 for r in results]} MB")
    assert peak < RSS_LIMIT_KB, f"desk peak RSS {peak / 1024:.0f} MB"
    assert request(desk.port, "GET", "/healthz")[0] == 200
    assert metric(desk.port, "newsgen_desk_requests_refused_total", reason="body_too_large") >= 5


def test_live_streams_are_capped_with_a_clear_refusal(desk):
    def open_stream():
        conn = http.client.HTTPConnection("127.0.0.1", desk.port, timeout=10)
        conn.request("GET", "/api/events")
        return conn, conn.getresponse()

    opened = []
    try:
        for _ in range(MAX_STREAMS):
            conn, r = open_stream()
            assert r.status == 200 and r.readline().startswith(b"event: snapshot")
            opened.append(conn)
        conn, r = open_stream()
        body = r.read()
        conn.close()
        assert r.status == 503 and r.getheader("Retry-After") == "10"
        assert "too many live streams" in json.loads(body)["detail"]
        opened.pop().close()  # a slot comes free once a page goes

        def reopened():
            c, resp = open_stream()
            if resp.status == 200:
                opened.append(c)
                return True
            c.close()
            return False

        wait_for(reopened, "a stream slot after one closed", 20)
    finally:
        for c in opened:
            c.close()


def test_a_foreign_host_header_is_refused(desk):
    for path in ("/", "/api/notes", "/api/events", "/api/config"):
        status, _, body = request(desk.port, "GET", path, {"Host": "rebind.attacker.example"})
        assert status == 400 and b"desk_allowed_hosts" in body, path
    assert request(desk.port, "GET", "/api/notes", {"Host": f"localhost:{desk.port}"})[0] == 200
    assert request(desk.port, "GET", "/healthz", {"Host": "10.9.8.7"})[0] == 200


def test_the_token_names_the_approving_editor(desk):
    s = desk.settings
    status, _, body = request(desk.port, "POST", "/api/notes/before-1:note:0/approve",
                              {"Authorization": f"Bearer {ANNA}", "Content-Type": "application/json"},
                              json.dumps({"editor": "Mallory\u202e"}).encode())
    assert status == 200, body
    [approval] = [m.value for m in read_messages(s, s.approved_topic, timeout_s=3)
                  if isinstance(m.value, dict) and m.value.get("key") == "before-1:note:0"]
    assert approval["approved_by"] == "Анна Петрова"
    # behind an authenticating proxy on loopback: its header names the editor, whatever X-Forwarded-For says
    status, _, body = request(desk.port, "GET", "/api/whoami", {"X-Forwarded-User": "Пётр\u202e Pete".encode(),
                                                                 "X-Forwarded-For": "203.0.113.9"})
    assert status == 200 and json.loads(body) == {"editor": "Пётр Pete"}
    assert request(desk.port, "GET", "/api/whoami")[0] == 401


@pytest.mark.e2e
def test_the_page_shows_record_strings_without_bidi_or_control_characters(desk, browser):
    from selenium.webdriver.support.ui import WebDriverWait

    record = {**json.loads(next(read_lines(EXAMPLES_DIR / "football.jsonl"))), "id": "bidi-1"}
    record["home"] = {**record["home"], "name": "Zenit\u202e"}
    record["venue"] = "Арена\u2066 \x1b[2J\u200bСевер"
    raw = json.loads(note("bidi-1", text="Зенит\u202e победил\x00."))
    raw["record"] = record
    desk.send(desk.settings.notes_topic, b"bidi-1:note", json.dumps(raw, ensure_ascii=False).encode())
    browser.get(f"http://127.0.0.1:{desk.port}/")
    card = 'article.note[data-group="bidi-1:note"]'
    WebDriverWait(browser, 60).until(lambda b: b.execute_script(f"return !!document.querySelector('{card}')"))
    shown = browser.execute_script(f"""
        const card = document.querySelector('{card}');
        const facts = {{}};
        for (const dd of card.querySelectorAll('dd[data-fact]')) facts[dd.dataset.fact] = dd.textContent;
        return {{facts, text: card.querySelector('p.text').textContent, all: card.textContent,
                 raw: card.querySelector('.raw pre').textContent}};""")
    assert shown["facts"]["teams"] == f"Zenit — {record['away']['name']}"
    assert shown["facts"]["venue"] == "Арена [2JСевер" and shown["text"] == "Зенит победил."
    assert not re.search("[\u202a-\u202e\u2066-\u2069\u200b-\u200f\x00-\x08\x1b]", shown["all"] + shown["raw"])
    # who acts is the token's editor, shown beside the token field
    assert browser.find_element("id", "whoami").text == "not signed in"
    browser.find_element("id", "token").send_keys(ANNA)
    browser.find_element("id", "save-auth").click()
    WebDriverWait(browser, 20).until(lambda b: b.find_element("id", "whoami").text == "editor: Анна Петрова")
