"""HF Trainer / TRL SFTTrainer integration: a TrainerCallback plus what it needs set up.

A callback alone cannot do it: by the time `on_train_begin` runs, the Trainer has built
its optimizer from the parameters that required grad, and DDP has bucketed the same set.
So `attach` (before `train()`) builds the optimizer over every stage's adapter, installs a
per-stage learning-rate schedule and the stage-ordered dataloader; the callback then
switches stages at step boundaries.
"""

from __future__ import annotations

import logging
import warnings

from transformers import TrainerCallback

from .adapters import adapters_missing_from, arm_all_adapters, peft_model_of
from .batching import BatchPlan
from .errors import StagePluginError
from .lr import make_stage_scheduler, shape_from_trainer

log = logging.getLogger("mnemophrase.train_plugin")


class StageCallback(TrainerCallback):
    """Enters each stage at its first optimizer step and finishes it at its last."""

    def __init__(self, staged, plan: BatchPlan):
        self.staged, self.plan = staged, plan
        self.current: int | None = None
        self.transitions: list[tuple[int, str]] = []  # (global step, stage entered)

    def _enter(self, step: int, model) -> None:
        if step >= self.plan.total_steps:
            return
        index = self.staged.index_of(self.plan.span_at(step))
        self.staged.begin_step(model, self.plan, step)
        if index != self.current:
            self.current = index
            self.transitions.append((step, self.staged.stages[index].name))
            log.info("stage %s from step %d", self.staged.stages[index].name, step)

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self.staged.claim_adapters_dir(resuming=state.global_step > 0)
        # also the resume path: the Trainer's PEFT reload leaves one adapter active
        self.current = None
        if state.global_step < self.plan.total_steps:
            span = self.plan.span_at(state.global_step)
            self.staged.enter_stage(model, self.staged.index_of(span))
        self._enter(state.global_step, model)

    def on_step_begin(self, args, state, control, model=None, **kwargs):
        self._enter(state.global_step, model)

    def on_step_end(self, args, state, control, model=None, **kwargs):
        done = state.global_step
        if 0 < done <= self.plan.total_steps:
            span = self.plan.span_at(done - 1)
            if done == span.end:
                self.staged.stage_finished(model, span, is_main=args.should_save)


def attach_to_trainer(staged, trainer) -> StageCallback:
    args = trainer.args
    model = trainer.model
    try:
        peft = peft_model_of(model)
    except StagePluginError:
        raise StagePluginError(
            "the trainer's model has no stage adapters: pass staged.wrap(model) to the trainer"
        ) from None
    missing = [a for a in staged.adapters if a not in peft.peft_config]
    if missing:
        raise StagePluginError(f"the trainer's model lacks stage adapters {', '.join(missing)}")
    if args.world_size > 1 and args.ddp_find_unused_parameters is False:
        raise StagePluginError(
            "ddp_find_unused_parameters=False: frozen and future stage adapters get no "
            "gradient, so DDP must be allowed to find unused parameters"
        )
    if getattr(trainer, "is_fsdp_enabled", False):
        raise StagePluginError("FSDP is not supported by the stage plugin")

    plan = staged.plan(args.per_device_train_batch_size, args.gradient_accumulation_steps,
                       args.world_size)
    if args.max_steps not in (-1, 0, plan.total_steps):
        warnings.warn(f"max_steps={args.max_steps} replaced by the stage plan's "
                      f"{plan.total_steps} steps ({plan.describe()})", stacklevel=3)
    args.max_steps = plan.total_steps

    # the optimizer holds every stage's parameters from the start: a stage switch is then
    # only a change of requires_grad, and a resumed optimizer state matches param for param
    arm_all_adapters(model)
    if trainer.optimizer is None:
        trainer.create_optimizer()
    else:
        lacking = adapters_missing_from(trainer.optimizer, model, staged.adapters)
        if lacking:
            raise StagePluginError(
                f"the trainer's optimizer lacks adapter(s) {', '.join(lacking)}; build it from "
                "staged.parameters(model) or let attach() create it"
            )
    if trainer.lr_scheduler is None:
        shape = staged.lr_shape or shape_from_trainer(args.lr_scheduler_type)
        if shape is None:
            warnings.warn(f"lr_scheduler_type={args.lr_scheduler_type} has no per-stage form; "
                          "using linear decay within each stage", stacklevel=3)
            shape = "linear"
        warmup = staged.warmup if staged.warmup is not None else float(args.warmup_steps or 0)
        trainer.lr_scheduler = make_stage_scheduler(trainer.optimizer, plan, args.learning_rate,
                                                    shape, warmup,
                                                    data=staged.data_fingerprint)
    elif any(s.lr is not None for s in staged.stages):
        warnings.warn("the trainer already has a learning-rate scheduler; per-stage lr is "
                      "ignored", stacklevel=3)

    rank = args.process_index

    def get_train_dataloader():
        # Trainer.train() calls this after a checkpoint's adapters were reloaded (which
        # freezes all but one of them) and before DDP wraps the model: re-arm every adapter
        # so DDP buckets all of them; the callback narrows it to the stage at train begin
        arm_all_adapters(trainer.model)
        return _dataloader(staged, plan, rank, args)

    # an instance attribute, not a subclass: the user's Trainer class stays theirs
    trainer.get_train_dataloader = get_train_dataloader
    callback = StageCallback(staged, plan)
    trainer.add_callback(callback)
    log.info("stage plan: %s", plan.describe())
    return callback


def _dataloader(staged, plan: BatchPlan, rank: int, args):
    import torch
    from torch.utils.data import DataLoader

    workers = args.dataloader_num_workers
    # not passed through accelerator.prepare: the batch sampler is already rank-aware, and
    # accelerate's sharding would split it again (or pad a short shard with repeated rows)
    return DataLoader(
        staged.dataset,
        batch_sampler=plan.batch_sampler(rank),
        collate_fn=staged.collator,
        num_workers=workers,
        pin_memory=bool(args.dataloader_pin_memory and torch.cuda.is_available()),
        persistent_workers=bool(args.dataloader_persistent_workers and workers > 0),
    )
