"""Retrieval and answer settings swept in one process, on every dev set at once.

    python -m benchmarks.tune --click DIR --rich DIR [--scifact] [--set NAME ...] \\
        "" "field_weight=0.3" "neighbour_weight=0.1 focus_weight=0.2"

Each setting is `name=value` pairs of qa.retrieve.SearchSettings or qa.answer.AnswerSettings
(empty: the defaults); `--set NAME` adds a set of benchmarks.targets over its corpus
folder; `--rebuild` re-embeds every index first. Indexes are built once (the
same cached ones `qa eval` uses for SQuAD and SciFact); every setting is then scored on the
loaded indexes, so a sweep costs seconds per row, not a build. Prints one Markdown table per
set: acc@1, acc@5, highlight@1, and for sets with unanswerable questions the share refused
and the precision/recall of `answered`.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
from pathlib import Path

import numpy as np

from benchmarks.common import DATA, ROOT, SCIFACT, SQUAD, eval_cache
from benchmarks.targets import CORPORA, SETS
from qa import evaluation
from qa.answer import AnswerSettings
from qa.chunks import field_text
from qa.retrieve import SearchSettings
from qa.workspace import Workspace

FIELDS = {  # what the structure field holds (qa.chunks.field_text is "all")
    "all": field_text,
    "date": lambda c: field_text(dataclasses.replace(c, title="", section="")),
    "title": lambda c: field_text(dataclasses.replace(c, date=None, section="")),
}


INT_SETTINGS = {"depth"}  # FAISS takes a count


def parse_setting(text: str) -> tuple[dict[str, float], dict[str, float]]:
    """`a=1 b=2` split into SearchSettings and AnswerSettings overrides (`fields=date` is
    taken out by `use_fields`)."""
    search_names = {f.name for f in dataclasses.fields(SearchSettings)}
    search, answer = {}, {}
    for pair in text.split():
        if pair.startswith("fields="):
            continue
        name, value = pair.split("=")
        number = int(value) if name in INT_SETTINGS else float(value)
        (search if name in search_names else answer)[name] = number
    return search, answer


def squad_set() -> tuple[Workspace, list[evaluation.EvalQuestion]]:
    """SQuAD part A as `qa eval --squad` builds it (same cache)."""
    docs, index = eval_cache(SQUAD)
    docs.mkdir(parents=True, exist_ok=True)
    ws = Workspace.resolve(docs, index)
    return ws, evaluation.squad_corpus(SQUAD, ws.docs)  # type: ignore[arg-type]


def question_set(docs: Path, *files: Path) -> tuple[Workspace, list[evaluation.EvalQuestion]]:
    """A folder and its question files, indexed in the per-user default index."""
    items = [q for f in files for q in evaluation.load_questions(f)]
    return Workspace.resolve(docs, None), items


def int8(ws: Workspace) -> Workspace:
    """The same set indexed with the int8 model, in an index folder beside the float32 one."""
    root = ws.root.with_name(ws.root.name + "-int8")
    return dataclasses.replace(
        ws, root=root, building=dataclasses.replace(ws.building, quantize="int8")
    )


def answered_figures(ws: Workspace, items: list[evaluation.EvalQuestion]) -> dict[str, float]:
    """Precision and recall of `answered`: answered and right at rank 1 / all answerable."""
    said = evaluation.ask_batch(ws, items, use_context=True)
    right = answered = answerable = 0
    for item, asked in zip(items, said, strict=True):
        answered += asked.answered
        if item.unanswerable:
            continue
        answerable += 1
        if asked.answered and evaluation.hit_rank(item, asked.passages[:1]) == 1:
            right += 1
    return {
        "precision": right / answered if answered else 0.0,
        "recall": right / max(1, answerable),
    }


class CachedEncoder:
    """The query encoder, each text encoded once for the whole sweep."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder
        self.known: dict[str, np.ndarray] = {}

    def encode(self, texts) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self.known]
        if new:
            self.known.update(zip(new, self.encoder.encode(new), strict=True))
        return np.stack([self.known[t] for t in texts])


def use_fields(ws: Workspace, setting: str) -> None:
    """Rebuild the loaded index's structure field in memory as `fields=NAME` asks."""
    from qa.lexical import LexicalIndex

    name = next((p.split("=")[1] for p in setting.split() if p.startswith("fields=")), "all")
    index = ws.retriever().index
    if getattr(index, "_fields_kind", "all") != name:
        index.fields = LexicalIndex.build([FIELDS[name](c) for c in index.chunks])
        index._fields_kind = name  # type: ignore[attr-defined]


def whole_vectors(ws: Workspace, quantize: str | None = None) -> np.ndarray:
    """Each passage of the loaded index read whole by the build's encoder (its int8 copy with
    `quantize`): the way before issue 18, its indexed text truncated at the model's window.
    Cached beside the index by the passages' texts."""
    from qa.chunks import indexed_text

    index = ws.retriever().index
    texts = [indexed_text(c, ws.building.chunking) for c in index.chunks]
    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()[:16]
    cache = index.folder.parent / f"whole-{quantize or 'float32'}-{digest}.npy"
    if cache.is_file():
        return np.load(cache)
    vectors = ws.query_encoder(prepack=True, quantize=quantize).encode(texts).astype(np.float32)
    np.save(cache, vectors)
    return vectors


def use_vectors(ws: Workspace, passages: np.ndarray, sentences: np.ndarray | None = None) -> None:
    """Put these passage (and sentence) vectors into the loaded index, FAISS rebuilt from
    the passages: what `--whole-passages` and benchmarks/passage_vectors.py score."""
    from embeddings.vector_index import build_index
    from qa.index import Sentences

    index = ws.retriever().index
    index.vectors, index.dense = passages, build_index(passages)
    if sentences is not None:
        index.sentences = Sentences(sentences, index.sentences.spans, index.sentences.offsets)


def score(ws: Workspace, items: list[evaluation.EvalQuestion], setting: str) -> dict:
    """Metrics of one setting on one loaded set."""
    search, answer = parse_setting(setting)
    use_fields(ws, setting)
    retriever = ws.retriever()
    if not isinstance(retriever.encoder, CachedEncoder):
        retriever.encoder = CachedEncoder(retriever.encoder)
    retriever.settings = dataclasses.replace(SearchSettings(), **search)  # type: ignore[arg-type]
    ws.answering = dataclasses.replace(AnswerSettings(), **answer)  # type: ignore[arg-type]
    metrics = evaluation.score_questions(items, lambda p: evaluation.ask_batch(ws, p, True))
    if any(i.unanswerable for i in items):
        metrics.update(answered_figures(ws, items))
    return metrics


def score_scifact(ws: Workspace, beir: evaluation.BeirSet, setting: str) -> dict:
    search, _ = parse_setting(setting)
    retriever = ws.retriever()
    retriever.settings = dataclasses.replace(SearchSettings(), **search)  # type: ignore[arg-type]
    return evaluation.score_beir(retriever, beir)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("settings", nargs="*", default=[""])
    parser.add_argument("--click", type=Path, help="click's docs/ folder")
    parser.add_argument("--rich", type=Path, help="rich's docs/source/ folder")
    parser.add_argument("--no-squad", action="store_true")
    parser.add_argument(
        "--set", action="append", default=[], help="a benchmarks.targets set over its corpus"
    )
    parser.add_argument("--scifact", action="store_true")
    parser.add_argument(
        "--rebuild", action="store_true", help="re-embed every index first (vectors changed)"
    )
    parser.add_argument(
        "--whole-passages",
        action="store_true",
        help="score with each passage read whole (sentences as built) instead of pooled",
    )
    parser.add_argument(
        "--quantize", choices=["int8"], help="score int8 indexes (built beside the float32 ones)"
    )
    args = parser.parse_args()
    data = DATA
    sets = {
        "seeds": question_set(ROOT / "seeds", *sorted((ROOT / "tests" / "data").glob("seed-*"))),
        "seeds-dev": question_set(ROOT / "seeds", data / "seeds-dev.jsonl"),
    }
    if not args.no_squad:
        sets["squad"] = squad_set()
    if args.click:
        sets["click"] = question_set(args.click, data / "docs-click.jsonl")
    if args.rich:
        sets["rich"] = question_set(args.rich, data / "docs-rich.jsonl")
    for name in args.set:
        dev = SETS[name]
        assert dev.corpus, f"{name} is not a question set over a corpus folder"
        sets[name] = question_set(CORPORA / dev.corpus, Path(dev.args[0]))
    if args.quantize:
        sets = {name: (int8(ws), items) for name, (ws, items) in sets.items()}
    for ws, _ in sets.values():
        ws.build(rebuild=args.rebuild)  # incremental: nothing changed, nothing embedded
        if args.whole_passages:
            use_vectors(ws, whole_vectors(ws, ws.quantize))
    cols = ["acc@1", "acc@5", "highlight@1", "unanswerable_acc", "precision", "recall"]
    for name, (ws, items) in sets.items():
        print(f"\n| {name} setting | " + " | ".join(cols) + " |")
        print("|---" * (len(cols) + 1) + "|")
        for setting in args.settings:
            m = score(ws, items, setting)
            cells = " | ".join("—" if m.get(c) is None else f"{m[c]:.3f}" for c in cols)
            print(f"| `{setting or 'defaults'}` | {cells} |", flush=True)
    if args.scifact:
        docs, index = eval_cache(SCIFACT)
        docs.mkdir(parents=True, exist_ok=True)
        ws = Workspace.resolve(docs, index)
        ws = int8(ws) if args.quantize else ws
        beir = evaluation.beir_corpus(SCIFACT, ws.docs)  # type: ignore[arg-type]
        ws.build(rebuild=args.rebuild)
        if args.whole_passages:
            use_vectors(ws, whole_vectors(ws, ws.quantize))
        print("\n| scifact setting | ndcg@10 | recall@100 |\n|---|---|---|")
        for setting in args.settings:
            m = score_scifact(ws, beir, setting)
            print(f"| `{setting or 'defaults'}` | {m['ndcg@10']:.3f} | {m['recall@100']:.3f} |")


if __name__ == "__main__":
    main()
