"""Cold `qa ask` (a new process each time) against the plain sentence-transformers path.

    python -m benchmarks.cold_ask [ROUNDS]

Both sides answer the sample question from the same seed index in a fresh process, run
alternately so that machine drift hits both alike. The baseline is the minimum a
sentence-transformers tool must do: import it, load the model, encode the query, search FAISS.
Prints wall-time medians and their ratio, then the imports that cost a cold `qa ask` most
(`python -X importtime`, cumulative). Both sides run with bytecode compiled and cached, as an
installed package has it (`pip install` writes .pyc files; PYTHONDONTWRITEBYTECODE, set on
some machines, would make every run recompile the checkout's modules).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from benchmarks.common import QA, ROOT

QUESTION = "When did Lavrov plan to visit Japan?"

BASELINE = """
import sys, faiss
from sentence_transformers import SentenceTransformer
from embeddings.models import packaged_model_path
from qa import index
ix = index.load(__import__('pathlib').Path(sys.argv[1]))
model = SentenceTransformer(str(packaged_model_path()), device="cpu")
q = model.encode([sys.argv[2]], normalize_embeddings=True)
print(ix.dense.search(q, 5))
"""


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall time (s) and peak resident memory (MB) of one run of `cmd`."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{cmd[:3]} failed with exit code {proc.returncode}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> None:
    from qa.workspace import Workspace

    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    ws = Workspace.resolve(None, None)
    if ws.needs_build():
        ws.build()
    ws.query_encoder()
    qa = [QA, "ask", QUESTION, "--json", "--index", str(ws.root)]
    base = [sys.executable, "-c", BASELINE, str(ws.root), QUESTION]
    import compileall

    for package in ("qa", "embeddings"):
        compileall.compile_dir(ROOT / package, quiet=1)
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(timed(qa))
        theirs.append(timed(base))
    a, b = statistics.median(t for t, _ in ours), statistics.median(t for t, _ in theirs)
    ma, mb = max(m for _, m in ours), max(m for _, m in theirs)
    print("| path | median wall time (s) | peak memory (MB) | runs |")
    print("|---|---|---|---|")
    print(f"| `qa ask` (ONNX, hybrid, answer sentences) | {a:.2f} | {ma:.0f} | {rounds} |")
    print(f"| sentence-transformers + FAISS only | {b:.2f} | {mb:.0f} | {rounds} |")
    print(f"| ratio qa / baseline | {a / b:.2f} | {ma / mb:.2f} | |")
    print()
    print("| slowest imports of one cold `qa ask` | cumulative ms |")
    print("|---|---|")
    for name, ms in slowest_imports(qa):
        print(f"| `{name}` | {ms:.0f} |")


def slowest_imports(cmd: list[str], top: int = 12) -> list[tuple[str, float]]:
    """The top-level imports of `cmd` (run under `python -X importtime`) by cumulative time."""
    code = f"import sys; sys.argv = {cmd!r}; from qa.cli import main; main()"
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=ENV,
    )
    found = []
    for line in run.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
            found.append((parts[2].strip(), int(parts[1]) / 1000))
    return sorted(found, key=lambda f: -f[1])[:top]


if __name__ == "__main__":
    main()
