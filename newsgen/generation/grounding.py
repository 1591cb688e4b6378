"""Record-grounded decoding: a row may only write the numbers and names its record allows.

A row's text is read character by character (over the UTF-8 bytes of its tokens, so a character split
between two tokens is read when it is complete) as free text and three kinds of lexeme:

    number  ASCII digits joined by ``: - – — + . , /`` or a space (``2:1``, ``45+2``, ``54 312``,
            ``2026-11-22``): must be one of ``Grounding.numbers``; a Russian ending (``71-й``, ``15-го``) or
            an English one (``23rd``) may follow. A digit never starts a number right after a digit and a
            joiner, so a forbidden ``2:3`` cannot be assembled from the allowed ``2`` and ``3``.
    quoted  ``«…»`` must be one of ``Grounding.quoted`` (mode ``strict``).
    slot    ``⟦…⟧``, a pointer slot of a slot model (:mod:`newsgen.slots`), must be one of ``Grounding.slots``
            (any mode but off; a request without slots writes ``⟦`` as free text).
    name    a word that starts with a capital letter must be one of ``Grounding.words`` (mode ``strict``);
            a capital letter right after a letter is refused.

A slot model's request also sets ``Grounding.language``: its names all come from slots, so its free text
writes no letter of the other language's script (no Latin letter in a Russian note, no Cyrillic one in an
English note: ``«⟦a⟧» beat «⟦b⟧»`` in a Russian note is refused).

Masking (:class:`RowConstraint`): the sampler keeps at most ``k`` tokens (its top-k; 1 when greedy). Walking a
row's tokens best-first, every token that would break the constraint is banned until ``k`` allowed ones are
found, so the sampler's top-k and top-p over the masked row see exactly the ``k`` best allowed tokens, as if
the whole vocabulary had been masked. The cost is a few checks per row and step, most of them array
look-ups (:class:`TokenTable`: tokens with no digit, capital or guillemet are free in free text; inside a
lexeme a token's first one or two characters decide most verdicts); only the tokens those leave open are
read character by character. A sampled row's walk stops early once the allowed tokens found decide its top-p
cut whatever the rest are (:class:`Nucleus`; at temperature 0.3 and top-p 0.95 that is often after one or two):
the sampler keeps and draws exactly what it would after ``k``. Inside a lexeme, where few tokens can be allowed,
a row bans every refused token without ranking them when fewer than ``k`` can be allowed. :func:`mask_rows`
masks a batch's rows at once. With top-k off the walk stops at :data:`UNBOUNDED_KEEP` allowed tokens.
"""
from __future__ import annotations

import bisect
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from typing import Any, NamedTuple, Sequence

import numpy as np

MODES = ("strict", "numbers", "off")
#: allowed tokens the walk looks for when the sampler's top-k is off (top-p then works within them)
UNBOUNDED_KEEP = 256
JOINERS = ":-–—+.,/ \u00a0\u202f"
#: a new number may not start here: right after a digit and a joiner, a space included («58 58» reads as
#: one number); only a name's own digits may be followed by a number after a space («To-2 90-69»)
_GLUED = re.compile(r"(?<![^\W\d_]-)(?<!\d)\d+(?:\s?[:\-–—+/]\s?|[.,]|[ \u00a0\u202f])$")
_EN_ORDINALS = ("st", "nd", "rd", "th")
_CTX = 8
FREE, NUM, QUOTE, NAME, SUFFIX_RU, SUFFIX_EN, SLOT = range(7)


def _latin(ch: str) -> bool:
    o = ord(ch)
    return ch.isalpha() and (o < 0x80 or 0xC0 <= o <= 0x24F or 0x1E00 <= o <= 0x1EFF)


def _cyrillic(ch: str) -> bool:
    return 0x400 <= ord(ch) <= 0x52F and ch.isalpha()


#: per language, the letters its free text may not write
_FOREIGN = {"ru": _latin, "en": _cyrillic}


def foreign_letter(language: str | None, ch: str) -> bool:
    """Whether ``ch`` is a letter of the other script than ``language``'s (False for None)."""
    return language is not None and _FOREIGN[language](ch)


@dataclass(frozen=True)
class Grounding:
    """What one request may write: allowed number strings, quoted names, capitalised words and slot tokens."""

    mode: str = "strict"
    numbers: frozenset[str] = frozenset()
    quoted: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()
    slots: frozenset[str] = frozenset()
    #: ru or en: free text writes no letter of the other script (:func:`foreign_letter`); None: any letter
    language: str | None = None
    _sorted: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"grounding must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.language not in (None, *_FOREIGN):
            raise ValueError(f"grounding language must be one of {', '.join(_FOREIGN)} or None, not {self.language!r}")
        for name in ("numbers", "quoted", "words", "slots"):
            values = frozenset(unicodedata.normalize("NFC", v) for v in getattr(self, name) if v)
            object.__setattr__(self, name, values)
            self._sorted[name] = tuple(sorted(values))

    @property
    def strict(self) -> bool:
        return self.mode == "strict"

    def has_prefix(self, kind: str, prefix: str) -> bool:
        """Some allowed string of ``kind`` (numbers, quoted, words) starts with ``prefix``."""
        values = self._sorted[kind]
        i = bisect.bisect_left(values, prefix)
        return i < len(values) and values[i].startswith(prefix)


class State(NamedTuple):
    """Where a row's text stands: lexeme kind, the lexeme so far, recent text, incomplete UTF-8 bytes (a named
    tuple: the walk builds and hashes many of them per step, and a tuple is quicker at both than a dataclass)."""

    mode: int = FREE
    buf: str = ""
    ctx: str = ""
    tail: bytes = b""


def _free(g: Grounding, ctx: str, ch: str) -> State | None:
    if ch == "⟦" and g.slots:
        return State(SLOT, ch, ctx)
    if ch.isdigit():
        if not "0" <= ch <= "9" or _GLUED.search(ctx) or not g.has_prefix("numbers", ch):
            return None
        return State(NUM, ch, ctx)
    if foreign_letter(g.language, ch):
        return None
    if g.strict:
        if ch == "«":
            return State(QUOTE, ch, ctx) if g.has_prefix("quoted", ch) else None
        if ch == "»":
            return None
        if ch.isupper():
            if ctx[-1:].isalpha() or not g.has_prefix("words", ch):
                return None
            return State(NAME, ch, ctx)
    return State(FREE, "", (ctx + ch)[-_CTX:])


def _close(g: Grounding, ctx: str, text: str) -> State | None:
    """Free text ``text`` after a closed lexeme (whose characters ``ctx`` ends with)."""
    state: State | None = State(FREE, "", ctx[-_CTX:])
    for ch in text:
        state = feed(g, state, ch)
        if state is None:
            return None
    return state


def feed(g: Grounding, st: State, ch: str) -> State | None:
    """The state after one more character, or None when the character breaks the constraint."""
    if st.mode == FREE:
        return _free(g, st.ctx, ch)
    buf = st.buf + ch
    if st.mode == NUM:
        if g.has_prefix("numbers", buf):
            return State(NUM, buf, st.ctx)
        core = st.buf.rstrip(JOINERS)
        if core not in g.numbers:
            return None
        rest = st.buf[len(core):]
        if rest == "-" and _ru_lower(ch):
            return State(SUFFIX_RU, ch, st.ctx + core + rest)
        if not rest and any(o.startswith(ch) for o in _EN_ORDINALS):
            return State(SUFFIX_EN, ch, st.ctx + core)
        if not rest and (ch.isalpha() or ch.isdigit()):
            return None
        return _close(g, st.ctx + core, rest + ch)
    if st.mode == SUFFIX_RU:
        if _ru_lower(ch):
            return State(SUFFIX_RU, buf, st.ctx) if len(buf) <= 3 else None
        return None if ch.isalpha() or ch.isdigit() else _close(g, st.ctx + st.buf, ch)
    if st.mode == SUFFIX_EN:
        if any(o.startswith(buf) for o in _EN_ORDINALS):
            return State(SUFFIX_EN, buf, st.ctx)
        if st.buf in _EN_ORDINALS and not (ch.isalpha() or ch.isdigit()):
            return _close(g, st.ctx + st.buf, ch)
        return None
    if st.mode == SLOT:
        if not g.has_prefix("slots", buf):
            return None
        return State(FREE, "", (st.ctx + buf)[-_CTX:]) if buf in g.slots else State(SLOT, buf, st.ctx)
    if st.mode == QUOTE:
        if not g.has_prefix("quoted", buf):
            return None
        return State(FREE, "", (st.ctx + buf)[-_CTX:]) if buf in g.quoted else State(QUOTE, buf, st.ctx)
    # NAME
    if g.has_prefix("words", buf):
        return State(NAME, buf, st.ctx)
    if ch.isalpha() or unicodedata.category(ch).startswith("M") or st.buf not in g.words:
        return None
    return _close(g, st.ctx + st.buf, ch)


def _ru_lower(ch: str) -> bool:
    return "а" <= ch <= "я" or ch == "ё"


def advance(g: Grounding, st: State, data: bytes) -> State | None:
    """The state after a token's bytes, or None when they break the constraint (or are not UTF-8)."""
    raw = st.tail + data
    try:
        text, tail = raw.decode("utf-8"), b""
    except UnicodeDecodeError as exc:
        if exc.reason != "unexpected end of data" or exc.end != len(raw):
            return None
        text, tail = raw[:exc.start].decode("utf-8"), raw[exc.start:]
    state: State | None = st
    for ch in text:
        state = feed(g, state, ch)
        if state is None:
            return None
    if tail and not _may_continue(g, state, tail):
        return None
    return State(state.mode, state.buf, state.ctx, tail)


_KINDS = {NUM: "numbers", QUOTE: "quoted", NAME: "words", SLOT: "slots"}


def _may_continue(g: Grounding, st: State, tail: bytes) -> bool:
    """Whether the incomplete character ``tail`` can still become one the lexeme in progress allows: one that
    goes on with an allowed string, or one that closes the lexeme (a space, a bracket, an ending)."""
    if st.mode not in _KINDS:
        return True                      # free text: some character always fits
    values = g._sorted[_KINDS[st.mode]]
    n = len(st.buf)
    for i in range(bisect.bisect_left(values, st.buf), len(values)):
        value = values[i]
        if not value.startswith(st.buf):
            break
        if len(value) > n and value[n].encode("utf-8").startswith(tail):
            return True
    return can_end(g, st) and any(feed(g, st, ch) is not None for ch in _chars_starting(tail))


@lru_cache(maxsize=256)
def _chars_starting(tail: bytes) -> tuple[str, ...]:
    """The characters of two and three UTF-8 bytes whose encoding starts with ``tail`` (four-byte ones, such
    as emoji, never continue a lexeme)."""
    size = 2 if tail[0] < 0xE0 else 3 if tail[0] < 0xF0 else 4
    if size == 4:
        return ()
    out = []
    for rest in product(range(0x80, 0xC0), repeat=size - len(tail)):
        try:
            out.append((tail + bytes(rest)).decode("utf-8"))
        except UnicodeDecodeError:
            continue
    return tuple(out)


def can_end(g: Grounding, st: State) -> bool:
    """The text may stop here (end of sequence): no lexeme is left open."""
    if st.tail:
        return False
    if st.mode == NUM:
        return st.buf.rstrip(JOINERS) in g.numbers
    if st.mode == NAME:
        return st.buf in g.words
    if st.mode == SUFFIX_EN:
        return st.buf in _EN_ORDINALS
    return st.mode not in (QUOTE, SLOT)


def start(g: Grounding, prompt: str) -> State:
    """The state at the end of the prompt's last line (a lead may open a lexeme the model completes)."""
    state = State()
    for ch in prompt.rsplit("\n", 1)[-1]:
        state = feed(g, state, ch) or State(FREE, "", (state.ctx + ch)[-_CTX:])
    return state


def allows_text(g: Grounding, text: str, prompt: str = "") -> bool:
    """Whether ``text`` after ``prompt`` keeps the constraint and ends with no lexeme open (for tests)."""
    state: State | None = start(g, prompt)
    for ch in text:
        state = feed(g, state, ch)
        if state is None:
            return False
    return can_end(g, state)


def _signature(ctx: str) -> str:
    """What free text's verdicts depend on: the kinds of its last characters (digit, letter, space, joiner)."""
    return "".join("d" if c.isdigit() else "a" if c.isalpha() else c if c in JOINERS else "o" for c in ctx[-4:])


class TokenTable:
    """The bytes of every token of a tokenizer and which tokens are plain (free in free text); with a
    ``language``, a token with a letter of the other script is not plain (:attr:`Grounding.language`)."""

    def __init__(self, tokenizer: Any, vocab_size: int, language: str | None = None):
        def opaque(c: str) -> bool:          # a character free text cannot take without reading it
            return c.isdigit() or c.isupper() or c in "«»⟦" or foreign_letter(language, c)

        self.language = language
        special = set(getattr(tokenizer, "all_special_ids", []) or [])
        decoder = _byte_decoder()
        pieces = tokenizer.convert_ids_to_tokens(list(range(min(vocab_size, len(tokenizer)))))
        self.bytes: list[bytes | None] = [None] * vocab_size
        self.plain = [False] * vocab_size   # a list: it is read one token at a time in the walk
        for i, piece in enumerate(pieces):
            if i in special or piece is None:
                continue
            if all(c in decoder for c in piece):
                data = bytes(decoder[c] for c in piece)
            else:  # not a byte-level vocabulary
                data = tokenizer.decode([i]).encode("utf-8")
            self.bytes[i] = data
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            self.plain[i] = not any(opaque(c) for c in text)
        #: the same as an array, for a vectorised look at a row's best tokens
        self.plain_mask = np.array(self.plain, dtype=bool)
        # what decides most verdicts without reading the whole token (RowConstraint._flags): its first character
        # (an index into ``first_chars``; -1 when its bytes do not start with a complete one), whether the
        # rest is plain (then it cannot break the free text its first character leaves), the same for the
        # second character, and whether its first byte cannot go on with an incomplete character
        self.first = np.full(vocab_size, -1, dtype=np.int32)
        self.rest_plain = np.zeros(vocab_size, dtype=bool)
        self.second = np.full(vocab_size, -1, dtype=np.int32)
        self.rest2_plain = np.zeros(vocab_size, dtype=bool)
        self.no_cont = np.zeros(vocab_size, dtype=bool)
        #: not UTF-8 even as the start of a longer text (refused after a complete character: see advance)
        self.broken = np.zeros(vocab_size, dtype=bool)
        #: plain text that ends in an incomplete character (allowed in free text, as a plain token is)
        self.plain_open = np.zeros(vocab_size, dtype=bool)
        #: the tokens that are only the start of a character, by their bytes (``opens``: the same as an array)
        self.opening: dict[bytes, int] = {}
        chars: dict[str, int] = {}
        for i, data in enumerate(self.bytes):
            if not data:
                continue
            self.no_cont[i] = not 0x80 <= data[0] < 0xC0
            try:
                text = data.decode("utf-8")
                rest = [opaque(c) for c in text[1:]]
                self.rest_plain[i], self.rest2_plain[i] = not any(rest), not any(rest[1:])
            except UnicodeDecodeError as exc:
                text = data[:exc.start].decode("utf-8")
                self.broken[i] = exc.reason != "unexpected end of data" or exc.end != len(data)
                self.plain_open[i] = not self.broken[i] and not any(opaque(c) for c in text)
                if not text and not self.broken[i]:
                    self.opening[data] = i
            if text:
                self.first[i] = chars.setdefault(text[0], len(chars))
            if len(text) > 1:
                self.second[i] = chars.setdefault(text[1], len(chars))
        self.first_chars = tuple(chars)
        self.char_index = chars
        #: per character of first_chars: a letter or a combining mark (what cannot close a name)
        self.letter = np.array([c.isalpha() or unicodedata.category(c).startswith("M") for c in chars], dtype=bool)
        self.opens = np.zeros(vocab_size, dtype=bool)
        self.opens[list(self.opening.values())] = True
        #: ids from here on never write text (an embedding larger than the tokenizer's vocabulary) ...
        self.usable_end = max((i + 1 for i, b in enumerate(self.bytes) if b is not None), default=0)
        #: ... nor do these below it (special tokens)
        self.unusable = np.array([i for i, b in enumerate(self.bytes[:self.usable_end]) if b is None], dtype=np.int64)


def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-to-unicode table, inverted (the characters byte-level BPE pieces are written in)."""
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    return {c: b for b, c in bytes_to_unicode().items()}


class Nucleus:
    """The sampler's top-p cut over the allowed tokens a walk finds, best first: decided once the tokens found
    give the same cut whatever the unvisited ones are (each scores at most the last one found, and top-k takes
    at most ``keep`` in all). The walk may stop there: the sampler keeps the same tokens and draws the same one
    as if it had found all ``keep``, whose probabilities it renormalises over the kept ones alone."""

    #: a partial sum this close to the cut (relative) counts as undecided: the sampler computes in float32
    MARGIN = 1e-4

    def __init__(self, keep: int, temperature: float, top_p: float):
        self.keep, self.temperature, self.top_p = keep, temperature, top_p
        self.scores: list[float] = []     # the found tokens' penalised scores, best first
        self.sums: list[float] = [0.0]    # S_j: their exp((score - best) / temperature), summed best first

    def add(self, score: float, following: float | None) -> bool:
        """Count one more allowed token (its penalised score; best first); ``following`` is the score of the
        token the walk would visit next (None: not known yet). True when the cut is decided: every found token
        and the next are on a known side of it, and no tie straddles it (the sampler orders tied tokens as they
        come, and which come depends on what is banned)."""
        self.scores.append(float(score))
        self.sums.append(self.sums[-1] + float(np.exp((self.scores[-1] - self.scores[0]) / self.temperature)))
        m = len(self.scores)
        if not math.isfinite(self.sums[-1]):                 # a NaN score: no bound holds, walk on
            return False
        low = self.sums[-1]                                  # the total the sampler's top-k may see, at least ...
        high = low + (self.keep - m) * (self.sums[-1] - self.sums[-2])   # ... and at most
        cut_low, cut_high = self.top_p * low * (1 - self.MARGIN), self.top_p * high * (1 + self.MARGIN)
        # token j is kept iff S_{j-1} < top_p x total: decided for every found token and for the next one
        if self.sums[-1] < cut_high or any(cut_low <= s < cut_high for s in self.sums[:-1]):
            return False
        kept = sum(s < cut_low for s in self.sums[:-1])      # the found tokens the cut keeps (at least one)
        after = self.scores[kept] if kept < m else following
        return after is not None and after < self.scores[kept - 1]


class RowConstraint:
    """One row's grounding while it decodes: masks candidates, then follows the chosen token."""

    def __init__(self, grounding: Grounding, table: TokenTable, eos_token_id: int | None, prompt: str):
        if table.language != grounding.language:
            raise ValueError(f"a token table for language {table.language!r} cannot mask a row of "
                             f"language {grounding.language!r}")
        self.g = grounding
        self.table = table
        self.eos = eos_token_id
        self._verdicts: dict[tuple[str, bytes, int], bool] = {}
        self._cont_cache: dict[tuple[int, str], frozenset[str]] = {}
        self._follow(start(grounding, prompt))

    def _check(self, token: int) -> State | None:
        """The state after ``token``, or None when the token breaks the constraint (cached per step)."""
        if token in self._next:
            return self._next[token]
        st = self.state
        if token == self.eos:
            nxt = st if can_end(self.g, st) else None
        elif token >= len(self.table.bytes) or self.table.bytes[token] is None:
            nxt = None
        elif self._plain(token):
            nxt = State(FREE, "", (st.ctx + self.table.bytes[token].decode("utf-8"))[-_CTX:])
        else:
            nxt = advance(self.g, st, self.table.bytes[token])
        self._next[token] = nxt
        return nxt

    def _allows(self, token: int) -> bool:
        if not self._free:
            return self._check(token) is not None
        # in free text a plain token is always allowed: a table look-up, no state built until it is chosen;
        # any other token's verdict depends only on the kinds of the last few characters: cached by them
        if self._plain(token):
            return True
        key = (self._sig, self.state.tail, token)
        if key not in self._verdicts:
            self._verdicts[key] = self._check(token) is not None
        return self._verdicts[key]

    def _plain(self, token: int) -> bool:
        """In free text with no partial character, a plain token is allowed and only extends the text."""
        return self._free and not self.state.tail and self.table.plain[token]

    def mask(self, scores: np.ndarray, keep: int, cut: tuple[float, float] | None = None) -> int:
        """Ban (set to -inf) every token of ``scores`` (V,) that breaks the constraint and ranks above the
        ``keep``-th allowed one; returns how many allowed tokens were found (0: the row cannot go on). With
        ``cut`` = (temperature, top_p) of a sampled row, the walk stops as soon as the allowed tokens found
        decide the sampler's top-p cut (:class:`Nucleus`). :func:`mask_rows` does the same for many rows."""
        V = self.prepare(scores)
        row = scores[:V]
        if self._free and not self.state.tail and keep < V:
            # free text: when the k best are all plain tokens, they are the k best allowed ones
            top = np.argpartition(-row, keep - 1)[:keep]
            if self.table.plain_mask[top].all() and np.isfinite(row[top]).all():
                return keep
        return self._walk(row, keep, cut)

    def prepare(self, scores: np.ndarray) -> int:
        """Ban the ids of ``scores`` (V,) that never write text, and end of sequence where the text may not end;
        returns how many ids the walk looks at."""
        end = min(scores.shape[0], self.table.usable_end)
        eos = scores[self.eos] if self.eos is not None and self.eos < scores.shape[0] else None
        scores[end:] = -np.inf
        scores[self.table.unusable[self.table.unusable < end]] = -np.inf
        if eos is not None:                 # end of sequence is a special token: allowed where the text may end
            scores[self.eos] = eos if can_end(self.g, self.state) else -np.inf
        return max(end, self.eos + 1) if eos is not None else end

    def _walk(self, row: np.ndarray, keep: int, cut: tuple[float, float] | None = None) -> int:
        """:meth:`mask` on ``row`` (the usable ids) once the ids that never write text are banned and the
        free-text check of the ``keep`` best has failed (or does not apply): walk the tokens best first."""
        V = row.shape[0]
        nucleus = Nucleus(keep, *cut) if cut and cut[0] > 0 and cut[1] < 1.0 and keep > 1 else None
        known = None
        if not (self._free and not self.state.tail) and not np.isnan(row).any():
            # inside a lexeme or a character: few tokens are allowed. When fewer than ``keep`` can be, the walk
            # visits every token that is not banned, in whatever order: no ranking needed
            finite = np.flatnonzero(row > -np.inf)
            flags = self._flags(finite)
            if np.count_nonzero(flags) < keep:
                return self._resolve(row, finite, flags, keep)[0]
            known = np.full(V, -1, dtype=np.int8)
            known[finite] = flags
        found, width, seen = 0, min(V, 2 * keep + 16), None
        while True:
            top = np.argpartition(-row, width - 1)[:width] if width < V else np.arange(V)
            order = top[np.argsort(-row[top], kind="stable")]
            if seen is not None:
                order = order[~seen[order]]
            stop = np.flatnonzero(row[order] == -np.inf)      # the walk ends at the first banned token
            if stop.size:
                order = order[:stop[0]]
            got, done = self._resolve(row, order, self._flags(order) if known is None else known[order], keep - found,
                                      nucleus)
            found += got
            if done or stop.size or width >= V:
                return found
            if seen is None:
                seen = np.zeros(V, dtype=bool)
            seen[order] = True
            width = min(V, width * 4)

    def _flags(self, order: np.ndarray) -> np.ndarray:
        """What arrays tell of the tokens ``order`` in this state: 1 allowed, 0 refused, -1 ask :meth:`_allows`.

        The same verdicts :meth:`_allows` gives: a plain token in free text is allowed; after an incomplete
        character, a token whose first byte cannot continue it is refused; a token that is not UTF-8 is
        refused; inside a lexeme, a token whose first character (or first two) the lexeme refuses is refused,
        one whose first character (or two) closes the lexeme and whose rest is plain is allowed (:func:`advance`
        reads the characters in order). Only the rest ask :meth:`_allows` (whose free-text cache they fill
        as before; what it holds for the tokens decided here is what these arrays say)."""
        st, table = self.state, self.table
        flags = np.full(order.size, -1, dtype=np.int8)    # 1 allowed, 0 refused, -1 not known yet
        if st.tail:
            flags[table.no_cont[order]] = 0
        elif self._free:
            flags[table.plain_mask[order] | table.plain_open[order]] = 1
            flags[table.broken[order]] = 0
        else:
            codes = table.first[order]
            known = np.flatnonzero(codes >= 0)
            verdict = np.full(order.size, -1, dtype=np.int8)
            verdict[known] = self._chars(st, codes[known])
            flags[verdict == 0] = 0
            flags[(verdict == 2) & table.rest_plain[order]] = 1   # free text of plain characters follows
            flags[table.broken[order]] = 0
            # the same for the second character, after the state the first one left
            seconds = table.second[order]
            two = np.flatnonzero((flags < 0) & (verdict > 0) & (seconds >= 0))
            if two.size:
                cat = np.empty(two.size, dtype=np.int8)
                firsts = codes[two]
                for c in np.unique(firsts).tolist():
                    at = np.flatnonzero(firsts == c)
                    cat[at] = self._chars(self._after[st][c], seconds[two[at]])
                flags[two[cat == 0]] = 0
                flags[two[(cat == 2) & table.rest2_plain[order[two]]]] = 1
            # a token that only starts a character: whether that character can go on with the lexeme
            opens = np.flatnonzero(table.opens[order] & (flags < 0))
            if opens.size:
                if st.mode not in _KINDS:
                    flags[opens] = 1
                elif not can_end(self.g, st):                 # then only an allowed string can go on
                    starts = [table.opening[p] for p in self._starts(st) if p in table.opening]
                    flags[opens] = np.isin(order[opens], starts)
        if self.eos is not None:
            flags[order == self.eos] = -1                  # end of sequence: can_end decides (in _check)
        return flags

    def _chars(self, st: State, codes: np.ndarray) -> np.ndarray:
        """Per character ``table.first_chars[code]`` after the state ``st`` (no partial character): 0 it breaks
        the constraint, 1 a lexeme goes on, 2 free text follows (cached per state for the step; the state after
        each is kept in ``_after``). Inside a name, a quoted name or a slot, the characters that
        go on with no allowed string and cannot close it are refused without :func:`feed`."""
        table = self.table
        if st not in self._char_verdicts:
            self._char_verdicts[st] = np.full(len(table.first_chars), -1, dtype=np.int8)
            self._after[st] = {}
        out, after = self._char_verdicts[st], self._after[st]
        todo = np.unique(codes[out[codes] < 0])
        if todo.size:
            if st.mode in (NAME, QUOTE, SLOT):
                conts = [table.char_index[ch] for ch in self._conts(st) if ch in table.char_index]
                fed = np.isin(todo, conts)
                if st.mode == NAME and st.buf in self.g.words:
                    fed |= ~table.letter[todo]                    # may close the name
                out[todo[~fed]] = 0
                todo = todo[fed]
            for c in todo.tolist():
                nxt = after[c] = feed(self.g, st, table.first_chars[c])
                out[c] = 0 if nxt is None else 2 if nxt.mode == FREE else 1
        return out[codes]

    def _conts(self, st: State) -> frozenset[str]:
        """The characters that go on with some allowed string of the lexeme ``st`` is writing."""
        key = (st.mode, st.buf)
        if key not in self._cont_cache:
            values, n = self.g._sorted[_KINDS[st.mode]], len(st.buf)
            out = set()
            for i in range(bisect.bisect_left(values, st.buf), len(values)):
                if not values[i].startswith(st.buf):
                    break
                if len(values[i]) > n:
                    out.add(values[i][n])
            self._cont_cache[key] = frozenset(out)
        return self._cont_cache[key]

    def _starts(self, st: State) -> set[bytes]:
        """The incomplete UTF-8 prefixes of the characters in :meth:`_conts`."""
        return {e[:k] for ch in self._conts(st) for e in (ch.encode("utf-8"),) for k in range(1, len(e))}

    def _resolve(self, row: np.ndarray, order: np.ndarray, flags: np.ndarray, need: int,
                 nucleus: Nucleus | None = None) -> tuple[int, bool]:
        """Visit the tokens ``order`` best first with their ``flags`` (:meth:`_flags`, changed in place): ban
        each one the constraint refuses until ``need`` allowed ones are found (or, with ``nucleus``, until the
        allowed ones found decide the top-p cut); only the tokens visited ask :meth:`_allows`. Returns how many
        were found and whether the walk is done."""
        if order.size == 0:
            return 0, False
        if nucleus is not None:
            return self._resolve_nucleus(row, order, flags, need, nucleus)
        unknown = np.flatnonzero(flags < 0)
        if unknown.size:
            allowed_before = np.cumsum(flags == 1).tolist()   # initially known allowed ones up to each place
            got = 0
            for i, token in zip(unknown.tolist(), order[unknown].tolist()):
                if allowed_before[i] + got >= need:
                    break
                if self._allows(token):
                    flags[i] = 1
                    got += 1
                else:
                    flags[i] = 0
        allowed = np.flatnonzero(flags == 1)
        if allowed.size >= need:
            last = allowed[need - 1]
            row[order[:last][flags[:last] == 0]] = -np.inf
            return need, True
        row[order[flags == 0]] = -np.inf
        return int(allowed.size), False

    def _resolve_nucleus(self, row: np.ndarray, order: np.ndarray, flags: np.ndarray, need: int,
                         nucleus: Nucleus) -> tuple[int, bool]:
        """:meth:`_resolve` token by token in rank order, asking ``nucleus`` after each allowed one."""
        found, tokens = 0, order.tolist()
        for i, token in enumerate(tokens):
            if flags[i] < 0:
                flags[i] = 1 if self._allows(token) else 0
            if flags[i] == 1:
                found += 1
                following = row[tokens[i + 1]] if i + 1 < len(tokens) else None
                if found >= need or nucleus.add(row[token], following):
                    refused = order[:i][flags[:i] == 0]
                    row[refused] = -np.inf
                    return found, True
        row[order[flags == 0]] = -np.inf
        return found, False

    def accept(self, token: int) -> None:
        """Follow the chosen token."""
        nxt = self._check(token)
        if nxt is None:
            raise ValueError(f"token {token} breaks the grounding constraint")
        self._follow(nxt)

    def _follow(self, state: State) -> None:
        self.state = state
        self._free = state.mode == FREE
        self._sig = _signature(state.ctx)
        self._next = {}
        #: per first character inside a lexeme: -1 not known yet, 0 refused, 1 the lexeme goes on, 2 it closes
        #: per state met inside a lexeme this step: a verdict per character (:meth:`_chars`), the states after
        self._char_verdicts: dict[State, np.ndarray] = {}
        self._after: dict[State, dict[int, State | None]] = {}


def mask_rows(constraints: Sequence[RowConstraint], scores: np.ndarray, rows: Sequence[int],
              keeps: Sequence[int], cuts: Sequence[tuple[float, float] | None] | None = None) -> list[int]:
    """:meth:`RowConstraint.mask` of row ``rows[i]`` of ``scores`` (B, V) under ``constraints[i]`` keeping
    ``keeps[i]`` (with ``cuts[i]``), for all of them at once: the same bans and the same counts. What every row
    does alike is done in a few array operations over all of them (banning the ids that never write text, end of
    sequence, and the free-text check of the k best: one argpartition for the rows with the same k); only the
    rows that fail that check walk their tokens (:meth:`RowConstraint._walk`)."""
    found = [0] * len(constraints)
    groups: dict[tuple[int, int | None], list[int]] = {}
    for i, c in enumerate(constraints):
        groups.setdefault((id(c.table), c.eos), []).append(i)
    width = scores.shape[1]
    for members in groups.values():
        table, eos = constraints[members[0]].table, constraints[members[0]].eos
        idx = np.array([rows[i] for i in members], dtype=np.int64)
        end = min(width, table.usable_end)
        has_eos = eos is not None and eos < width
        eos_scores = scores[idx, eos] if has_eos else None      # a copy (advanced indexing)
        scores[idx, end:] = -np.inf
        unusable = table.unusable[table.unusable < end]
        if unusable.size:
            scores[np.ix_(idx, unusable)] = -np.inf
        if has_eos:  # end of sequence is a special token: allowed where the text may end
            ends = np.array([can_end(constraints[i].g, constraints[i].state) for i in members], dtype=bool)
            scores[idx, eos] = np.where(ends, eos_scores, -np.inf)
        V = max(end, eos + 1) if has_eos else end
        walk, free = [], {}
        for i in members:
            c = constraints[i]
            if c._free and not c.state.tail and keeps[i] < V:
                free.setdefault(keeps[i], []).append(i)
            else:
                walk.append(i)
        for keep, group in free.items():
            # free text: when the k best are all plain tokens, they are the k best allowed ones
            sub = scores[np.array([rows[i] for i in group], dtype=np.int64), :V]
            top = np.argpartition(-sub, keep - 1, axis=1)[:, :keep]
            ok = table.plain_mask[top].all(axis=1) & np.isfinite(np.take_along_axis(sub, top, axis=1)).all(axis=1)
            for i, passed in zip(group, ok.tolist()):
                if passed:
                    found[i] = keep
                else:
                    walk.append(i)
        for i in walk:
            found[i] = constraints[i]._walk(scores[rows[i], :V], keeps[i], cuts[i] if cuts else None)
    return found
