"""Pointer slots: names out of a prompt and a note, and back from the record, in the right form."""
from __future__ import annotations

import copy
import re

import pytest

from newsgen.config import load_settings
from newsgen.facts import check, default_lexicon
from newsgen.fallback import needs_model, render_fallback
from newsgen.seeds import SeedRenderer
from newsgen.slots import SLOTS, TOKENS, SlotError, Slots, entities
from newsgen.training.corpus import corpus_records


@pytest.fixture(scope="module")
def renderer():
    return SeedRenderer(load_settings().templates_dir)


def _match(home: str, away: str, scorer: str = "Илья Орлов", score=(2, 1)) -> dict:
    return {"type": "football_match", "id": "m-1", "tournament": "Чемпионат мира", "round": "групповой этап",
            "date": "2026-06-12", "status": "finished", "home": {"name": home}, "away": {"name": away},
            "score": {"home": score[0], "away": score[1]},
            "goals": [{"minute": 10, "team": "home", "player": scorer},
                      {"minute": 50, "team": "away", "player": "N'Golo Kanté"},
                      {"minute": 80, "team": "home", "player": scorer}][:sum(score)]}


def test_every_template_note_of_the_corpus_goes_to_slots_and_back_unchanged(renderer):
    lexicon, settings = default_lexicon(), load_settings()
    checked = lists = derived = 0
    for split in ("train", "heldout"):
        for record in corpus_records(40, seed=11, split=split):
            if not needs_model(record):
                continue
            for language in ("ru", "en"):
                for task in ("note", "summary"):
                    seed = renderer.render(record, task, language).without_examples()
                    note = render_fallback(record, task, language, templates_dir=settings.templates_dir).text
                    slots = Slots(record, language, lexicon, order_by=seed.prompt, lists=seed.lists)
                    slotted = slots.delex(note, agree=True)
                    assert slots.realise(slotted) == note, slotted
                    # a note's goal list is one slot: the model never orders scorers, minutes or running scores
                    assert ("⟦l⟧" in slotted) == ("goals" in seed.lists), (slotted, seed.lists)
                    lists += "goals" in seed.lists
                    derived += "⟦q⟧" in slotted or "⟦s⟧" in slotted
                    names = {w for e in slots.entities.values() for t in (e.text, lexicon.en(e.text))
                             for w in re.findall(r"\w+", t) if w[:1].isupper()}
                    assert not names & set(re.findall(r"\w+", slotted)), slotted   # no name is left to spell
                    assert "«" not in slotted
                    checked += 1
    assert checked > 100 and lists > 20 and derived > 20


def test_slots_follow_the_order_of_the_prompt_and_forms_carry_the_case(renderer):
    record = _match("Côte d'Ivoire", "Türkiye")
    seed = renderer.render(record, "note", "ru").without_examples()
    slots = Slots(record, "ru", default_lexicon(), order_by=seed.prompt)
    prompt = slots.delex(seed.prompt)
    assert "Côte" not in prompt and "Türkiye" not in prompt and "Kanté" not in prompt
    # teams, tournament, round and date have fixed slots; the players follow in the order the prompt names them
    assert (slots.slot("Côte d'Ivoire"), slots.slot("Türkiye"), slots.slot("Чемпионат мира")) == ("⟦a⟧", "⟦b⟧", "⟦c⟧")
    assert prompt.index(slots.slot("Илья Орлов")) < prompt.index(slots.slot("N'Golo Kanté"))
    # after the roles' fixed slots: «1:0 — Илья Орлов («Côte d'Ivoire»), 10-я минута» is a running score, a player,
    # a minute, each a slot the note copies: players from ⟦w⟧ on, numbers from ⟦ba⟧ on; the winning goal's
    # scorer and minute have fixed slots (Илья Орлов's second, 80')
    assert (slots.slot("1:0"), slots.slot("N'Golo Kanté"), slots.slot("10")) == ("⟦ba⟧", "⟦w⟧", "⟦bb⟧")
    assert (slots.slot("Илья Орлов"), slots.slot("80")) == ("⟦q⟧", "⟦r⟧")
    assert slots.slot("2:1") == "⟦j⟧" and "10-я" not in prompt
    # an unknown team is «команда «X»»: its accusative is a form token, the label its own
    home, away = slots.slot("Côte d'Ivoire"), slots.slot("Türkiye")
    text = slots.realise(f"{home} обыграл {away}⟦accs⟧ со счётом 2:1. Матч {home}⟦lbl⟧ — {away}⟦lbl⟧.")
    assert text == "Команда «Côte d'Ivoire» обыграла команду «Türkiye» со счётом 2:1. Матч «Côte d'Ivoire» — «Türkiye»."


def test_realised_verbs_agree_with_the_teams_gender_and_persons_keep_their_case():
    lexicon = default_lexicon()
    record = _match("Торпедо", "Крылья Советов", scorer="Ольга Егорова")
    slots = Slots(record, "ru", lexicon)
    s = {e.text: slot for slot, e in slots.entities.items()}
    assert slots.realise(f"{s['Торпедо']} обыграл {s['Крылья Советов']}⟦accs⟧.") == "«Торпедо» обыграло «Крылья Советов»."
    assert slots.realise(f"{s['Крылья Советов']} обыграл {s['Торпедо']}⟦accs⟧.").startswith("«Крылья Советов» обыграли")
    assert slots.realise(f"Дубль оформил {s['Ольга Егорова']}.") == "Дубль оформила Ольга Егорова."
    assert slots.realise(f"{s['Торпедо']} и {s['Крылья Советов']} сыграли вничью.") == \
        "«Торпедо» и «Крылья Советов» сыграли вничью."


def test_english_slots_are_the_english_names():
    record = _match("Зенит", "Côte d'Ivoire")
    slots = Slots(record, "en", default_lexicon())
    home, away = slots.slot("Зенит"), slots.slot("Côte d'Ivoire")
    assert slots.realise(f"{home} beat {away} 2-1.") == "Zenit beat Côte d'Ivoire 2-1."


def test_a_slot_the_record_lacks_is_an_error_not_a_name():
    slots = Slots(_match("Зенит", "Спартак"), "ru", default_lexicon())
    absent = SLOTS[-1]                                           # this record has far fewer names
    assert absent not in slots.entities and slots.slot("Зенит") == "⟦a⟧" and "⟦f⟧" not in slots.entities  # no venue
    for slot in (absent, "⟦f⟧"):
        with pytest.raises(SlotError, match=re.escape(slot)):
            slots.realise(f"{slot} обыграл ⟦a⟧.")
    with pytest.raises(SlotError):
        slots.realise("⟦a⟧⟦zzz⟧ обыграл ⟦b⟧.")


def test_the_realised_note_of_a_renamed_record_passes_the_fact_check(renderer):
    """The same slotted text realised for two records is each record's own true note."""
    lexicon = default_lexicon()
    a = _match("Зенит", "Спартак")
    b = copy.deepcopy(a)
    b["home"]["name"], b["away"]["name"] = "Vitória Guimarães", "Saint-Étienne"
    b["goals"][0]["player"] = b["goals"][2]["player"] = "Džemaili"
    seed = renderer.render(a, "note", "ru").without_examples()
    slots_a = Slots(a, "ru", lexicon, order_by=seed.prompt)
    slotted = slots_a.delex(render_fallback(a, "note", "ru").text, agree=True)
    slots_b = Slots(b, "ru", lexicon, order_by=renderer.render(b, "note", "ru").without_examples().prompt)
    note_b = slots_b.realise(slotted)
    assert "Vitória Guimarães" in note_b and "Džemaili" in note_b and "Зенит" not in note_b
    assert check(b, note_b, "note", "ru").passed, check(b, note_b, "note", "ru").summary()


def test_a_structured_venue_is_a_slot_as_the_templates_write_it():
    record = _match("Зенит", "Спартак") | {"venue": {"name": "Газпром Арена", "capacity": 68000}}
    slots = Slots(record, "ru", default_lexicon())
    assert slots.entities["⟦f⟧"].text == "Газпром Арена"
    assert "«" not in slots.delex("Матч прошёл на стадионе «Газпром Арена».")


def test_tokens_are_plain_lower_case_text_and_entities_are_unique():
    assert all(re.fullmatch(r"⟦[a-z]+⟧", t) for t in TOKENS) and len(set(TOKENS)) == len(TOKENS)
    record = _match("Зенит", "Зенит ")
    assert [e.text for e in entities(record)].count("Зенит") == 1


def test_grounding_lets_a_slot_model_write_only_the_records_slots():
    from newsgen.allowed import grounding_for
    from newsgen.generation.grounding import allows_text

    record = _match("Зенит", "Спартак")
    slots = Slots(record, "ru", default_lexicon())
    g = grounding_for(record, "strict", slots=slots.tokens())
    assert allows_text(g, f"⟦a⟧ обыграл ⟦b⟧⟦accs⟧ со счётом 2:1, гол забил {slots.slot('Илья Орлов')}.")
    assert not allows_text(g, "⟦a⟧ обыграл ⟦f⟧ со счётом 2:1.")                 # the record has no venue
    assert not allows_text(g, "⟦a⟧ обыграл ⟦b⟧⟦xyz⟧.") and not allows_text(g, "⟦a⟧ обыграл ⟦b")
    assert allows_text(grounding_for(record, "strict"), "скобка ⟦ без слотов")   # no slots: free text


def test_a_generated_text_that_opens_with_a_space_is_capitalised_at_its_start():
    slots = Slots(_match("Côte d'Ivoire", "Türkiye"), "ru", default_lexicon())
    home = slots.slot("Côte d'Ivoire")
    assert slots.realise(f" {home} обыграл").startswith(" Команда «Côte d'Ivoire» обыграла")


def test_the_final_score_winner_first_and_the_attendance_with_its_plural_are_slots():
    record = _match("Зенит", "Спартак") | {"attendance": 54312}
    ru, en = Slots(record, "ru", default_lexicon()), Slots(record, "en", default_lexicon())
    assert ru.delex("со счётом 2:1. Матч посетили 54 312 зрителей.") == "со счётом ⟦j⟧. Матч посетили ⟦k⟧."
    assert ru.realise("Матч посетили ⟦k⟧.") == "Матч посетили 54 312 зрителей."
    assert en.realise("⟦a⟧ beat ⟦b⟧ ⟦j⟧. Attendance: ⟦k⟧.") == "Zenit beat Spartak 2-1. Attendance: 54,312."


def test_scores_minutes_and_clocks_are_slots_in_every_form_the_templates_write():
    record = _match("Зенит", "Спартак") | {"cards": [{"minute": 45, "added": 2, "team": "away",
                                                      "player": "N'Golo Kanté", "color": "red"}]}
    ru, en = Slots(record, "ru", default_lexicon()), Slots(record, "en", default_lexicon())
    m = ru.slot("45+2")
    assert ru.realise(f"{m}, на {m}⟦loct⟧, {ru.slot('Илья Орлов')} {m}⟦lbl⟧)") == \
        "45+2-я минута, на 45+2-й минуте, Илья Орлов (45+2)"
    assert en.realise(f"{en.slot('45+2')}, in the {en.slot('45+2')}⟦loct⟧, {en.slot('1:1')}") == \
        "45+2', in the 45+2nd minute, 1-1"
    # a bracketed minute or a score is never read out of a longer pair: «(10:5)» holds neither «(10» nor a score
    assert ru.delex("(10:5) (10, автогол) 21:0") == f"(10:5) {ru.slot('10')}⟦lbl⟧, автогол) 21:0"


def test_a_hockey_records_clocks_and_its_winners_minute_are_slots(renderer):
    record = {"type": "hockey_match", "id": "h-1", "tournament": "КХЛ", "date": "2026-11-12", "status": "finished",
              "home": {"name": "Ак Барс"}, "away": {"name": "Торпедо"}, "score": {"home": 2, "away": 1},
              "periods": [{"home": 1, "away": 0}, {"home": 0, "away": 1}, {"home": 1, "away": 0}],
              "goals": [{"time": "06:58", "team": "home", "player": "Дмитрий Яшкин"},
                        {"time": "25:31", "team": "away", "player": "Илья Орлов"},
                        {"time": "49:59", "team": "home", "player": "Дмитрий Яшкин"}]}
    seed = renderer.render(record, "note", "ru").without_examples()
    slots = Slots(record, "ru", default_lexicon(), order_by=seed.prompt)
    prompt = slots.delex(seed.prompt)
    assert "06:58" not in prompt and "50-я минута" not in prompt and "1:0, 0:1" not in prompt
    assert f"Победная шайба: {slots.slot('Дмитрий Яшкин')}, {slots.slot('50')}." in prompt
    note = render_fallback(record, "note", "ru").text
    assert "Победную шайбу на 50-й минуте" in note and slots.realise(slots.delex(note, agree=True)) == note


def test_a_basketball_leaders_stat_line_and_hockey_penalty_minutes_are_slots():
    record = {"type": "basketball_game", "id": "b-1", "tournament": "Единая лига ВТБ", "date": "2026-02-20",
              "status": "finished", "home": {"name": "Иркут"}, "away": {"name": "Бада"},
              "score": {"home": 102, "away": 94},
              "leaders": [{"player": "Илья Лебедев", "team": "home", "points": 35, "rebounds": 2},
                          {"player": "Иван Бугаев", "team": "away", "points": 21, "assists": 5}]}
    for language, line in (("ru", "35 очков, 2 подбора / 21 очко, 5 передач"),
                           ("en", "35 points, 2 rebounds / 21 points, 5 assists")):
        slots = Slots(record, language, default_lexicon())
        assert slots.delex(line) == f"{slots.slot('35,2,')} / {slots.slot('21,,5')}"
        assert slots.realise(slots.delex(line)) == line
    hockey = {"type": "hockey_match", "id": "h-2", "date": "2026-11-12", "status": "finished",
              "home": {"name": "Ак Барс"}, "away": {"name": "Торпедо"}, "score": {"home": 0, "away": 2},
              "penalties": [{"player": "Илья Орлов", "team": "home", "minutes": 2, "time": "10:00"},
                            {"player": "Дмитрий Яшкин", "team": "home", "minutes": 10, "time": "30:00"}]}
    slots = Slots(hockey, "ru", default_lexicon())
    text = "Штрафное время: «Ак Барс» — 12 минут, «Торпедо» — 0 минут; счёт 0:2."
    assert slots.delex(text).endswith(f" — {slots.slot('12')}, {slots.slot('Торпедо')} — {slots.slot('0')}; счёт "
                                      f"{slots.slot('0:2')}.") and slots.realise(slots.delex(text)) == text


def test_a_notes_lists_are_one_slot_each_realised_from_the_record(renderer):
    record = _match("Côte d'Ivoire", "Türkiye", scorer="Džemaili")
    record["goals"][1]["kind"] = "own_goal"
    record["cards"] = [{"minute": 70, "team": "away", "player": "Agüero", "color": "red"}]
    record["goals"][2]["player"] = record["goals"][0]["player"]
    for language, listed, reds, scorers in (
            ("ru", "1:0 — Džemaili (10), 1:1 — N'Golo Kanté (50, автогол), 2:1 — Džemaili (80)",
             "Agüero («Türkiye», 70-я минута)", "Дубль оформил Džemaili."),
            ("en", "1-0 Džemaili 10', 1-1 N'Golo Kanté 50' (o.g.), 2-1 Džemaili 80'", "Agüero (Türkiye, 70')",
             "Džemaili scored twice.")):
        seed = renderer.render(record, "note", language)
        assert seed.lists == {"goals": listed, "reds": reds, "scorers": scorers}
        slots = Slots(record, language, default_lexicon(), order_by=seed.prompt, lists=seed.lists)
        assert slots.entities["⟦l⟧"].kind == slots.entities["⟦m⟧"].kind == "list"
        head = "Голы" if language == "ru" else "Goals"
        assert slots.realise(f"{head}: ⟦l⟧. ⟦n⟧ ⟦m⟧.") == f"{head}: {listed}. {scorers} {reds}."
        with pytest.raises(SlotError, match="no form"):
            slots.realise(f"{head}: ⟦l⟧⟦gent⟧.")
    assert renderer.render(record, "summary", "ru").lists == {}          # a summary has no list to write
    assert "⟦l⟧" not in Slots(record, "ru", default_lexicon()).entities  # nor a record without the seed's


def test_the_winning_goal_and_the_top_scorers_have_fixed_slots():
    record = _match("Зенит", "Спартак", scorer="Ольга Егорова")      # 2:1, the winner 80' (the home side's 2nd)
    slots = Slots(record, "ru", default_lexicon())
    assert (slots.entities["⟦q⟧"].text, slots.entities["⟦r⟧"].text) == ("Ольга Егорова", "80")
    assert slots.realise("Победный гол на ⟦r⟧⟦loct⟧ забил ⟦q⟧.") == "Победный гол на 80-й минуте забила Ольга Егорова."
    game = {"type": "basketball_game", "id": "b-1", "tournament": "Единая лига ВТБ", "date": "2026-02-20",
            "status": "finished", "home": {"name": "Иркут"}, "away": {"name": "Бада"},
            "score": {"home": 94, "away": 102},
            "leaders": [{"team": "home", "player": "Илья Лебедев", "points": 22, "rebounds": 2},
                        {"team": "away", "player": "Иван Бугаев", "points": 31},
                        {"team": "away", "player": "Kirill Goin", "points": 12}]}
    slots = Slots(game, "ru", default_lexicon())
    assert slots.realise("Самым результативным у победителей стал ⟦s⟧ (⟦t⟧), у проигравших — ⟦u⟧ (⟦v⟧).") == \
        "Самым результативным у победителей стал Иван Бугаев (31 очко), у проигравших — Илья Лебедев (22 очка, 2 подбора)."
    draw = copy.deepcopy(record) | {"score": {"home": 1, "away": 1}, "goals": record["goals"][:2]}
    assert "⟦q⟧" not in Slots(draw, "ru", default_lexicon()).entities         # no winner, no winning goal


def test_a_form_a_slot_cannot_take_is_a_slot_error():
    ru = Slots(_match("Зенит", "Спартак"), "ru", default_lexicon())
    for text in ("⟦a⟧⟦short⟧ обыграл ⟦b⟧.", "Счёт ⟦j⟧⟦gent⟧.", "Гол забил ⟦w⟧⟦lbl⟧."):
        with pytest.raises(SlotError, match="no form"):
            ru.realise(text)
    en = Slots(_match("Зенит", "Спартак"), "en", default_lexicon())
    assert en.realise("⟦a⟧⟦gent⟧ beat ⟦b⟧.") == "Zenit beat Spartak."       # an English name has one form
