"""A small build's every file, byte for byte: a move or a refactor of the generator must not
change what `corpusgen build` writes."""

from __future__ import annotations

import hashlib

# The conftest's `small_build`: `corpusgen build --langs ru,en,th --n 3000 --seed 7`.
# When the output changes on purpose (a new frame, a schema change, a new stats field, a
# language library's new version in stats.json), update this table and say why in the
# commit message.
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
        "af93aa9b44671d5d2a8fda5b03720fcf3070e300b950fe8f441b6e153901b689",
    "arrow/bridge/train/data-00000-of-00001.arrow":
        "3562b7c7c2b367ed728b00966101c93e5920508049aa675121bb27cf6226a545",
    "arrow/bridge/train/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/bridge/train/state.json":
        "f4469362759e797cd3a65efacec6d516d0ab1023823429240c712cac86348278",
    "arrow/bridge/validation/data-00000-of-00001.arrow":
        "48a4006a335c8381282c233e13e4a7b645e09a67317e467dfe4ce77c52b2cfb0",
    "arrow/bridge/validation/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/bridge/validation/state.json":
        "5f372e7a3641a0f58441c6cebc03c7f3e394b9da242135c44e223609116a57aa",
    "arrow/language/dataset_dict.json":
        "1239dbd4ca38311b03319b672c05a6fdaacc884b0034eed047659406c62eedd4",
    "arrow/language/test/data-00000-of-00001.arrow":
        "2a8b2479cd4db57f78cc3f3b3ed76097cc9428a60b7e28226ba0cdfdb59ed8ce",
    "arrow/language/test/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/language/test/state.json":
        "f82bf50882099db30745ce1489fccfe459c1126a2215b79b3ae50309b5404672",
    "arrow/language/train/data-00000-of-00001.arrow":
        "9df65868230a5375c76f88dafd73a1b14815b48b7e5ee1134e0ab48fb848cf54",
    "arrow/language/train/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/language/train/state.json":
        "eb62546875f1ce68a48808ec0a65b1f331a252f9a9300c4294fb01d544653aed",
    "arrow/language/validation/data-00000-of-00001.arrow":
        "c4e79998402f3f34ec2744e3f9379a3628425a0d03130944a6b51dcf2eefa1e2",
    "arrow/language/validation/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/language/validation/state.json":
        "82e1618700c81596ceac0ac96e164ed6c242a4e52c5cfe823f068304b31804ec",
    "arrow/mnemo/dataset_dict.json":
        "1239dbd4ca38311b03319b672c05a6fdaacc884b0034eed047659406c62eedd4",
    "arrow/mnemo/test/data-00000-of-00001.arrow":
        "285b21d14c24672bfef502b21f3b6730c4410739f4c115918c58d711200c9153",
    "arrow/mnemo/test/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/mnemo/test/state.json":
        "4d7ffcfbde8cbee9ab982e6bc984d24fd421ec01cff5cad431b56f0850d13a35",
    "arrow/mnemo/train/data-00000-of-00001.arrow":
        "f0e33c04e5d5dadb5933f8b27e82381e67e016cddc95c05793945d158c7cc892",
    "arrow/mnemo/train/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/mnemo/train/state.json":
        "672098c4eb96afc6eb6587c228c634fc254023e0ccab67774932563b64d93907",
    "arrow/mnemo/validation/data-00000-of-00001.arrow":
        "0c467005984a827a9fbb29898a73e05104b3497ed827e347d1586e53f7640bdf",
    "arrow/mnemo/validation/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/mnemo/validation/state.json":
        "849d9c9a247ff06584e05ef2f237ebc728703e1cd4040f1317eea845dd693eb6",
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
        "eaccd615b423e1218f327d5f4188ea1533b937fe8986c1fb98ad2c9c72272bc5",
}


def test_a_small_build_is_byte_identical_to_the_pinned_one(small_build):
    written = {path.relative_to(small_build).as_posix():
               hashlib.sha256(path.read_bytes()).hexdigest()
               for path in small_build.rglob("*") if path.is_file()}
    changed = sorted(name for name in PINNED.keys() & written.keys()
                     if PINNED[name] != written[name])
    assert not changed, f"files whose bytes changed: {changed}"
    assert sorted(written) == sorted(PINNED), "the build wrote other files than the pinned ones"
