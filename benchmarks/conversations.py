"""Follow-up questions on SQuAD part A, with and without the conversation step.

    python -m benchmarks.conversations

Two conversation sets are built from SQuAD part A (nothing hand-written):
- follow-ups: two consecutive questions about the same paragraph where the second uses a
  pronoun ("When was it founded?"); the second is scored, the first is its context;
- stand-alone after an unrelated turn: a question that does not refer back, preceded by a
  question about another article; it must score as well as when asked alone;
- subject changes: two questions of one pattern about different paragraphs, the same words
  but for one differing run of at most four words ("What is the population of Warsaw?" /
  "... of Kraków?"); the conversation is the first question, then "And what about <the second's
  run>?", scored against the second question's answers.
Each is scored by `qa eval` on the SQuAD index, with the conversation step and with --no-context;
subject changes also as the step did before (the turn searched with the whole earlier question).
"""

from __future__ import annotations

import json
import random
import tempfile

from benchmarks.common import SQUAD, eval_cache, qa_json

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


def subject_changes(limit: int = 400) -> list[dict]:
    """Pairs of SQuAD questions that differ in one run of words (see the module docstring)."""
    from qa.evaluation import slug

    data = json.loads(SQUAD.read_text())["data"]
    asked = []
    for n, article in enumerate(data):
        name = f"{n:03d}_{slug(article['title'].replace('_', ' '))}.txt"
        for k, p in enumerate(article["paragraphs"]):
            for qa in p["qas"]:
                words = qa["question"].rstrip(" ?").split()
                answers = sorted({a["text"] for a in qa["answers"]})
                asked.append((words, (n, k), name, answers))
    buckets: dict[tuple[str, str], list] = {}
    for item in asked:
        buckets.setdefault((item[0][0].lower(), item[0][-1].lower()), []).append(item)
    pairs = []
    for group in buckets.values():
        for a in group:
            for b in group:
                if a[1] == b[1] or a is b:
                    continue
                run = _differing_run(a[0], b[0])
                if run and not set(a[3]) & set(b[3]):
                    pairs.append(
                        {
                            "turns": [" ".join(a[0]) + "?", f"And what about {run}?"],
                            "answers": b[3],
                            "source": b[2],
                        }
                    )
    random.Random(0).shuffle(pairs)
    return pairs[:limit]


def _differing_run(a: list[str], b: list[str]) -> str | None:
    """`b`'s run of 1-4 words where it differs from `a`, when all else is shared (4+ words)."""
    p = 0
    while p < min(len(a), len(b)) and a[p] == b[p]:
        p += 1
    s = 0
    while s < min(len(a), len(b)) - p and a[-1 - s] == b[-1 - s]:
        s += 1
    da, db = a[p : len(a) - s], b[p : len(b) - s]
    if p + s < 4 or not 1 <= len(da) <= 4 or not 1 <= len(db) <= 4:
        return None
    if not (_names(da) and _names(db)):
        return None  # a differing verb phrase is another question, not another subject
    return " ".join(db)


GLUE = {"of", "the", "and", "de"}


def _names(words: list[str]) -> bool:
    """Whether `words` are a run of capitalised words (a name)."""
    return words[0][:1].isupper() and all(w[:1].isupper() or w in GLUE for w in words)


def score(items: list[dict], extra: list[str]) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.write("\n".join(json.dumps(i) for i in items))
    docs, index = eval_cache(SQUAD)
    return qa_json("eval", f.name, "--docs", str(docs), "--index", str(index), *extra)


def main() -> None:
    follow, alone = build_sets()
    changes = subject_changes()
    # the step before subject changes: the turn searched with the whole earlier question
    before = [{**c, "turns": [f"{c['turns'][1]} {c['turns'][0]}"]} for c in changes]
    print("| set | questions | step | acc@1 | acc@5 |")
    print("|---|---|---|---|---|")
    runs = [
        ("follow-ups (pronoun)", follow, "with context", []),
        ("follow-ups (pronoun)", follow, "last turn alone", ["--no-context"]),
        ("stand-alone after unrelated turn", alone, "with context", []),
        ("stand-alone after unrelated turn", alone, "last turn alone", ["--no-context"]),
        ("subject change (And what about X?)", changes, "with context (subject swapped)", []),
        ("subject change (And what about X?)", before, "turn + earlier question (before)", []),
        ("subject change (And what about X?)", changes, "last turn alone", ["--no-context"]),
    ]
    for name, items, step, extra in runs:
        m = score(items, extra)
        print(
            f"| {name} | {len(items)} | {step} | {m['acc@1']:.3f} | {m['acc@5']:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
