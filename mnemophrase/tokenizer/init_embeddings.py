"""Starting rows for the new tokens, input and output, for tied and untied heads.

Three methods:

- `mean` (Gee et al. 2022, "Fast Vocabulary Transfer"): each new row is the mean of the
  base rows the base tokenizer uses for the same string, so a new token first means what
  its pieces meant together.
- `mean-resizing` (Hewitt 2021, "Initializing New Word Embeddings for Pretrained Language
  Models"; transformers' `resize_token_embeddings(mean_resizing=True)`, which is used): every
  new row is drawn from a normal with the mean and (scaled) covariance of all base rows.
  It ignores the pieces, but it bounds how much probability the new rows take from the
  base tokens on ordinary text: each new logit is close to the average base logit.

- `mean-untied`: each method on the side it suits — input rows are the piece means (a new
  token is read as its pieces were), output rows are drawn as by `mean-resizing` (a new
  token takes little probability on ordinary text, where it is never the next token). A
  tied head is untied for this (the output matrix becomes a copy: 28M more parameters on
  SmolLM2 before the new rows).

Why the third. On SmolLM2 with a 4,000-scene build's 31,867 pieces, `mean` raised the
ordinary-text loss per character before any training by 49 % (as output rows, piece means
score like the pieces they average and take their probability; measured with
bench/bench_tokenizer.py's loss on 300 of the build's sentences), `mean-resizing` by 0.04 %
— but it reads a hyperword through rows that carry nothing of its pieces.

With a tied head (SmolLM2) one matrix serves both sides, so for `mean` and
`mean-resizing` the rows set for the input are also the output rows. With an untied head
each matrix gets its own rows by the same method: for `mean` the output rows are the means
of the output rows of the same base ids.
"""

from __future__ import annotations

INITS = ("mean", "mean-resizing", "mean-untied")


def _tied(model) -> bool:
    out = model.get_output_embeddings()
    return out is None or out.weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()


def untie_head(model) -> None:
    """Give a tied model an output matrix of its own (a copy of the shared one), recorded in
    its config so that saving and loading keep the two apart."""
    import torch

    if not _tied(model):
        return
    head = model.get_output_embeddings()
    head.weight = torch.nn.Parameter(head.weight.detach().clone())
    model.config.tie_word_embeddings = False
    if hasattr(model, "all_tied_weights_keys"):  # transformers 5 keeps the tying map here
        model.all_tied_weights_keys = {}


def resize_and_init(model, new_size: int, new_ids: list[int], base_ids: list[list[int]],
                    method: str = "mean") -> None:
    """Grow the model's embeddings to `new_size` rows and start the rows of `new_ids`."""
    import torch

    if method not in INITS:
        from .errors import TokenizerError

        raise TokenizerError(f"unknown initialisation {method!r}; choose {', '.join(INITS)}")
    old_rows = model.get_input_embeddings().weight.shape[0]
    if method == "mean-untied":
        untie_head(model)
    model.resize_token_embeddings(new_size, mean_resizing=(method != "mean"))
    if method == "mean-resizing":
        return
    matrices = [model.get_input_embeddings().weight]
    if method == "mean" and not _tied(model):
        matrices.append(model.get_output_embeddings().weight)
    with torch.no_grad():
        for weight in matrices:
            for new_id, old in zip(new_ids, base_ids):
                rows = [i for i in old if i < old_rows]
                if rows:
                    weight[new_id] = weight[rows].mean(dim=0)
