"""Calibrate the abstain threshold on a mix of corpora: SQuAD part A with half its articles
indexed (questions about the other half are realistic unanswerable ones), and the docs dev
sets with their unanswerable questions (near misses: they ask about things the docs do not
cover, in the docs' own words).

    python -m benchmarks.calibrate_abstain [--click DIR] [--rich DIR]

Confidence (qa.answer.confidence) is the best passage's dense similarity, plus
`coverage_weight` × the share of the question's terms it contains, minus `unseen_weight` × the
share of them that occur nowhere in the corpus. Prints the best (coverage_weight,
unseen_weight, min_confidence) by the mean over corpora of the balanced accuracy of `answered`
(answering answerable questions and refusing the others count alike), among those keeping
SQuAD's precision of `answered` ≥ 0.95, with precision / recall and the share of unanswerable
questions refused per corpus. The seeds are scored on their questions (tests/data) and on
benchmarks/data/seeds-dev.jsonl.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.common import DATA, ROOT, SQUAD
from qa import evaluation
from qa.answer import AnswerSettings, confidence
from qa.workspace import Workspace

COVERAGE_WEIGHTS = (0.2, 0.3, 0.4, 0.5)
UNSEEN_WEIGHTS = (0.0, 0.4, 0.8, 1.0, 1.2, 1.5, 2.0)
THRESHOLDS = np.arange(0.40, 0.95, 0.0125)


def squad_half() -> tuple[Workspace, list[str], np.ndarray]:
    """Half of SQuAD part A's articles indexed; every question, answerable or not."""
    cache = evaluation.cache_folder(SQUAD) / "abstain"
    with tempfile.TemporaryDirectory() as tmp:
        items = evaluation.squad_corpus(SQUAD, Path(tmp))
        files = sorted(p.name for p in Path(tmp).iterdir())
    inside = set(files[: len(files) // 2])
    docs = cache / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    evaluation.squad_corpus(SQUAD, docs)
    for extra in docs.iterdir():
        if extra.name not in inside:
            extra.unlink()
    ws = Workspace.resolve(docs, cache / "index")
    ws.build()
    return ws, [i.turns[-1] for i in items], np.array([i.source in inside for i in items])


def question_file(docs: Path, path: Path) -> tuple[Workspace, list[str], np.ndarray]:
    """A docs folder and its dev set: answerable questions positive, unanswerable negative."""
    items = evaluation.load_questions(path)
    ws = Workspace.resolve(docs, None)
    ws.build()
    return ws, [i.turns[-1] for i in items], np.array([not i.unanswerable for i in items])


def features(ws: Workspace, questions: list[str]) -> np.ndarray:
    """Per question, of its best passage: dense similarity, share of the question's terms it
    holds, share of them the corpus never has (each read off qa.answer.confidence)."""
    retriever = ws.retriever()
    tops = [hits[0] for hits in retriever.batch_search(questions, k=1)]
    rows = []
    for q, p in zip(questions, tops, strict=True):
        dense = confidence(retriever, q, p, 0.0)
        rows.append(
            (
                dense,
                confidence(retriever, q, p, 1.0) - dense,
                dense - confidence(retriever, q, p, 0.0, 1.0),
            )
        )
    return np.array(rows)


def figures(answered: np.ndarray, positive: np.ndarray) -> tuple[float, float, float]:
    """Precision and recall of `answered`, share of unanswerable questions refused."""
    precision = (answered & positive).sum() / max(1, answered.sum())
    recall = (answered & positive).sum() / max(1, positive.sum())
    refused = (~answered & ~positive).sum() / max(1, (~positive).sum())
    return float(precision), float(recall), float(refused)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--click", type=Path)
    parser.add_argument("--rich", type=Path)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    data = DATA
    sets = {"squad": squad_half()}
    for name in ("click", "rich"):
        if getattr(args, name):
            sets[name] = question_file(getattr(args, name), data / f"docs-{name}.jsonl")
    seeds = question_file(ROOT / "seeds", ROOT / "tests" / "data" / "seed-questions.jsonl")
    dev = question_file(ROOT / "seeds", data / "seeds-dev.jsonl")
    sets["seeds"] = (seeds[0], seeds[1] + dev[1], np.concatenate([seeds[2], dev[2]]))
    names = list(sets)
    got = {n: features(ws, q) for n, (ws, q, _) in sets.items()}

    def row(cw: float, uw: float, t: float) -> tuple:
        per = {}
        for n in names:
            f = got[n]
            per[n] = figures(f[:, 0] + cw * f[:, 1] - uw * f[:, 2] >= t, sets[n][2])
        # balanced: answering the answerable and refusing the rest count alike
        balanced = np.mean([(r + u) / 2 for _, r, u in per.values()])
        return balanced, cw, uw, t, per

    rows = [row(cw, uw, t) for cw in COVERAGE_WEIGHTS for uw in UNSEEN_WEIGHTS for t in THRESHOLDS]
    head = " | ".join(f"{n} P / R / refused" for n in names)
    print(f"| coverage_weight | unseen_weight | min_confidence | {head} | mean balanced acc |")
    print("|---" * (len(names) + 4) + "|")
    eligible = [r for r in rows if r[4]["squad"][0] >= 0.95]
    now = AnswerSettings()
    defaults = row(now.coverage_weight, now.unseen_weight, now.min_confidence)
    for balanced, cw, uw, t, per in [*sorted(eligible, key=lambda r: -r[0])[: args.top], defaults]:
        cells = " | ".join("{:.3f} / {:.3f} / {:.2f}".format(*per[n]) for n in names)
        print(f"| {cw} | {uw} | {t:.4g} | {cells} | {balanced:.3f} |", flush=True)
    print("(the last row: the defaults, qa.answer.AnswerSettings)")


if __name__ == "__main__":
    main()
