"""PDF text extraction: PDFium (qa's reader) against pypdf (the reader before it), per file.

    python -m benchmarks.pdf_backends FOLDER... [--timeout 60]

Every PDF below the folders is read by each backend in isolated worker processes
(qa.isolation, as `qa index` reads), one file at a time, and the time inside the worker is
summed. Prints, per backend: files with text, without text, failed (by kind), timed out,
total and slowest seconds. pypdf (with cryptography for AES) is a dev dependency, here only
as the baseline.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from functools import partial
from pathlib import Path

from qa.isolation import Limits, map_isolated


def with_pdfium(path: str) -> tuple[str, float]:
    from qa.formats import Unreadable
    from qa.formats.pdf import read_pdf

    started = time.perf_counter()
    try:
        read_pdf(Path(path))
        outcome = "text"
    except Unreadable as exc:
        outcome = "no text" if exc.kind in ("no text layer", "empty") else exc.kind
    except Exception as exc:
        outcome = type(exc).__name__
    return outcome, time.perf_counter() - started


def with_pypdf(path: str) -> tuple[str, float]:
    started = time.perf_counter()
    try:
        from pypdf import PdfReader

        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            outcome = "needs a password"
        else:
            pages = [page.extract_text() or "" for page in reader.pages]
            outcome = "text" if any(p.strip() for p in pages) else "no text"
    except Exception as exc:
        outcome = type(exc).__name__
    return outcome, time.perf_counter() - started


def failed(path: str, kind: str, reason: str, limits: Limits) -> tuple[str, float]:
    return kind, limits.timeout if kind == "timed out" else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    pdfs = sorted(str(p) for f in args.folders for p in f.rglob("*.pdf") if p.is_file())
    limits = Limits(timeout=args.timeout, workers=1)
    print(f"{len(pdfs)} PDFs, one worker, {args.timeout:g} s per file")
    print(
        f"{'backend':<8} {'text':>5} {'no text':>7} {'failed':>6} {'timeout':>7} "
        f"{'total s':>8} {'max s':>6}  failures"
    )
    for name, fn in [("pypdf", with_pypdf), ("pdfium", with_pdfium)]:
        got = map_isolated(fn, pdfs, limits, partial(failed, limits=limits))
        kinds = Counter(kind for kind, _ in got)
        fails = {k: n for k, n in kinds.items() if k not in ("text", "no text", "timed out")}
        print(
            f"{name:<8} {kinds['text']:>5} {kinds['no text']:>7} {sum(fails.values()):>6} "
            f"{kinds['timed out']:>7} {sum(s for _, s in got):>8.1f} "
            f"{max(s for _, s in got):>6.2f}  {dict(Counter(fails).most_common(4))}"
        )


if __name__ == "__main__":
    main()
