"""``newsgen demo`` run the way a new user runs it (the README's third command), on the real services."""
import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from newsgen.config import ROOT, load_settings
from newsgen.facts import check
from newsgen.fallback import needs_model
from newsgen.generation import resolve_model
from newsgen.routing import RecordRouter
from producers.publish import EXAMPLES_DIR, read_lines

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("services")]


def test_demo_prints_a_note_for_every_example_each_checked_or_marked_fallback(tmp_path, monkeypatch):
    for name in ("NEWSGEN_MODEL", "NEWSGEN_CONFIG", "NEWSGEN_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    proc = subprocess.run([sys.executable, "-c", "from newsgen.cli import app; app()", "demo", "--json",
                           "--log-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    messages = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    notes = [m for m in messages if m["schema"].startswith("newsgen.note/")]
    [dead] = [m for m in messages if m["schema"].startswith("newsgen.dead-letter/")]
    assert dead["reason"] == "schema" and b"broken-1" in base64.b64decode(dead["original_b64"])

    records = [json.loads(raw) for raw in read_lines(EXAMPLES_DIR / "football.jsonl")]
    expected = {t.key for raw in read_lines(EXAMPLES_DIR / "football.jsonl") for t in RecordRouter(settings).route(raw).tasks}
    assert {n["key"] for n in notes} == expected and len(notes) == len(expected)
    model = Path(resolve_model(settings))
    written = []
    for note in notes:
        p = note["provenance"]
        assert note["text"].strip()
        if not needs_model(note["record"]):
            assert p["fallback"] and p["fallback_reason"] == "status_gate", note
        elif p["fallback"]:
            assert p["fallback_reason"] == "fact_check" and len(p["rejected"]) == settings.candidates, note
        else:                                            # a model text: it passed the check, and still does
            assert p["factcheck"]["passed"] and check(note["record"], note["text"], note["task"], note["language"]).passed
            assert Path(p["model"]).resolve() == model.resolve()   # the demo links its model from the cache
            written.append(note)
    narrated = sum(needs_model(note["record"]) for note in notes)
    print(f"{len(written)} of {narrated} model-narrated notes written by {model}")
    for note in written:
        print(" ", note["key"], note["text"])
    if (model / "demo_report.json").is_file():
        # the offline demo model (grounded slots): most notes of the examples are its own, each checked above
        assert len(written) >= 0.8 * narrated, f"only {len(written)} of {narrated} notes were the model's"
