"""Incremental `qa index`: touching 1 of N documents against a full build of all N.

    python -m benchmarks.incremental [N_DOCUMENTS]

N synthetic documents of about 120 words each; one full build, then one document is edited
and the index rebuilt; then the edited document is renamed and the index rebuilt. Each
rebuild is a fresh `qa index` process, as a user would run it (model load included).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import run_qa

WORDS = "harbour ferry bread glacier tea bee invoice sensor pump valve report budget".split()


def qa_index(docs: Path, index: Path) -> tuple[float, str]:
    start = time.perf_counter()
    out = run_qa("index", str(docs), "--index", str(index))
    return time.perf_counter() - start, out.stdout.strip()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        docs, index = Path(tmp) / "docs", Path(tmp) / "ix"
        docs.mkdir()
        for i in range(n):
            sentences = [
                f"Record {i}.{j} notes that the {WORDS[(i + j) % len(WORDS)]} count was {i * j}."
                for j in range(12)
            ]
            (docs / f"doc_{i:05d}.txt").write_text(" ".join(sentences))
        full, _ = qa_index(docs, index)
        (docs / "doc_00007.txt").write_text("An edited note: the ferry left at dawn.")
        touched, touched_out = qa_index(docs, index)
        (docs / "doc_00011.txt").rename(docs / "renamed.txt")
        renamed, renamed_out = qa_index(docs, index)
    print(f"| {n} documents | seconds | share of full build |")
    print("|---|---|---|")
    print(f"| full build | {full:.1f} | 100% |")
    print(f"| 1 document edited | {touched:.1f} | {touched / full:.1%} |")
    print(f"| 1 document renamed | {renamed:.1f} | {renamed / full:.1%} |")
    print(touched_out)
    print(renamed_out)


if __name__ == "__main__":
    main()
