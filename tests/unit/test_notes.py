"""NoteWriter on the real tiny model: provenance, per-key determinism, text clean-up."""
import hashlib

import pytest

from newsgen.config import load_settings
from newsgen.fallback import fallback_note
from newsgen.generation.postprocess import finish_text
from newsgen.generation.torch_backend import load_torch_generator
from newsgen.notes import NoteWriter, grounding_of, request_for, sampling_seed
from newsgen.routing import RecordRouter
from producers.publish import EXAMPLES_DIR as EXAMPLES


@pytest.fixture(scope="module")
def tasks():
    router = RecordRouter(load_settings())
    lines = (EXAMPLES / "football.jsonl").read_bytes().splitlines()[:4]
    return [t for raw in lines for t in router.route(raw).tasks if t.task == "note"]


def test_unchecked_notes_carry_provenance_and_match_direct_generation(tasks, tiny_model_dir):
    settings = load_settings(model=str(tiny_model_dir), sampling={"max_new_tokens": 24}, fact_check=False)
    generator = load_torch_generator(str(tiny_model_dir))
    notes = NoteWriter(generator, settings, worker="w1").write(tasks)
    assert [n.key for n in notes] == [t.key for t in tasks]
    for task, note in zip(tasks, notes):
        p = note.provenance
        assert p.backend == "torch" and p.model == str(tiny_model_dir) and p.worker == "w1"
        assert p.seed_sha256 == hashlib.sha256(task.seed.prompt.encode()).hexdigest()
        assert p.sampling["seed"] == sampling_seed(settings.sampling.seed, task.key)
        assert p.template == "football_match/note.ru.j2" and p.template_version == task.seed.template_version
        assert p.new_tokens > 0 and p.prompt_tokens > 0 and p.timings_ms["total_ms"] > 0
        assert p.candidate == 0 and p.factcheck is None and note.record == task.record
        assert p.grounding == "strict"
        # the same request alone (batch of one) gives the same text: batch mates do not matter
        [alone] = generator.generate([request_for(settings, task, grounding=grounding_of(settings, task))])
        assert note.text == finish_text(task.seed.lead, alone.text)


def test_failed_candidates_fall_back_to_the_checked_template_note(tasks, tiny_model_dir):
    settings = load_settings(model=str(tiny_model_dir), sampling={"max_new_tokens": 16}, candidates=2)
    generator = load_torch_generator(str(tiny_model_dir))
    notes = NoteWriter(generator, settings).write(tasks[:2])
    for task, note in zip(tasks, notes):
        p = note.provenance
        # random weights write no true score: both candidates are rejected with reasons
        assert p.fallback and p.fallback_reason == "fact_check" and p.backend == "template"
        assert [c.seed for c in p.rejected] == [sampling_seed(0, task.key, i) for i in range(2)]
        assert all(c.reasons for c in p.rejected)
        assert p.factcheck["passed"] and note.text == fallback_note(task.record, "note", "ru")


def test_a_seed_longer_than_the_context_is_a_template_note_and_spares_its_batch_mates(tasks, tiny_model_dir):
    settings = load_settings(model=str(tiny_model_dir), sampling={"max_new_tokens": 8}, fact_check=False)
    generator = load_torch_generator(str(tiny_model_dir))
    lengths = [len(generator.encode(t.seed.prompt)) for t in tasks[:2]]
    generator.max_context = (min(lengths) + max(lengths)) // 2 + 8     # the longer seed no longer fits
    notes = NoteWriter(generator, settings).write(tasks[:2])
    for length, note in zip(lengths, notes):
        p = note.provenance
        if length == max(lengths):
            assert p.fallback and p.fallback_reason == "context_overflow" and p.backend == "template"
        else:
            assert not p.fallback and p.new_tokens > 0


def test_sampling_seed_is_stable_and_key_specific():
    assert sampling_seed(0, "a:note:0") == sampling_seed(0, "a:note:0")
    assert sampling_seed(0, "a:note:0") != sampling_seed(0, "a:note:1")
    assert sampling_seed(1, "a:note:0") != sampling_seed(0, "a:note:0")


@pytest.mark.parametrize("lead, generated, mode, expected", [
    ("«Зенит»", " обыграл «Спартак» 2:1. Гол забил Мостовой. И ещё", "paragraph",
     "«Зенит» обыграл «Спартак» 2:1. Гол забил Мостовой."),
    ("", " Первое. Второе.", "sentence", "Первое."),
    ("", " без точки  и   пробелов", "paragraph", "без точки и пробелов"),
    ("", " Абзац один.\n\nАбзац два.", "paragraph", "Абзац один."),
])
def test_finish_text_cuts_at_sentence_end(lead, generated, mode, expected):
    assert finish_text(lead, generated, mode) == expected


def test_status_gate_gives_postponed_matches_the_template_note_not_the_model(tiny_model_dir):
    settings = load_settings(model=str(tiny_model_dir), sampling={"max_new_tokens": 8})
    router = RecordRouter(settings)
    lines = (EXAMPLES / "football.jsonl").read_bytes().splitlines()
    gated = [t for raw in lines for t in router.route(raw).tasks
             if t.record["status"] in ("postponed", "abandoned", "cancelled") and t.task == "note"]
    finished = [t for raw in lines[:1] for t in router.route(raw).tasks if t.task == "note"]
    assert gated, "the examples include postponed/abandoned/cancelled matches"
    notes = NoteWriter(load_torch_generator(str(tiny_model_dir)), settings).write(gated + finished)
    for task, note in zip(gated, notes):
        assert note.provenance.fallback and note.provenance.fallback_reason == "status_gate"
        assert note.provenance.backend == "template" and note.provenance.new_tokens == 0
        assert note.text == fallback_note(task.record, "note", "ru")
        word = {"postponed": "перенесён", "abandoned": "прерван", "cancelled": "отменён"}[task.record["status"]]
        assert word in note.text and "со счётом" not in note.text
    # the finished match went to the model (its random-weights candidates then failed the fact check)
    assert notes[-1].provenance.fallback_reason == "fact_check" and notes[-1].provenance.rejected


def test_finish_text_drops_control_characters():
    assert finish_text("", " Гол\x19 забит\x00.\x1b Конец") == "Гол забит."


def test_sampling_precedence_newsgen_defaults_then_the_model_then_settings(tmp_path):
    import json

    from newsgen.generation.loading import sampling_defaults
    from newsgen.notes import sampling_for

    (tmp_path / "generation_config.json").write_text(json.dumps(
        {"bos_token_id": 1, "repetition_penalty": 1.0, "no_repeat_ngram_size": 0, "top_k": 20, "do_sample": False,
         "num_beams": 4}))
    model = sampling_defaults(tmp_path)
    assert model == {"top_k": 20, "repetition_penalty": 1.0, "no_repeat_ngram_size": 0, "temperature": 0.0}
    plain = sampling_for(load_settings(), "k")
    assert (plain.temperature, plain.top_k, plain.repetition_penalty) == (0.8, 40, 1.2)  # newsgen's defaults
    merged = sampling_for(load_settings(), "k", model_defaults=model)
    assert (merged.temperature, merged.top_k, merged.repetition_penalty, merged.no_repeat_ngram_size,
            merged.top_p) == (0.0, 20, 1.0, 0, 0.95)
    told = sampling_for(load_settings(sampling={"temperature": 0.5}), "k", model_defaults=model)
    assert (told.temperature, told.top_k) == (0.5, 20)              # what the settings say wins
    assert merged.seed == plain.seed == told.seed == sampling_seed(0, "k")
    assert sampling_defaults(tmp_path / "missing") == {} and sampling_defaults("ai-forever/rugpt3small_based_on_gpt2") == {}


def test_retried_candidates_sample_hotter_up_to_one():
    from newsgen.notes import sampling_for

    cooled = {"temperature": 0.3}
    temps = [sampling_for(load_settings(), "k", c, cooled).temperature for c in range(4)]
    assert temps == [0.3, 0.6, 0.9, 1.0]
    seeds = {sampling_for(load_settings(), "k", c, cooled).seed for c in range(4)}
    assert len(seeds) == 4                                           # and each with its own seed
    greedy = [sampling_for(load_settings(), "k", c, {"temperature": 0.0}).temperature for c in range(3)]
    assert greedy == [0.0, 0.3, 0.6]                                 # a greedy first try, then sampled ones
    hot = load_settings(sampling={"temperature": 1.3})
    assert [sampling_for(hot, "k", c).temperature for c in range(3)] == [1.3, 1.3, 1.3]  # never cooled
    alike = load_settings(sampling={"retry_temperature_step": 0.0})
    assert {sampling_for(alike, "k", c, cooled).temperature for c in range(3)} == {0.3}


def test_a_template_note_that_fails_its_own_check_is_counted(tiny_model_dir, monkeypatch):
    from newsgen import metrics, notes as notes_module
    from newsgen.facts import FactCheck, Mismatch

    settings = load_settings(model=str(tiny_model_dir), sampling={"max_new_tokens": 8})
    router = RecordRouter(settings)
    lines = (EXAMPLES / "football.jsonl").read_bytes().splitlines()
    [task] = [t for raw in lines for t in router.route(raw).tasks
              if t.record["status"] == "postponed" and t.task == "note"][:1]
    counter = metrics.FALLBACK_CHECK_FAILURES.labels(task.record_type, task.task, task.language)
    writer = NoteWriter(load_torch_generator(str(tiny_model_dir)), settings)

    before = counter._value.get()
    [note] = writer.write([task])                      # the real check: the template note passes, no count
    assert note.provenance.fallback and note.provenance.factcheck["passed"]
    assert counter._value.get() == before

    failed = FactCheck(passed=False, mismatches=[Mismatch(kind="date", span=(0, 1), found="x", expected="y",
                                                          message="a date that is not the record's")])
    monkeypatch.setattr(notes_module, "check", lambda *args, **kwargs: failed)
    [note] = writer.write([task])
    assert note.provenance.fallback and note.provenance.fallback_reason == "status_gate"
    assert note.provenance.factcheck["passed"] is False and note.text == fallback_note(task.record, "note", "ru")
    assert counter._value.get() == before + 1


def test_a_slot_text_with_a_form_its_slot_cannot_take_is_a_rejected_candidate_not_an_error(tasks, tiny_model_dir):
    # the demo model once wrote a team with the date's form (⟦a⟧⟦short⟧): the task failed three times and was
    # dead-lettered; it must be a rejected candidate, so the writer goes on to the next one or the template note
    from newsgen.facts import default_lexicon
    from newsgen.slots import SlotError, Slots

    task = tasks[0]
    writer = NoteWriter(load_torch_generator(str(tiny_model_dir)), load_settings(model=str(tiny_model_dir)))
    slots = Slots(task.record, task.language, default_lexicon())
    text, verdict = writer._read(task, "⟦a⟧⟦short⟧ обыграл ⟦b⟧⟦accs⟧.", slots)
    assert isinstance(verdict, SlotError) and "short" in str(verdict)
