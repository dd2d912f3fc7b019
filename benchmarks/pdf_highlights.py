"""Answers in PDFs: SQuAD articles rendered to PDF, read by this checkout and an older one.

    python -m benchmarks.pdf_highlights [--articles 4] [--before CHECKOUT]

The first N articles of SQuAD v1.1 part A are typeset as PDFs (fpdf2: wrapped lines, a
running header and a page-number footer, as printed documents have), indexed, and every
question asked. acc@1: a gold answer is in the top passage; highlight@1: it is in the
highlighted answer sentence (whitespace-insensitive). Each side runs in its own process with
its own index; `--before` is a `git worktree` of an older commit.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import ROOT, SQUAD

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

CHILD = """
import json, re, sys
from pathlib import Path
from qa.workspace import Workspace
docs, ix = Path(sys.argv[1]), Path(sys.argv[2])
questions = json.loads(Path(sys.argv[3]).read_text())
ws = Workspace.resolve(docs, ix)
ws.build()
flat = lambda s: re.sub(r"\\s+", " ", s).strip().lower()
acc = hl = 0
results = ws.ask([q["question"] for q in questions])
for q, r in zip(questions, results):
    top = r.passages[0]
    answers = [flat(a) for a in q["answers"]]
    acc += any(a in flat(top.text) for a in answers)
    hl += any(a in flat(top.answer.text) for a in answers)
print(json.dumps({"n": len(questions), "acc1": acc / len(questions), "hl1": hl / len(questions)}))
"""


def render(articles: int, folder: Path) -> list[dict]:
    """Write one PDF per article; return its questions."""
    from fpdf import FPDF

    class Printed(FPDF):
        def header(self) -> None:
            self.cell(0, 6, "Collected articles, reading edition", new_x="LMARGIN", new_y="NEXT")

        def footer(self) -> None:
            self.set_y(-15)
            self.cell(0, 6, f"Page {self.page_no()}")

    data = json.loads(SQUAD.read_text(encoding="utf-8"))["data"][:articles]
    questions = []
    for n, article in enumerate(data):
        title = article["title"].replace("_", " ")
        pdf = Printed()
        if FONT.exists():
            pdf.add_font("body", fname=str(FONT))
            pdf.set_font("body", size=10)
        else:
            pdf.set_font("Helvetica", size=10)
        pdf.add_page()
        pdf.multi_cell(0, 6, title)
        for p in article["paragraphs"]:
            pdf.ln(3)
            pdf.multi_cell(0, 5, _printable(p["context"], FONT.exists()))
            for qa in p["qas"]:
                answers = [_printable(a["text"], FONT.exists()) for a in qa["answers"]]
                questions.append({"question": qa["question"], "answers": answers})
        pdf.output(str(folder / f"{n:03d}.pdf"))
    return questions


def _printable(text: str, unicode_font: bool) -> str:
    return text if unicode_font else text.encode("latin-1", "replace").decode("latin-1")


def run(code_root: Path, docs: Path, questions: Path) -> dict:
    with tempfile.TemporaryDirectory() as ix:
        env = {**os.environ, "PYTHONPATH": str(code_root), "HF_HUB_OFFLINE": "1"}
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(docs), ix, str(questions)],
            capture_output=True,
            text=True,
            env=env,
            cwd=code_root,
        )
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1][:80]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=4)
    parser.add_argument("--before", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "pdfs"
        docs.mkdir()
        questions = render(args.articles, docs)
        qfile = Path(tmp) / "questions.json"
        qfile.write_text(json.dumps(questions))
        print(f"{args.articles} SQuAD articles as PDF, {len(questions)} questions")
        print(f"{'side':<8} {'acc@1':>6} {'highlight@1':>11}")
        for name, code in [("before", args.before), ("this", ROOT)]:
            if code is None:
                continue
            r = run(code, docs, qfile)
            if "error" in r:
                print(f"{name:<8} {r['error']}")
            else:
                print(f"{name:<8} {r['acc1']:>6.3f} {r['hl1']:>11.3f}")


if __name__ == "__main__":
    main()
