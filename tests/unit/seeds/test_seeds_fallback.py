"""Template-only notes and the match-status gate."""
import json
import re

import pytest

from newsgen.config import ROOT
from newsgen.errors import SeedError
from newsgen.fallback import fallback_note, needs_model, render_fallback
from newsgen.grammar import trim_text

TEMPLATES = ROOT / "templates"


def _by_id():
    out = {}
    for path in (ROOT / "producers" / "examples").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out[json.loads(line)["id"]] = json.loads(line)
    return out


R = _by_id()


def note(record_id, task="note", language="ru"):
    return fallback_note(R[record_id], task, language, templates_dir=TEMPLATES)


@pytest.mark.parametrize("status,expected", [("scheduled", False), ("postponed", False), ("abandoned", False),
                                             ("cancelled", False), ("live", True), ("finished", True)])
def test_status_gate(status, expected):
    for record_type in ("football_match", "hockey_match", "basketball_game"):
        assert needs_model({"type": record_type, "status": status}) is expected
    assert needs_model({"type": "news_event"}) and needs_model({"type": "rewrite_request"})


GATED = [rid for rid, r in R.items() if r.get("status") in ("scheduled", "postponed", "abandoned", "cancelled")]


@pytest.mark.parametrize("record_id", GATED)
@pytest.mark.parametrize("language", ["ru", "en"])
def test_gated_matches_get_a_status_note_without_score(record_id, language):
    rec = R[record_id]
    for task in ("note", "summary"):
        text = note(record_id, task, language)
        assert not re.search(r"обыгра|вничью|счёт|beat|drew|lead|Голы|Goals", text), text
        if "score" in rec:
            assert f"{rec['score']['home']}:{rec['score']['away']}" not in text
            assert f"{rec['score']['home']}-{rec['score']['away']}" not in text
        for g in rec.get("goals", []):
            assert g["player"] not in text
    assert {"postponed": "перенесён", "abandoned": "прерван", "cancelled": "отменён",
            "scheduled": "состоится"}[rec["status"]] in note(record_id)


def test_finished_football_note_is_exact():
    text = note("rpl-2026-15-zen-spa")
    assert text.startswith("«Зенит» обыграл «Спартак» со счётом 2:1 (Российская Премьер-лига, 15-й тур, 22 ноября).")
    for fact in ("Луиз Энрике (17)", "Манфред Угальде (45+2)", "Андрей Мостовой (71, пенальти)",
                 "Победный гол на 71-й минуте с пенальти забил Андрей Мостовой", "54 312 зрителей",
                 "Главный судья — Сергей Карасёв"):
        assert fact in text
    assert note("rpl-2026-15-zen-spa", "summary") == text.split(" Голы:")[0]
    assert note("rpl-2026-15-zen-spa") == text                    # deterministic


def test_agreement_in_notes():
    assert note("cup-2026-qf-ros-dyn").startswith("«Динамо» обыграло «Ростов» со счётом 3:1")
    assert note("rpl-2026-15-cska-rub").startswith("ЦСКА и «Рубин» сыграли вничью 0:0")
    assert "Дубль оформила Надежда Смирнова" in note("wsl-2026-12-cska-zen")
    assert note("fl-2026-20-tek-kub").startswith("Команда «Кубань Холдинг» обыграла «Текстильщик» со счётом 1:0")
    assert "в серии пенальти сильнее оказался «Ростов» — 4:3" in note("cup-2026-sf-ros-spa")
    assert "в пользу «Пармы»" in note("vtb-2026-par-ens")
    assert "Самой результативной у победителей стала Мария Вадеева (22 очка, 9 подборов)" in note("wbl-2026-sparta-dyn")
    assert "«Трактор» обыграл ЦСКА в серии буллитов со счётом 3:2" in note("khl-2026-cska-trk")
    assert "Победную шайбу в овертайме забросил Александр Барабанов" in note("khl-2026-akb-mmg")


def test_english_notes():
    assert note("rpl-2026-15-zen-spa", language="en").startswith(
        "Zenit beat Spartak 2-1 (Russian Premier League, round 15, 22 November).")
    assert "Rostov won the penalty shoot-out 4-3" in note("cup-2026-sf-ros-spa", language="en")
    assert note("rpl-2026-16-spa-kra", "summary", "en").startswith("Spartak and Krasnodar are level at 1-1")


def test_news_and_rewrite_come_out_in_the_records_language():
    ru = render_fallback(R["ev-2026-11-26-metro"], "note", "en", templates_dir=TEMPLATES)
    assert ru.language == "ru" and ru.text.startswith("Москва, 26 ноября. Правительство Москвы открыло")
    assert "Источник — пресс-служба мэрии Москвы." in ru.text
    en = render_fallback(R["ev-2026-11-28-kazan-bikes"], "summary", "ru", templates_dir=TEMPLATES)
    assert en.language == "en" and en.text.endswith("(Kazan, 28 November).")


@pytest.mark.parametrize("record_id", ["rw-2026-11-26-metro-brief", "rw-2026-11-27-snow-plain", "rw-2026-11-28-kazan-news"])
def test_rewrite_fallback_is_the_original_cut_at_a_sentence(record_id):
    rec = R[record_id]
    text = note(record_id, "rewrite")
    flat = " ".join(rec["text"].split())
    assert flat.startswith(text) and text[-1] in ".!?…"
    assert text == trim_text(rec["text"], rec["target_length"], rec.get("length_unit", "chars"))


def test_fallback_errors_are_typed():
    with pytest.raises(SeedError, match="no fallback template"):
        fallback_note({"type": "cricket_match", "id": "x"}, "note", "ru", templates_dir=TEMPLATES)
    with pytest.raises(SeedError, match="no block 'rewrite'"):
        fallback_note(R["rpl-2026-15-zen-spa"], "rewrite", "ru", templates_dir=TEMPLATES)


def test_default_templates_dir_comes_from_settings():
    assert fallback_note(R["rpl-2026-15-zen-spa"], "summary") == note("rpl-2026-15-zen-spa", "summary")
