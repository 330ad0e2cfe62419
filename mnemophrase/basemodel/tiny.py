"""Random tiny Llamas and a character tokenizer: models for tests that download nothing."""

from __future__ import annotations

CHAR_SPECIALS = ("<pad>", "<s>", "</s>", "<unk>")
CHAT_SPECIALS = ("<|im_start|>", "<|im_end|>")
# ChatML, as SmolLM2 uses it: a default system turn when the conversation has none
CHATML = (
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a tiny test model.<|im_end|>\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


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


def char_tokenizer(texts, extra_tokens: tuple[str, ...] = (), bos: bool = True,
                   chat: bool = False):
    """A character-level fast tokenizer over the characters of `texts` (sorted, so stable).

    ids: <pad>=0, <s>=1, </s>=2, <unk>=3, then `extra_tokens`, then characters. With
    `bos=True` each text starts with <s>; `bos=False` adds nothing, like SmolLM2's tokenizer.
    `chat=True` adds SmolLM2's ChatML specials (<|im_start|>, <|im_end|>, after the
    characters) and a ChatML chat template, with <|im_end|> as EOS like SmolLM2.
    """
    from tokenizers import Tokenizer, decoders, models, processors
    from transformers import PreTrainedTokenizerFast

    chars = sorted({c for t in texts for c in t})
    vocab = {tok: i for i, tok in enumerate(CHAR_SPECIALS)}
    for tok in list(extra_tokens) + chars:
        vocab.setdefault(tok, len(vocab))
    # BPE with no merges is a character tokenizer that still knows multi-char added tokens
    core = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    core.decoder = decoders.Fuse()  # decode joins characters as they were, no spaces between
    if bos:
        core.post_processor = processors.TemplateProcessing(
            single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", 1)]
        )
    tok = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", bos_token="<s>",
                                  eos_token="</s>", unk_token="<unk>")
    if extra_tokens:
        tok.add_tokens(list(extra_tokens))
    if chat:
        tok.add_special_tokens({"additional_special_tokens": list(CHAT_SPECIALS)})
        tok.eos_token = "<|im_end|>"
        tok.chat_template = CHATML
    return tok
