"""The vocabulary extension: ordinary text keeps the base ids exactly, marked hyperwords get
our pieces, every added token can be produced, the new rows start as documented (tied and
untied heads), PEFT trains only them, and the saved folder is written safely. Fast tests use
a SmolLM2-shaped byte-level tokenizer built here and tiny random Llamas; the real
SmolLM2-135M-Instruct is in the tests marked slow."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizer_fixtures import CODE, smollm2_shaped_tokenizer, stage_texts, trained_build

from mnemophrase.tokenizer.errors import TokenizerError
from mnemophrase.tokenizer.extend_model import (
    check_out_folder,
    extend_base,
    extend_model,
    load_extended,
    usage,
)
from mnemophrase.tokenizer.extend_tokenizer import Extension, candidate_pieces, unproducible
from mnemophrase.tokenizer.marking import CLOSE, OPEN, HyperwordMarker, unmark


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Path:
    return trained_build(tmp_path_factory)


@pytest.fixture(scope="session")
def base_tok(trained):
    return smollm2_shaped_tokenizer(trained)


def tiny_llama(vocab_size: int, tie: bool = True):
    from mnemophrase.basemodel import tiny_llama as make

    return make(vocab_size, hidden=32, layers=1, heads=2, kv_heads=1, intermediate=64,
                tie=tie)


@pytest.fixture(scope="session")
def extended(trained, base_tok):
    """(tokenizer, extension, marker) of the base tokenizer extended by our pieces."""
    import copy

    tok = copy.deepcopy(base_tok)
    ext, marker = extend_model(tiny_llama(len(tok)), tok, trained / "tokenizer")
    return tok, ext, marker


def rows(trained: Path, stage: str = "mnemo", split: str = "test") -> list[dict]:
    return pl.read_parquet(trained / "data" / stage / f"{split}-00000-of-00001.parquet").to_dicts()


# --- ordinary text is left alone ------------------------------------------------------------

# Cyrillic, Latin, Thai with its marks, digits, code punctuation, whitespace, characters no
# build has, and whole words of the build (which must not turn into our pieces unmarked)
ORDINARY = st.lists(
    st.one_of(
        st.sampled_from(list("водагрустьсвет" "waterlight" "น้ำแสงเศร้าำ่"
                             "0123 ,.!?\n\t(){}[]=+-*/#_:;'\"" "ЖЁ€😀中ñ")),
        st.sampled_from(["вода", "грусть", "water", " with", "the", " theatre", "น้ำ", "def ",
                         "return", "водагрусть", "waterlight", "<|im_start|>", " ", "\n\n"]),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(ORDINARY)
def test_ordinary_text_gets_exactly_the_base_ids(base_tok, extended, text):
    tok, _, _ = extended
    assert tok(text, add_special_tokens=False)["input_ids"] == \
        base_tok(text, add_special_tokens=False)["input_ids"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["system", "user", "assistant"]), ORDINARY),
                min_size=1, max_size=4))
def test_chat_templated_text_gets_exactly_the_base_ids(base_tok, extended, turns):
    tok, _, _ = extended
    messages = [{"role": role, "content": content} for role, content in turns]
    expected = base_tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
    got = tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
    assert got == expected


def test_the_builds_own_text_and_code_keep_their_ids(trained, base_tok, extended):
    tok, _, _ = extended
    texts = stage_texts(trained, columns=("completion",))[:3000] + CODE
    assert tok(texts, add_special_tokens=False)["input_ids"] == \
        base_tok(texts, add_special_tokens=False)["input_ids"]


# --- hyperwords use our pieces --------------------------------------------------------------

def test_a_marked_hyperword_is_exactly_our_cut(trained, extended):
    import sentencepiece as spm

    tok, ext, marker = extended
    sp = spm.SentencePieceProcessor(model_file=str(trained / "tokenizer" / "tokenizer.model"))
    by_id = dict(zip(ext.new_ids, ext.pieces))
    for row in rows(trained)[:300]:
        ids = tok(marker.mark(row["hyperword"]), add_special_tokens=False)["input_ids"]
        assert [by_id[i] for i in ids] == sp.encode(row["hyperword"], out_type=str)


def test_marked_rows_shrink_and_decode_back(trained, base_tok, extended):
    tok, ext, marker = extended
    marked_tokens = base_tokens = 0
    for row in rows(trained)[:50] + rows(trained, "bridge")[:50]:
        out = marker.mark_row(row)
        ids = tok(out["prompt"], add_special_tokens=False)["input_ids"]
        marked_tokens += len(ids)
        base_tokens += len(base_tok(row["prompt"], add_special_tokens=False)["input_ids"])
        assert set(ids) & set(ext.new_ids)
        assert unmark(tok.decode(ids)) == row["prompt"]
        assert out["text"] == out["prompt"] + out["completion"]
        user = [m for m in out["messages"] if m["role"] == "user"]
        assert all(OPEN in m["content"] for m in user)
        assert unmark(user[0]["content"]) == row["messages"][0]["content"]
    assert marked_tokens < base_tokens
    language = rows(trained, "language")[0]
    assert HyperwordMarker.mark_row(marker, language) == language


def test_every_added_token_is_produced_by_marking_its_piece(trained, extended):
    tok, ext, marker = extended
    got = tok(marker.mark_many(ext.pieces), add_special_tokens=False)["input_ids"]
    assert [ids for ids in got] == [[i] for i in ext.new_ids]
    assert unproducible(tok, ext) == []
    # and SentencePiece itself produces each one: no piece is shadowed by a better cut
    kept, left_out = candidate_pieces(trained / "tokenizer" / "tokenizer.model")
    assert kept == ext.pieces and left_out["never produced"] == 0


def test_no_added_token_holds_a_space(extended):
    _, ext, _ = extended
    assert ext.pieces and not [p for p in ext.pieces if " " in p or "▁" in p]


def test_usage_reports_the_share_of_added_tokens_the_build_uses(trained, extended):
    tok, ext, marker = extended
    hyperwords = [r["hyperword"] for r in rows(trained, split="train")]
    report = usage(tok, ext, marker, hyperwords)
    assert 0 < report["added_tokens_used"] <= len(ext.new_ids)
    assert report["added_tokens_used_share"] == pytest.approx(
        report["added_tokens_used"] / len(ext.new_ids), abs=1e-4)
    assert report["tokens_per_hyperword"]["extended"] < report["tokens_per_hyperword"]["base"]


# --- the new rows ---------------------------------------------------------------------------

@pytest.mark.parametrize("tie", [True, False])
def test_mean_rows_are_the_mean_of_their_base_rows(trained, base_tok, tie):
    import copy

    tok = copy.deepcopy(base_tok)
    model = tiny_llama(len(tok), tie=tie)
    before_in = model.get_input_embeddings().weight.detach().clone()
    before_out = model.get_output_embeddings().weight.detach().clone()
    ext, _ = extend_model(model, tok, trained / "tokenizer", init="mean")
    weight = model.get_input_embeddings().weight.detach()
    out = model.get_output_embeddings().weight.detach()
    assert weight.shape[0] == len(tok) == model.config.vocab_size
    assert torch.equal(weight[:ext.base_vocab_size], before_in)
    for new_id, old in list(zip(ext.new_ids, ext.base_ids))[::50]:
        assert torch.allclose(weight[new_id], before_in[old].mean(dim=0))
        assert torch.allclose(out[new_id], before_out[old].mean(dim=0))
    assert (out.data_ptr() == weight.data_ptr()) is tie


@pytest.mark.parametrize("tie", [True, False])
def test_mean_resizing_rows_follow_the_base_distribution(trained, base_tok, tie):
    import copy

    tok = copy.deepcopy(base_tok)
    model = tiny_llama(len(tok), tie=tie)
    before = model.get_input_embeddings().weight.detach().clone()
    ext, _ = extend_model(model, tok, trained / "tokenizer", init="mean-resizing")
    new = model.get_input_embeddings().weight.detach()[ext.new_ids]
    assert torch.equal(model.get_input_embeddings().weight.detach()[:ext.base_vocab_size],
                       before)
    # every new row sits at the base rows' mean, not at its pieces' mean
    assert torch.allclose(new.mean(dim=0), before.mean(dim=0), atol=1e-3)
    piece_mean = before[ext.base_ids[0]].mean(dim=0)
    assert not torch.allclose(new[0], piece_mean, atol=1e-3)
    if not tie:
        out = model.get_output_embeddings().weight.detach()
        assert out.shape[0] == len(tok) and out.data_ptr() != new.data_ptr()


def test_mean_untied_reads_pieces_and_keeps_ordinary_probabilities(trained, base_tok, tmp_path):
    import copy

    from transformers import AutoModelForCausalLM

    tok = copy.deepcopy(base_tok)
    model = tiny_llama(len(tok), tie=True)
    before = model.get_input_embeddings().weight.detach().clone()
    ext, _ = extend_model(model, tok, trained / "tokenizer", init="mean-untied")
    weight = model.get_input_embeddings().weight.detach()
    out = model.get_output_embeddings().weight.detach()
    assert out.data_ptr() != weight.data_ptr() and not model.config.tie_word_embeddings
    base = ext.base_vocab_size
    assert torch.equal(weight[:base], before) and torch.equal(out[:base], before)
    for new_id, old in list(zip(ext.new_ids, ext.base_ids))[::50]:
        assert torch.allclose(weight[new_id], before[old].mean(dim=0))
        assert not torch.allclose(out[new_id], before[old].mean(dim=0), atol=1e-3)
    assert torch.allclose(out[ext.new_ids].mean(dim=0), before.mean(dim=0), atol=1e-3)
    # the untied head survives a save and a load
    model.save_pretrained(tmp_path / "m")
    again = AutoModelForCausalLM.from_pretrained(tmp_path / "m")
    assert torch.equal(again.get_output_embeddings().weight, out)
    assert torch.equal(again.get_input_embeddings().weight, weight)


def test_unknown_initialisation_is_refused(trained, base_tok):
    import copy

    tok = copy.deepcopy(base_tok)
    with pytest.raises(TokenizerError, match="unknown initialisation 'zeros'"):
        extend_model(tiny_llama(len(tok)), tok, trained / "tokenizer", init="zeros")


def test_peft_trains_only_the_new_rows(trained, base_tok):
    import copy

    from peft import LoraConfig, get_peft_model

    tok = copy.deepcopy(base_tok)
    model = tiny_llama(len(tok))
    ext, marker = extend_model(model, tok, trained / "tokenizer")
    weight_before = model.get_input_embeddings().weight.detach().clone()
    config = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], **ext.peft_kwargs())
    peft_model = get_peft_model(model, config)
    row = marker.mark_row(rows(trained)[0])
    batch = tok([row["text"]], return_tensors="pt")
    optimizer = torch.optim.SGD([p for p in peft_model.parameters() if p.requires_grad],
                                lr=1.0)
    loss = peft_model(**batch, labels=batch["input_ids"]).loss
    loss.backward()
    optimizer.step()
    merged = peft_model.merge_and_unload().get_input_embeddings().weight.detach()
    changed = (merged != weight_before).any(dim=1).nonzero().flatten().tolist()
    used_new = set(batch["input_ids"][0].tolist()) & set(ext.new_ids)
    assert used_new, "the marked row should use new tokens"
    assert set(changed) <= set(ext.new_ids)
    assert used_new <= set(changed)


# --- the saved folder -----------------------------------------------------------------------

@pytest.fixture(scope="session")
def base_folder(tmp_path_factory, base_tok) -> Path:
    folder = tmp_path_factory.mktemp("base") / "tiny"
    tiny_llama(len(base_tok)).save_pretrained(folder)
    base_tok.save_pretrained(folder)
    return folder


def test_extend_base_writes_a_folder_that_loads_back(trained, base_folder, tmp_path):
    out = tmp_path / "extended"
    summary = extend_base(trained, str(base_folder), out)
    model, tok, ext, marker = load_extended(out)
    assert len(tok) == model.get_input_embeddings().weight.shape[0]
    assert summary["added"] == len(ext.new_ids) > 0
    assert 0 < summary["build"]["added_tokens_used_share"] <= 1
    info = json.loads((out / "extension.json").read_text(encoding="utf-8"))
    assert info["new_ids"] == ext.new_ids and info["summary"] == summary
    hyperword = rows(trained)[0]["hyperword"]
    ids = tok(marker.mark(hyperword), add_special_tokens=False)["input_ids"]
    assert ids and set(ids) <= set(ext.new_ids)
    assert not list(tmp_path.glob(".extended*")), "temporary folders left behind"


def test_extend_refuses_to_replace_what_it_did_not_make(trained, base_folder, tmp_path):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "thesis.txt").write_text("my own work", encoding="utf-8")
    with pytest.raises(TokenizerError, match="did not make"):
        extend_base(trained, str(base_folder), mine, overwrite=True)
    assert (mine / "thesis.txt").read_text(encoding="utf-8") == "my own work"
    afile = tmp_path / "a-file"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(TokenizerError, match="is a file"):
        check_out_folder(afile, overwrite=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    check_out_folder(empty, overwrite=False)


def test_extend_replaces_its_own_folder_only_with_overwrite(trained, base_folder, tmp_path):
    out = tmp_path / "again"
    extend_base(trained, str(base_folder), out)
    with pytest.raises(TokenizerError, match="pass --overwrite"):
        extend_base(trained, str(base_folder), out)
    extend_base(trained, str(base_folder), out, overwrite=True, init="mean-resizing")
    assert Extension.load(out).init == "mean-resizing"


@pytest.mark.parametrize("problem", ["no config", "no tokenizer", "not a build"])
def test_extend_bad_inputs_are_one_line_errors(trained, tmp_path, problem):
    if problem == "no config":
        args, fragment = (trained, str(tmp_path), tmp_path / "o"), "no config.json"
    elif problem == "no tokenizer":
        import shutil

        bare = tmp_path / "bare"
        shutil.copytree(trained, bare, ignore=shutil.ignore_patterns("tokenizer"))
        args, fragment = (bare, "smollm2", tmp_path / "o"), "no tokenizer yet"
    else:
        args, fragment = (tmp_path / "missing", "smollm2", tmp_path / "o"), "no such folder"
    with pytest.raises(TokenizerError, match=fragment) as info:
        extend_base(*args)
    assert "\n" not in str(info.value)


def test_loading_a_folder_that_is_not_extended_says_so(tmp_path):
    with pytest.raises(TokenizerError, match="not an extended model"):
        Extension.load(tmp_path)


def test_a_marked_hyperword_cannot_be_marked_again(extended):
    _, _, marker = extended
    with pytest.raises(TokenizerError, match="already marked"):
        marker.mark(OPEN + "вода" + CLOSE)


# --- the real model -------------------------------------------------------------------------

@pytest.mark.slow
def test_smollm2_ordinary_text_keeps_its_ids_and_hyperwords_shrink(trained):
    """SmolLM2-135M-Instruct's own tokenizer: 1,000 ordinary texts (the build's glosses and
    sentences in three languages, code, chat-templated turns) keep their ids exactly; the
    test split's hyperwords take far fewer tokens marked."""
    import copy

    from mnemophrase.basemodel import load_smollm2_tokenizer

    base = load_smollm2_tokenizer()
    tok = copy.deepcopy(base)
    ext, marker = extend_model(tiny_llama(len(tok)), tok, trained / "tokenizer")
    texts = stage_texts(trained, columns=("completion",))[:1000 - len(CODE)] + CODE
    assert tok(texts, add_special_tokens=False)["input_ids"] == \
        base(texts, add_special_tokens=False)["input_ids"]
    messages = [{"role": "user", "content": t} for t in texts[:50]]
    assert tok.apply_chat_template(messages, tokenize=True) == \
        base.apply_chat_template(messages, tokenize=True)
    hyperwords = [r["hyperword"] for r in rows(trained)]
    report = usage(tok, ext, marker, hyperwords)
    assert report["tokens_per_hyperword"]["extended"] < report["tokens_per_hyperword"]["base"] / 3
    assert unproducible(tok, ext) == []
