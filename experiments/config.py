"""The arms of the experiment and the sizes of a run: what is trained, how much, measured how.

An arm is one curriculum with one set of ways to keep the core. Arms that start with the
mnemo core branch from one saved core per seed and format (`root="core"`), and the reverse
arm from one saved language adapter per seed (`root="language"`), so paired comparisons
differ only in what the arm changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mnemophrase.train_plugin.protection import Protection

FORMATS = ("prompt", "chat")
LANGUAGE_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # core + w * language


@dataclass(frozen=True)
class Arm:
    name: str
    description: str
    format: str = "chat"
    regime: str = "sequential"  # sequential | mixed | reverse
    stages: tuple[str, ...] = ("mnemo", "language")
    protection: Protection = field(default_factory=Protection)  # on the stages after the first
    extended: bool = False  # the mnemo stage alone, on the model extended by our tokenizer

    @property
    def root(self) -> str | None:
        """The saved first stage this arm branches from: "core", "language" or None."""
        if self.regime == "mixed" or self.extended:
            return None
        return "language" if self.regime == "reverse" else "core"

    @property
    def later_stages(self) -> tuple[str, ...]:
        """Stages trained on top of the root, in run order."""
        order = self.stages[::-1] if self.regime == "reverse" else self.stages
        return order[1:]


# The protections' settings are fixed before any run: replay a quarter of each later step's
# rows, keep_core at weight 1, the core off on a quarter of the later steps.
REPLAY, KEEP_CORE, CORE_DROPOUT = 0.25, 1.0, 0.25
COMBINED = Protection(replay=REPLAY, keep_core=KEEP_CORE, core_dropout=CORE_DROPOUT)

# In priority order: a run short of time (--budget-minutes) drops arms from the end.
ARMS: dict[str, Arm] = {a.name: a for a in (
    Arm("combined", f"formats + replay {REPLAY:g} + keep_core {KEEP_CORE:g} + core dropout "
        f"{CORE_DROPOUT:g} (fixed in advance, not chosen after the results)",
        protection=COMBINED),
    Arm("extension", "the mnemo stage on the model extended by the training build's "
        "tokenizer (marked hyperwords, new rows trained), paired with the plain core",
        stages=("mnemo",), extended=True),
    Arm("formats", "sequential mnemo -> language, chat rows naming the task"),
    Arm("reverse", "language first (on the base alone: the reference), then the mnemo core",
        regime="reverse"),
    Arm("mixed", "one adapter, mnemo and language rows interleaved", regime="mixed"),
    Arm("replay", f"formats + replay {REPLAY:g} of each language step from mnemo rows",
        protection=Protection(replay=REPLAY)),
    Arm("keep_core", f"formats + keep_core {KEEP_CORE:g} (KL to the core alone on mnemo rows)",
        protection=Protection(keep_core=KEEP_CORE)),
    Arm("core_dropout", f"formats + core off on {CORE_DROPOUT:g} of the language steps",
        protection=Protection(core_dropout=CORE_DROPOUT)),
    Arm("bridge", "formats + a bridge stage (hyperword -> sentence) before language",
        stages=("mnemo", "bridge", "language")),
    Arm("plain", "sequential mnemo -> language, prompt rows with a short task marker",
        format="prompt"),
)}


@dataclass
class Sizes:
    """How much is trained and measured; `--quick` and the full run differ only here."""

    scenes: int = 4000
    rows: int = 1024  # trained rows per stage
    # the language stage's rows when they differ from `rows` (None: `rows`): a language
    # stage shorter than a long mnemo stage keeps a run affordable on a CPU
    language_rows: int | None = None
    batch_size: int = 16  # rows per optimizer step
    grad_accum: int = 2  # micro-batches per step: shorter flattened rows, cheaper attention
    lr: float = 2e-3
    rank: int = 16
    lora_layers: int = 15  # LoRA on the top N decoder layers (0: all)
    max_length: int = 160
    # the chat rows' system turn: SmolLM2's default one is 27 tokens, a third of a gloss row
    system: str | None = "You are a helpful assistant."
    eval_rows: int = 256  # rows per evaluation set
    recall_rows: int = 128  # hyperwords decoded for concept recall
    distractors: int = 4  # forced choice: wrong words per constituent (chance 1 / (k + 1))
    min_occurrences: int | None = None  # the training build's balanced draw (corpusgen)
    choice_rows: int = 64  # recall hyperwords whose constituents make the forced choice
    # a learning curve: the core is also measured after these many trained rows (the
    # learning rate is constant, so a checkpoint is what a run of that many rows gives)
    curve: tuple[int, ...] = ()
    max_new_tokens: int = 40
    holdout: float = 0.1  # share of lexicon concepts kept out of the training build
    concepts: int | None = None  # use only this many lexicon concepts (None: all)
    seeds: tuple[int, ...] = (0, 1, 2)
    tokenizer_vocab: int = 40000  # the extension arm's tokenizer: pieces asked for
    tokenizer_background: int = 10000  # and background words per language
    bootstrap: int = 1000
    eval_batch: int = 32  # rows per decoding batch
    eval_tokens: int = 384  # tokens per flattened loss batch (attention is dense over it)
    extra: dict = field(default_factory=dict)

    def stage_rows(self, stage: str) -> int:
        """Rows trained in `stage`."""
        return (self.language_rows or self.rows) if stage == "language" else self.rows


def full_sizes() -> Sizes:
    return Sizes()


def quick_sizes() -> Sizes:
    """A tiny random Llama over a small build: every arm and measure, in seconds (the
    extension's tokenizer without background lists, sized for a 40-concept build)."""
    return Sizes(scenes=400, rows=32, concepts=40, batch_size=8, grad_accum=1, lr=5e-3,
                 rank=4, lora_layers=0, max_length=320, eval_rows=8, recall_rows=4,
                 max_new_tokens=8, choice_rows=4, seeds=(0, 1), tokenizer_vocab=600,
                 tokenizer_background=0, bootstrap=200, eval_batch=8, eval_tokens=512)
