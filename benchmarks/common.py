"""What the benchmarks share: where this checkout and the evaluation data are, the index
`qa eval` keeps for a data set, and `qa` run in a process of its own.

The benchmarks are modules: run one from the repository root as `python -m benchmarks.NAME`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent  # this checkout
EVAL = ROOT.parent / "shared" / "eval"  # public evaluation data (its README.md says what)
SQUAD = EVAL / "squad" / "squad-v1.1-dev-part-a.json"  # SQuAD v1.1 dev, part A
SCIFACT = EVAL / "scifact"  # BEIR SciFact
DATA = ROOT / "benchmarks" / "data"  # our own question sets
SEED_QUESTIONS = ROOT / "tests" / "data" / "seed-questions.jsonl"
QA = str(Path(sys.executable).parent / "qa")  # the console script of this environment
EVAL_INDEX = "index-100-1-0-0-0"  # the index `qa eval` builds at the default settings


def eval_cache(data: Path) -> tuple[Path, Path]:
    """The documents folder and the default index that `qa eval` keeps for `data`."""
    from qa.evaluation import cache_folder

    cache = cache_folder(data)
    return cache / "docs", cache / EVAL_INDEX


def run_qa(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """`qa ARGS…` in a new process, its output captured as text; fails when it does."""
    return subprocess.run([QA, *args], capture_output=True, text=True, check=True, **kwargs)


def qa_json(*args: str) -> dict:
    """The last line of `qa ARGS… --json`, parsed (`qa eval` prints its metrics last)."""
    return json.loads(run_qa(*args, "--json").stdout.strip().splitlines()[-1])
