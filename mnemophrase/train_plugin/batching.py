"""Rows to batches: which rows each rank reads at each step, and how they are collated.

The plan is computed once, identically on every rank, from the stages' row lists. Every
optimizer step holds rows of exactly one stage, so a stage switch never splits a batch;
within a step the rows are cut into world_size x grad_accum contiguous micro-batches whose
sizes differ by at most one row, so no rank is short of rows, none is padded with repeats,
and the union over ranks is the stage's rows exactly once.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from dataclasses import astuple, dataclass, field
from typing import Any

import numpy as np

from .errors import StagePluginError
from .formats import IGNORE_INDEX
from .protection import Protection


@dataclass(frozen=True)
class StageSpan:
    """A stage as placed in the plan: optimizer steps [start, end)."""

    name: str
    adapter: str
    lr: float | None
    start: int
    end: int
    rows: int
    protection: Protection = field(default_factory=Protection)

    @property
    def steps(self) -> int:
        return self.end - self.start


class MicroBatch(list):
    """Row ids of one micro-batch: the stage's own rows, then `earlier` earlier-stage rows.

    `learn_earlier`: the earlier rows are replay (their loss is trained); `keep_core`: they
    also carry the KL term's positions. A list, so a DataLoader passes it on unchanged.
    """

    def __init__(self, rows=(), earlier: int = 0, learn_earlier: bool = True,
                 keep_core: bool = False):
        super().__init__(rows)
        self.earlier, self.learn_earlier, self.keep_core = earlier, learn_earlier, keep_core


class BatchPlan:
    """Every step's rows for every rank, and the steps trained with the core switched off.

    Each stage's Protection applies here. `replay` share r adds round(n * r / (1 - r))
    earlier-stage rows to the stage's n own rows, spread evenly over its micro-batches, so r
    of each step's rows are replayed and the stage keeps its number of steps (keep_core
    alone adds rows the same way, at `Protection.earlier_share`). Earlier rows are drawn
    from every earlier stage's rows in a seeded permutation, a fresh one per pass: the same
    seed gives the same rows in the same order on every rank and after a resume.
    `core_dropout` p picks round(p * steps) of the stage's steps, seeded the same way.
    """

    def __init__(self, stage_rows: list[tuple[Any, np.ndarray]], *, batch_size: int,
                 grad_accum: int = 1, world_size: int = 1, seed: int = 0):
        if batch_size < 1 or grad_accum < 1 or world_size < 1:
            raise StagePluginError("batch size, accumulation steps and world size must be >= 1")
        self.batch_size, self.grad_accum, self.world_size = batch_size, grad_accum, world_size
        self.seed = seed
        per_step = world_size * grad_accum  # micro-batches in one optimizer step, all ranks
        self.chunks: list[MicroBatch] = []
        self.spans: list[StageSpan] = []
        self.core_off: set[int] = set()
        step = 0
        for k, (stage, rows) in enumerate(stage_rows):
            n = len(rows)
            if n < per_step:
                raise StagePluginError(
                    f"stage {stage.name!r} has {n} rows; {world_size} process(es) x {grad_accum} "
                    f"accumulation step(s) need at least {per_step}"
                )
            steps = -(-n // (batch_size * per_step))
            # a short last step would leave some micro-batch empty; spread over fewer steps
            # instead (each micro-batch then holds at most one row more than batch_size)
            steps = min(steps, n // per_step)
            protection = getattr(stage, "protection", None) or Protection()
            own = np.array_split(np.asarray(rows, dtype=np.int64), steps * per_step)
            share = protection.earlier_share
            pool = np.unique(np.concatenate([r for _, r in stage_rows[:k]])) if k else None
            if share and pool is None:
                raise StagePluginError(
                    f"stage {stage.name!r} runs first: it has no earlier rows to replay or keep")
            extra = self._earlier_rows(pool, round(n * share / (1 - share)), (seed, k)) \
                if share else np.zeros(0, dtype=np.int64)
            cuts = np.floor(np.arange(len(own) + 1) * len(extra) / len(own)).astype(np.int64)
            for j, chunk in enumerate(own):
                tail = extra[cuts[j]:cuts[j + 1]]
                self.chunks.append(MicroBatch(np.concatenate([chunk, tail]).tolist(),
                                              earlier=len(tail),
                                              learn_earlier=protection.replay > 0,
                                              keep_core=protection.keep_core > 0))
            if protection.core_dropout:
                picked = np.random.default_rng((seed, k, 1)).permutation(steps)
                self.core_off.update(
                    int(step + i) for i in picked[: round(protection.core_dropout * steps)])
            self.spans.append(StageSpan(stage.name, stage.adapter_name, stage.lr, step,
                                        step + steps, n, protection))
            step += steps
        self.total_steps = step
        self._starts = [s.start for s in self.spans]

    @staticmethod
    def _earlier_rows(pool: np.ndarray, count: int, seed) -> np.ndarray:
        rng = np.random.default_rng(seed)
        passes = -(-count // len(pool))
        return np.concatenate([rng.permutation(pool) for _ in range(passes)])[:count]

    def span_at(self, step: int) -> StageSpan:
        if not 0 <= step < self.total_steps:
            raise IndexError(f"step {step} outside the plan (0..{self.total_steps - 1})")
        return self.spans[bisect.bisect_right(self._starts, step) - 1]

    def micro_batches(self, step: int, rank: int) -> list[MicroBatch]:
        """This rank's micro-batches (row ids) for one optimizer step."""
        base = step * self.grad_accum * self.world_size
        return [self.chunks[base + a * self.world_size + rank] for a in range(self.grad_accum)]

    def rows_of_rank(self, rank: int) -> list[int]:
        return [r for s in range(self.total_steps)
                for mb in self.micro_batches(s, rank) for r in mb]

    def batch_sampler(self, rank: int = 0) -> StageBatchSampler:
        if not 0 <= rank < self.world_size:
            raise StagePluginError(f"rank {rank} outside world size {self.world_size}")
        return StageBatchSampler(self, rank)

    @property
    def fingerprint(self) -> str:
        """Changes whenever stages, rows, batch size, accumulation, world size or the ways to
        keep the core change."""
        h = hashlib.sha256()
        h.update(json.dumps([self.batch_size, self.grad_accum, self.world_size,
                             [[s.name, s.adapter, s.lr, s.start, s.end, *astuple(s.protection)]
                              for s in self.spans],
                             sorted(self.core_off)]).encode())
        for c in self.chunks:
            h.update(np.asarray([len(c), c.earlier], dtype=np.int64).tobytes())
            h.update(np.asarray(c, dtype=np.int64).tobytes())
        return h.hexdigest()[:16]

    def describe(self) -> str:
        return ", ".join(f"{s.name}: steps {s.start}-{s.end - 1} ({s.rows} rows)"
                         for s in self.spans)


class StageBatchSampler:
    """Yields one rank's micro-batches in plan order; a DataLoader `batch_sampler`.

    Rank-aware by itself, so it must not be sharded again (the Trainer path builds a plain
    DataLoader and does not pass it through `accelerator.prepare`). `accelerate`'s
    `skip_first_batches` wraps it on resume, which only needs iteration and len.
    """

    def __init__(self, plan: BatchPlan, rank: int):
        self.plan, self.rank = plan, rank

    def __iter__(self):
        for step in range(self.plan.total_steps):
            yield from self.plan.micro_batches(step, self.rank)

    def __len__(self) -> int:
        return self.plan.total_steps * self.plan.grad_accum


class FlatteningCollator:
    """Padding-free: a micro-batch becomes one row of shape [1, total_tokens].

    Transformers' `DataCollatorWithFlattening` does the work: position ids restart at 0 for
    each row (the model derives a block-diagonal causal mask from them, or FlashAttention
    its varlen boundaries), and the first label of each row becomes -100 so no row learns
    to predict the next row's first token.
    """

    def __init__(self, return_flash_attn_kwargs: bool = False):
        from transformers import DataCollatorWithFlattening

        self._inner = DataCollatorWithFlattening(
            return_position_ids=True, separator_id=IGNORE_INDEX,
            return_flash_attn_kwargs=return_flash_attn_kwargs,
        )

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = self._inner([{"input_ids": f["input_ids"], "labels": f["labels"]}
                             for f in features])
        # Transformers derives the per-row mask from position_ids only when no KV cache is
        # passed, and a Llama forward builds one whenever use_cache is on (the config
        # default, in training too). With the cache on, sdpa/eager attention silently
        # attends across row boundaries. Training never needs the cache.
        batch["use_cache"] = False
        kept = [i for i, f in enumerate(features) if "keep_core_labels" in f]
        if kept:
            import torch

            # earlier-stage rows are the micro-batch's last rows: their tokens are a suffix
            start = sum(len(f["input_ids"]) for f in features[: kept[0]])
            mask = torch.zeros_like(batch["input_ids"], dtype=torch.bool)
            pos = 0
            for f in features:
                n = len(f["input_ids"])
                if "keep_core_labels" in f:  # first token: no earlier position in its row
                    row = torch.as_tensor(f["keep_core_labels"][1:]) != IGNORE_INDEX
                    mask[0, pos + 1:pos + n] = row
                pos += n
            batch["keep_core_mask"], batch["keep_core_from"] = mask, start
        return batch


class PaddingCollator:
    """Classic right padding to the longest row of the micro-batch, labels padded with -100.

    `pad_to` pads to at least that width instead (fixed shapes, as `padding="max_length"`).
    """

    def __init__(self, pad_token_id: int, pad_to: int | None = None):
        self.pad_token_id = pad_token_id
        self.pad_to = pad_to

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        width = max(max(len(f["input_ids"]) for f in features), self.pad_to or 0)
        ids = torch.full((len(features), width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((len(features), width), IGNORE_INDEX, dtype=torch.long)
        mask = torch.zeros((len(features), width), dtype=torch.long)
        keep = torch.zeros((len(features), width), dtype=torch.bool)
        for i, f in enumerate(features):
            n = len(f["input_ids"])
            ids[i, :n] = torch.as_tensor(f["input_ids"])
            labels[i, :n] = torch.as_tensor(f["labels"])
            mask[i, :n] = 1
            if "keep_core_labels" in f:
                keep[i, 1:n] = torch.as_tensor(f["keep_core_labels"][1:]) != IGNORE_INDEX
        # no KV cache in training; also keeps the padded and padding-free paths comparable
        batch = {"input_ids": ids, "attention_mask": mask, "labels": labels, "use_cache": False}
        kept = [i for i, f in enumerate(features) if "keep_core_labels" in f]
        if kept:  # earlier-stage rows are the last rows of the micro-batch
            batch["keep_core_mask"], batch["keep_core_from"] = keep, kept[0]
        return batch
