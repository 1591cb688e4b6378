"""Every template-only note of the synthetic corpus passes its own fact check (ru and en, every sport and
task): a fallback that fails is a template or checker bug (counted in production by
``newsgen_fallback_check_failures_total``)."""
from __future__ import annotations

from newsgen.facts import check
from newsgen.fallback import render_fallback
from newsgen.seeds import tasks_for_type
from newsgen.training.corpus import corpus_records


def test_every_template_note_of_the_corpus_passes_the_fact_check():
    failures, checked = [], 0
    for split in ("train", "heldout"):
        for rec in corpus_records(100, seed=11, split=split):
            for language in ("ru", "en"):
                for task in tasks_for_type(rec["type"]):
                    text = render_fallback(rec, task, language).text
                    verdict = check(rec, text, task, language)
                    checked += 1
                    if not verdict.passed:
                        failures.append(f"{rec['id']} {task}/{language}: {text!r} -> {verdict.reasons()}")
    assert checked == 2 * 100 * 3 * 2 * 2
    assert not failures, f"{len(failures)} of {checked} failed:\n" + "\n".join(failures[:10])
