"""Edits to a trained SentencePiece `.model` file, through SentencePiece's own protobuf
schema (`sentencepiece.sentencepiece_model_pb2`, which needs the protobuf package)."""

from __future__ import annotations

from pathlib import Path


def scrub_paths(model_file: Path) -> None:
    """Replace the training paths SentencePiece records inside the model with file names.

    The TrainerSpec keeps `input` and `model_prefix` as given — here a temporary folder with
    a process id — so the same build would give a different file each time, and the
    published model would name a folder that no longer exists.
    """
    from sentencepiece import sentencepiece_model_pb2

    model = sentencepiece_model_pb2.ModelProto()
    path = Path(model_file)
    model.ParseFromString(path.read_bytes())
    spec = model.trainer_spec
    spec.model_prefix = Path(spec.model_prefix).name
    names = [Path(p).name for p in spec.input]
    del spec.input[:]
    spec.input.extend(names)
    path.write_bytes(model.SerializeToString())
