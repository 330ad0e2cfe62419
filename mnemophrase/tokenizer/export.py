"""SentencePiece model -> Hugging Face `tokenizer.json` + `tokenizer_config.json`.

The `tokenizers` pipeline is built here from the model's pieces and scores rather than by
transformers' slow->fast conversion: in transformers 5, constructing a Llama tokenizer from
a `vocab_file` can silently write a tokenizer.json with an empty vocabulary, and the
converter needs protobuf. Our models use identity normalization and no dummy prefix, so
the whole pipeline is: spaces -> "▁", the same model (Unigram or BPE with byte fallback),
and the reverse on decode. `verify_export` checks the ids equal SentencePiece's after every
training.
"""

from __future__ import annotations

from pathlib import Path

from .errors import TokenizerError
from .spm_trainer import BOS, EOS, PAD, UNK

SPACE = "▁"


def _pieces(sp) -> list[tuple[str, float]]:
    return [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]


def _bpe_merges(sp) -> list[tuple[str, str]]:
    """Merges in SentencePiece's priority: a pair whose union scores higher merges first.

    SentencePiece BPE merges the adjacent pair whose concatenation is the best-scoring piece;
    a `tokenizers` BPE merges the lowest-ranked pair. Listing every split (left, right) of
    every piece, ordered by the piece's score, makes the two agree.
    """
    vocab = {}
    for i in range(sp.get_piece_size()):
        if sp.is_byte(i) or sp.is_control(i) or sp.is_unknown(i):
            continue
        vocab[sp.id_to_piece(i)] = i
    merges = []
    for piece, i in vocab.items():
        score = sp.get_score(i)
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in vocab and right in vocab:
                merges.append((-score, i, vocab[left], vocab[right], left, right))
    merges.sort()
    return [(m[4], m[5]) for m in merges]


def build_fast_tokenizer(model_file: Path, model_type: str):
    """A `tokenizers.Tokenizer` that encodes exactly like the SentencePiece model.

    `model_type` ("unigram" or "bpe") is what the model was trained as: the .model file
    records it only inside its protobuf, which this package does not need to read.
    """
    import sentencepiece as spm
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers

    sp = spm.SentencePieceProcessor(model_file=str(model_file))
    pieces = _pieces(sp)
    unk_id = sp.unk_id()
    if sp.piece_to_id("<0x00>") == unk_id:
        raise TokenizerError(f"{model_file}: trained without byte_fallback; cannot export")
    if model_type == "bpe":
        vocab = {piece: i for i, (piece, _) in enumerate(pieces)}
        model = models.BPE(vocab=vocab, merges=_bpe_merges(sp), unk_token=UNK,
                           byte_fallback=True, fuse_unk=False)
    else:
        model = models.Unigram(pieces, unk_id=unk_id, byte_fallback=True)
    tok = Tokenizer(model)
    tok.normalizer = normalizers.Replace(" ", SPACE)
    tok.decoder = decoders.Sequence([decoders.Replace(SPACE, " "), decoders.ByteFallback(),
                                     decoders.Fuse()])
    # special tokens never come out of ordinary text (SentencePiece treats them as control
    # symbols); registering them lets `skip_special_tokens` and chat templates work
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t in (PAD, BOS, EOS, UNK)])
    return tok


def export_transformers(model_file: Path, out_dir: Path, model_type: str,
                        model_max_length: int = 4096) -> Path:
    """Write tokenizer.json and tokenizer_config.json into out_dir; returns out_dir.

    The config is written directly rather than through transformers' save_pretrained, so
    training does not import transformers (over a second of the time budget); the tests
    load the folder with AutoTokenizer and compare ids with SentencePiece.
    """
    import json

    out_dir = Path(out_dir)
    write_text(out_dir / "tokenizer.json",
               build_fast_tokenizer(model_file, model_type).to_str(pretty=True))
    config = {
        # "PreTrainedTokenizerFast" loads tokenizer.json as it is, in transformers 4 and 5
        # (where it is an alias of TokenizersBackend); a model-specific class such as
        # LlamaTokenizerFast would rebuild the pipeline with its own normalizer
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": BOS, "eos_token": EOS, "unk_token": UNK, "pad_token": PAD,
        "add_bos_token": False, "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": model_max_length,
    }
    write_text(out_dir / "tokenizer_config.json", json.dumps(config, indent=2) + "\n")
    return out_dir


def write_text(path: Path, text: str) -> None:
    """Write through Python's I/O rather than `Tokenizer.save`: tokenizers reports a full
    disk as a bare Exception ("No space left on device (os error 28)"), Python as an
    OSError, which names the file here and which the command line says in one line."""
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None


def verify_export(model_file: Path, tokenizer_json: Path, texts: list[str]) -> list[str]:
    """The texts whose ids differ between SentencePiece and tokenizer.json (empty = same).

    Run on every training: an exported tokenizer that encodes differently — or, the known
    transformers 5 trap, to nothing at all — must fail the training, not a later run.
    """
    import sentencepiece as spm
    from tokenizers import Tokenizer

    sp = spm.SentencePieceProcessor(model_file=str(model_file))
    fast = Tokenizer.from_file(str(tokenizer_json))
    got = [e.ids for e in fast.encode_batch(texts, add_special_tokens=False)]
    return [t for t, a, b in zip(texts, sp.encode(texts), got) if a != b]
