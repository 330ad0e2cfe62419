"""Learning rate per stage: each stage has its own peak and its own warmup and decay.

One global decay over the whole run would hand the last stage a fraction of its learning
rate; a curriculum wants every stage to start fresh.
"""

from __future__ import annotations

import math

from .batching import BatchPlan
from .errors import StagePluginError

SHAPES = ("constant", "linear", "cosine")
# Trainer's lr_scheduler_type values we can honour per stage
_FROM_TRAINER = {"constant": "constant", "constant_with_warmup": "constant",
                 "linear": "linear", "cosine": "cosine"}


def shape_from_trainer(lr_scheduler_type) -> str | None:
    return _FROM_TRAINER.get(getattr(lr_scheduler_type, "value", lr_scheduler_type))


def stage_lr(plan: BatchPlan, step: int, default_lr: float, shape: str = "linear",
             warmup: float = 0.0) -> float:
    """The learning rate of optimizer step `step` (0-based).

    `warmup` below 1 is a fraction of each stage's steps, from 1 up a number of steps.
    Decay never reaches 0 inside a stage, so the last step of a stage still learns.
    """
    if shape not in SHAPES:
        raise StagePluginError(f"learning-rate shape {shape!r} is not one of {', '.join(SHAPES)}")
    span = plan.span_at(step)
    peak = span.lr if span.lr is not None else default_lr
    local, n = step - span.start, span.steps
    w = min(n - 1, math.ceil(warmup * n) if warmup < 1 else int(warmup))
    if local < w:
        return peak * (local + 1) / (w + 1)
    if shape == "constant":
        return peak
    progress = (local - w) / (n - w)
    if shape == "linear":
        return peak * (1.0 - progress)
    return peak * 0.5 * (1.0 + math.cos(math.pi * progress))


DATA_CHANGED = ("this checkpoint was made on other data (the rows of the stages differ, with "
                "the same counts); resume on the dataset it was made on")


def make_stage_scheduler(optimizer, plan: BatchPlan, default_lr: float, shape: str,
                         warmup: float, data: str | None = None):
    """A torch LR scheduler that sets every param group to the current stage's rate.

    Every group gets the same rate: only the training stage's adapter receives gradients,
    so the other groups are skipped by the optimizer whatever their rate says.
    """
    from torch.optim.lr_scheduler import LRScheduler

    class StageLR(LRScheduler):
        def __init__(self):
            self.plan, self.default_lr, self.shape, self.warmup = plan, default_lr, shape, warmup
            super().__init__(optimizer)

        def get_lr(self):
            step = min(self.last_epoch, self.plan.total_steps - 1)
            lr = stage_lr(self.plan, step, self.default_lr, self.shape, self.warmup)
            return [lr for _ in self.optimizer.param_groups]

        def state_dict(self):
            # the plan is rebuilt from the same inputs on resume; its fingerprint says whether
            # it really is the same plan
            return {"last_epoch": self.last_epoch, "_step_count": self._step_count,
                    "plan": self.plan.fingerprint, "data": data}

        def load_state_dict(self, state):
            if state.get("plan") != self.plan.fingerprint:
                raise StagePluginError(
                    "this checkpoint was written under a different stage plan (stages, rows, "
                    "batch size, accumulation or process count changed); resume with the same "
                    "settings"
                )
            if data is not None and state.get("data") not in (None, data):
                raise StagePluginError(DATA_CHANGED)
            self.last_epoch, self._step_count = state["last_epoch"], state["_step_count"]
            lr = self.get_lr()
            for group, value in zip(self.optimizer.param_groups, lr):
                group["lr"] = value
            self._last_lr = lr

    return StageLR()
