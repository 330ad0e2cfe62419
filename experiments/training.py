"""Training through the plugin: one StagedLoRA run, optionally branching from a saved stage.

The plugin does the work — tokenisation in the arm's format, the stage plan and its
batches, replay, keep_core, core dropout, the learning rate per step. This module builds
the schedule of an arm, runs the plain loop the plugin documents, records the loss curve
and the real tokens per second, and lets a run start from an adapter another run saved
(the first stage is then loaded, not trained again: every arm of a seed branches from the
same core).
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

from mnemophrase.train_plugin.protection import Protection

LINEAR_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def lora_settings(model, sizes) -> dict:
    """LoRA r, alpha = 2r, no dropout, on every linear module of the top N layers."""
    lora = {"r": sizes.rank, "lora_alpha": 2 * sizes.rank, "lora_dropout": 0.0}
    layers = model.config.num_hidden_layers
    if 0 < sizes.lora_layers < layers:
        # PEFT takes layers_to_transform with explicit module names only ("all-linear" is refused)
        lora.update(target_modules=LINEAR_MODULES,
                    layers_to_transform=list(range(layers - sizes.lora_layers, layers)))
    return lora


class Run:
    """One model under training: a StagedLoRA over `stages`, wrapped around a copy of base."""

    def __init__(self, base, tokenizer, source: Path, sizes, *, stages: tuple[str, ...],
                 fmt: str, seed: int, device, regime: str = "sequential",
                 protection: Protection | None = None,
                 data: dict | None = None, trainable_token_indices=None):
        import torch

        from mnemophrase.train_plugin import Stage, StagedLoRA, StageSchedule

        data = data or {}  # stage -> its own rows (default: the stage of `source`)
        schedule = StageSchedule(tuple(Stage(s, rows=sizes.stage_rows(s), lr=sizes.lr,
                                             data=data.get(s)) for s in stages),
                                 regime=regime, seed=seed)
        self.staged = StagedLoRA(schedule, tokenizer, source=source,
                                 lora=lora_settings(base, sizes), max_length=sizes.max_length,
                                 lr_shape="constant", warmup=0.0, format=fmt,
                                 protection=protection, system=sizes.system,
                                 trainable_token_indices=trainable_token_indices)
        torch.manual_seed(seed)  # the same initial adapters in every arm of a seed
        self.model = self.staged.wrap(copy.deepcopy(base)).to(device)
        self.optimizer = torch.optim.AdamW(self.staged.parameters(self.model), lr=sizes.lr,
                                           weight_decay=0.0)
        # the plugin's batch_size is rows per micro-batch
        self.steps = self.staged.steps(self.model, self.optimizer,
                                       batch_size=sizes.batch_size // sizes.grad_accum,
                                       grad_accum=sizes.grad_accum, device=device)
        self.plan = self.steps.plan
        self.curve: list[dict] = []
        self.train_seconds = 0.0
        self.train_tokens = 0
        self._loaded: dict = {}

    @property
    def adapters(self) -> list[str]:
        return list(self.staged.adapters)

    def load_first_stage(self, folder: Path) -> None:
        """The first stage's adapter from `folder` (saved by another run); training then
        starts at the second stage."""
        from mnemophrase.train_plugin.adapters import peft_model_of

        first = self.plan.spans[0]
        self.steps.start_after(first.name, folder)
        self._loaded = {n: p.detach().clone() for n, p in
                        peft_model_of(self.model).named_parameters()
                        if f".{first.adapter}." in n}

    def loaded_adapter_change(self) -> float | None:
        """Largest |change| of the loaded first-stage adapter since loading (0: frozen)."""
        if not self._loaded:
            return None
        from mnemophrase.train_plugin.adapters import peft_model_of

        params = dict(peft_model_of(self.model).named_parameters())
        return max(float((params[n].detach() - v).abs().max()) for n, v in self._loaded.items())

    def train(self, at_step=None, log=None) -> None:
        """Every remaining optimizer step; `at_step(n)` is called after step n (untimed: an
        evaluation in the middle of a stage leaves the adapters as it found them)."""
        import torch

        model, optimizer = self.model, self.optimizer
        params = [p for g in optimizer.param_groups for p in g["params"]]
        model.train()
        total = self.plan.total_steps
        tick = time.perf_counter()
        for step in self.steps:
            loss_sum, tokens = 0.0, 0
            for batch in step.batches:
                loss = model(**batch).loss / len(step.batches)
                loss.backward()
                loss_sum += float(loss.detach())
                tokens += int(batch["input_ids"].numel())
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            now = time.perf_counter()
            seconds, tick = now - tick, now
            self.train_seconds += seconds
            self.train_tokens += tokens
            point = {"step": step.index + 1, "stage": step.stage, "loss": round(loss_sum, 5),
                     "tokens": tokens, "seconds": round(seconds, 3)}
            kl = self.staged.step_state.kl
            if kl is not None:
                point["keep_core_kl"] = round(kl, 6)
                self.staged.step_state.kl = None
            if getattr(step, "core_off", False):
                point["core_off"] = True
            self.curve.append(point)
            if log and (step.index + 1) % 16 == 0:
                log(f"step {step.index + 1}/{total} {step.stage} loss {loss_sum:.3f} "
                    f"({self.train_tokens / max(self.train_seconds, 1e-9):.0f} tok/s)")
            if at_step is not None:
                at_step(step.index + 1)
                model.train()
                tick = time.perf_counter()
        model.eval()

    def save(self, folder: Path) -> None:
        self.staged.save_adapters(self.model, folder)

    def summary(self) -> dict:
        return {"plan": self.plan.describe(), "total_steps": self.plan.total_steps,
                "trained_steps": len(self.curve), "train_seconds": round(self.train_seconds, 1),
                "train_tokens": self.train_tokens,
                "tokens_per_second": round(self.train_tokens / max(self.train_seconds, 1e-9), 1)}
