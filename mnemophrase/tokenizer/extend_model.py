"""`corpusgen tokenizer extend`: a base model and its tokenizer grown by our pieces.

    from mnemophrase.tokenizer.extend_model import extend_model, load_extended
    ext, marker = extend_model(model, tok, "build/100k/tokenizer")     # in place
    ids = tok(marker.mark_row(row)["prompt"])["input_ids"]                # our pieces

The tokenizer mechanism is in extend_tokenizer.py, the marking of hyperwords in marking.py, the
starting rows in init_embeddings.py. The saved folder holds the model, the tokenizer, our
SentencePiece model (`hyperword.model`, for marking) and extension.json (the new ids, for
PEFT's `trainable_token_indices`, and what the extension measured).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from mnemophrase.corpusgen.contract import CARD

from .corpus import hyperword_parts, open_build, read_stage
from .errors import TokenizerError
from .extend_tokenizer import EXTENSION_FILE, PIECES_MODEL, Extension, extend_tokenizer
from .init_embeddings import resize_and_init
from .marking import HyperwordMarker

MODEL_FILE = "tokenizer.model"


def extend_model(model, base_tokenizer, tokenizer_dir: Path,
                 init: str = "mean-untied") -> tuple[Extension, HyperwordMarker]:
    """Extend tokenizer and model together, in place: marked added tokens for our pieces,
    the embeddings grown to the new tokenizer, the new rows started by `init`. Returns the
    extension and the marker that writes hyperwords for it."""
    ext = extend_tokenizer(base_tokenizer, tokenizer_dir)
    ext.init = init
    if ext.new_ids:
        resize_and_init(model, len(base_tokenizer), ext.new_ids, ext.base_ids, init)
    return ext, HyperwordMarker(Path(tokenizer_dir) / MODEL_FILE, set(ext.pieces))


def load_extended(folder: Path, **model_kwargs):
    """(model, tokenizer, extension, marker) of a folder `extend` wrote."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = Path(folder)
    ext = Extension.load(folder)
    model = AutoModelForCausalLM.from_pretrained(folder, **model_kwargs)
    tok = AutoTokenizer.from_pretrained(folder)
    return model, tok, ext, HyperwordMarker(folder / PIECES_MODEL, set(ext.pieces))


def folder_readme(out: Path) -> str:
    """The README.md of an extended folder: what it holds and the lines that load it."""
    return f"""# A model extended by `corpusgen tokenizer extend`

The base model with the hyperword pieces of a mnemo build's tokenizer added as marked tokens,
its embeddings grown to match. Ordinary text tokenizes exactly as with the base tokenizer;
a hyperword reaches the added tokens only when it is marked, which the mnemo-corpus package
does (`hyperword.model` is the build's SentencePiece model the marking cuts by).
`extension.json` lists the new ids, for PEFT's `trainable_token_indices`.

```python
from mnemophrase.tokenizer.extend_model import load_extended   # pip install 'mnemo-corpus[train]'

model, tokenizer, extension, marker = load_extended("{out}")
ids = tokenizer(marker.mark("водагрустьсвет"))["input_ids"]   # the added tokens
lora = extension.peft_kwargs()   # LoraConfig(**lora, ...): the new rows train too
```

The model and tokenizer alone load with transformers as any other folder:
`AutoModelForCausalLM.from_pretrained("{out}")`, `AutoTokenizer.from_pretrained("{out}")`.
"""


def _mode_as_umask(folder: Path) -> None:
    """Every file readable as the user's umask allows: transformers writes the weights
    through a private temporary file, mode 0600 whatever the umask."""
    mask = os.umask(0)
    os.umask(mask)
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(0o666 & ~mask)


def build_hyperwords(folder: Path, splits=("train", "validation", "test")) -> list[str]:
    """The hyperwords of the build's mnemo and bridge rows, one per row."""
    out: list[str] = []
    for stage in ("mnemo", "bridge"):
        for split in splits:
            frame = read_stage(folder, stage, split, ["constituents"])
            if frame is not None:
                out += ["".join(p) for p in hyperword_parts(frame)]
    return out


def usage(tokenizer, ext: Extension, marker: HyperwordMarker, hyperwords: list[str]) -> dict:
    """How the extension serves `hyperwords`: the share of added tokens that occur when
    they are tokenized marked, tokens per hyperword plain and marked, and whether marking
    gives exactly our model's cut."""
    plain = tokenizer(hyperwords, add_special_tokens=False)["input_ids"] if hyperwords else []
    marked_ids = tokenizer(marker.mark_many(hyperwords),
                           add_special_tokens=False)["input_ids"] if hyperwords else []
    new = set(ext.new_ids)
    used = {i for ids in marked_ids for i in ids if i in new}
    n = max(len(hyperwords), 1)
    return {
        "hyperwords": len(hyperwords),
        "added_tokens_used": len(used),
        "added_tokens_used_share": round(len(used) / max(len(new), 1), 4),
        "tokens_per_hyperword": {"base": round(sum(map(len, plain)) / n, 3),
                                 "extended": round(sum(map(len, marked_ids)) / n, 3)},
    }


def check_out_folder(out: Path, overwrite: bool) -> None:
    """`out` may be replaced only when it is empty or an extended model this command wrote
    (it holds extension.json), and only with `overwrite`; anything else is refused."""
    out = Path(out)
    if not out.exists():
        return
    if not out.is_dir():
        raise TokenizerError(f"--out {out} is a file; give a folder")
    if not any(out.iterdir()):
        return
    if not (out / EXTENSION_FILE).is_file():
        raise TokenizerError(f"--out {out} holds files this tool did not make (no "
                             f"{EXTENSION_FILE}); choose another folder")
    if not overwrite:
        raise TokenizerError(f"--out {out} exists; pass --overwrite to replace it")


# a Hub model id, as from_pretrained takes it: one owner, one name
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")


def load_base(base: str):
    """(model, tokenizer): `smollm2` for SmolLM2-135M-Instruct (converted once into the
    cache, announced on stderr), a transformers model folder, or a Hub model id that no
    local path bears (from the Hub, or huggingface_hub's cache when offline)."""
    from transformers.utils import logging

    logging.disable_progress_bar()
    if base == "smollm2":
        from mnemophrase.basemodel import BaseModelError, load_smollm2

        try:
            return load_smollm2()
        except BaseModelError as exc:
            raise TokenizerError(str(exc)) from None
    path = Path(base)
    hub = not path.exists() and bool(_HUB_ID.fullmatch(base))
    if not hub and not (path / "config.json").is_file():
        raise TokenizerError(f"{base}: not a transformers model folder (no config.json)")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        return AutoModelForCausalLM.from_pretrained(base), AutoTokenizer.from_pretrained(base)
    except OSError as exc:  # transformers' one sentence for a model it cannot find or fetch
        if not hub:
            raise
        first = (str(exc).strip().splitlines() or ["not found"])[0][:200]
        raise TokenizerError(f"{base}: no such folder, and the Hub model of that id could not "
                             f"be had ({first})") from None


def extend_base(folder: Path, base: str, out: Path, overwrite: bool = False,
                init: str = "mean-untied") -> dict:
    """Extend `base` with the build's tokenizer and save it to `out` (written beside it and
    renamed into place). Returns what extension.json records besides the ids."""
    build = open_build(folder)
    model_file = build.tokenizer_dir / MODEL_FILE
    if not model_file.is_file():
        raise TokenizerError(f"{build.root}: no tokenizer yet; run `corpusgen tokenizer train "
                             f"{build.root}` first")
    out = Path(out)
    check_out_folder(out, overwrite)
    model, tok = load_base(base)
    ext, marker = extend_model(model, tok, build.tokenizer_dir, init=init)
    summary = {"base": base, "tokenizer": str(build.tokenizer_dir), "added": len(ext.new_ids),
               "build": usage(tok, ext, marker, build_hyperwords(build.root))}
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    try:
        model.save_pretrained(work)
        tok.save_pretrained(work)
        shutil.copyfile(model_file, work / PIECES_MODEL)
        ext.save(work, summary=summary)
        # a model folder's card has the file name of a dataset's, the Hub's for both
        (work / CARD).write_text(folder_readme(out), encoding="utf-8")
        _mode_as_umask(work)
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
            work.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return summary
