"""The editor desk in headless Chromium (Debian chromium + chromedriver, driven by Selenium) against the
real pipeline: producer -> Kafka -> bridge -> Celery worker (tiny model) -> notes topic -> desk -> page.

One stack, one desk and one browser serve the whole module; each test works on its own records. The
screenshot of the page goes to ``$NEWSGEN_DESK_SCREENSHOT`` when set (``docs/desk.png`` for the README),
else into the test's tmp dir.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from newsgen.cli.stack import LocalStack
from newsgen.config import ROOT, Settings, load_settings
from newsgen.desk.actions import rewrite_id
from newsgen.routing import RecordRouter
from producers.publish import EXAMPLES_DIR, RecordPublisher, read_lines
from workers.topics import ensure_topics, read_messages

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("services")]

TOKEN = "desk-test-token"
SCRIPT_TEAM = "<script>window.__pwned = 1</script>"
IMG_PLAYER = '<img src=x onerror="window.__pwned = 2">'
WAIT_S = 120


# --- fixtures: model, stack + desk, browser, published records ------------------------------------
@pytest.fixture(scope="module")
def desk_model_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny model, with ruGPT-3's 2048-token context when the shared one has less: a rewrite seed
    (few-shot examples + the note's text) is ~1100 tokens, over the tiny default of 1024."""
    from newsgen.generation.tiny import TinyConfig, build_tiny_model

    if json.loads((tiny_model_dir / "config.json").read_text())["n_positions"] >= 2048:
        return tiny_model_dir
    return build_tiny_model(tmp_path_factory.mktemp("tiny-2048"), cfg=TinyConfig(n_positions=2048))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def desk(desk_model_dir, tmp_path_factory):
    """Worker + bridge + ``newsgen desk`` on private topics; yields settings, the desk URL and log dir."""
    run = uuid.uuid4().hex[:8]
    port = free_port()
    env = {"NEWSGEN_RECORDS_TOPIC": f"test-{run}.records", "NEWSGEN_NOTES_TOPIC": f"test-{run}.notes",
           "NEWSGEN_DEAD_LETTER_TOPIC": f"test-{run}.dead-letter", "NEWSGEN_APPROVED_TOPIC": f"test-{run}.approved",
           "NEWSGEN_CONSUMER_GROUP": f"test-{run}", "NEWSGEN_CELERY_QUEUE": f"test-{run}",
           "NEWSGEN_MODEL": str(desk_model_dir), "NEWSGEN_SAMPLING__MAX_NEW_TOKENS": "8", "NEWSGEN_CANDIDATES": "1",
           "NEWSGEN_DESK_TOKEN": TOKEN, "NEWSGEN_DESK_PORT": str(port)}
    settings = load_settings(**{name: v for k, v in env.items()
                                if (name := k[len("NEWSGEN_"):].lower()) in Settings.model_fields})
    logs = tmp_path_factory.mktemp("desk-logs")
    ensure_topics(settings)
    with LocalStack(env, logs, manage_services=False) as stack:
        stack.procs["desk"] = start_desk(env, logs / "desk.log")  # the stack stops it with the others
        yield SimpleNamespace(settings=settings, url=f"http://127.0.0.1:{port}", logs=logs, env=env)


def start_desk(env: dict[str, str], log: Path) -> subprocess.Popen:
    """``newsgen desk`` as a child process, once its backlog is loaded (``/healthz`` 200)."""
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "newsgen.cli.desk"], cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1", **env})
    deadline = time.monotonic() + 30
    while http("GET", f"http://127.0.0.1:{env['NEWSGEN_DESK_PORT']}/healthz")[0] != 200:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the desk did not start\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def football(i: int) -> dict:
    return json.loads(list(read_lines(EXAMPLES_DIR / "football.jsonl"))[i])


def first(name: str) -> dict:
    return json.loads(next(read_lines(EXAMPLES_DIR / name)))


@pytest.fixture(scope="module")
def records() -> dict[str, dict]:
    script = {**football(0), "id": "desk-xss-1", "home": {"name": SCRIPT_TEAM, "city": "<b>Город</b>"},
              "tournament": "Кубок <i>desk</i>"}
    script["goals"] = [{**g, "player": IMG_PLAYER} for g in script["goals"]]
    postponed = next(json.loads(r) for r in read_lines(EXAMPLES_DIR / "football.jsonl")
                     if json.loads(r)["status"] == "postponed")
    return {"regen": football(0), "approve": football(1), "edit": football(2), "postponed": postponed,
            "hockey": first("hockey.jsonl"), "basketball": first("basketball.jsonl"), "script": script}


@pytest.fixture(scope="module")
def page(desk, browser, records):
    """The page opened first, then the records produced: every note must arrive live."""
    browser.get(desk.url + "/")
    wait(browser, lambda: js(browser, "return document.getElementById('conn').dataset.state") == "live",
         "the page never went live")
    assert js(browser, "return document.querySelectorAll('article.note').length") == 0
    router = RecordRouter(desk.settings)
    lines = [json.dumps(r, ensure_ascii=False).encode() for r in records.values()]
    groups = sorted({f"{t.record_id}:{t.task}" for raw in lines for t in router.route(raw).tasks})
    publisher = RecordPublisher(desk.settings)
    publisher.publish(lines)
    publisher.close()
    wait(browser, lambda: all(card(browser, g) and card(browser, g)["key"] for g in groups),
         lambda: f"notes missing on the page\n{log_tails(desk.logs)}")
    return SimpleNamespace(groups=groups, **vars(desk))


# --- helpers ------------------------------------------------------------------------------------
def http(method: str, url: str, token: str | None = None, body: dict | None = None):
    """``(status, headers, json-or-None)`` of one request."""
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            raw, status, headers = r.read(), r.status, r.headers
    except urllib.error.HTTPError as e:
        raw, status, headers = e.read(), e.code, e.headers
    except OSError:
        return 0, {}, None
    try:
        return status, headers, json.loads(raw)
    except ValueError:
        return status, headers, None


def js(browser, script: str, *args):
    return browser.execute_script(script, *args)


def wait(browser, predicate, message, timeout: float = WAIT_S) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(browser, timeout, poll_frequency=0.25).until(lambda _: predicate())
    except Exception as exc:  # TimeoutException: say what was awaited, with the logs
        raise AssertionError(message() if callable(message) else message) from exc


CARD_JS = """
const card = document.querySelector(`article.note[data-group="${arguments[0]}"]`);
if (!card) return null;
const facts = {};
for (const dd of card.querySelectorAll('dd[data-fact]')) facts[dd.dataset.fact] = dd.textContent;
return {key: card.dataset.key || null, revision: card.dataset.revision, state: card.dataset.state,
        hidden: card.hidden, text: (card.querySelector('p.text') || {}).textContent, facts,
        badges: [...card.querySelectorAll('.badge')].map(b => b.textContent),
        meta: [...card.querySelectorAll('.meta span')].map(s => s.textContent),
        history: [...card.querySelectorAll('.history li')].map(li => li.textContent)};
"""


def card(browser, group: str) -> dict | None:
    return js(browser, CARD_JS, group)


def click(browser, group: str, action: str) -> None:
    """A real click, with the button first scrolled clear of the sticky header and the toasts."""
    button = browser.find_element("css selector", f'article.note[data-group="{group}"] button[data-action="{action}"]')
    js(browser, "arguments[0].scrollIntoView({block: 'center'}); "
                "document.querySelectorAll('#toasts .toast').forEach(t => t.remove())", button)
    button.click()


def use_token(browser, token: str) -> None:
    field = browser.find_element("id", "token")
    field.clear()
    if token:
        field.send_keys(token)
    browser.find_element("id", "save-auth").click()


def toasts(browser) -> list[str]:
    return js(browser, "return [...document.querySelectorAll('#toasts .toast')].map(t => t.textContent)")


def find_note(settings, key: str, topic: str | None = None) -> dict | None:
    """The message of idempotency key ``key`` (the Kafka key is ``<record id>:<task>``)."""
    for m in read_messages(settings, topic or settings.notes_topic, timeout_s=3):
        if m.value.get("key") == key:
            assert m.key == key.rsplit(":", 1)[0].encode()
            return m.value
    return None


def log_tails(log_dir: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(log_dir.glob("*.log")))


# --- tests --------------------------------------------------------------------------------------
def test_records_produced_to_kafka_appear_live_with_their_facts(page, browser, records):
    rec = records["regen"]
    note = card(browser, f"{rec['id']}:note")
    assert note["revision"] == "0" and note["state"] == "pending" and note["text"].strip()
    assert note["facts"]["teams"] == f"{rec['home']['name']} — {rec['away']['name']}"
    assert note["facts"]["score"] == f"{rec['score']['home']}:{rec['score']['away']}"
    assert note["facts"]["status"] == "finished" and note["facts"]["tournament"] == rec["tournament"]
    assert note["facts"]["date"] == rec["date"]
    message = http("GET", f"{page.url}/api/notes/{rec['id']}:note:0")[2]
    p = message["provenance"]
    assert note["meta"][:3] == ["rev 0", p["model"], p["backend"]]
    assert p["model"] in (page.settings.model, "template")  # the model's text, or the template's after the fact check
    assert re.fullmatch(r"[\d.]+ m?s", note["meta"][3]) if p["timings_ms"] else note["meta"][3] == "–"
    verdict = (p.get("factcheck") or {}).get("passed")
    assert f"fact check: {({True: 'pass', False: 'fail'}).get(verdict, '–')}" in note["badges"]
    if p.get("fallback"):
        assert any(b.startswith(f"fallback: {p['fallback_reason']}") for b in note["badges"])
    # newest first, the same order as the API's
    order = js(browser, "return [...document.querySelectorAll('article.note')].map(c => c.dataset.group)")
    assert order == list(dict.fromkeys(v["group"] for v in http("GET", f"{page.url}/api/notes")[2]["notes"]))
    assert sorted(order) == page.groups

    from selenium.webdriver.support.ui import Select

    def visible() -> set[str]:
        return set(js(browser, "return [...document.querySelectorAll('article.note:not([hidden])')]"
                               ".map(c => c.dataset.group)"))

    Select(browser.find_element("id", "f-sport")).select_by_value("hockey")
    assert visible() == {g for g in page.groups if g.startswith(records["hockey"]["id"] + ":")}
    Select(browser.find_element("id", "f-sport")).select_by_value("")
    views = http("GET", f"{page.url}/api/notes")[2]["notes"]
    Select(browser.find_element("id", "f-flagged")).select_by_value("yes")  # failed fact check or template fallback
    assert visible() == {v["group"] for v in views if v["flagged"]}
    Select(browser.find_element("id", "f-flagged")).select_by_value("no")
    assert visible() == {v["group"] for v in views if not v["flagged"]}
    postponed = card(browser, f"{records['postponed']['id']}:note")
    assert "fallback: status_gate" in postponed["badges"] and not postponed["hidden"]  # expected, not a flag
    Select(browser.find_element("id", "f-flagged")).select_by_value("")
    Select(browser.find_element("id", "f-status")).select_by_value("postponed")
    assert visible() == {g for g in page.groups if g.startswith(records["postponed"]["id"] + ":")}
    Select(browser.find_element("id", "f-status")).select_by_value("")
    Select(browser.find_element("id", "f-tournament")).select_by_value(records["script"]["tournament"])
    assert visible() == {g for g in page.groups if g.startswith("desk-xss-1:")}
    Select(browser.find_element("id", "f-tournament")).select_by_value("")
    assert visible() == set(page.groups)

    status, _, body = http("GET", f"{page.url}/api/notes?sport=hockey")  # reads are open by default
    assert status == 200 and {n["sport"] for n in body["notes"]} == {"hockey"}


def test_markup_in_a_record_shows_as_text(page, browser, records):
    note = card(browser, "desk-xss-1:note")
    assert note["facts"]["teams"] == f"{SCRIPT_TEAM} — {records['script']['away']['name']}"
    assert note["facts"]["tournament"] == "Кубок <i>desk</i>"
    raw = js(browser, "return document.querySelector('article.note[data-group=\"desk-xss-1:note\"] .raw pre')"
                      ".textContent")
    assert json.dumps(IMG_PLAYER, ensure_ascii=False) in raw  # the record as JSON text
    assert js(browser, "return document.querySelectorAll('#notes script, #notes img, #notes i, #notes b').length") == 0
    assert js(browser, "return window.__pwned === undefined")
    status, headers, _ = http("GET", page.url + "/")
    assert status == 200 and "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]


def test_actions_without_the_token_are_refused(page, browser, records):
    key = f"{records['approve']['id']}:summary:0"
    for action, body in (("approve", None), ("regenerate", None), ("edit", {"text": "x"}),
                         ("rewrite", {"style": "brief"})):
        for token in (None, "wrong-token"):
            status, headers, reply = http("POST", f"{page.url}/api/notes/{key}/{action}", token, body)
            assert status == 401 and "bearer token" in reply["detail"], (action, token, status, reply)
            assert headers["WWW-Authenticate"].startswith("Bearer")
    use_token(browser, "")
    click(browser, f"{records['approve']['id']}:summary", "approve")
    wait(browser, lambda: any("approve refused (401)" in t for t in toasts(browser)), "no refusal shown")
    time.sleep(1)
    assert card(browser, f"{records['approve']['id']}:summary")["state"] == "pending"
    assert find_note(page.settings, key, page.settings.approved_topic) is None


def test_reads_can_require_the_token_and_no_token_means_no_actions(page, browser, records):
    """Two more desks on the same topics: one with protected reads, one without a token at all."""
    guarded = {**page.env, "NEWSGEN_DESK_PORT": str(free_port()), "NEWSGEN_DESK_READ_TOKEN_REQUIRED": "true"}
    bare = {**page.env, "NEWSGEN_DESK_PORT": str(free_port())}
    del bare["NEWSGEN_DESK_TOKEN"]
    procs = [start_desk(guarded, page.logs / "desk-guarded.log"), start_desk(bare, page.logs / "desk-bare.log")]
    try:
        url = f"http://127.0.0.1:{guarded['NEWSGEN_DESK_PORT']}"
        for path in ("/api/notes", "/api/events", f"/api/notes/{records['regen']['id']}:note:0"):
            assert http("GET", url + path)[0] == 401 and http("GET", url + path, "wrong")[0] == 401
        assert http("GET", url + "/api/notes", TOKEN)[0] == 200
        assert http("GET", url + "/")[0] == 200 and http("GET", url + "/api/config")[2]["read_token_required"]
        # the page: refused until the editor gives the token, then live with every note
        browser.get(url + "/")
        wait(browser, lambda: "401" in browser.find_element("id", "conn").text, "the stream was not refused")
        use_token(browser, TOKEN)
        wait(browser, lambda: js(browser, "return document.getElementById('conn').dataset.state") == "live",
             "the page did not go live with the token")
        wait(browser, lambda: all(card(browser, g) for g in page.groups), "notes missing on the guarded page")

        url = f"http://127.0.0.1:{bare['NEWSGEN_DESK_PORT']}"
        status, _, reply = http("POST", f"{url}/api/notes/{records['regen']['id']}:note:0/approve", TOKEN)
        assert status == 403 and "no desk token is configured" in reply["detail"]
        assert http("GET", url + "/api/config")[2]["actions_enabled"] is False
    finally:
        for proc in procs:
            stop(proc)
        browser.get(page.url + "/")
        wait(browser, lambda: all(card(browser, g) for g in page.groups), "the main page did not come back")


def test_approve_publishes_to_the_approved_topic(page, browser, records):
    group = f"{records['approve']['id']}:note"
    use_token(browser, TOKEN)
    text = card(browser, group)["text"]
    click(browser, group, "approve")
    wait(browser, lambda: card(browser, group)["state"] == "approved", "the card never showed the approval")
    assert "approved by editor" in card(browser, group)["badges"]
    approvals = list(read_messages(page.settings, page.settings.approved_topic, timeout_s=3))
    assert [(m.key, m.value["key"]) for m in approvals] == [(group.encode(), f"{group}:0")]
    value = approvals[0].value
    assert value["schema"] == "newsgen.approval/1" and value["key"] == f"{group}:0"
    assert value["note"]["text"] == text and value["approved_by"] == "editor"


def test_regenerate_yields_an_editorial_revision_on_the_page(page, browser, records):
    rid = records["regen"]["id"]
    use_token(browser, TOKEN)
    before = card(browser, f"{rid}:note")
    click(browser, f"{rid}:note", "regenerate")
    # an editorial revision on top of revision 0 (newsgen.history): no record revision is taken
    wait(browser, lambda: [card(browser, f"{rid}:{task}")["revision"] for task in ("note", "summary")] == ["0.1", "0.1"],
         lambda: f"no revision 0.1 on the page\n{log_tails(page.logs)}")
    note = card(browser, f"{rid}:note")
    assert note["key"] == f"{rid}:note:0.1" and note["meta"][0] == "rev 0.1"
    assert note["meta"][2] in ("torch", "template")
    assert note["history"] == [f"rev 0 · {before['meta'][2]} · {before['text']}"]
    assert not any("→ rev" in b for b in note["badges"])  # the pending badge went away
    message = find_note(page.settings, f"{rid}:note:0.1")
    assert (message["revision"], message["edit"]) == (0, 1)
    assert message["record"]["revision"] == 0 and message["record"]["score"] == records["regen"]["score"]


def test_edit_publishes_a_human_edited_revision(page, browser, records):
    rid = records["edit"]["id"]
    group = f"{rid}:note"
    use_token(browser, TOKEN)
    click(browser, group, "edit")
    area = browser.find_element("css selector", f'article.note[data-group="{group}"] textarea')
    area.clear()
    area.send_keys("«Краснодар» разгромил «Оренбург» — 5:0. <b>правка</b>")
    click(browser, group, "save")
    wait(browser, lambda: card(browser, group)["revision"] == "0.1", "the edited revision never showed")
    note = card(browser, group)
    assert note["text"] == "«Краснодар» разгромил «Оренбург» — 5:0. <b>правка</b>"
    assert any(b.startswith("human-edited") for b in note["badges"]) and note["meta"][2] == "human"
    message = find_note(page.settings, f"{group}:0.1")
    p = message["provenance"]
    assert (p["model"], p["backend"], p["fallback"]) == ("human-edit", "human", False)
    assert (message["revision"], message["edit"]) == (0, 1) and message["record"]["id"] == rid


def test_rewrite_in_a_style_appears_when_the_workers_finish(page, browser, records):
    key = f"{records['hockey']['id']}:note:0"
    group = f"{rewrite_id(key, 'brief')}:rewrite"
    use_token(browser, TOKEN)
    from selenium.webdriver.support.ui import Select

    style = browser.find_element("css selector", f'article.note[data-group="{key[:-2]}"] select.style')
    Select(style).select_by_value("brief")
    click(browser, key[:-2], "rewrite")
    wait(browser, lambda: (card(browser, group) or {}).get("key") == f"{group}:0",
         lambda: f"the rewrite never showed\n{log_tails(page.logs)}")
    note = card(browser, group)
    assert note["facts"]["style"] == "brief" and note["meta"][2] in ("torch", "template") and note["text"].strip()
    request = find_note(page.settings, f"{group}:0")["record"]
    assert request["type"] == "rewrite_request" and request["text"] == card(browser, key[:-2])["text"].strip()


def test_screenshot_of_the_page_with_several_notes(page, browser, tmp_path):
    target = Path(os.environ.get("NEWSGEN_DESK_SCREENSHOT") or tmp_path / "desk.png")
    target.parent.mkdir(parents=True, exist_ok=True)
    assert js(browser, "return document.querySelectorAll('article.note').length") >= 8
    browser.set_window_size(1400, 2000)
    js(browser, "document.querySelectorAll('#toasts .toast').forEach(t => t.remove()); window.scrollTo(0, 0)")
    time.sleep(0.3)
    assert browser.save_screenshot(str(target)) and target.stat().st_size > 10_000
    browser.set_window_size(1400, 1000)
    print(f"desk screenshot: {target}")
