"""Producer -> Kafka -> bridge -> Celery worker (real processes) -> notes topic, on the real services."""
import hashlib
import json

import pytest
from conftest import BROKERS

from newsgen.cli.stack import LocalStack
from newsgen.config import load_settings
from newsgen.fallback import fallback_note
from newsgen.generation.postprocess import finish_text
from newsgen.generation.torch_backend import load_torch_generator
from newsgen.messages import DeadLetter, NoteMessage
from newsgen.notes import grounding_of, request_for
from newsgen.routing import RecordRouter
from producers.publish import EXAMPLES_DIR, RecordPublisher, read_lines
from workers.topics import ensure_topics, read_topic

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.usefixtures("services")]

BAD = b'{"type": "football_match", "id": "bad-1", "status": "finished", "score": {"home": "two"}}'


def log_tails(stack_dir) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(stack_dir.glob("*.log")))


@pytest.mark.parametrize("broker", BROKERS, indirect=True)
def test_every_record_gets_its_real_model_note_and_bad_ones_a_dead_letter(pipeline_env, pipeline_settings,
                                                                         tiny_model_dir, tmp_path):
    s = pipeline_settings
    good = list(read_lines(EXAMPLES_DIR / "football.jsonl"))[:4]
    lines = good[:2] + [BAD] + good[2:]          # the bad record sits in the middle of the stream
    router = RecordRouter(s)
    tasks = {t.key: t for raw in good for t in router.route(raw).tasks}

    ensure_topics(s)
    with LocalStack(pipeline_env, tmp_path / "logs", manage_services=False):
        publisher = RecordPublisher(s)
        publisher.publish(lines)
        publisher.close()
        notes = [NoteMessage.model_validate(v) for _, v in
                 read_topic(s, s.notes_topic, count=len(tasks), timeout_s=120)]
        letters = [DeadLetter.model_validate(v) for _, v in
                   read_topic(s, s.dead_letter_topic, count=1, timeout_s=30)]
    assert sorted(n.key for n in notes) == sorted(tasks), log_tails(tmp_path / "logs")

    generator = load_torch_generator(str(tiny_model_dir))
    for note in notes:
        task = tasks[note.key]
        p = note.provenance
        assert (note.record_id, note.revision, note.task) == (task.record_id, task.revision, task.task)
        assert note.record == task.record and p.source.topic == s.records_topic
        assert p.seed_sha256 == hashlib.sha256(task.seed.prompt.encode()).hexdigest()
        assert p.factcheck["passed"], "nothing unchecked is published"
        # every candidate the model wrote is the generator's text for the same seed and sampling seed
        written = [(c.seed, c.text) for c in p.rejected]
        if not p.fallback:
            assert p.model == str(tiny_model_dir) and p.backend == "torch"
            assert p.template == task.seed.template and p.template_version == task.seed.template_version
            written.append((p.sampling["seed"], note.text))
        else:
            # the random-weights tiny model writes no true facts: all candidates fail, the template note is used
            assert p.fallback_reason == "fact_check" and len(p.rejected) == s.candidates
            assert note.text == fallback_note(task.record, task.task, task.language)
        for i, (seed, text) in enumerate(written):
            req = request_for(s, task, i, grounding=grounding_of(s, task))
            assert req.sampling.seed == seed
            [expected] = generator.generate([req])
            assert text == finish_text(task.seed.lead, expected.text)

    [letter] = letters
    assert letter.original() == BAD and letter.reason == "schema" and letter.stage == "validate"
    assert letter.source.topic == s.records_topic and letter.path.startswith("$") and letter.error
