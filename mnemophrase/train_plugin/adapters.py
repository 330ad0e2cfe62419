"""One PEFT LoRA adapter per stage, and the switches that make stages out of them.

In stage k the adapters of stages 1..k are active (they all shape the forward pass) and
only stage k's adapter has requires_grad. PEFT's own `set_adapter` couples "active" with
"trainable", so activation here restores the gradient flags it found and sets them
explicitly afterwards.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Collection
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from mnemophrase.corpusgen.contract import CARD

from .errors import StagePluginError
from .schedule import CORE_ADAPTER


def peft_model_of(model):
    """The PeftModel inside `model` (also under DDP / accelerate wrapping)."""
    from peft import PeftModel

    seen = model
    while not isinstance(seen, PeftModel):
        inner = getattr(seen, "module", None)
        if inner is None:
            raise StagePluginError(
                "this model has no stage adapters; call StagedLoRA.wrap(model) or "
                "load_adapters first"
            )
        seen = inner
    return seen


def default_lora_config(**overrides):
    from peft import LoraConfig

    kwargs = {"r": 16, "lora_alpha": 32, "lora_dropout": 0.05, "target_modules": "all-linear",
              "task_type": "CAUSAL_LM"}
    kwargs.update(overrides)
    return LoraConfig(**kwargs)


def add_stage_adapters(model, adapters: list[str], lora=None, *, core: str = CORE_ADAPTER,
                       trainable_token_indices: Any = None):
    """Wrap a base model with one LoRA adapter per name.

    New vocabulary rows (a tokenizer's vocabulary extension) are trained through
    `trainable_token_indices` on the core adapter only: PEFT lets one token adapter be
    active per embedding, and the new hyperword pieces belong to the mnemo core.
    """
    import copy

    from peft import LoraConfig, PeftModel, get_peft_model

    if isinstance(model, PeftModel):
        raise StagePluginError(
            "pass the base model: the plugin adds its own adapter per stage "
            f"(this one already has {', '.join(model.peft_config)})"
        )
    base = lora if isinstance(lora, LoraConfig) else default_lora_config(**(lora or {}))
    token_owner = core if core in adapters else adapters[0]

    def config_for(name: str):
        cfg = copy.deepcopy(base)
        if trainable_token_indices is not None and name == token_owner:
            cfg.trainable_token_indices = trainable_token_indices
        return cfg

    peft_model = get_peft_model(model, config_for(adapters[0]), adapter_name=adapters[0])
    for name in adapters[1:]:
        peft_model.add_adapter(name, config_for(name))
    guard_token_wrappers(peft_model)
    return peft_model


def guard_token_wrappers(model) -> None:
    """Let adapters without new-token rows be saved and loaded beside one that has them.

    PEFT's TrainableTokensWrapper assumes every adapter owns a token delta and raises
    KeyError saving any other (and a Trainer checkpoint saves them all). PEFT fixed the
    same assumption for ModulesToSaveWrapper (huggingface/peft#2430) by answering {} for
    adapters the wrapper does not serve; these instance-level guards do that here.
    """
    from peft.utils.other import TrainableTokensWrapper

    for module in peft_model_of(model).modules():
        if not isinstance(module, TrainableTokensWrapper) or getattr(module, "_mnemo_guard", 0):
            continue

        def owns(name, module=module):
            return name in module.token_adapter.trainable_tokens_delta

        save, load_map = module.adapter_state_dict, module.adapter_state_dict_load_map
        module.adapter_state_dict = (
            lambda name, state, save=save, owns=owns: save(name, state) if owns(name) else {})
        module.adapter_state_dict_load_map = (
            lambda name, load_map=load_map, owns=owns: load_map(name) if owns(name) else {})
        module._mnemo_guard = 1


def active_adapters(model) -> list[str]:
    return list(peft_model_of(model).base_model.active_adapters)


def adapter_parameters(model) -> dict[str, list]:
    """Each adapter's parameters, as PEFT itself defines them (no guessing from names)."""
    peft = peft_model_of(model)
    everything = [p for p in peft.parameters()]
    saved = [p.requires_grad for p in everything]
    out = {}
    try:
        for p in everything:
            p.requires_grad_(False)
        for name in peft.peft_config:
            peft.base_model.set_requires_grad(name, True)
            out[name] = [p for p in everything if p.requires_grad]
            peft.base_model.set_requires_grad(name, False)
    finally:
        for p, flag in zip(everything, saved):
            p.requires_grad_(flag)
    return out


def adapters_missing_from(optimizer, model, names: Collection[str]) -> list[str]:
    """The adapters among `names` with a parameter `optimizer` does not hold (an optimizer
    built before the stage adapters were added would leave them untrained)."""
    held = {id(p) for g in optimizer.param_groups for p in g["params"]}
    return [n for n, ps in adapter_parameters(model).items()
            if n in names and any(id(p) not in held for p in ps)]


def set_active_adapters(model, names: list[str]) -> None:
    """Make exactly `names` active, in adapter order, without touching requires_grad."""
    from peft.tuners.tuners_utils import BaseTunerLayer
    from peft.utils.other import AuxiliaryTrainingWrapper

    peft = peft_model_of(model)
    known = list(peft.peft_config)
    missing = [n for n in names if n not in known]
    if missing:
        raise StagePluginError(f"no adapter {', '.join(missing)} (has {', '.join(known)})")
    names = [n for n in known if n in names]  # a fixed order: the sum is the same every time
    flags = [(p, p.requires_grad) for p in peft.parameters()]
    if names:
        peft.base_model.set_adapter(names)
    else:
        # PEFT refuses an empty list for token/modules_to_save wrappers; every layer accepts it
        for module in peft.base_model.model.modules():
            if isinstance(module, (BaseTunerLayer, AuxiliaryTrainingWrapper)):
                module.set_adapter([])
        peft.base_model.active_adapter = []
    for p, flag in flags:
        p.requires_grad_(flag)


def activate_stage(model, active: list[str], trainable: str | None) -> None:
    """Stage switch: `active` adapters shape the forward pass, only `trainable` learns."""
    set_active_adapters(model, active)
    for name, params in adapter_parameters(model).items():
        for p in params:
            p.requires_grad_(name == trainable)
    # a frozen adapter should act as it will at inference: no dropout noise under the
    # adapter that is learning on top of it
    peft = peft_model_of(model)
    for module in peft.modules():
        drops = getattr(module, "lora_dropout", None)
        if drops is None or not hasattr(drops, "items"):
            continue
        for name, drop in drops.items():
            if hasattr(drop, "p"):
                drop.p = peft.peft_config[name].lora_dropout if name == trainable else 0.0


def arm_all_adapters(model) -> None:
    """Every adapter trainable at once.

    Done before the optimizer is built and before DDP wraps the model: both only see
    parameters that require grad at that moment, and a later stage's adapter must be in
    the optimizer and in DDP's gradient buckets from the first step.
    """
    for params in adapter_parameters(model).values():
        for p in params:
            p.requires_grad_(True)


class mnemo_core(AbstractContextManager):  # lower case: reads as a switch, used as a call
    """Switch the mnemo core adapter off or on; as a context manager, restore on exit.

        mnemo_core(model, False)              # core off from now on
        with mnemo_core(model, False):        # core off inside the block only
            out = model(**batch)

    Other active adapters stay as they are; with the core and every other adapter off the
    model computes exactly what the base model computes.
    """

    def __init__(self, model, enabled: bool = True, name: str = CORE_ADAPTER):
        self._model = model
        peft = peft_model_of(model)
        if name not in peft.peft_config:
            raise StagePluginError(
                f"no {name!r} adapter in this model (has {', '.join(peft.peft_config)})"
            )
        self._before = active_adapters(model)
        wanted = [a for a in self._before if a != name]
        if enabled:
            wanted.append(name)
        set_active_adapters(model, wanted)

    def __exit__(self, *exc) -> None:
        set_active_adapters(self._model, self._before)


# what PEFT writes into an adapter's folder: only such a folder may be replaced
# (PEFT's model card has the name the contract gives a card)
ADAPTER_FILES = frozenset({"adapter_config.json", "adapter_model.safetensors",
                           "adapter_model.bin", CARD})
ORDER_FILE = "order.txt"


def save_adapters(model, out_dir: str | Path, names: list[str] | None = None,
                  replace: bool | Collection[str] = True) -> list[Path]:
    """Write each adapter to OUT/<name>/ (adapter_config.json + adapter_model.safetensors).

    PEFT writes into a temporary folder inside OUT first, and each adapter's folder is renamed
    into place: PEFT's model card never lands on a README.md of OUT's, and a crash leaves no
    half-written adapter. An existing OUT/<name> is replaced only when `replace` allows it
    (True, or a collection of names) and it holds nothing but an adapter; otherwise a
    StagePluginError says so and nothing is written.
    """
    peft = peft_model_of(model)
    names = names or list(peft.peft_config)
    if "default" in names:  # the one name PEFT writes at the top level, not in a subfolder
        raise StagePluginError("an adapter named 'default' cannot be saved in its own folder")
    out = Path(out_dir)
    for name in names:
        refusal = adapter_refusal(out / name, replace is True or name in (replace or ()))
        if refusal:
            raise StagePluginError(refusal)
    out.mkdir(parents=True, exist_ok=True)
    work = out / f".saving-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    try:
        for name in names:
            # PEFT writes a non-"default" adapter into save_directory/<name>/
            peft.save_pretrained(str(work), selected_adapters=[name])
            target = out / name
            if target.exists():
                old = out / f".{name}.old-{os.getpid()}"
                target.rename(old)
                (work / name).rename(target)
                shutil.rmtree(old)
            else:
                (work / name).rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # the training order, so load_adapters stacks them the same way
    order = [n for n in peft.peft_config if (out / n / "adapter_config.json").is_file()]
    (out / ORDER_FILE).write_text("\n".join(order) + "\n")
    return [out / n for n in names]


def adapter_refusal(folder: Path, may_replace: bool) -> str | None:
    """Why `folder` may not receive an adapter, or None when it is free (missing) or an
    adapter folder that may be replaced."""
    if not folder.exists() and not folder.is_symlink():
        return None
    if folder.is_symlink() or not folder.is_dir():
        return f"{folder} is not an adapter folder; move it away or choose another adapters_dir"
    foreign = sorted(p.name for p in folder.iterdir() if p.name not in ADAPTER_FILES)
    if foreign or not (folder / "adapter_config.json").is_file():
        shown = ", ".join(foreign[:3]) or "no adapter_config.json"
        return (f"{folder} holds files that are not an adapter's ({shown}); move them away or "
                "choose another adapters_dir")
    if not may_replace:
        return (f"{folder} already holds an adapter; pass overwrite_adapters=True to replace "
                "it, or choose another adapters_dir")
    return None


def load_adapters(base_model, adapters_dir: str | Path, names: list[str] | None = None,
                  active: list[str] | None = None, is_trainable: bool = False):
    """Base model + the stage adapters saved under ADAPTERS_DIR/<name>/, alone or together.

    `names` picks which to load (default: every subfolder with an adapter_config.json, in
    the order of the `stage_order` they were trained in if an `order.txt` is present);
    `active` which ones shape the output (default: all loaded).
    """
    from peft import PeftModel

    root = Path(adapters_dir)
    if names is None:
        order_file = root / "order.txt"
        found = {p.name for p in root.iterdir() if (p / "adapter_config.json").is_file()} \
            if root.is_dir() else set()
        ordered = order_file.read_text().split() if order_file.is_file() else []
        names = [n for n in ordered if n in found] + sorted(found - set(ordered))
    if not names:
        raise StagePluginError(f"{root}: no adapters (expected {root}/<stage>/adapter_config.json)")
    for n in names:
        if not (root / n / "adapter_config.json").is_file():
            raise StagePluginError(f"{root / n}: no adapter_config.json")
    model = PeftModel.from_pretrained(base_model, str(root / names[0]), adapter_name=names[0],
                                      is_trainable=is_trainable)
    guard_token_wrappers(model)
    for n in names[1:]:
        model.load_adapter(str(root / n), adapter_name=n, is_trainable=is_trainable)
        guard_token_wrappers(model)  # a later adapter may be the one with new-token rows
    set_active_adapters(model, names if active is None else active)
    return model
