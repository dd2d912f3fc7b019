"""Short answers (qa.spans) on SQuAD part A, by question kind, through the whole pipeline.

    python -m benchmarks.short_answers

Asks every question as `qa eval --squad` does (same cached index) and, for each kind of
question (when, year, who, where, number...), prints how many got a short answer (all kinds,
also those qa does not show), how many of those equal a gold answer (SQuAD normalisation), and
how often the highlighted sentence contains one: the sentence is what a reader falls back on.
"""

from __future__ import annotations

from collections import Counter

from benchmarks.common import SQUAD, eval_cache
from qa import evaluation
from qa.spans import ALL_KINDS, kind_of, short_answer
from qa.workspace import Workspace


def main() -> None:
    docs, index = eval_cache(SQUAD)
    ws = Workspace.resolve(docs, index)
    items = evaluation.squad_corpus(SQUAD, docs)
    if ws.needs_build():
        ws.build()
    counts: dict[str, Counter] = {}
    for lo in range(0, len(items), 64):
        part = items[lo : lo + 64]
        for item, said in zip(part, evaluation.ask_batch(ws, part, False), strict=True):
            kind = kind_of(item.turns[-1]) or "other"
            c = counts.setdefault(kind, Counter())
            golds = [evaluation.normal_answer(a) for a in item.answers]
            c["questions"] += 1
            c["sentence"] += any(a.lower() in said.highlight.lower() for a in item.answers)
            span = short_answer(item.turns[-1], said.highlight, ALL_KINDS)
            if span is not None:
                c["given"] += 1
                c["exact"] += evaluation.normal_answer(said.highlight[span[0] : span[1]]) in golds
    print("| question kind | questions | short answer given | of those exact | sentence has it |")
    print("|---|---|---|---|---|")
    for kind, c in sorted(counts.items(), key=lambda kv: -kv[1]["questions"]):
        given = c["given"] / c["questions"]
        exact = c["exact"] / c["given"] if c["given"] else float("nan")
        sentence = c["sentence"] / c["questions"]
        print(f"| {kind} | {c['questions']} | {given:.2f} | {exact:.2f} | {sentence:.2f} |")


if __name__ == "__main__":
    main()
