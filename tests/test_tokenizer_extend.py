"""Extending a base model's vocabulary with our pieces: on a tiny random Llama with a small
byte-level base tokenizer (fast), and on the real SmolLM2-135M-Instruct (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import torch
from test_tokenizer_fixtures import corpusgen, stage_texts, trained_build

from tokenizer.extend import extend_model, missing_pieces, our_pieces, tokens_per_text


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Path:
    return trained_build(tmp_path_factory)


def base_tokenizer(trained: Path):
    """A byte-level BPE of 600 tokens trained on the build's glosses: like SmolLM2's
    tokenizer in kind (byte-level), far smaller, so most of our pieces are missing."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    glosses = pl.read_parquet(trained / "data" / "mnemo" / "train-00000-of-00001.parquet",
                              columns=["gloss"])["gloss"].to_list()
    bpe = ByteLevelBPETokenizer(add_prefix_space=False)
    bpe.train_from_iterator(glosses, vocab_size=600, min_frequency=2, show_progress=False,
                            special_tokens=["<|endoftext|>"])
    return PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, eos_token="<|endoftext|>",
                                   pad_token="<|endoftext|>")


def tiny_llama(vocab_size: int, tie: bool = True):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64,
                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                         max_position_embeddings=256, tie_word_embeddings=tie)
    return LlamaForCausalLM(config)


def test_only_missing_pieces_are_added_and_rows_start_at_their_mean(trained):
    tok = base_tokenizer(trained)
    model = tiny_llama(len(tok))
    before = model.get_input_embeddings().weight.detach().clone()
    ours = our_pieces(trained / "tokenizer")
    missing, _ = missing_pieces(tok, ours)
    present = [p for p in ours if p not in set(missing)]
    assert present, "some pieces should already be single base tokens"

    ext = extend_model(model, tok, trained / "tokenizer")

    assert ext.pieces == missing and len(ext.new_ids) == len(missing)
    assert ext.new_ids == list(range(ext.base_vocab_size, ext.base_vocab_size + len(missing)))
    assert len(tok) == model.get_input_embeddings().weight.shape[0]
    weight = model.get_input_embeddings().weight.detach()
    assert torch.equal(weight[:ext.base_vocab_size], before)      # old rows untouched
    for piece, new_id, old in list(zip(ext.pieces, ext.new_ids, ext.base_ids))[::97]:
        assert len(old) > 1
        assert torch.allclose(weight[new_id], before[old].mean(dim=0)), piece
    # tied like SmolLM2: the output layer reads the same (grown) matrix
    assert model.get_output_embeddings().weight.data_ptr() == weight.data_ptr()
    assert model.config.vocab_size == len(tok)


def test_untied_output_rows_start_at_their_mean_too(trained):
    tok = base_tokenizer(trained)
    model = tiny_llama(len(tok), tie=False)
    out_before = model.get_output_embeddings().weight.detach().clone()
    ext = extend_model(model, tok, trained / "tokenizer")
    out = model.get_output_embeddings().weight.detach()
    new_id, old = ext.new_ids[0], ext.base_ids[0]
    assert torch.allclose(out[new_id], out_before[old].mean(dim=0))


def test_extended_tokenizer_takes_fewer_tokens_and_still_round_trips(trained):
    tok = base_tokenizer(trained)
    frame = pl.read_parquet(trained / "data" / "mnemo" / "test-00000-of-00001.parquet",
                            columns=["hyperword"])
    hyperwords = frame["hyperword"].to_list()
    before = tokens_per_text(tok, hyperwords)
    extend_model(tiny_llama(len(tok)), tok, trained / "tokenizer")
    after = tokens_per_text(tok, hyperwords)
    assert after < before / 2, (before, after)
    texts = stage_texts(trained, columns=("text",))[:3000]
    ids = tok(texts, add_special_tokens=False)["input_ids"]
    assert [t for t, d in zip(texts, tok.batch_decode(ids)) if t != d] == []


def test_peft_trains_only_the_new_rows(trained):
    from peft import LoraConfig, get_peft_model

    tok = base_tokenizer(trained)
    model = tiny_llama(len(tok))
    ext = extend_model(model, tok, trained / "tokenizer")
    weight_before = model.get_input_embeddings().weight.detach().clone()
    config = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], **ext.peft_kwargs())
    peft_model = get_peft_model(model, config)
    batch = tok(["водагрустьсвет\nощущение грусти у воды"], return_tensors="pt")
    optimizer = torch.optim.SGD([p for p in peft_model.parameters() if p.requires_grad],
                                lr=1.0)
    loss = peft_model(**batch, labels=batch["input_ids"]).loss
    loss.backward()
    optimizer.step()
    merged = peft_model.merge_and_unload().get_input_embeddings().weight.detach()
    changed = (merged != weight_before).any(dim=1).nonzero().flatten().tolist()
    used_new = set(batch["input_ids"][0].tolist()) & set(ext.new_ids)
    assert used_new, "the batch should use some new tokens"
    # the old rows never move; the new rows the batch used do (the tied output layer gives
    # every new row a gradient through the softmax, so unused new rows may move as well)
    assert set(changed) <= set(ext.new_ids)
    assert used_new <= set(changed)


def test_extend_command_writes_model_tokenizer_and_ids(trained, tmp_path):
    tok = base_tokenizer(trained)
    base = tmp_path / "base"
    tiny_llama(len(tok)).save_pretrained(base)
    tok.save_pretrained(base)
    out = tmp_path / "extended"
    result = corpusgen("tokenizer", "extend", trained, "--base", base, "--out", out)
    assert result.exit_code == 0, result.output + result.stderr
    info = json.loads((out / "extension.json").read_text(encoding="utf-8"))
    assert info["added"] == len(info["trainable_token_indices"]) > 0
    assert info["tokens_per_test_hyperword"]["after"] < info["tokens_per_test_hyperword"]["before"]
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert len(AutoTokenizer.from_pretrained(out)) == \
        AutoModelForCausalLM.from_pretrained(out).get_input_embeddings().weight.shape[0]
    again = corpusgen("tokenizer", "extend", trained, "--base", base, "--out", out)
    assert again.exit_code == 1 and "exists" in again.stderr


def test_extend_with_a_bad_base_is_one_line(trained, tmp_path):
    result = corpusgen("tokenizer", "extend", trained, "--base", tmp_path, "--out",
                       tmp_path / "o")
    assert result.exit_code == 1 and "no config.json" in result.stderr
    assert result.stderr.count("\n") == 1


# --- the real model --------------------------------------------------------------------

@pytest.mark.slow
def test_smollm2_hyperwords_shrink_and_gloss_loss_starts_no_worse(trained):
    """SmolLM2-135M-Instruct: a test hyperword's tokens before and after, and the loss on
    the glosses given their hyperwords. Per token the numbers are not comparable (each new
    token carries more text), so the loss compared is the total over each gloss, per
    character: the extended model must not start worse than the base."""
    from train_plugin.models import load_smollm2

    frame = pl.read_parquet(trained / "data" / "mnemo" / "test-00000-of-00001.parquet",
                            columns=["hyperword", "prompt", "completion"])
    rows = list(zip(frame["prompt"].to_list(), frame["completion"].to_list()))[:40]

    def gloss_loss(model, tok) -> float:
        model.eval()
        nats = chars = 0.0
        for prompt, completion in rows:
            p = tok(prompt, add_special_tokens=False)["input_ids"]
            c = tok(completion, add_special_tokens=False)["input_ids"]
            ids = torch.tensor([p + c])
            labels = torch.tensor([[-100] * len(p) + c])
            with torch.no_grad():
                nats += model(input_ids=ids, labels=labels).loss.item() * len(c)
            chars += len(completion)
        return nats / chars

    model, tok = load_smollm2()
    hyperword = "водагрустьплавностьсвет"
    before_tokens = len(tok(hyperword, add_special_tokens=False)["input_ids"])
    before_test = tokens_per_text(tok, frame["hyperword"].to_list())
    base_loss = gloss_loss(model, tok)

    ext = extend_model(model, tok, trained / "tokenizer")
    after_tokens = len(tok(hyperword, add_special_tokens=False)["input_ids"])
    after_test = tokens_per_text(tok, frame["hyperword"].to_list())
    extended_loss = gloss_loss(model, tok)
    print(f"\nadded {len(ext.new_ids)} tokens; {hyperword}: {before_tokens} -> {after_tokens}; "
          f"test hyperwords {before_test:.2f} -> {after_test:.2f} tokens; gloss loss "
          f"{base_loss:.3f} -> {extended_loss:.3f} nats/char")
    assert before_tokens == 17                       # the count
    assert after_tokens <= 6 and after_test < before_test / 3
    assert extended_loss <= base_loss
