"""Follow-up questions on SQuAD part A, with and without the conversation step.

    python benchmarks/conversations.py

Two conversation sets are built from SQuAD part A (nothing hand-written):
- follow-ups: two consecutive questions about the same paragraph where the second uses a
  pronoun ("When was it founded?"); the second is scored, the first is its context;
- stand-alone after an unrelated turn: a question that does not refer back, preceded by a
  question about another article; it must score as well as when asked alone.
Each is scored by `qa eval` on the SQuAD index, with the conversation step and with --no-context.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQUAD = ROOT.parent / "shared/eval/squad/squad-v1.1-dev-part-a.json"
PRONOUNS = {"it", "he", "she", "they", "his", "her", "its", "their", "them", "him"}


def build_sets() -> tuple[list[dict], list[dict]]:
    from qa.conversation import refers_back
    from qa.evaluation import slug

    data = json.loads(SQUAD.read_text())["data"]
    follow, alone = [], []
    rng = random.Random(0)
    for n, article in enumerate(data):
        name = f"{n:03d}_{slug(article['title'].replace('_', ' '))}"
        other = data[(n + 7) % len(data)]["paragraphs"][0]["qas"][0]["question"]
        for p in article["paragraphs"]:
            qas = p["qas"]
            for first, second in zip(qas, qas[1:], strict=False):
                words = {w.strip("?,.").lower() for w in second["question"].split()}
                answers = sorted({a["text"] for a in second["answers"]})
                if words & PRONOUNS:
                    follow.append(
                        {
                            "turns": [first["question"], second["question"]],
                            "answers": answers,
                            "source": f"{name}.txt",
                        }
                    )
                elif not refers_back(second["question"]) and rng.random() < 0.2:
                    alone.append(
                        {
                            "turns": [other, second["question"]],
                            "answers": answers,
                            "source": f"{name}.txt",
                        }
                    )
    return follow, alone


def score(items: list[dict], extra: list[str]) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.write("\n".join(json.dumps(i) for i in items))
    from qa import evaluation

    cache = evaluation.cache_folder(SQUAD)
    qa = str(Path(sys.executable).parent / "qa")
    cmd = [
        qa,
        "eval",
        f.name,
        "--docs",
        str(cache / "docs"),
        "--index",
        str(cache / "index-100-1-0-0-0"),
        "--json",
        *extra,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    follow, alone = build_sets()
    print("| set | questions | step | acc@1 | acc@5 |")
    print("|---|---|---|---|---|")
    for name, items in (
        ("follow-ups (pronoun)", follow),
        ("stand-alone after unrelated turn", alone),
    ):
        for step, extra in (("with context", []), ("last turn alone", ["--no-context"])):
            m = score(items, extra)
            print(
                f"| {name} | {len(items)} | {step} | {m['acc@1']:.3f} | {m['acc@5']:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
