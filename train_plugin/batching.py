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
from dataclasses import dataclass
from typing import Any

import numpy as np

from .data import IGNORE_INDEX
from .errors import StagePluginError


@dataclass(frozen=True)
class StageSpan:
    """A stage as placed in the plan: optimizer steps [start, end)."""

    name: str
    adapter: str
    lr: float | None
    start: int
    end: int
    rows: int

    @property
    def steps(self) -> int:
        return self.end - self.start


class BatchPlan:
    def __init__(self, stage_rows: list[tuple[Any, np.ndarray]], *, batch_size: int,
                 grad_accum: int = 1, world_size: int = 1):
        if batch_size < 1 or grad_accum < 1 or world_size < 1:
            raise StagePluginError("batch size, accumulation steps and world size must be >= 1")
        self.batch_size, self.grad_accum, self.world_size = batch_size, grad_accum, world_size
        per_step = world_size * grad_accum  # micro-batches in one optimizer step, all ranks
        self.chunks: list[np.ndarray] = []
        self.spans: list[StageSpan] = []
        step = 0
        for stage, rows in stage_rows:
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
            self.chunks.extend(np.array_split(np.asarray(rows, dtype=np.int64), steps * per_step))
            self.spans.append(StageSpan(stage.name, stage.adapter_name, stage.lr, step,
                                        step + steps, n))
            step += steps
        self.total_steps = step
        self._starts = [s.start for s in self.spans]

    def span_at(self, step: int) -> StageSpan:
        if not 0 <= step < self.total_steps:
            raise IndexError(f"step {step} outside the plan (0..{self.total_steps - 1})")
        return self.spans[bisect.bisect_right(self._starts, step) - 1]

    def micro_batches(self, step: int, rank: int) -> list[list[int]]:
        """This rank's micro-batches (row ids) for one optimizer step."""
        base = step * self.grad_accum * self.world_size
        return [
            self.chunks[base + a * self.world_size + rank].tolist() for a in range(self.grad_accum)
        ]

    def rows_of_rank(self, rank: int) -> list[int]:
        return [r for s in range(self.total_steps) for mb in self.micro_batches(s, rank) for r in mb]

    def batch_sampler(self, rank: int = 0) -> StageBatchSampler:
        if not 0 <= rank < self.world_size:
            raise StagePluginError(f"rank {rank} outside world size {self.world_size}")
        return StageBatchSampler(self, rank)

    @property
    def fingerprint(self) -> str:
        """Changes whenever stages, rows, batch size, accumulation or world size change."""
        h = hashlib.sha256()
        h.update(json.dumps([self.batch_size, self.grad_accum, self.world_size,
                             [[s.name, s.adapter, s.lr, s.start, s.end] for s in self.spans]]).encode())
        for c in self.chunks:
            h.update(len(c).to_bytes(4, "little"))
            h.update(c.tobytes())
        return h.hexdigest()[:16]

    def describe(self) -> str:
        return ", ".join(f"{s.name}: steps {s.start}-{s.end - 1} ({s.rows} rows)" for s in self.spans)


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
        batch = self._inner([{"input_ids": f["input_ids"], "labels": f["labels"]} for f in features])
        # Transformers derives the per-row mask from position_ids only when no KV cache is
        # passed, and a Llama forward builds one whenever use_cache is on (the config
        # default, in training too). With the cache on, sdpa/eager attention silently
        # attends across row boundaries. Training never needs the cache.
        batch["use_cache"] = False
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
        for i, f in enumerate(features):
            n = len(f["input_ids"])
            ids[i, :n] = torch.as_tensor(f["input_ids"])
            labels[i, :n] = torch.as_tensor(f["labels"])
            mask[i, :n] = 1
        # no KV cache in training; also keeps the padded and padding-free paths comparable
        return {"input_ids": ids, "attention_mask": mask, "labels": labels, "use_cache": False}
