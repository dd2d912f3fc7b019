"""The index follows its folder: edits, additions and deletions are seen by the next question."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest
from filelock import FileLock

from qa import index as index_mod
from qa.changes import find_changes
from qa.workspace import Workspace
from tests.conftest import SEEDS, run, wait_until

pytestmark = pytest.mark.model  # every test builds an index

CODE_QUESTION = "What is the launch code of the orbital garden?"


@pytest.fixture
def folder(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the seeds, indexed."""
    docs, ix = tmp_path / "docs", tmp_path / "ix"
    shutil.copytree(SEEDS, docs)
    (docs / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # skipped: not a readable image
    (docs / "binary.txt").write_bytes(b"\x00\x01\x02 not text")  # skipped when read
    assert run("index", str(docs), "--index", str(ix)).exit_code == 0
    return docs, ix


def ask(docs: Path, ix: Path, question: str, *more: str) -> tuple[dict, str]:
    result = run("ask", question, "--docs", str(docs), "--index", str(ix), "--json", *more)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def cited(answer: dict) -> set[str]:
    return {Path(p["citation"]["path"]).name for p in answer["passages"]}


def test_edits_additions_and_deletions_are_answered_without_qa_index(folder):
    docs, ix = folder
    (docs / "garden.txt").write_text("The launch code of the orbital garden is PELICAN-42.\n")
    first = next(docs.glob("000_*.txt"))
    first.write_text(first.read_text().replace("early March", "late November"))
    (next(docs.glob("002_*.txt"))).unlink()

    answer, stderr = ask(docs, ix, CODE_QUESTION)
    assert "qa: 1 document changed, 1 added, 1 removed; index updated in" in stderr
    assert "PELICAN-42" in answer["answer"]["text"]
    assert not any(name.startswith("002_") for name in cited(answer))  # never the deleted file

    answer, stderr = ask(docs, ix, "When did Lavrov plan to visit Japan?")
    assert stderr == ""  # nothing changed since: no update, no line
    assert "late November" in answer["answer"]["text"]


def test_no_refresh_answers_from_the_index_as_it_is(folder):
    docs, ix = folder
    (docs / "garden.txt").write_text("The launch code of the orbital garden is PELICAN-42.\n")
    answer, stderr = ask(docs, ix, CODE_QUESTION, "--no-refresh")
    assert stderr == "" and "garden.txt" not in cited(answer)


def test_a_refresh_reads_only_what_changed(folder):
    docs, ix = folder
    ws = Workspace.resolve(docs, ix)
    assert ws.refresh() is None  # nothing changed
    (docs / "garden.txt").write_text("The launch code of the orbital garden is PELICAN-42.\n")
    os.utime(next(docs.glob("000_*.txt")), ns=(1, 1))  # touched, same text
    refreshed = ws.refresh()
    assert refreshed is not None
    assert refreshed.changes.added == ["garden.txt"] and len(refreshed.changes.changed) == 1
    report = refreshed.report
    assert report is not None
    assert report.read == 2  # the new and the touched file: not the other seed, and not
    # binary.txt, skipped last time and unchanged (`qa index` tries it again; a refresh not)
    assert report.embedded == 1 and report.added == ["garden.txt"] and not report.updated
    assert [s.rel for s in report.skipped] == ["binary.txt", "picture.png"]
    manifest = index_mod.load(ix).manifest
    assert not find_changes(docs, manifest)  # the new stats are recorded


def test_a_refresh_keeps_the_exclude_patterns_it_was_indexed_with(tmp_path: Path):
    docs, ix = tmp_path / "docs", tmp_path / "ix"
    shutil.copytree(SEEDS, docs)
    (docs / "drafts").mkdir()
    (docs / "drafts" / "garden.txt").write_text("The launch code is PELICAN-42.\n")
    assert run("index", str(docs), "--index", str(ix), "--exclude", "drafts/").exit_code == 0
    assert Workspace.resolve(docs, ix).refresh() is None  # the excluded folder is not "added"


def test_a_refresh_while_another_process_writes_answers_from_the_live_index(folder):
    docs, ix = folder
    (docs / "garden.txt").write_text("The launch code of the orbital garden is PELICAN-42.\n")
    with FileLock(str(ix / "write.lock")):  # another qa holds the index
        answer, stderr = ask(docs, ix, CODE_QUESTION)
    assert "being updated by another process" in stderr
    assert "garden.txt" not in cited(answer)  # the live index, intact
    answer, _ = ask(docs, ix, CODE_QUESTION)  # the next question brings it up to date
    assert "garden.txt" in cited(answer)


def test_two_refreshes_racing_leave_one_consistent_index(folder):
    docs, ix = folder
    for n in range(5):
        (docs / f"note{n}.txt").write_text(f"Note {n}: the courier arrives on day {n + 10}.\n")
    outcomes: list = []

    def refresh() -> None:
        outcomes.append(Workspace.resolve(docs, ix).refresh())

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert any(o is not None and o.report is not None for o in outcomes)
    index = index_mod.load(ix)  # loads: every file complete, sizes checked
    assert {f"note{n}.txt" for n in range(5)} <= set(index.manifest.documents)
    assert Workspace.resolve(docs, ix).refresh() is None
    assert [p.name for p in ix.iterdir() if p.name.startswith("v-")] == [index.folder.name]


def test_watch_takes_a_burst_of_saves_as_one_or_few_updates(folder, monkeypatch):
    import time

    import qa.watch

    monkeypatch.setattr(qa.watch, "STEP_MS", 300)
    docs, ix = folder
    probe = docs / "probe.txt"
    probe.write_text("A probe of the watcher.\n")  # added by the watcher's first refresh
    ws = Workspace.resolve(docs, ix)
    updates: list = []
    stop = threading.Event()
    watcher = threading.Thread(target=qa.watch.watch, args=(ws, updates.append, stop))
    watcher.start()
    touched = [0.0]

    def listening() -> bool:
        """True once an edit of the probe, after the first refresh, brought an update."""
        if len(updates) >= 2:
            return True
        if updates and time.monotonic() - touched[0] > 1.0:  # once a second: no burst
            touched[0] = time.monotonic()
            probe.write_text(f"A probe of the watcher, edited at {touched[0]}.\n")
        return False

    def added() -> int:
        return sum(len(u.report.added) for u in updates if u.report)

    try:
        wait_until(listening, timeout=60)
        updates.clear()
        for n in range(50):
            (docs / f"memo{n}.txt").write_text(f"Memo {n}: the courier arrives on day {n}.\n")
            time.sleep(0.01)  # saves 10 ms apart: one burst
        wait_until(lambda: added() >= 50, timeout=60)
    finally:
        stop.set()
        watcher.join(timeout=30)
    assert not watcher.is_alive()
    assert added() == 50
    memos = [u for u in updates if u.report and any(a.startswith("memo") for a in u.report.added)]
    assert 1 <= len(memos) <= 3  # a burst, not fifty builds
    assert {f"memo{n}.txt" for n in range(50)} <= set(index_mod.load(ix).manifest.documents)
