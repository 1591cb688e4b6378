"""Issue 18, items 2 and 3 without Kafka: editors are named by their token (never by the request body),
names and edited texts are cleaned, bad topic messages are refused whole, bodies over the limit and
foreign Host headers are refused before the app, strings shown on the page are cleaned."""
from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from newsgen.config import load_settings
from newsgen.desk import guard
from newsgen.desk.app import create_app
from newsgen.desk.store import NoteStore
from newsgen.errors import ConfigError
from newsgen.messages import NoteMessage, Provenance
from producers.publish import EXAMPLES_DIR, read_lines

RECORD = json.loads(next(read_lines(EXAMPLES_DIR / "football.jsonl")))
ANNA, BORIS = "anna-token-0123456789", "boris-token-0123456789"
EDITORS = json.dumps({ANNA: "Анна\u202e Петрова\x1b[31m", BORIS: "Boris"})


def note(record: dict = RECORD, task: str = "note", text: str = "Текст заметки.") -> dict:
    p = Provenance(model="m", backend="template", template="t", template_version="1", seed_sha256="0" * 64,
                   sampling={}, prompt_tokens=1, new_tokens=1, finish_reason="eos", timings_ms={}, worker="w")
    return NoteMessage(key=f"{record['id']}:{task}:0", task=task, record_type=record["type"], record_id=record["id"],
                       revision=0, language="ru", text=text, record=record,
                       provenance=p).model_dump(mode="json", by_alias=True)


class FakeBus:
    """The desk's bus without Kafka: remembers what was published."""

    def __init__(self):
        self.sent: list[tuple[str, str, dict]] = []

    def start(self, store):
        store.set_ready()

    def close(self):
        pass

    def publish(self, topic, key, value, headers):
        self.sent.append((topic, key, json.loads(value)))
        return f"{topic}/0/{len(self.sent) - 1}"


@pytest.fixture
def desk():
    settings = load_settings(desk_editors=EDITORS, desk_token="legacy-token", desk_max_body_bytes=4096)
    store, bus = NoteStore(50), FakeBus()
    store.add_note(note())
    with TestClient(create_app(settings, bus, store), base_url="http://127.0.0.1:8088") as client:
        yield client, bus, store


# --- editors -----------------------------------------------------------------------------------------
def test_the_token_names_the_editor_and_the_body_cannot(desk):
    client, bus, _ = desk
    key = f"{RECORD['id']}:note:0"
    r = client.post(f"/api/notes/{key}/approve", json={"editor": "Mallory\x00\u202e"},
                    headers={"Authorization": f"Bearer {ANNA}"})
    assert r.status_code == 200, r.text
    [(topic, _, approval)] = bus.sent
    assert topic == load_settings().approved_topic and approval["approved_by"] == "Анна Петрова[31m"
    assert client.get("/api/whoami", headers={"Authorization": f"Bearer {BORIS}"}).json() == {"editor": "Boris"}
    assert client.get("/api/whoami", headers={"Authorization": "Bearer legacy-token"}).json() == {
        "editor": guard.LEGACY_EDITOR}
    for auth in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {ANNA}"}):
        assert client.get("/api/whoami", headers=auth).status_code == 401


def test_an_edit_is_cleaned_and_carries_the_editor(desk):
    client, bus, _ = desk
    key = f"{RECORD['id']}:note:0"
    r = client.post(f"/api/notes/{key}/edit", json={"text": "  Зенит\u202e выиграл\x00 2:1.\n\nВторой абзац.\x07 ",
                                                     "editor": "Mallory"},
                    headers={"Authorization": f"Bearer {BORIS}"})
    assert r.status_code == 200, r.text
    [(_, _, edited)] = bus.sent
    assert edited["text"] == "Зенит выиграл 2:1.\n\nВторой абзац."
    assert edited["edited_by"] == "Boris" and "Mallory" not in json.dumps(edited)
    r = client.post(f"/api/notes/{key}/edit", json={"text": "\u202e\u200b \x00"},
                    headers={"Authorization": f"Bearer {BORIS}"})
    assert r.status_code == 422 and len(bus.sent) == 1  # nothing left after cleaning: nothing published


def test_the_editor_table_comes_from_json_or_a_file(tmp_path):
    assert guard.load_editors(load_settings(desk_token="t0")) == {"t0": "editor"}
    toml = tmp_path / "editors.toml"
    toml.write_text('"tok-anna-1" = "Anna"\n"tok-boris-2" = "  Boris   Ivanov "\n', encoding="utf-8")
    assert guard.load_editors(load_settings(desk_editors=str(toml))) == {"tok-anna-1": "Anna",
                                                                          "tok-boris-2": "Boris Ivanov"}
    assert guard.load_editors(load_settings(desk_editors={"x-1": "X"})) == {"x-1": "X"}  # a table in the config file
    for bad in ('["a"]', '{"tok": ""}', '{"tok": "\u202e"}', '{"has space": "A"}', "{nope",
                str(tmp_path / "missing.json")):
        with pytest.raises(ConfigError):
            guard.load_editors(load_settings(desk_editors=bad))


def test_a_proxy_header_names_the_editor_only_from_a_trusted_address():
    editors = guard.Editors(load_settings(desk_auth_header="X-Forwarded-User"))
    assert editors.enabled
    assert editors.identify({"x-forwarded-user": "anna\u202e"}, "127.0.0.1") == "anna"
    utf8_as_asgi_reads_it = "Анна".encode().decode("latin-1")
    assert editors.identify({"x-forwarded-user": utf8_as_asgi_reads_it}, "::1") == "Анна"
    assert editors.identify({"x-forwarded-user": "anna"}, "10.1.2.3") is None
    assert editors.identify({}, "127.0.0.1") is None
    assert not guard.Editors(load_settings()).enabled


def test_without_any_editor_actions_are_refused():
    with TestClient(create_app(load_settings(), FakeBus(), NoteStore(5)), base_url="http://localhost") as client:
        r = client.post("/api/notes/x:note:0/approve", headers={"Authorization": "Bearer x"})
        assert r.status_code == 403 and "no desk token is configured" in r.json()["detail"]
        assert client.get("/api/config").json()["actions_enabled"] is False


# --- hostile input -----------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, reason", [
    (b'{"schema":"newsgen.note/1","key":"evil:note:0","record":[1]}', "schema"),
    (b"not json", "json"),
    (None, "schema"),
    (json.dumps({**note(), "record": [1]}).encode(), "schema"),
    (json.dumps({**note(), "revision": "2"}).encode(), "schema"),
    (json.dumps([note()]).encode(), "schema"),
])
def test_a_bad_note_message_is_refused_whole(raw, reason):
    with pytest.raises(guard.BadMessage) as info:
        guard.check_message("note", raw)
    assert info.value.reason == reason
    good = note()
    assert guard.check_message("note", json.dumps(good).encode()) == good
    with pytest.raises(guard.BadMessage):
        guard.check_message("approval", b'{"key": 1}')


def test_an_oversized_body_is_refused_before_the_token_is_looked_at(desk):
    client, bus, _ = desk
    key = f"{RECORD['id']}:note:0"
    r = client.post(f"/api/notes/{key}/edit", content=b"x" * 5000, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "desk_max_body_bytes" in r.json()["detail"]

    def chunks():  # no Content-Length: the streamed bytes are counted
        for _ in range(10):
            yield b" " * 1000

    r = client.post(f"/api/notes/{key}/edit", content=chunks(), headers={"Authorization": f"Bearer {ANNA}"})
    assert r.status_code == 413 and not bus.sent
    r = client.post(f"/api/notes/{key}/edit", content=b"{}", headers={"Content-Length": "abc"})
    assert r.status_code == 400
    assert 'newsgen_desk_requests_refused_total{reason="body_too_large"}' in client.get("/metrics").text


def test_the_host_header_must_name_this_desk(desk):
    client, _, _ = desk
    assert client.get("/api/notes", headers={"Host": "127.0.0.1:8088"}).status_code == 200
    assert client.get("/api/notes", headers={"Host": "localhost"}).status_code == 200
    assert client.get("/api/notes", headers={"Host": "[::1]:8088"}).status_code == 200
    r = client.get("/api/notes", headers={"Host": "rebind.attacker.example:8088"})
    assert r.status_code == 400 and "desk_allowed_hosts" in r.json()["detail"]
    assert client.get("/", headers={"Host": "rebind.attacker.example"}).status_code == 400
    assert client.get("/healthz", headers={"Host": "10.0.0.7:8088"}).status_code == 200  # probes
    assert "content-security-policy" in r.headers
    assert guard.allowed_hosts(load_settings(desk_host="10.0.0.7")) >= {"10.0.0.7", "localhost", "127.0.0.1"}
    assert "0.0.0.0" not in guard.allowed_hosts(load_settings(desk_host="0.0.0.0"))


def test_record_strings_on_the_page_are_cleaned(desk):
    client, _, store = desk
    evil = {**RECORD, "id": "bidi-1", "home": {**RECORD["home"], "name": "Zenit\u202e"}, "venue": "A\x00B\u2066C"}
    store.add_note(note(evil, text="Зенит\u202e победил."))
    [view] = [v for v in client.get("/api/notes").json()["notes"] if v["record_id"] == "bidi-1"]
    shown = json.dumps(view, ensure_ascii=False)
    assert not any(c in shown for c in "\u202e\u2066\x00")
    assert view["text"] == "Зенит победил." and view["record"]["home"]["name"] == "Zenit"
    assert dict(map(tuple, view["facts"]))["teams"].startswith("Zenit — ")


def test_a_warning_when_reads_are_open_beyond_loopback():
    open_reads = load_settings()
    assert guard.exposure_warnings(open_reads, "127.0.0.1") == []
    assert guard.exposure_warnings(open_reads, "localhost") == []
    assert guard.exposure_warnings(open_reads, "::1") == []
    [warning] = guard.exposure_warnings(open_reads, "0.0.0.0")
    assert "not a loopback address" in warning and "NEWSGEN_DESK_READ_TOKEN_REQUIRED" in warning
    assert guard.exposure_warnings(load_settings(desk_read_token_required=True, desk_token="t"), "0.0.0.0") == []
