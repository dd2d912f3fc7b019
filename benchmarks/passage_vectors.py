"""Ways of making passage and sentence vectors, scored at today's retrieval settings.

    python -m benchmarks.passage_vectors --click DIR --rich DIR [--no-squad]

On SQuAD part A and the click and rich docs sets (the indexes `benchmarks/tune.py` uses),
each row swaps the loaded index's passage vectors, sentence vectors or both, and scores
acc@1 / acc@5 / highlight@1 with the default SearchSettings and AnswerSettings:

- pooled: what `qa index` builds (sentences read alone, passages pooled from them: one pass);
- read whole: each passage's indexed text encoded whole beside its sentences (before issue 18:
  two passes), in float32 and int8 (what a second, cheaper pass would give);
- pooled with norms: passages pooled from the sentences' means *before* normalisation (the
  closer approximation of a whole passage's mean pooling);
- late chunking: one forward pass per passage (its parts in windows of the model's length),
  the passage the mean of all its tokens, each sentence the mean of its own tokens, then
  de-biased by a share `a` of its passage's vector (`normalize(s - a p)`), which late
  chunking makes every sentence resemble.

Then, on SQuAD, the questions only one of "pooled" and "read whole" answers at rank 1 and
McNemar's z (|z| > 2: the difference is not chance). torch and sentence-transformers are used
here for the token embeddings; nothing here is cached but the whole-passage vectors.
"""

from __future__ import annotations

import argparse
import functools
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.tune import ROOT, question_set, score, squad_set, use_vectors, whole_vectors

WINDOW = 254  # word pieces between [CLS] and [SEP]
SHARES = (0.0, 0.5, 0.8)  # how much of the passage vector late-chunked sentences lose
POOLED = "pooled (the build: one pass)"
WHOLE = "read whole + sentences alone (before issue 18: two passes)"


def unit(rows: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1, float32."""
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


def all_parts(ws) -> tuple[list[list[str]], list[int]]:
    """Each chunk's parts as the build pools them (heading parts, then sentences) and how
    many of them are sentences."""
    from qa.chunks import sentence_texts
    from qa.vectors import passage_parts

    chunks = ws.retriever().index.chunks
    sentences = [sentence_texts(c) for c in chunks]
    parts = [
        passage_parts(c, ws.building.chunking, s) for c, s in zip(chunks, sentences, strict=True)
    ]
    return parts, [len(s) for s in sentences]


def pooled_with_norms(model, parts: list[list[str]]) -> np.ndarray:
    """Passages pooled from their parts' unnormalised mean embeddings, weighed by word
    pieces, then normalised."""
    flat = [t for p in parts for t in p]
    raw = model.encode(flat, batch_size=64, output_value="token_embeddings")
    sums = np.stack([np.asarray(t, dtype=np.float32).sum(axis=0) for t in raw])  # mean × pieces
    starts = np.cumsum([0, *(len(p) for p in parts[:-1])])
    return unit(np.add.reduceat(sums, starts))


def late_chunks(model, parts: list[list[str]]) -> tuple[np.ndarray, list[list[np.ndarray]]]:
    """One forward pass per passage: its parts' word pieces laid end to end in windows of
    WINDOW; the passage's unit vector (mean of all its tokens) and each part's mean."""
    import torch

    tok, bert = model.tokenizer, model[0].auto_model
    windows = []  # (passage, word pieces, [(part, start, end)])
    for n, texts in enumerate(parts):
        ids = [tok(t, add_special_tokens=False)["input_ids"][:WINDOW] for t in texts]
        seq, spans = [tok.cls_token_id], []
        for j, piece in enumerate(ids):
            if len(seq) + len(piece) > WINDOW + 1 and len(seq) > 1:
                windows.append((n, [*seq, tok.sep_token_id], spans))
                seq, spans = [tok.cls_token_id], []
            spans.append((j, len(seq), len(seq) + len(piece)))
            seq += piece
        windows.append((n, [*seq, tok.sep_token_id], spans))
    windows.sort(key=lambda w: len(w[1]))
    sums = np.zeros((len(parts), bert.config.hidden_size))
    counts = np.zeros(len(parts))
    means: list[list[np.ndarray]] = [[np.empty(0)] * len(p) for p in parts]
    with torch.inference_mode():
        for lo in range(0, len(windows), 32):
            batch = windows[lo : lo + 32]
            ids = torch.zeros((len(batch), max(len(w[1]) for w in batch)), dtype=torch.long)
            for r, (_, seq, _) in enumerate(batch):
                ids[r, : len(seq)] = torch.tensor(seq)
            hidden = bert(input_ids=ids, attention_mask=(ids > 0).long()).last_hidden_state
            for r, (n, seq, spans) in enumerate(batch):
                h = hidden[r, : len(seq)].numpy()
                sums[n] += h.sum(axis=0)
                counts[n] += len(seq)
                for j, a, b in spans:
                    means[n][j] = h[a:b].mean(axis=0) if b > a else h[0]
    return unit(sums / counts[:, None]), means


def variants(ws, model) -> dict[str, Callable[[], tuple]]:
    """Each row's (passage vectors, sentence vectors), made when the row is scored."""
    index = ws.retriever().index
    pooled, alone = np.array(index.vectors, dtype=np.float32), np.array(index.sentences.vectors)
    parts, counts = all_parts(ws)

    @functools.cache
    def late_vectors() -> tuple:
        """Late-chunked passages, their sentences, and each sentence's passage."""
        passages, means = late_chunks(model, parts)
        sentences = [m for ms, c in zip(means, counts, strict=True) for m in ms[len(ms) - c :]]
        return passages, unit(np.stack(sentences)), np.repeat(passages, counts, axis=0)

    def debiased(share: float) -> tuple:
        passages, sentences, of = late_vectors()
        return passages, unit(sentences - share * of).astype(np.float16)

    rows = {
        POOLED: lambda: (pooled, alone),
        WHOLE: lambda: (whole_vectors(ws), alone),
        "read whole in int8 + sentences alone (two passes)": lambda: (
            whole_vectors(ws, "int8"),
            alone,
        ),
        "pooled with norms + sentences alone (one pass)": lambda: (
            pooled_with_norms(model, parts),
            alone,
        ),
        "late chunking, passages only + sentences alone (two passes)": lambda: (
            late_vectors()[0],
            alone,
        ),
    }
    for share in SHARES:
        rows[f"late chunking, sentences de-biased a={share} (one pass)"] = lambda share=share: (
            debiased(share)
        )
    return rows


def mcnemar(ws, items, first: tuple, second: tuple) -> str:
    """Questions only `first` / only `second` answers at rank 1, and McNemar's z."""
    from qa import evaluation

    right = []
    for vectors in (first, second):
        use_vectors(ws, *vectors)
        said = evaluation.ask_batch(ws, items, True)
        pairs = zip(items, said, strict=True)
        right.append(np.array([evaluation.hit_rank(i, s.passages[:1]) == 1 for i, s in pairs]))
    a, b = int((right[0] & ~right[1]).sum()), int((right[1] & ~right[0]).sum())
    z = (b - a) / math.sqrt(max(1, a + b))
    return f"only pooled right {a}, only read whole right {b}: McNemar z = {z:.2f}"


def main() -> None:
    from sentence_transformers import SentenceTransformer

    from embeddings.models import packaged_model_path

    parser = argparse.ArgumentParser()
    parser.add_argument("--click", type=Path, help="click's docs/ folder")
    parser.add_argument("--rich", type=Path, help="rich's docs/source/ folder")
    parser.add_argument("--no-squad", action="store_true")
    args = parser.parse_args()
    data = ROOT / "benchmarks" / "data"
    sets = {} if args.no_squad else {"squad": squad_set()}
    if args.click:
        sets["click"] = question_set(args.click, data / "docs-click.jsonl")
    if args.rich:
        sets["rich"] = question_set(args.rich, data / "docs-rich.jsonl")
    model = SentenceTransformer(str(packaged_model_path()), device="cpu", local_files_only=True)
    print("| set | vectors | acc@1 | acc@5 | highlight@1 |\n|---|---|---|---|---|")
    for name, (ws, items) in sets.items():
        ws.build()
        rows = variants(ws, model)
        for label, make in rows.items():
            use_vectors(ws, *make())
            m = score(ws, items, "")
            print(
                f"| {name} | {label} | {m['acc@1']:.3f} | {m['acc@5']:.3f} | "
                f"{m['highlight@1']:.3f} |",
                flush=True,
            )
        if name == "squad":
            against = mcnemar(ws, items, rows[POOLED](), rows[WHOLE]())
            print(f"\nSQuAD, pooled against read whole: {against}\n")


if __name__ == "__main__":
    main()
