"""The continuous-batching decode engine: schedule -> execute -> update, one decode step per call.

    step():  plan = scheduler.schedule()             who runs (newsgen.generation.scheduler)
             drafts = propose(row) per running row    prompt lookup (newsgen.generation.lookup), optional
             logits = batch.decode(drafts)            one forward: each running row's pending token + draft
             update(running, logits, drafts)          sample, follow grounding, check stop / EOS / length;
             batch.settle(kept)                       keep the draft's agreeing prefix, mask out the rest
             logits = batch.join(plan.joining)        prefill of the joining rows, merged into the batch
             update(joining, logits)                  their first token
             batch.drop(finished)                     finished rows leave; their KV columns are freed

Rows of one batch may come with different few-shot prefixes: the batch shares the KV of one prefix (the
first cached one to join; another takes its place once its rows have left), and a row with another prefix
carries its own prefix KV in its row cache with the shared columns masked out. Each row keeps its own
positions, RNG and grounding state, so its text is what it would be alone (up to float rounding of the
batched arithmetic).

Speculative decoding by prompt lookup: a drafted token is verified by choosing the token at its position
exactly as plain decoding would (same penalties, grounding mask and one uniform draw from the row's RNG)
and is kept only when that choice equals it. For a draft that is one fixed token, this is the standard
accept/reject rule (accept with probability min(1, p/q) = p(token), otherwise a draw from the rest of p)
realised with plain decoding's own draw, so the text is token for token what plain decoding writes, greedy
or sampled, and a token grounding forbids is never accepted (its p is 0). Rejected positions stay in the KV
cache with their mask set to 0.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from newsgen.errors import GenerationError
from newsgen.generation.base import GenerationRequest, GenerationResult
from newsgen.generation.grounding import RowConstraint
from newsgen.generation.lookup import propose
from newsgen.generation.sampling import choose_batch
from newsgen.generation.scheduler import Scheduler
from newsgen.metrics import observe_drafts

if TYPE_CHECKING:
    from newsgen.generation.decode import DecodingGenerator


@dataclass(eq=False)
class Row:
    """One request while it decodes."""

    request: GenerationRequest
    handle: Any                          # the caller's key for the result
    prefix_ids: list[int]
    suffix: list[int]
    constraint: RowConstraint | None
    rng: np.random.Generator
    limit: int                           # new tokens it may write (max_new_tokens, the context)
    stop_window: int                     # tokens decoded to look for a stop string
    queued_at: float
    generated: list[int] = field(default_factory=list)
    finish: str | None = None
    pending: int = -1                    # the token to feed at the next step
    position: int = 0                    # its position
    timings: dict[str, float] = field(default_factory=dict)
    steps: int = 0                       # decode steps it took part in
    drafted: int = 0                     # prompt-lookup tokens proposed / accepted
    accepted: int = 0

    @property
    def prompt_tokens(self) -> int:
        return len(self.prefix_ids) + len(self.suffix)


class RunningBatch:
    """The KV cache of the running rows and its attention mask (B, P0+S): model execution, no policy."""

    def __init__(self, gen: DecodingGenerator):
        self.gen, self.runner = gen, gen.runner
        self.rows: list[Row] = []
        self.past: Any = None
        self.mask = np.zeros((0, 0), dtype=np.int64)
        self.shared: str | None = None   # the prefix whose KV the batch shares
        self.prefix_len = 0              # its cached tokens (P0)

    def decode(self, drafts: list[list[int]]) -> np.ndarray:
        """One step for every row of the batch (in its order): feed each row's pending token and its draft;
        logits (B, T, V) of the T = 1 + longest draft new positions (shorter drafts are padded, masked)."""
        if not self.rows:
            return np.zeros((0, 1, 0), dtype=np.float32)
        B, T = len(self.rows), 1 + max(map(len, drafts))
        ids = np.zeros((B, T), dtype=np.int64)
        new = np.zeros((B, T), dtype=np.int64)
        for b, (r, d) in enumerate(zip(self.rows, drafts)):
            ids[b, :1 + len(d)] = [r.pending, *d]
            new[b, :1 + len(d)] = 1
        last = self.gen.max_context - 1     # padding positions only need to be valid embeddings
        positions = np.minimum(np.array([[r.position] for r in self.rows]) + np.arange(T), last)
        self.mask = np.concatenate([self.mask, new], axis=1)
        logits, self.past = self.runner.forward(ids, self.mask, positions, self.past, all_logits=T > 1)
        return logits if T > 1 else logits[:, None]

    def settle(self, kept: list[int], fed: int) -> None:
        """After a step that fed ``fed`` positions: row b keeps its pending token and ``kept[b]`` drafted ones
        (their positions advance); the other new columns are masked out for good."""
        for b, (r, k) in enumerate(zip(self.rows, kept)):
            self.mask[b, self.mask.shape[1] - fed + 1 + k:] = 0
            r.position += 1 + k

    def join(self, rows: list[Row]) -> np.ndarray:
        """Prefill the joining rows (one forward per prefix) and add them to the batch; (n, V) logits."""
        groups: dict[str, list[Row]] = {}
        for r in rows:
            groups.setdefault(r.request.prefix, []).append(r)
        order = sorted(groups, key=lambda p: (p != self.shared, -len(groups[p])))  # the shared prefix first
        logits = {}
        for prefix in order:
            t0 = time.perf_counter()
            group_logits, past, mask, cached = self._prefill(prefix, groups[prefix])
            self._merge(groups[prefix], past, mask, prefix if cached else None, cached)
            spent = (time.perf_counter() - t0) * 1e3
            for r, row_logits in zip(groups[prefix], group_logits):
                logits[id(r)] = row_logits
                r.timings["prefill_ms"] = spent
        return np.stack([logits[id(r)] for r in rows]) if rows else np.zeros((0, 0), dtype=np.float32)

    def _prefill(self, prefix: str, rows: list[Row]) -> tuple[np.ndarray, Any, np.ndarray, int]:
        """Left-padded prefill over the prefix's cached KV: logits (n, V), cache, mask (n, P0+W), P0."""
        prefix_ids, prefix_past, prefix_logits = self.gen._prefix(prefix)
        cached = len(prefix_ids) if prefix_past is not None else 0
        tokens = [r.suffix if cached else r.prefix_ids + r.suffix for r in rows]
        n, width = len(rows), max(len(t) for t in tokens)
        ids = np.zeros((n, width), dtype=np.int64)
        mask = np.zeros((n, cached + width), dtype=np.int64)
        mask[:, :cached] = 1
        for b, t in enumerate(tokens):
            if t:
                ids[b, width - len(t):] = t
                mask[b, cached + width - len(t):] = 1
        positions = np.clip(np.cumsum(mask, axis=1) - 1, 0, None)[:, cached:]
        past = self.runner.expand_past(prefix_past, n) if cached else None
        if width:
            logits, past = self.runner.forward(ids, mask, positions, past)
            # a prompt that is exactly its prefix: its next token comes from the prefix's last position
            empty = [b for b, t in enumerate(tokens) if not t]
            if empty:
                logits[empty] = prefix_logits[0]
        else:
            logits = np.repeat(prefix_logits, n, axis=0)
        for r, t in zip(rows, tokens):
            r.position = cached + len(t)
        return logits, past, mask, cached

    def _merge(self, rows: list[Row], past: Any, mask: np.ndarray, prefix: str | None, cached: int) -> None:
        if not self.rows:
            self.rows, self.past, self.mask = list(rows), past, mask
            self.shared, self.prefix_len = prefix, cached
            return
        if cached and not self.prefix_len:                     # no shared prefix yet: these rows' becomes it
            self.past = self.runner.share_prefix(self.past, past)
            self.mask = np.concatenate([np.zeros((len(self.rows), cached), dtype=np.int64), self.mask], axis=1)
            self.shared, self.prefix_len = prefix, cached
        P0 = self.prefix_len
        if cached and prefix != self.shared:                   # another prefix: its KV goes into the rows
            past, cached = self.runner.inline_prefix(past), 0
        if not cached:                                         # no shared columns for these rows
            mask = np.concatenate([np.zeros((len(rows), P0), dtype=np.int64), mask], axis=1)
        self.past = self.runner.concat_rows(self.past, past)
        width = P0 + self.past.length
        self.mask = np.concatenate([_pad(self.mask, width), _pad(mask, width)], axis=0)
        self.rows += rows

    def drop(self, finished: list[Row]) -> None:
        """Finished rows leave; columns no row attends to any more are freed."""
        if not finished:
            return
        gone = {id(r) for r in finished}
        keep = [b for b, r in enumerate(self.rows) if id(r) not in gone]
        if not keep:
            self.__init__(self.gen)  # type: ignore[misc]
            return
        self.rows = [self.rows[b] for b in keep]
        self.past = self.runner.select_rows(self.past, keep)
        self.mask = self.mask[keep]
        if self.prefix_len and not self.mask[:, :self.prefix_len].any():   # its rows have all left
            self.past = self.runner.share_prefix(self.past, None)
            self.mask, self.shared, self.prefix_len = self.mask[:, self.prefix_len:], None, 0
        P0 = self.prefix_len
        used = np.flatnonzero(self.mask[:, P0:].any(axis=0))
        if len(used) < self.past.length - 16 and len(used) < 0.75 * self.past.length:
            self.past = self.runner.keep_columns(self.past, used.tolist())
            self.mask = np.concatenate([self.mask[:, :P0], self.mask[:, P0:][:, used]], axis=1)


def _pad(mask: np.ndarray, width: int) -> np.ndarray:
    return np.pad(mask, ((0, 0), (0, width - mask.shape[1])))


class DecodeEngine:
    """Requests in (``add``), finished results out (``step``), rows joining and leaving at every step."""

    def __init__(self, gen: DecodingGenerator, max_batch: int, lookup: int = 0, lookup_max_batch: int = 8):
        self.gen = gen
        #: prompt-lookup draft tokens per step (0 = off), drafted while the batch has at most
        #: ``lookup_max_batch`` rows (a bigger batch is compute-bound: verifying costs more than it saves)
        self.lookup = lookup if getattr(gen.runner, "all_logits", False) else 0
        self.lookup_max_batch = lookup_max_batch
        self.scheduler: Scheduler[Row] = Scheduler(max_batch)
        self.batch = RunningBatch(gen)
        self._ready: list[tuple[Any, GenerationResult]] = []

    @property
    def has_work(self) -> bool:
        return self.scheduler.has_work or bool(self._ready)

    def add(self, request: GenerationRequest, handle: Any) -> None:
        """Queue a request; raises :class:`GenerationError` for one that cannot run (an empty prompt)."""
        gen = self.gen
        prefix_ids = gen.encode(request.prefix)
        suffix = gen.encode(request.prompt[len(request.prefix):])
        if not prefix_ids and not suffix:
            raise GenerationError("empty prompt")
        n = len(prefix_ids) + len(suffix)
        if n + 1 > gen.max_context:  # no text; its batch mates run as if alone
            self._ready.append((handle, GenerationResult(text="", prompt_tokens=n, new_tokens=0,
                                                         finish_reason="context", backend=gen.backend)))
            return
        p = request.sampling
        self.scheduler.add(Row(request=request, handle=handle, prefix_ids=prefix_ids, suffix=suffix,
                               constraint=None, rng=np.random.default_rng(p.seed),
                               limit=min(p.max_new_tokens, gen.max_context - n),
                               stop_window=max((len(s.encode()) for s in p.stop), default=0) + 1,
                               queued_at=time.perf_counter()))

    def step(self) -> list[tuple[Any, GenerationResult]]:
        """Run one decode step; returns the results of the rows that finished in it."""
        done, self._ready = self._ready, []
        plan = self.scheduler.schedule()
        if not plan.running and not plan.joining:
            return done
        started = time.perf_counter()
        for r in plan.joining:
            r.timings["queue_ms"] = (started - r.queued_at) * 1e3
            r.timings["batch_size"] = len(plan.running) + len(plan.joining)
        running = list(self.batch.rows)                  # the batch's order (joiners are grouped by prefix)
        assert len(running) == len(plan.running)
        drafts = [self._draft(r) for r in running] if len(running) <= self.lookup_max_batch else [[]] * len(running)
        decoded = self.batch.decode(drafts)
        if running:  # settled before the joiners' cache widens the batch's
            kept = self._update(running, [decoded[b] for b in range(len(running))], drafts)
            self.batch.settle(kept, decoded.shape[1])
        if plan.joining:
            joined = self.batch.join(plan.joining)
            self._update(plan.joining, [joined[b][None] for b in range(len(plan.joining))], [[]] * len(plan.joining))
        rows = running + plan.joining
        finished = [r for r in rows if r.finish is not None]
        self.batch.drop(finished)
        self.scheduler.finished(finished)
        now = time.perf_counter()
        for r in finished:
            done.append((r.handle, self._result(r, now)))
        return done

    def _draft(self, r: Row) -> list[int]:
        """Prompt-lookup tokens to verify after ``r``'s pending token (within its token and context limits)."""
        room = min(self.lookup, r.limit - len(r.generated) - 1, self.gen.max_context - 1 - r.position)
        return propose(r.suffix + r.generated, room) if room > 0 else []

    def _update(self, rows: list[Row], logits: list[np.ndarray], drafts: list[list[int]]) -> list[int]:
        """Choose each row's tokens position by position (``logits[b]`` (T_b, V)) and follow them; a row goes
        on to its next position while its choice equals its draft. Returns the drafted tokens each row kept."""
        gen = self.gen
        for r in rows:
            if r.pending < 0 and r.request.grounding is not None:        # its first token: start grounding
                r.constraint = gen._constraint(r.request, logits[0].shape[-1])
            r.steps += 1
        kept = [0] * len(rows)
        open_ = list(range(len(rows)))
        for j in range(max(len(x) for x in logits)):
            if not open_:
                break
            picks = choose_batch(np.stack([logits[b][j] for b in open_]), [rows[b].generated for b in open_],
                                 [rows[b].request.sampling for b in open_], [rows[b].rng for b in open_],
                                 [rows[b].constraint for b in open_])
            still = []
            for b, tok in zip(open_, picks.tolist()):
                self._take(rows[b], tok)
                if rows[b].finish is None and j < len(drafts[b]) and tok == drafts[b][j]:
                    kept[b] += 1
                    still.append(b)
            open_ = still
        for r, d, k in zip(rows, drafts, kept):
            if d:
                r.drafted, r.accepted = r.drafted + len(d), r.accepted + k
                observe_drafts(len(d), k)
        return kept

    def _take(self, r: Row, tok: int) -> None:
        """Follow one chosen token of row ``r`` (-1: grounding allows none)."""
        if tok < 0:
            r.finish = "grounding"
            return
        r.pending = tok
        if r.constraint is not None:
            r.constraint.accept(tok)
        if tok == self.gen.eos_token_id:
            r.finish = "eos"
            return
        r.generated.append(tok)
        stop = r.request.sampling.stop
        if stop and any(s in self.gen.tokenizer.decode(r.generated[-r.stop_window:]) for s in stop):
            r.finish = "stop"
        elif len(r.generated) >= r.limit:
            r.finish = "length"

    def _result(self, r: Row, now: float) -> GenerationResult:
        text = self.gen.tokenizer.decode(r.generated)
        for s in r.request.sampling.stop:
            text = text.split(s, 1)[0]
        total = (now - r.queued_at) * 1e3
        queue_ms, prefill_ms = r.timings.get("queue_ms", 0.0), r.timings.get("prefill_ms", 0.0)
        timings = {"queue_ms": queue_ms, "prefill_ms": prefill_ms,
                   "decode_ms": max(0.0, total - queue_ms - prefill_ms), "total_ms": total,
                   "batch_size": r.timings.get("batch_size", 1), "decode_steps": r.steps,
                   "drafted_tokens": r.drafted, "accepted_tokens": r.accepted}
        return GenerationResult(text=text, prompt_tokens=r.prompt_tokens, new_tokens=len(r.generated),
                                finish_reason=r.finish or "length", backend=self.gen.backend, timings_ms=timings)

    def abort(self) -> list[Any]:
        """Drop every row and queued request (after a failed step); returns their handles."""
        handles = [r.handle for r in self.scheduler.drain()] + [h for h, _ in self._ready]
        self.batch = RunningBatch(self.gen)
        self._ready = []
        return handles
