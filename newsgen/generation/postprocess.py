"""Clean generated text: the seed's lead plus the continuation, cut at a sentence end."""
from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")
_SPACES = re.compile(r"[ \t]+")
# C0/C1 control characters (a model can emit them byte by byte); line breaks are handled separately
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def finish_text(lead: str, generated: str, mode: str = "paragraph") -> str:
    """Join ``lead`` and ``generated``, tidy spaces and cut.

    ``mode="sentence"`` keeps the first sentence; ``"paragraph"`` keeps the first paragraph without its
    unfinished last sentence (when at least one sentence is complete).
    """
    text = _CONTROLS.sub("", (lead + generated).split("\n\n", 1)[0])
    text = _SPACES.sub(" ", text.replace("\n", " ")).strip()
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    if not ends:
        return text
    return text[:ends[0]] if mode == "sentence" else text[:ends[-1]]
