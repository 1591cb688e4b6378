"""Clean generated text: the seed's lead plus the continuation, cut at a sentence end."""
from __future__ import annotations

import re

from newsgen.grammar.text import clean_text, ends_sentence, paragraphs, sentence_spans

_SPACES = re.compile(r"[ \t]+")


def finish_text(lead: str, generated: str, mode: str = "paragraph") -> str:
    """Join ``lead`` and ``generated``, tidy spaces and cut.

    ``mode="sentence"`` keeps the first sentence; ``"paragraph"`` keeps the first paragraph without its
    unfinished last sentence (when at least one sentence is complete). Sentences are
    :func:`~newsgen.grammar.text.sentence_spans`, so ``Гол забил А. Мостовой`` is not cut after ``А.``,
    and one that ends with an initial or an abbreviation (``… в г.``) is not complete.
    """
    text = _SPACES.sub(" ", clean_text(paragraphs(lead + generated)[0])).strip()
    ends = [start + len(text[start:end].rstrip()) for start, end in sentence_spans(text)
            if ends_sentence(text[start:end])]
    if not ends:
        return text
    return text[:ends[0]] if mode == "sentence" else text[:ends[-1]]
