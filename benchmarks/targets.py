"""The quality targets, checked: exits 1 when a metric is below its target.

    python -m benchmarks.targets [squad] [scifact] [seeds] [click=DIR] [rich=DIR]
                                 (default: squad, scifact, seeds)

Runs `qa eval` (defaults, cached corpus and index) on SQuAD v1.1 part A, SciFact, the seed
questions and conversations, and the docs sets over a checkout of click's `docs/` or rich's
`docs/source/` (benchmarks/data, README "Answers on real corpora"), and prints metric,
value, target and whether it is met: issue 17's goals. A first run builds the indexes
(SQuAD: minutes; SciFact: about half an hour on 2 cores). `pytest -m quality` runs the SQuAD
part.
"""

from __future__ import annotations

import sys

from benchmarks.common import DATA as SETS
from benchmarks.common import ROOT, SCIFACT, SEED_QUESTIONS, SQUAD, qa_json

DATA = {
    "squad": ["--squad", str(SQUAD)],
    "scifact": ["--beir", str(SCIFACT)],
    "seed-questions": [str(SEED_QUESTIONS)],
    "seed-conversations": [str(ROOT / "tests" / "data" / "seed-conversations.jsonl")],
    "click": [str(SETS / "docs-click.jsonl"), "--docs"],
    "rich": [str(SETS / "docs-rich.jsonl"), "--docs"],
}
DOCS = {"acc@1": 0.85, "acc@5": 0.97, "unanswerable_acc": 0.8}
TARGETS = {
    "squad": {"acc@1": 0.84, "acc@5": 0.96},
    "scifact": {"ndcg@10": 0.741},
    "seed-questions": {"acc@1": 1.0, "unanswerable_acc": 0.8},
    "seed-conversations": {"acc@1": 1.0},
    "click": DOCS,
    "rich": DOCS,
}
DEFAULT = ["squad", "scifact", "seeds"]


def measure(dataset: str, docs: str | None = None) -> dict[str, float]:
    """Metrics of `qa eval --json` on `dataset` (over the folder `docs`, for a docs set) at
    the default settings."""
    return qa_json("eval", *DATA[dataset], *([docs] if docs else []))


def missed(dataset: str, metrics: dict[str, float]) -> list[str]:
    """The metrics of `dataset` below their targets."""
    return [name for name, floor in TARGETS[dataset].items() if metrics[name] < floor]


def main() -> None:
    failed = []
    print("| data | metric | value | target | met |")
    print("|---|---|---|---|---|")
    asked = [a for arg in sys.argv[1:] or DEFAULT for a in _sets(arg)]
    for dataset, docs in asked:
        metrics = measure(dataset, docs)
        below = missed(dataset, metrics)
        failed += below
        for name, floor in TARGETS[dataset].items():
            met = "no" if name in below else "yes"
            print(f"| {dataset} | {name} | {metrics[name]:.3f} | ≥ {floor} | {met} |", flush=True)
    sys.exit(1 if failed else 0)


def _sets(arg: str) -> list[tuple[str, str | None]]:
    """`seeds` → both seed sets; `click=DIR` → the click set over DIR."""
    name, _, docs = arg.partition("=")
    if name == "seeds":
        return [("seed-questions", None), ("seed-conversations", None)]
    return [(name, docs or None)]


if __name__ == "__main__":
    main()
