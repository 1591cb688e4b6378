"""Prompt-lookup drafting: guess a row's next tokens by finding its last n-gram earlier in its own text.

A match note copies the record's names, numbers and tournament from its prompt, so the tokens that followed
the same n-gram in the prompt (or earlier in the note) are often what comes next. The engine feeds such a
draft with the row's pending token in one forward and keeps the longest prefix that decoding itself would
have chosen (:meth:`newsgen.generation.engine.DecodeEngine`): a draft only ever saves forward passes.
"""
from __future__ import annotations

from typing import Sequence


def propose(source: Sequence[int], max_tokens: int, max_ngram: int = 3, min_ngram: int = 2) -> list[int]:
    """Up to ``max_tokens`` tokens that followed the latest earlier occurrence of the last n-gram of
    ``source`` (longest n first, ``max_ngram`` down to ``min_ngram``); [] when nothing matches."""
    n_src = len(source)
    if max_tokens <= 0:
        return []
    for n in range(min(max_ngram, n_src - 1), min_ngram - 1, -1):
        tail = list(source[n_src - n:])
        first = tail[0]
        for i in range(n_src - n - 1, -1, -1):          # latest first; the tail itself is not a match
            if source[i] == first and list(source[i:i + n]) == tail:
                return list(source[i + n:i + n + max_tokens])
    return []
