"""The quality targets, checked: exits 1 when a public-data metric is below its target.

    python benchmarks/targets.py [squad] [scifact]     (default: both)

Runs `qa eval` (defaults, cached corpus and index) on SQuAD v1.1 part A and on SciFact and
prints metric, value, target and whether it is met. A first run builds the indexes (SQuAD:
minutes; SciFact: about half an hour on 2 cores). `pytest -m quality` runs the SQuAD part.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
DATA = {
    "squad": ["--squad", str(EVAL / "squad" / "squad-v1.1-dev-part-a.json")],
    "scifact": ["--beir", str(EVAL / "scifact")],
}
TARGETS = {"squad": {"acc@1": 0.82, "acc@5": 0.95}, "scifact": {"ndcg@10": 0.74}}


def measure(dataset: str) -> dict[str, float]:
    """Metrics of `qa eval --json` on `dataset` at the default settings."""
    qa = Path(sys.executable).parent / "qa"
    out = subprocess.run(
        [str(qa), "eval", *DATA[dataset], "--json"], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def missed(dataset: str, metrics: dict[str, float]) -> list[str]:
    """The metrics of `dataset` below their targets."""
    return [name for name, floor in TARGETS[dataset].items() if metrics[name] < floor]


def main() -> None:
    failed = []
    print("| data | metric | value | target | met |")
    print("|---|---|---|---|---|")
    for dataset in sys.argv[1:] or list(TARGETS):
        metrics = measure(dataset)
        below = missed(dataset, metrics)
        failed += below
        for name, floor in TARGETS[dataset].items():
            met = "no" if name in below else "yes"
            print(f"| {dataset} | {name} | {metrics[name]:.3f} | ≥ {floor} | {met} |", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
