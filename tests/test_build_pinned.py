"""A small build's every file, byte for byte: a move or a refactor of the generator must not
change what `corpusgen build` writes.

Two kinds of file also record the environment: stats.json lists the libraries' versions, and
each Arrow state.json carries a fingerprint of the stats (versions included). A fresh install
that resolves a newer library would change them without the generator changing, so those
files are pinned without the versions and the fingerprint; every other file byte for byte."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

# The conftest's `small_build`: `corpusgen build --langs ru,en,th --n 3000 --seed 7`.
# When the output changes on purpose (a new frame, a schema change, a new stats field),
# update this table and say why in the commit message.
PINNED = {
    "README.md":
        "8972a07a9ddfdccbea40e80df15fd7c292b457da138184d53f35c1d64a0f6329",
    "arrow/bridge/dataset_dict.json":
        "1239dbd4ca38311b03319b672c05a6fdaacc884b0034eed047659406c62eedd4",
    "arrow/bridge/test/data-00000-of-00001.arrow":
        "a70ac1047141b1332f8fd872bf6c904d52c996f24936b87f0cf00de60dd11741",
    "arrow/bridge/test/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/bridge/test/state.json":
        "829ee0e39d3cd1f678423292028c485696ff168bd07175968fde8b8c0720e73d",
    "arrow/bridge/train/data-00000-of-00001.arrow":
        "3562b7c7c2b367ed728b00966101c93e5920508049aa675121bb27cf6226a545",
    "arrow/bridge/train/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/bridge/train/state.json":
        "829ee0e39d3cd1f678423292028c485696ff168bd07175968fde8b8c0720e73d",
    "arrow/bridge/validation/data-00000-of-00001.arrow":
        "48a4006a335c8381282c233e13e4a7b645e09a67317e467dfe4ce77c52b2cfb0",
    "arrow/bridge/validation/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/bridge/validation/state.json":
        "829ee0e39d3cd1f678423292028c485696ff168bd07175968fde8b8c0720e73d",
    "arrow/language/dataset_dict.json":
        "1239dbd4ca38311b03319b672c05a6fdaacc884b0034eed047659406c62eedd4",
    "arrow/language/test/data-00000-of-00001.arrow":
        "2a8b2479cd4db57f78cc3f3b3ed76097cc9428a60b7e28226ba0cdfdb59ed8ce",
    "arrow/language/test/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/language/test/state.json":
        "829ee0e39d3cd1f678423292028c485696ff168bd07175968fde8b8c0720e73d",
    "arrow/language/train/data-00000-of-00001.arrow":
        "9df65868230a5375c76f88dafd73a1b14815b48b7e5ee1134e0ab48fb848cf54",
    "arrow/language/train/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/language/train/state.json":
        "829ee0e39d3cd1f678423292028c485696ff168bd07175968fde8b8c0720e73d",
    "arrow/language/validation/data-00000-of-00001.arrow":
        "c4e79998402f3f34ec2744e3f9379a3628425a0d03130944a6b51dcf2eefa1e2",
    "arrow/language/validation/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/language/validation/state.json":
        "829ee0e39d3cd1f678423292028c485696ff168bd07175968fde8b8c0720e73d",
    "arrow/mnemo/dataset_dict.json":
        "1239dbd4ca38311b03319b672c05a6fdaacc884b0034eed047659406c62eedd4",
    "arrow/mnemo/test/data-00000-of-00001.arrow":
        "285b21d14c24672bfef502b21f3b6730c4410739f4c115918c58d711200c9153",
    "arrow/mnemo/test/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/mnemo/test/state.json":
        "829ee0e39d3cd1f678423292028c485696ff168bd07175968fde8b8c0720e73d",
    "arrow/mnemo/train/data-00000-of-00001.arrow":
        "f0e33c04e5d5dadb5933f8b27e82381e67e016cddc95c05793945d158c7cc892",
    "arrow/mnemo/train/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/mnemo/train/state.json":
        "829ee0e39d3cd1f678423292028c485696ff168bd07175968fde8b8c0720e73d",
    "arrow/mnemo/validation/data-00000-of-00001.arrow":
        "0c467005984a827a9fbb29898a73e05104b3497ed827e347d1586e53f7640bdf",
    "arrow/mnemo/validation/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/mnemo/validation/state.json":
        "829ee0e39d3cd1f678423292028c485696ff168bd07175968fde8b8c0720e73d",
    "data/bridge/test-00000-of-00001.parquet":
        "83a2a0f137df97883479057dad1f48ce692a1d0106949e0499c8bd7a672f541a",
    "data/bridge/train-00000-of-00001.parquet":
        "db03a32d6bb6f502dd2c257f33e604ba49e3d4326e0e3974a99c0f837cd9cd1f",
    "data/bridge/validation-00000-of-00001.parquet":
        "123e9a81050ccbfb966ffa4963e2ee86d3196c9afb1ef8ddb40035be9d129a37",
    "data/language/test-00000-of-00001.parquet":
        "585df6e0bc03f1dac15e428b2947bc952aca12ec72d29dcd917f95b865732b4a",
    "data/language/train-00000-of-00001.parquet":
        "f73a2173b76e78096dbc59eb888f122d3b94e86abf529c6d0cd1b60097b87153",
    "data/language/validation-00000-of-00001.parquet":
        "2125badd1970507f881e770cf5a84f849966c7da3c165935d10d327d771dafcf",
    "data/mnemo/test-00000-of-00001.parquet":
        "7583b293988aa814bb1f9dcb6d84f36924f75c5304ffdd9732232f67ec876786",
    "data/mnemo/train-00000-of-00001.parquet":
        "028a187dbacf3c5f6b11bfb796296457ab66e0813c9eedcc24b165af54f51c5b",
    "data/mnemo/validation-00000-of-00001.parquet":
        "d7b4c794f2e417966f62346f90facd1ed51bb295faf6bd0a03aee90280462f05",
    "stats.json":
        "eb9fc9a2fe9af7099ba14601f0929ead52d236c5e929aa463f21658c5726973e",
}


def pinned_bytes(rel: str, path: Path) -> bytes:
    """The bytes a file is pinned by: its own, or without what records the environment."""
    data = path.read_bytes()
    if rel == "stats.json":
        stats = json.loads(data)
        del stats["versions"]
        stats["files"] = {k: v for k, v in stats["files"].items()
                          if not k.endswith("state.json")}
        return json.dumps(stats, sort_keys=True).encode()
    if rel.endswith("state.json"):
        state = json.loads(data)
        del state["_fingerprint"]
        return json.dumps(state, sort_keys=True).encode()
    return data


def test_a_small_build_is_byte_identical_to_the_pinned_one(small_build):
    written = {}
    for path in small_build.rglob("*"):
        if path.is_file():
            rel = path.relative_to(small_build).as_posix()
            written[rel] = hashlib.sha256(pinned_bytes(rel, path)).hexdigest()
    changed = sorted(name for name in PINNED.keys() & written.keys()
                     if PINNED[name] != written[name])
    assert not changed, f"files whose bytes changed: {changed}"
    assert sorted(written) == sorted(PINNED), "the build wrote other files than the pinned ones"
