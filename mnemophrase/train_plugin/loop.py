"""The plain-loop API: iterate optimizer steps, each one stage's micro-batches for this rank.

    optimizer = torch.optim.AdamW(staged.parameters(model), lr=2e-4)
    steps = staged.steps(model, optimizer, batch_size=8)
    for step in steps:
        for batch in step.batches:
            (model(**batch).loss / len(step.batches)).backward()
        optimizer.step()
        optimizer.zero_grad()

Before yielding a step the stepper enters its stage and sets the learning rate; the loop
body stays the user's. A forward given `labels` computes logits only at the positions the
loss reads (see forward.py); pass `logits_to_keep=0` to get every position's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .adapters import adapter_parameters, adapters_missing_from, peft_model_of
from .errors import StagePluginError
from .lr import DATA_CHANGED, stage_lr

CHECKPOINT_FILE = "mnemo_stepper_rank{rank}.pt"


@dataclass
class Step:
    index: int  # optimizer step, 0-based, global over all stages
    stage: str
    lr: float
    batches: list[dict[str, Any]]  # this rank's micro-batches, tensors on the device
    rows: list[int] = field(default_factory=list)  # global row ids in those micro-batches
    core_off: bool = False  # core dropout: this step trains with the core adapter off


def _dist() -> tuple[int, int]:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class Stepper:
    def __init__(self, staged, model, optimizer, *, batch_size: int, grad_accum: int = 1,
                 device=None, resume_from: str | Path | None = None):
        self.staged, self.model, self.optimizer = staged, model, optimizer
        self.rank, world = _dist()
        self.plan = staged.plan(batch_size, grad_accum, world)
        self.device = device
        # a stage without its own lr uses the rate the optimizer was built with
        self.default_lr = float(optimizer.defaults.get("lr", 1e-3))
        self.shape = staged.lr_shape or "linear"
        self.warmup = staged.warmup or 0.0
        self.collate = staged.collator
        staged.step_state.scored_logits = True
        self.next_step = 0
        self._current: int | None = None
        lacking = adapters_missing_from(optimizer, model, staged.adapters)
        if lacking:
            raise StagePluginError(
                f"the optimizer lacks adapter(s) {', '.join(lacking)}; "
                "build it from staged.parameters(model)"
            )
        if resume_from is not None:
            self.load_checkpoint(resume_from)
        staged.claim_adapters_dir(resuming=resume_from is not None)

    def __len__(self) -> int:
        return self.plan.total_steps - self.next_step

    def __iter__(self):
        while self.next_step < self.plan.total_steps:
            s = self.next_step
            span = self.plan.span_at(s)
            self.staged.begin_step(self.model, self.plan, s)
            lr = stage_lr(self.plan, s, self.default_lr, self.shape, self.warmup)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            micro = self.plan.micro_batches(s, self.rank)
            batches = [self._to_device(self.collate(self.staged.dataset.__getitems__(mb)))
                       for mb in micro]
            self._current = s
            yield Step(s, span.name, lr, batches, [r for mb in micro for r in mb],
                       core_off=s in self.plan.core_off)
            self.next_step = s + 1
            if self.next_step == span.end:
                self.staged.stage_finished(self.model, span, is_main=self.rank == 0)

    def _to_device(self, batch: dict[str, Any]) -> dict[str, Any]:
        if self.device is None:
            return batch
        return {k: v.to(self.device) if hasattr(v, "to") else v for k, v in batch.items()}

    def start_after(self, stage: str, adapters_from: str | Path) -> None:
        """Branch from a stage another run trained: load its adapter (and those of the stages
        before it) from `adapters_from` (as `save_adapters` wrote them) and begin at the step
        after it; the stages loaded are not trained again."""
        from peft.utils import load_peft_weights, set_peft_model_state_dict

        names = [sp.name for sp in self.plan.spans]
        if stage not in names:
            raise StagePluginError(f"stage {stage!r} is not in this plan ({', '.join(names)})")
        if self.next_step:
            raise StagePluginError("start_after: training has already begun")
        last = names.index(stage)
        peft = peft_model_of(self.model)
        for span in self.plan.spans[: last + 1]:
            folder = Path(adapters_from) / span.adapter
            if not (folder / "adapter_config.json").is_file():
                raise StagePluginError(f"{folder}: no saved adapter {span.adapter!r}")
            result = set_peft_model_state_dict(peft, load_peft_weights(str(folder)),
                                               adapter_name=span.adapter)
            missing = [k for k in getattr(result, "missing_keys", [])
                       if f".{span.adapter}." in k]
            if missing:
                raise StagePluginError(f"{folder}: {len(missing)} weights of {span.adapter!r} "
                                       "missing (saved with other LoRA settings?)")
            self.staged.finished.append(span.name)
        self.next_step = self.plan.spans[last].end

    # ---- checkpoints --------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        done = self.next_step if self._current is None else self._current + 1
        return {"next_step": done, "plan": self.plan.fingerprint,
                "data": self.staged.data_fingerprint}

    def save_checkpoint(self, path: str | Path) -> Path:
        """Call after optimizer.step(): the checkpoint resumes at the following step.

        Each rank writes its own file (its RNG state differs; dropout must replay exactly).
        """
        import torch

        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        peft = peft_model_of(self.model)
        ids = {id(p) for ps in adapter_parameters(peft).values() for p in ps}
        state = {
            "stepper": self.state_dict(),
            "adapters": {n: p.detach().cpu().clone() for n, p in peft.named_parameters()
                         if id(p) in ids},
            "optimizer": self.optimizer.state_dict(),
            "rng": {
                "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
                "python": random.getstate(),
                "numpy": np.random.get_state(),
            },
        }
        file = out / CHECKPOINT_FILE.format(rank=self.rank)
        tmp = file.with_suffix(".tmp")
        torch.save(state, tmp)
        tmp.replace(file)  # a crash mid-write never leaves a truncated checkpoint
        return file

    def load_checkpoint(self, path: str | Path) -> None:
        import torch

        file = Path(path) / CHECKPOINT_FILE.format(rank=self.rank)
        if not file.is_file():
            raise StagePluginError(f"{file}: no stepper checkpoint for rank {self.rank}")
        try:
            state = torch.load(file, map_location="cpu", weights_only=False)
            stepper = state["stepper"]
            written_plan, next_step = stepper["plan"], int(stepper["next_step"])
            saved, rng = state["adapters"], state["rng"]
        except Exception as exc:  # noqa: BLE001 - torch and pickle raise many types
            text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise StagePluginError(f"{file}: not a readable stepper checkpoint ({text})") \
                from None
        if written_plan != self.plan.fingerprint:
            raise StagePluginError(
                f"{path}: written under a different stage plan (stages, rows, batch size, "
                "accumulation or process count changed); resume with the same settings"
            )
        if stepper.get("data") not in (None, self.staged.data_fingerprint):
            raise StagePluginError(f"{path}: {DATA_CHANGED}")
        peft = peft_model_of(self.model)
        params = dict(peft.named_parameters())
        with torch.no_grad():
            for name, value in saved.items():
                if name not in params:
                    raise StagePluginError(f"{file}: parameter {name} is not in this model")
                params[name].copy_(value)  # in place: the optimizer keeps its references
        self.optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(rng["torch"])
        if rng["cuda"] is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])
        random.setstate(rng["python"])
        np.random.set_state(rng["numpy"])
        self.next_step = next_step
        self._current = None
