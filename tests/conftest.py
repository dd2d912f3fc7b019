"""Shared fixtures: the real model and a real index of the seeds, built once per session."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
# the user's config and collections are never read or written by tests (qa index registers
# each folder it indexes as a collection); processes the tests start inherit this
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="qa-tests-config-")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"
T = TypeVar("T")


# Fixtures that load the embedding model: seed_index, and those that build an index of their
# own (a fixture of one of these names anywhere in tests/ loads it; a fixture built on one of
# them is seen through it).
MODEL_FIXTURES = {
    "seed_index",
    "ferries",  # test_filters
    "two_collections",  # test_collections
    "reports",  # test_retrieve
    "folder",  # test_freshness, test_mcp
    "linked",  # test_served
    "workspace",  # test_formats
    "kept",  # test_formats
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `model` are slow (`make test-fast` leaves them out); a test that takes a
    fixture of MODEL_FIXTURES without the mark stops the run, naming it."""
    unmarked = []
    for item in items:
        if item.get_closest_marker("model") is not None:
            item.add_marker(pytest.mark.slow)
        elif used := MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            unmarked.append(f"{item.nodeid} (takes {', '.join(sorted(used))})")
    if unmarked:
        raise pytest.UsageError(
            "tests that load the model need @pytest.mark.model:\n  " + "\n  ".join(unmarked)
        )


def wait_until(predicate: Callable[[], T], timeout: float, every: float = 0.05) -> T:
    """The first true value of `predicate()`, polled every `every` s; fails the test when
    there is none within `timeout` s."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            pytest.fail(f"{getattr(predicate, '__name__', predicate)}: not true in {timeout} s")
        time.sleep(every)
    return value


def read_folder(root: Path) -> tuple[list, list]:
    """The documents (with their text) and skipped files of a folder, listed and read as
    `qa index` lists and reads them (here, not in worker processes)."""
    from qa.documents import Document, read_file
    from qa.files import list_folder

    listing = list_folder(root)
    got = [read_file(root, rel) for rel in listing.rels]
    docs = [d for d in got if isinstance(d, Document)]
    skipped = [*listing.skipped, *(d for d in got if not isinstance(d, Document))]
    return docs, sorted(skipped, key=lambda s: s.rel)


def run(*args: str, input: str | None = None):
    """`qa ARGS…` in this process (click's runner: stdout and stderr apart)."""
    from click.testing import CliRunner

    from qa.cli import cli

    return CliRunner().invoke(cli, list(args), input=input)


def pooled_vectors(index, encoder, rows=None):  # type: ignore[no-untyped-def]
    """The passage vectors a build should have written for `rows` of `index` (all by
    default): each pooled from its parts as `encoder` reads them, kept as float16 first."""
    import numpy as np

    from qa.build import indexed_sentences, passage_parts
    from qa.vectors import passage_vector

    out = []
    for row in range(len(index.chunks)) if rows is None else rows:
        sentences = indexed_sentences(index, row)
        parts = passage_parts(index.chunks[row], index.manifest.chunking, sentences)
        halves = encoder.encode(parts).astype(np.float16)
        out.append(passage_vector(halves, encoder.count_tokens(parts)))
    return np.array(out, dtype=np.float32)


def key_of(text: str) -> bytes:
    """A stand-in key: the text's first 16 bytes."""
    return text.encode().ljust(16, b"-")[:16]


def chunk_of(*sentences: str):  # type: ignore[no-untyped-def]
    """One chunk of `sentences`, in a.txt."""
    from qa.chunks import Chunk

    text = " ".join(sentences)
    return Chunk("a.txt", 0, len(text), 1, 1, text, "A", None)


def manifest_of(root: Path, *rels: str, follow_links: bool = False):  # type: ignore[no-untyped-def]
    """The manifest of an index of `root` holding the documents `rels` (no vectors needed:
    what may be shown is decided by the manifest alone)."""
    from qa.chunks import ChunkSettings
    from qa.formats import READERS_VERSION
    from qa.manifest import DocEntry, Manifest

    documents = {rel: DocEntry("0" * 64, rel, None, 1) for rel in rels}
    root_path = str(root.resolve())
    return Manifest(
        "model",
        1,
        ChunkSettings(),
        root_path,
        0.0,
        documents,
        follow_links=follow_links,
        readers=READERS_VERSION,
    )


def read_jsonl(path: Path) -> list[dict]:
    """Parse a JSON-lines file."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def seed_questions() -> list[dict]:
    return read_jsonl(DATA / "seed-questions.jsonl")


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of a copy of the seeds, built with the real model."""
    from qa.workspace import Workspace

    base = tmp_path_factory.mktemp("seeds")
    docs = base / "seeds"
    shutil.copytree(SEEDS, docs)
    Workspace.resolve(docs, base / "index").build()
    return base / "index"


@pytest.fixture(scope="session")
def seed_workspace(seed_index: Path):
    """A workspace over the seed index (model loaded once for the session)."""
    from qa.workspace import Workspace

    return Workspace.resolve(None, seed_index)


@pytest.fixture(autouse=True)
def _isolated_data_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Default index folders go to a temporary home, never the user's; each test has a config
    file (and collections list) of its own, empty."""
    home = tmp_path_factory.getbasetemp() / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("QA_CONFIG", str(tmp_path_factory.mktemp("config") / "config.toml"))
    monkeypatch.delenv("QA_INDEX", raising=False)
