"""`make bench`: every benchmark of the project, one after another, each printing its table.

Figures depend on the machine and on what else runs on it; bench/README.md holds the ones
measured on the 2-core CPU machine the project is developed on, each with its command.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["bench_corpusgen.py", "bench_tokenizer.py", "bench_train.py", "bench_measure.py"]


def main() -> int:
    failed = []
    for name in BENCHES:
        path = HERE / name
        if not path.exists():
            continue
        print(f"\n## {name}\n", flush=True)
        if subprocess.call([sys.executable, str(path), *sys.argv[1:]]) != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
