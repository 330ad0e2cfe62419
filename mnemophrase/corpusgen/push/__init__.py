"""Publishing a build to the Hugging Face Hub: `corpusgen push`, `corpusgen build --push-to`
and `push_build()` for scripts and notebooks.

The push is read-only on DIR and runs in two halves. First, offline, the build is checked the
way the Hub will read it (`plan`): every stage named by the card's `configs:` must load with
`datasets.load_dataset`, the files those configs resolve to must be exactly the Parquet files
under data/, and the row counts must match stats.json. That check yields the list of files to
send, which is also what `--dry-run` prints. Only then does anything touch the network
(`upload`): one atomic commit with those files, which also deletes files under data/ and
tokenizer/ on the Hub that this build no longer has (otherwise a `train-*.parquet` glob in
the card would pick up an old shard and the Hub would serve a different dataset than DIR).
What the Hub or the network answers is turned into one line by `translate`; the token is
found by `credentials`; `report` words the outcome.

huggingface_hub and datasets are imported inside the functions: `corpusgen --help` must stay fast.
"""

from mnemophrase.corpusgen.errors import PushError
from mnemophrase.corpusgen.push.credentials import preflight
from mnemophrase.corpusgen.push.plan import PushFile, PushPlan, plan_push
from mnemophrase.corpusgen.push.report import report_lines
from mnemophrase.corpusgen.push.upload import PushResult, push_build

__all__ = ["PushError", "PushFile", "PushPlan", "PushResult", "plan_push", "preflight",
           "push_build", "report_lines"]
