"""Retrieval ablations on SQuAD part A and/or SciFact: one `qa eval --json` run per setting.

    python -m benchmarks.ablation squad "" "--with-title" "--context 1" "--dense-weight 0.4"

Prints a Markdown table (setting, metrics) that can be pasted into the README.
"""

from __future__ import annotations

import shlex
import sys

from benchmarks.common import SCIFACT, SQUAD, qa_json

DATA = {"squad": ["--squad", str(SQUAD)], "scifact": ["--beir", str(SCIFACT)]}
COLUMNS = {
    "squad": ["acc@1", "acc@3", "acc@5", "acc@10", "mrr@10", "highlight@1", "mean_passage_words"],
    "scifact": ["ndcg@10", "recall@100"],
}


def run(dataset: str, options: str) -> dict[str, float]:
    """Metrics of one `qa eval` run."""
    return qa_json("eval", *DATA[dataset], *shlex.split(options))


def main() -> None:
    dataset, settings = sys.argv[1], sys.argv[2:] or [""]
    cols = COLUMNS[dataset]
    print(f"| {dataset} setting | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for options in settings:
        metrics = run(dataset, options)
        cells = " | ".join(f"{metrics[c]:.3f}" for c in cols)
        print(f"| `{options or 'defaults'}` | {cells} |", flush=True)


if __name__ == "__main__":
    main()
