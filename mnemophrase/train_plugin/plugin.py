"""StagedLoRA: the object a training script talks to.

It holds the schedule and the tokenised rows, adds the adapters to the model, and hands
out the pieces each kind of script needs: `attach(trainer)` for HF Trainer / TRL
SFTTrainer, `steps(model, optimizer, ...)` for a plain loop.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from .adapters import (
    activate_stage,
    active_adapters,
    adapter_parameters,
    adapter_refusal,
    add_stage_adapters,
    arm_all_adapters,
    peft_model_of,
    save_adapters,
    set_active_adapters,
)
from .batching import BatchPlan, FlatteningCollator, PaddingCollator, StageSpan
from .data import (
    PlanDataset,
    load_stage_rows,
    mixed_order,
    refuse_damaged,
    select_rows,
    tokenize_rows,
)
from .errors import StagePluginError
from .formats import RowEncoder, check_format
from .forward import StepState, install_forward
from .options import resolve_stages
from .protection import Protection
from .schedule import CORE_ADAPTER, Stage, StageSchedule
from .source import dataset_folder
from .weights import reset_adapter_weights

log = logging.getLogger("mnemophrase.train_plugin")


class StagedLoRA:
    """Staged LoRA training over a schedule of stages.

    schedule      a StageSchedule, or a list of Stage (sequential)
    tokenizer     turns rows into token ids (prompt/completion: loss on the completion only)
    source        the published dataset (a folder, or a Hub dataset id such as
                  "owner/mnemo") for stages that name no data of their own
    lora          a peft.LoraConfig, or LoraConfig keyword overrides, used for every adapter
    padding_free  flatten each micro-batch into one row (True) or pad it (False)
    collator      a collator of your own instead (it receives rows with input_ids, labels)
    max_length    rows longer than this many tokens are cut (None: never)
    core          the adapter `mnemo_core` switches and new-vocabulary rows train with
    trainable_token_indices  new vocabulary rows to train, on the core adapter (PEFT syntax)
    lr_shape, warmup  per-stage learning-rate shape and warmup (default: from the Trainer's
                  args, else linear without warmup)
    adapters_dir  if set, each adapter is written to adapters_dir/<name>/ when its stage ends;
                  an adapter already there stops the run when it starts (one line), unless
    overwrite_adapters  is True or the run resumes from a checkpoint (the adapters there are
                  its own); other files in adapters_dir are never touched
    format        "chat" | "prompt" | "text": how rows become tokens (default: chat when the
                  tokenizer has a chat template, else prompt; see mnemophrase.train_plugin.formats)
    system        chat: the system turn of every row without one (None: the template's
                  default); decode with the same `system=`
    protection    a Protection (replay, keep_core, core_dropout): the ways to keep the core,
                  on every stage where they mean something (a Stage's own protection wins;
                  see Protection and docs/train_plugin.md)
    """

    def __init__(self, schedule: StageSchedule | list[Stage], tokenizer, *,
                 source: str | Path | None = None, lora: Any = None, padding_free: bool = True,
                 max_length: int | None = 1024, core: str = CORE_ADAPTER,
                 trainable_token_indices: Any = None, lr_shape: str | None = None,
                 warmup: float | None = None, adapters_dir: str | Path | None = None,
                 collator=None, format: str | None = None,
                 protection: Protection | None = None, system: str | None = None,
                 overwrite_adapters: bool = False):
        if not isinstance(schedule, StageSchedule):
            try:
                schedule = StageSchedule(tuple(schedule))
            except TypeError:
                raise StagePluginError("schedule must be a StageSchedule or a list of Stage") \
                    from None
        if tokenizer is None or not callable(tokenizer):
            raise StagePluginError("tokenizer must be a Hugging Face tokenizer")
        if protection is None:
            protection = Protection()
        elif not isinstance(protection, Protection):
            raise StagePluginError(
                f"protection must be a mnemophrase.train_plugin.Protection (got {protection!r})")
        if max_length is not None and (isinstance(max_length, bool) or
                                       not isinstance(max_length, int) or max_length < 2):
            raise StagePluginError(
                f"max_length must be an integer >= 2 or None (got {max_length!r})")
        self.format = check_format(format, tokenizer)
        self.schedule = schedule
        self.tokenizer = tokenizer
        self.source = dataset_folder(source) if source is not None else None
        self.lora = lora
        self.padding_free = padding_free
        self._collator = collator
        self.max_length = max_length
        self.system = system
        # the run's own encoder, made now so that a bad `system` is refused here
        self._encoders = {self.format: RowEncoder(tokenizer, self.format, max_length, system)}
        self.core = core
        self.trainable_token_indices = trainable_token_indices
        self.lr_shape = lr_shape
        self.warmup = warmup
        self.adapters_dir = Path(adapters_dir) if adapters_dir is not None else None
        self.overwrite_adapters = overwrite_adapters
        self._replaceable: set[str] = set()  # adapters in adapters_dir this run may replace
        self.stages = resolve_stages(schedule.ordered(), tokenizer, self.format, core,
                                     protection)
        self.adapters = schedule.adapters()
        self.step_state = StepState()
        self._entered: int | None = None  # the stage whose adapters are set up
        self._core_off = False
        self.finished: list[str] = []  # stages completed in this process, in order
        self._dataset: PlanDataset | None = None
        self._data_fingerprint: str | None = None
        self._stage_rows: list[tuple[Stage, np.ndarray]] | None = None
        self._hf_dataset = None
        self._flash = False
        self._plans: dict[tuple[int, int, int], BatchPlan] = {}

    @classmethod
    def from_dataset(cls, source: str | Path, tokenizer, *, stages: list[str] | None = None,
                     regime: str = "sequential", rows: int | None = None,
                     lr: float | dict[str, float] | None = None, seed: int = 0,
                     **kwargs) -> StagedLoRA:
        """Stages of a published dataset (`corpusgen build --out DIR`) in its stage_order.
        A damaged build (its files not as stats.json records them) is refused here."""
        refuse_damaged(Path(source))
        schedule = StageSchedule.from_dataset(source, stages=stages, regime=regime, rows=rows,
                                              lr=lr, seed=seed)
        return cls(schedule, tokenizer, source=source, **kwargs)

    # ---- data ---------------------------------------------------------------------------

    def _prepare(self) -> None:
        if self._dataset is not None:
            return
        tokenized, stage_rows, offset = [], [], 0

        def take(stage: Stage) -> np.ndarray:
            nonlocal offset
            ds = load_stage_rows(stage, self.source)
            if stage.rows is not None and stage.rows < len(ds):
                ds = ds.select(range(stage.rows))  # a capped stage reads only what it uses
            tok = tokenize_rows(ds, self.encoder(stage.format), stage.name)
            rows = select_rows(stage, tok.lengths) + offset
            tokenized.append(tok)
            offset += len(tok.input_ids)
            return rows

        for stage in self.stages:
            if stage.mix:
                rows = mixed_order([take(part) for part in stage.mix], self.schedule.seed)
            else:
                rows = take(stage)
            stage_rows.append((stage, rows))
        self._dataset = PlanDataset(tokenized)
        self._stage_rows = stage_rows

    @property
    def dataset(self) -> PlanDataset:
        """Every tokenised row, indexed by global row id (the plan's indices)."""
        self._prepare()
        return self._dataset

    @property
    def data_fingerprint(self) -> str:
        """sha256 of every tokenised row (ids and labels) and of the stages' row order: a
        checkpoint records it, so a resume on other data with the same counts is refused."""
        import hashlib

        if self._data_fingerprint is None:
            self._prepare()
            digest = hashlib.sha256()
            for ids, labels in zip(self._dataset.input_ids, self._dataset.labels):
                digest.update(np.asarray(ids, dtype=np.int64).tobytes())
                digest.update(np.asarray(labels, dtype=np.int64).tobytes())
                digest.update(b"|")
            for stage, rows in self._stage_rows:
                digest.update(stage.name.encode() + b":" + rows.astype(np.int64).tobytes())
            self._data_fingerprint = digest.hexdigest()
        return self._data_fingerprint

    @property
    def stage_rows(self) -> list[tuple[str, list[int]]]:
        """(stage, global row ids in reading order) for each stage, as planned."""
        self._prepare()
        return [(stage.name, rows.tolist()) for stage, rows in self._stage_rows]

    @property
    def train_dataset(self):
        """The rows as a `datasets.Dataset`, for a Trainer's `train_dataset=` argument."""
        if self._hf_dataset is None:
            self._hf_dataset = self.dataset.to_hf()
        return self._hf_dataset

    @property
    def collator(self):
        if self._collator is not None:
            return self._collator
        if self.padding_free:
            return FlatteningCollator(return_flash_attn_kwargs=self._flash)
        pad = self.tokenizer.pad_token_id
        if pad is None:
            pad = self.tokenizer.eos_token_id or 0
        return PaddingCollator(pad)

    def plan(self, batch_size: int, grad_accum: int = 1, world_size: int = 1) -> BatchPlan:
        """Which rows every rank reads at every step; the same on every rank."""
        key = (batch_size, grad_accum, world_size)
        if key not in self._plans:
            self._prepare()
            self._plans[key] = BatchPlan(self._stage_rows, batch_size=batch_size,
                                         grad_accum=grad_accum, world_size=world_size,
                                         seed=self.schedule.seed)
        return self._plans[key]

    def encoder(self, format: str | None = None) -> RowEncoder:
        """The RowEncoder of a format (default: this run's): training rows and decoding
        prompts come from the same one."""
        fmt = format or self.format
        if fmt not in self._encoders:
            self._encoders[fmt] = RowEncoder(self.tokenizer, fmt, self.max_length,
                                             self.system)
        return self._encoders[fmt]

    # ---- model --------------------------------------------------------------------------

    def wrap(self, model):
        """Add one LoRA adapter per stage; the first stage's adapters are active."""
        impl = str(getattr(getattr(model, "config", None), "_attn_implementation", "") or "")
        self._flash = impl.startswith("flash")
        peft_model = add_stage_adapters(model, self.adapters, self.lora, core=self.core,
                                        trainable_token_indices=self.trainable_token_indices)
        install_forward(peft_model, self.step_state)
        self.enter_stage(peft_model, 0)
        return peft_model

    def parameters(self, model) -> list:
        """Every stage's adapter parameters, all trainable: build the optimizer from these."""
        arm_all_adapters(model)
        params = adapter_parameters(model)
        seen, out = set(), []
        for name in self.adapters:
            for p in params[name]:
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append(p)
        return out

    def _active_in(self, index: int) -> list[str]:
        active = []
        for s in self.stages[: index + 1]:
            if s.adapter_name not in active:
                active.append(s.adapter_name)
        return active

    def enter_stage(self, model, index: int) -> None:
        """Stage `index` (in run order): its adapter learns, earlier ones are frozen but on."""
        stage = self.stages[index]
        activate_stage(model, self._active_in(index), stage.adapter_name)
        reset_adapter_weights(model)
        self._entered, self._core_off = index, False

    def begin_step(self, model, plan: BatchPlan, step: int) -> None:
        """Set the model up for optimizer step `step`: its stage, the core on or off (core
        dropout), and the keep_core term. Called by the Stepper and the StageCallback."""
        span = plan.span_at(step)
        index = self.index_of(span)
        expected = set(self._active_in(index)) - ({self.core} if self._core_off else set())
        # also when the script changed the adapters between steps (an evaluation with the
        # core off or with adapter weights): training resumes in the stage's own setting
        if (index != self._entered or set(active_adapters(model)) != expected
                or getattr(peft_model_of(model), "_mnemo_scaled", False)):
            self.enter_stage(model, index)
        core_off = step in plan.core_off
        if core_off != self._core_off:
            active = self._active_in(index)
            set_active_adapters(model, [a for a in active if a != self.core or not core_off])
            self._core_off = core_off
        # a step with the core off has no core outputs to keep
        self.step_state.protection = (replace(span.protection, keep_core=0.0) if core_off
                                      else span.protection)
        self.step_state.reference = [a for a in self._active_in(index) if a != span.adapter]

    def stage_finished(self, model, span: StageSpan, is_main: bool = True) -> None:
        if self._core_off:  # a stage never ends with its core left off
            set_active_adapters(model, self._active_in(self.index_of(span)))
            self._core_off = False
        self.step_state.protection = Protection()
        self.finished.append(span.name)
        log.info("stage %s finished at step %d", span.name, span.end)
        if self.adapters_dir is not None and is_main:
            save_adapters(model, self.adapters_dir, [span.adapter],
                          replace=self.overwrite_adapters or self._replaceable)
            self._replaceable.add(span.adapter)

    def claim_adapters_dir(self, resuming: bool) -> None:
        """Called as training starts: refuse, before any step, an adapters_dir whose adapter
        folders a new run would replace without being asked. A resumed run owns the
        adapters its earlier part saved there."""
        if self.adapters_dir is None:
            return
        if resuming:
            self._replaceable.update(self.adapters)
        allowed = self.overwrite_adapters or self._replaceable
        for name in self.adapters:
            refusal = adapter_refusal(self.adapters_dir / name,
                                      allowed is True or name in allowed)
            if refusal:
                raise StagePluginError(refusal)

    def save_adapters(self, model, out_dir: str | Path) -> list[Path]:
        """Every stage adapter to OUT/<name>/, each loadable alone or with the others."""
        return save_adapters(model, out_dir, self.adapters)

    def index_of(self, span: StageSpan) -> int:
        return [s.name for s in self.stages].index(span.name)

    # ---- integrations -------------------------------------------------------------------

    def attach(self, trainer):
        """Hook into a transformers Trainer or TRL SFTTrainer; returns the StageCallback."""
        from .hf import attach_to_trainer

        return attach_to_trainer(self, trainer)

    def steps(self, model, optimizer, *, batch_size: int, grad_accum: int = 1, device=None,
              resume_from: str | Path | None = None):
        """Iterate optimizer steps for a plain PyTorch loop (see
        mnemophrase.train_plugin.loop.Stepper)."""
        from .loop import Stepper

        try:
            peft_model_of(model)
        except StagePluginError:
            raise StagePluginError("call staged.wrap(model) before staged.steps(...)") from None
        return Stepper(self, model, optimizer, batch_size=batch_size, grad_accum=grad_accum,
                       device=device, resume_from=resume_from)
