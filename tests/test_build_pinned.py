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
        "bceb41450ffe5e2724c0de296594d53729f5a326b55954688d0347cd2d88cf88",
    "arrow/bridge/dataset_dict.json":
        "1239dbd4ca38311b03319b672c05a6fdaacc884b0034eed047659406c62eedd4",
    "arrow/bridge/test/data-00000-of-00001.arrow":
        "3a49b338fdca5ec3dd6730e1e4d1043cd03072e0055705045ec81b11374d2afb",
    "arrow/bridge/test/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/bridge/test/state.json":
        "4c21ba028100dab9692dab8dd419dab031b4efa800986a8d4899658cc3875b2e",
    "arrow/bridge/train/data-00000-of-00001.arrow":
        "eef65f84e9ead6921f4ec292fe6488b091f0a08bf8e3d6584941a2a2235fab23",
    "arrow/bridge/train/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/bridge/train/state.json":
        "d6ea899a81232adc7e338afd01db5ac624da5ab3bdb7f5c11d1e56ccf2b61823",
    "arrow/bridge/validation/data-00000-of-00001.arrow":
        "96db1a483a7dbee6714e0ba28e4488ec05bdf481e56c9f397e2602a35f5df834",
    "arrow/bridge/validation/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/bridge/validation/state.json":
        "555356696dfa8d6fe862943b01f3adc7b15c4d7ebca0c1570b409c504ed534df",
    "arrow/language/dataset_dict.json":
        "1239dbd4ca38311b03319b672c05a6fdaacc884b0034eed047659406c62eedd4",
    "arrow/language/test/data-00000-of-00001.arrow":
        "456aab5590136c1f4dcb0b921ff53e5179269a0b6ae3791e8a25322668f45cdf",
    "arrow/language/test/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/language/test/state.json":
        "1dc3d504a3ab27da293e06d0d954103a6ddf7aed4121e6587c1b73faffd3973e",
    "arrow/language/train/data-00000-of-00001.arrow":
        "c76006d377b7c93030df324ad0cac3aae4cc12f7696c3dfb66fcbd756fda3762",
    "arrow/language/train/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/language/train/state.json":
        "e886ec4215a5268bbd1923643dc986f9253b3236475a162e6a43f73d81f0170d",
    "arrow/language/validation/data-00000-of-00001.arrow":
        "4e31c6e2b7850cc985f9c9ebd631f2f621a7c8369aba988d2941b1efde1e508c",
    "arrow/language/validation/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/language/validation/state.json":
        "a1be15b9aa4fa518a319a73ebe819e0068812a2f9c499784cc1bf0d7ab833536",
    "arrow/mnemo/dataset_dict.json":
        "1239dbd4ca38311b03319b672c05a6fdaacc884b0034eed047659406c62eedd4",
    "arrow/mnemo/test/data-00000-of-00001.arrow":
        "d0dce2e78184407acbaaffe86d242816cca766f10b9913f13bbd0a184e46b912",
    "arrow/mnemo/test/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/mnemo/test/state.json":
        "051df36b4100b407c5a521e9b546f2117c8171df4646a8f3dd7cfb86139b3218",
    "arrow/mnemo/train/data-00000-of-00001.arrow":
        "b45d281fccc96374889692cd0ef47265fb56b4310e073631d695f4ca3add8303",
    "arrow/mnemo/train/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/mnemo/train/state.json":
        "4873fcce54703159f38070f030a41d6a09a0786d04397bd6cf272577accea680",
    "arrow/mnemo/validation/data-00000-of-00001.arrow":
        "0f6d948cd0db93429393713715fc65821d723208a1af9c6ff598f7b88a8b66d1",
    "arrow/mnemo/validation/dataset_info.json":
        "891437affbdc81d6f6dbac5b90e8cb0dd60247c1043bdfd24ef45400b2021ace",
    "arrow/mnemo/validation/state.json":
        "2bfea16e900dc903450df76eb76b7e1c46344fac2e9cb01814d6c57b344fa360",
    "data/bridge/test-00000-of-00001.parquet":
        "23e8ae6d6b919286febaf5ea57d57b6e32a4ff72be74afc58a87dfaddf6f8178",
    "data/bridge/train-00000-of-00001.parquet":
        "f6d9670703ff4cf60b735030c3278ba5a1cdfa31eb6f4b154cdd42520231db87",
    "data/bridge/validation-00000-of-00001.parquet":
        "b4816355ae29ea09b335e496e85a095ef54966aac8ebcbf1d838c7fbea499cb1",
    "data/language/test-00000-of-00001.parquet":
        "c1558fd9e19f8850899f045dc5c5505b6ab638cd906d644bc68c23002e77c84c",
    "data/language/train-00000-of-00001.parquet":
        "252a8a4e0a22fd30f49dcfa3e4a8f558ce8f02b6069f508a407d115be016d574",
    "data/language/validation-00000-of-00001.parquet":
        "ca59f6448ffd8de0aef0798771ee3a875f6fafe29793725a0813895800513b55",
    "data/mnemo/test-00000-of-00001.parquet":
        "e30a611b99cf1d7f9998e96b455aa85afaab975d0126c564029ea79ec56b957e",
    "data/mnemo/train-00000-of-00001.parquet":
        "65df7484e6fb210f51976925c66a4fef249f10ea00a895251101760ef8a53ed0",
    "data/mnemo/validation-00000-of-00001.parquet":
        "c39b87ebf549b6d730657dae9d985009d1c438d5c0175a600f19d1bf6de10b60",
    "stats.json":
        "9b7bda39fbfc98cb86fb105ec1640c9500ce40653367c0a250f7a9c416ae54d9",
}


def test_a_small_build_is_byte_identical_to_the_pinned_one(small_build):
    written = {path.relative_to(small_build).as_posix():
               hashlib.sha256(path.read_bytes()).hexdigest()
               for path in small_build.rglob("*") if path.is_file()}
    changed = sorted(name for name in PINNED.keys() & written.keys()
                     if PINNED[name] != written[name])
    assert not changed, f"files whose bytes changed: {changed}"
    assert sorted(written) == sorted(PINNED), "the build wrote other files than the pinned ones"
