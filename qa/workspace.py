"""A corpus folder and its index folder: where they are, building on first use, asking.

Shared by the CLI and the TUI so that both resolve paths, build and answer the same way.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa import index as index_mod
from qa.answer import AnswerSettings, answer_questions, converse
from qa.conversation import Conversation
from qa.errors import IndexBusy, QAError, UsageError
from qa.options import BuildOptions
from qa.results import Result
from qa.retrieve import Retriever, SearchSettings

if TYPE_CHECKING:
    from embeddings.onnx_encoder import OnnxEncoder
    from qa.build import BuildReport, Progress
    from qa.changes import Changes
    from qa.cluster import RayEngine
    from qa.filters import Filters
    from qa.index import Index


def _seeds() -> Path:
    """The bundled sample corpus: inside the installed package (the wheel ships `seeds/` as
    qa/seeds), else the source checkout's top-level `seeds/`."""
    here = Path(__file__).resolve().parent
    installed = here / "seeds"
    return installed if installed.is_dir() else here.parent / "seeds"


SEEDS = _seeds()
MAX_QUESTION_CHARS = 2000  # the model reads 256 word pieces; more text only slows BM25 down


def default_index_dir(docs: Path) -> Path:
    """Per-user data folder for the index of `docs`, keyed by its absolute path."""
    from embeddings.onnx_encoder import short_hash
    from qa.userdirs import user_dir

    key = short_hash(str(docs.resolve()), 12)
    return user_dir("data") / "indexes" / f"{docs.resolve().name}-{key}"


def default_model() -> str:
    """The model name: $QA_MODEL, else the packaged all-MiniLM-L6-v2."""
    from embeddings.models import DEFAULT_MODEL

    return os.environ.get("QA_MODEL") or DEFAULT_MODEL


def model_id(model: str, quantize: str | None) -> str:
    """The model as the manifest records it: its name, with "+int8" for the int8 graph. Its
    vectors differ, so a change of graph re-embeds (the key holds the id), and questions are
    encoded by the graph the index was built with."""
    return f"{model}+{quantize}" if quantize else model


def split_model_id(recorded: str) -> tuple[str, str | None]:
    """(model name, quantisation or None) of a recorded model id."""
    from embeddings.onnx_encoder import QUANTIZATIONS  # numpy only: no model is loaded

    base, _, quantize = recorded.rpartition("+")
    return (base, quantize) if base and quantize in QUANTIZATIONS else (recorded, None)


def onnx_cache() -> Path:
    """The per-user folder of ONNX exports of models (made once, read by every query)."""
    from qa.userdirs import user_dir

    return user_dir("cache") / "onnx"


@dataclass(frozen=True)
class BuiltWith:
    """The reading settings an index was built with, kept by `qa index` unless changed."""

    follow_links: bool = False
    ocr: str = "auto"
    ocr_lang: str = ""


@dataclass
class _Warm:
    """What a workspace keeps loaded between questions."""

    retriever: Retriever | None = None
    query: OnnxEncoder | None = None  # kept when a new index version is loaded
    query_model: tuple[str, str | None] | None = None  # the model and graph `query` runs
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Workspace:
    """Where the documents and the index are (`docs` may be None when only the index is
    known), the model, and how to build, search and answer."""

    docs: Path | None
    root: Path
    model: str | None = None  # None: as the index was built ($QA_MODEL or the default if new)
    building: BuildOptions = field(default_factory=BuildOptions)
    search: SearchSettings = field(default_factory=SearchSettings)
    answering: AnswerSettings = field(default_factory=AnswerSettings)

    def __post_init__(self) -> None:
        self._warm = _Warm()  # not a field: a copy (dataclasses.replace) starts cold

    @classmethod
    def resolve(cls, docs: Path | None, index: Path | None, **kwargs: Any) -> Workspace:
        """Fill in defaults: the seeds, then $QA_INDEX or the per-user folder for the docs."""
        if index is None and os.environ.get("QA_INDEX"):
            index = Path(os.environ["QA_INDEX"])
        if docs is None and index is None:
            docs = SEEDS
        if docs is not None:
            docs = docs.expanduser().resolve()
            if not docs.is_dir():
                raise UsageError(f"{docs} is not a folder: give the folder of your documents")
        root = index.expanduser().resolve() if index else default_index_dir(docs)  # type: ignore[arg-type]
        return cls(docs=docs, root=root, **kwargs)

    def build(self, on_progress: Progress | None = None, *, rebuild: bool = False) -> BuildReport:
        """(Re)build the index of `docs` as `building` says, embedding only new and changed
        documents (everything with `rebuild`)."""
        from qa import build as build_mod  # deferred: asking never needs the build stack

        options = replace(self.building, rebuild=True) if rebuild else self.building
        docs = self.docs or self.indexed_docs()
        quantize = self._build_quantize()
        model = model_id(self.chosen_model(), quantize)
        if self.building.ray is None:
            report = build_mod.build(
                docs,
                self.root,
                model=model,
                encoder=lambda: self._encoder(quantize),
                options=options,
                on_progress=on_progress,
            )
        else:
            engine = self._ray_engine(quantize)
            try:
                report = build_mod.build(
                    docs,
                    self.root,
                    model=model,
                    encoder=lambda: engine.encoder,
                    options=options,
                    on_progress=on_progress,
                    map_files=engine.map_files,
                    map_shards=engine.map_shards,
                )
            except QAError:
                raise
            except Exception as exc:  # what Ray raises once its retries are spent
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
                raise QAError(
                    f"the Ray build failed ({first}); the index is as it was: "
                    "rerun `qa index --engine ray` to resume"
                ) from None
        self._forget_retriever()
        return report

    def refresh(self) -> Refreshed | None:
        """Bring the index up to date with its folder, if a stat walk finds files added,
        changed or removed (qa.changes); None when nothing changed or there is no index yet.

        Unchanged files are not read again; the new version is written beside the live one,
        so readers never wait. When another process is writing the index, this one answers
        from the live version (`busy`) rather than wait."""
        import time

        from qa.changes import find_changes

        if not index_mod.exists(self.root):
            return None
        manifest = index_mod.live_manifest(self.root)
        docs = self.docs or Path(manifest.docs_root)
        if not docs.is_dir():
            return None  # nothing to compare with: `qa status` and `qa index` say so
        changes = find_changes(docs, manifest)
        if not changes:
            return None
        start = time.perf_counter()
        reading = replace(  # as it was indexed
            self.building.reading,
            exclude=tuple(manifest.exclude),
            follow_links=manifest.follow_links,
            ocr=replace(self.building.reading.ocr, mode=manifest.ocr, lang=manifest.ocr_lang),
        )
        building = replace(self.building, reading=reading, rebuild=False, retry_skipped=False)
        try:
            report = replace(self, docs=docs, building=building).build()
        except IndexBusy:
            return Refreshed(changes, None, time.perf_counter() - start)
        self._forget_retriever()
        return Refreshed(changes, report, time.perf_counter() - start)

    def _forget_retriever(self) -> None:
        """The next question loads the new version (under the lock a loading question holds,
        so it cannot store the old one after this)."""
        with self._warm.lock:
            self._warm.retriever = None

    def built_with(self) -> BuiltWith:
        """How the live index read its folder (the defaults when there is none)."""
        try:
            m = index_mod.live_manifest(self.root)
        except QAError:
            return BuiltWith()
        return BuiltWith(follow_links=m.follow_links, ocr=m.ocr, ocr_lang=m.ocr_lang)

    def indexed_docs(self) -> Path:
        """The corpus folder recorded by the existing index."""
        manifest = index_mod.live_manifest(self.root)
        docs = Path(manifest.docs_root)
        if not docs.is_dir():
            raise UsageError(
                f"the indexed folder {docs} is gone: give the documents folder to index"
            )
        return docs

    def chosen_model(self) -> str:
        """The model to build with: the one asked for, else the live index's, else
        $QA_MODEL or the packaged all-MiniLM-L6-v2."""
        if self.model:
            return self.model
        try:
            return split_model_id(index_mod.live_manifest(self.root).model)[0]
        except (QAError, OSError):
            return default_model()

    def _model_path(self, model: str | None = None) -> Path:
        from embeddings.models import ModelNotFound, resolve_model

        try:
            return resolve_model(model or self.chosen_model())
        except ModelNotFound as exc:
            raise UsageError(str(exc)) from None

    def _build_quantize(self) -> str | None:
        """The graph a build embeds with: `quantize` when asked ("float32": None), else the
        live index's, so a refresh never re-embeds an int8 index in float32."""
        asked = self.building.quantize
        if asked is not None:
            return None if asked == "float32" else asked
        try:
            built = index_mod.live_manifest(self.root).model
        except (QAError, OSError):
            return None
        base, quantize = split_model_id(built)
        return quantize if base == self.chosen_model() else None

    def _encoder(self, quantize: str | None = None) -> OnnxEncoder:
        """The encoder that builds the index: the ONNX export of the model (its int8 copy
        with `quantize`).

        Measured (benchmarks/build_throughput.py) 2.6–3.2× as fast as sentence-transformers'
        encode() on passages, with cosine ≥ 0.9999 to it, and it spares every build the torch
        import.
        """
        return self.query_encoder(prepack=True, quantize=quantize)

    def _ray_engine(self, quantize: str | None = None) -> RayEngine:
        """The build's work on Ray; embedding actors each load (or export) the ONNX encoder."""
        from functools import partial

        from embeddings.onnx_encoder import load_or_export
        from embeddings.ray_encoder import RayMissing
        from qa.cluster import RayEngine

        assert self.building.ray is not None, "only builds with --engine ray use Ray"
        try:
            factory = partial(load_or_export, self._model_path(), onnx_cache(), quantize=quantize)
            return RayEngine(factory, self.building.ray)
        except RayMissing as exc:
            raise UsageError(str(exc)) from None
        except ConnectionError as exc:
            raise UsageError(f"cannot reach the Ray cluster: {exc}") from None

    def query_encoder(
        self, prepack: bool = False, quantize: str | None = None, *, model: str | None = None
    ) -> OnnxEncoder:
        """The torch-free ONNX encoder of `model` (default: the chosen one), exported on
        first use; `prepack` for encoding many texts, `quantize` for its int8 copy (see
        embeddings.onnx_encoder)."""
        from embeddings.onnx_encoder import cache_folder, is_exported, load_or_export

        model_path = self._model_path(model)
        if not is_exported(cache_folder(model_path, onnx_cache())):
            import logging

            log = logging.getLogger("qa")
            log.info("exporting %s to ONNX for fast queries (once)", model_path.name)
        return load_or_export(model_path, onnx_cache(), prepack, quantize)

    def needs_build(self) -> bool:
        """True when the documents are known and there is no index yet, or only one written
        by another qa version: it is then (re)built rather than refused."""
        if self.docs is None:
            return False
        return not index_mod.exists(self.root) or index_mod.is_outdated(self.root)

    def load(self) -> Index:
        """The live index; a missing one is a usage error naming the fix."""
        return self.retriever().index

    def retriever(self) -> Retriever:
        """The retriever over the live index, loaded once, and again after a build (safe to
        call from several threads); the query encoder is loaded once for the workspace."""
        warm = self._warm
        with warm.lock:
            if warm.retriever is None:
                index = index_mod.load(self.root)
                built = split_model_id(index.manifest.model)  # query as it was built
                if warm.query is None or warm.query_model != built:
                    warm.query = self.query_encoder(quantize=built[1], model=built[0])
                    warm.query_model = built
                warm.retriever = Retriever(index, warm.query, self.search)
            return warm.retriever

    def status(self) -> dict[str, Any]:
        """What is indexed, as `qa status --json` prints it: folder, documents, passages,
        model, when built, bytes on disk, every skipped file with its kind and reason."""
        import time

        folder = index_mod.current_folder(self.root)
        manifest = index_mod.read_manifest(folder)
        return {
            "index": str(self.root),
            "docs": manifest.docs_root,
            "documents": len(manifest.documents),
            "passages": manifest.passages,
            "model": manifest.model,
            "dim": manifest.dim,
            "built_at": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(manifest.built_at)),
            "bytes": sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()),
            "skipped": [
                {"path": s.rel, "kind": s.kind, "reason": s.reason} for s in manifest.skipped
            ],
        }

    def ask(
        self,
        questions: list[str],
        k: int = 5,
        conversation: Conversation | None = None,
        searches: list[str] | None = None,
        filters: Filters | None = None,
        *,
        prefer: list[tuple[str, ...]] | None = None,
    ) -> list[Result]:
        """Answer each question with the `k` best passages (that pass `filters`, qa.filters).

        With a `conversation`, the questions are its next turns, in order: each is searched
        with the context of the turns before it (and the document of the answer before it,
        qa.conversation), and is added to the conversation. With `searches` (and `prefer`),
        each question is searched as that text (a caller that keeps its own conversation,
        such as `qa chat` on its event loop).
        """
        for q in questions:
            require_question(q)
        if k < 1:
            raise UsageError("-k must be at least 1")
        retriever = self.retriever()
        if conversation is None:
            return answer_questions(
                retriever, questions, k, self.answering, searches, filters, prefer=prefer
            )
        return [converse(retriever, conversation, q, k, self.answering, filters) for q in questions]


@dataclass(frozen=True)
class Refreshed:
    """What a refresh found and did; `report` is None when another process held the index."""

    changes: Changes
    report: BuildReport | None
    seconds: float

    def summary(self) -> str:
        """One line for stderr or a status bar: what changed and how long the update took."""
        r = self.report
        if r is None:
            return "the index is being updated by another process; answering from the live one"
        parts = [
            _count(len(r.updated), "document changed", "documents changed"),
            _count(len(r.added), "added", "added"),
            _count(len(r.removed), "removed", "removed"),
            _count(len(r.renamed), "renamed", "renamed"),
        ]
        said = ", ".join(p for p in parts if p) or "no text changed"
        return f"{said}; index updated in {self.seconds:.1f} s"


def _count(n: int, one: str, many: str) -> str:
    return "" if n == 0 else f"{n} {one if n == 1 else many}"


def require_question(question: str) -> str:
    """`question`, unless it is empty (a usage error saying what to do)."""
    if not question.strip():
        raise UsageError('the question is empty: ask something, e.g. qa ask "Who ...?"')
    return question


def clip_question(question: str) -> tuple[str, bool]:
    """The question cut to MAX_QUESTION_CHARS, and whether it was cut."""
    if len(question) <= MAX_QUESTION_CHARS:
        return question, False
    return question[:MAX_QUESTION_CHARS], True
