"""Fixtures for the train_plugin tests: the real published dataset, a tokenizer, a tiny model.

The dataset is the project's shared `small_build` (tests/conftest.py: `corpusgen build` of
3000 scenes), read the way any user reads a published dataset. Tests must not modify it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

# tiny models on a shared 2-core machine: one thread runs a training step about 4x faster
# than two (20 ms against 87 ms measured), which fight each other and every other process
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def published_dataset(small_build) -> Path:
    return small_build


@pytest.fixture(scope="session")
def dataset_tokenizer(published_dataset):
    """A character tokenizer over the dataset's text (nothing downloaded)."""
    from mnemophrase.basemodel import char_tokenizer
    from mnemophrase.train_plugin.models import dataset_texts

    return char_tokenizer(dataset_texts(published_dataset))


def tiny_model(tokenizer, seed: int = 0):
    """The same random tiny Llama for the same seed: runs compared in a test start equal."""
    from mnemophrase.basemodel import tiny_llama

    return tiny_llama(len(tokenizer), seed=seed)


# small adapters keep the fast suite fast; dropout on, so resume tests also prove the RNG
TINY_LORA = {"r": 4, "lora_alpha": 8, "lora_dropout": 0.1}
