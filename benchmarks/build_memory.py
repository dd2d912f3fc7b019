"""Peak memory of a whole build at 15k and 105k passages (what qa holds, not the model).

    python -m benchmarks.build_memory [--model] [--refresh] 10000 70000

For each size (in paragraphs; the chunker makes 1.5 passages of each, so the defaults give
15k and 105k passages) a fresh process writes a synthetic folder (files of 50 paragraphs
of ~90 words from a Zipf vocabulary, 5 sentences each) and runs `qa.build.build` on it with a
stand-in encoder (deterministic unit vectors, no model: the model's own memory does not grow
with the corpus), then reports its peak RSS, the peak reached by the end of each phase, and the
build's time split. Prints a Markdown table. With `--model` the build encodes with the real
encoder (the ONNX export of the default model, as `qa index`): the whole process's peak, model
and ONNX Runtime included (105k passages take about 10 minutes here). With `--refresh` the
peak measured is that of a second build of the same folder after one file changed (the
live index's vectors reused: what `qa index` costs on every refresh).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PER_FILE = 50  # passages per file


class StandIn:
    """Unit vectors from a hash of each text, in the model's dimension; word counts as
    word pieces. Fast enough that the build's own structures are what is measured."""

    dim = 384

    def encode(self, texts, on_batch=None):  # type: ignore[no-untyped-def]
        import numpy as np

        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            rng = np.random.default_rng(abs(hash(text)) % 2**32)
            out[i] = rng.standard_normal(self.dim)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        if on_batch is not None:
            on_batch(len(texts))
        return out

    def count_tokens(self, texts):  # type: ignore[no-untyped-def]
        import numpy as np

        return np.array([len(t.split()) + 2 for t in texts])


def write_corpus(folder: Path, passages: int) -> None:
    """Files of PER_FILE paragraphs, each five sentences of Zipf-distributed words."""
    import numpy as np

    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(20000)]
    folder.mkdir(parents=True)
    for f in range(max(1, passages // PER_FILE)):
        paragraphs = []
        for _ in range(PER_FILE):
            words = [vocab[min(int(z), len(vocab)) - 1] for z in rng.zipf(1.3, 90)]
            sentences = [" ".join(words[i : i + 18]).capitalize() + "." for i in range(0, 90, 18)]
            paragraphs.append(" ".join(sentences))
        (folder / f"doc{f:05d}.txt").write_text("\n\n".join(paragraphs))


def one(passages: int, model: bool = False, folder: Path | None = None) -> dict:
    """Build a corpus of `passages` in this process (with the stand-in encoder, or the real
    one with `model`); peak RSS and the time split. With `folder`, the corpus and its index
    are kept there; if they are there already, one file gets a new sentence and the build
    is a refresh of the index (incremental: the rest is reused)."""
    import resource

    from qa import build as build_mod
    from qa.chunks import ChunkSettings
    from qa.options import BuildOptions

    def rss() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    peaks: dict[str, float] = {}  # the peak so far at the end of each phase
    lap = build_mod.Stopwatch.lap

    def lap_and_peak(self, name):  # type: ignore[no-untyped-def]
        lap(self, name)
        peaks.setdefault(name, rss())

    build_mod.Stopwatch.lap = lap_and_peak  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        where = folder or Path(tmp)
        docs = where / "docs"
        if docs.is_dir():
            first = sorted(docs.iterdir())[0]
            first.write_text(first.read_text() + "\n\nA new sentence came in today.")
        else:
            write_corpus(docs, passages)
        factory, name = StandIn, "stand-in"
        if model:
            from qa.workspace import Workspace

            ws = Workspace.resolve(docs, where / "ix")
            factory, name = partial(ws.query_encoder, prepack=True), "default"
        before = rss()
        report = build_mod.build(
            docs,
            where / "ix",
            model=name,
            encoder=factory,
            options=BuildOptions(chunking=ChunkSettings(paragraphs=True)),
        )
    return {
        "passages": report.chunks,
        "embedded": report.embedded,
        "peak": rss(),
        "before": before,
        "seconds": report.seconds,
        "peaks": peaks,
    }


def main() -> None:
    model = "--model" in sys.argv[1:]
    refresh = "--refresh" in sys.argv[1:]
    sizes = [int(a) for a in sys.argv[1:] if not a.startswith("--")] or [10000, 70000]
    head = (
        "passages | peak RSS of the build process | before the build | peak by phase | time split"
    )
    print(f"| {head} |")
    print("|---|---|---|---|---|")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            keep = ["--folder", tmp] if refresh else []
            if refresh:  # the first build, not measured: the refresh below is
                _run(n, model, keep)
            got = _run(n, model, keep)
        split = ", ".join(f"{k} {v:.1f} s" for k, v in got["seconds"].items())
        peaks = ", ".join(f"{k} {v:.0f}" for k, v in got["peaks"].items())
        size = f"{got['passages']:,}" + (f" ({got['embedded']} embedded)" if refresh else "")
        row = [size, f"{got['peak']:.0f} MB", f"{got['before']:.0f} MB"]
        print("| " + " | ".join([*row, f"{peaks} MB", split]) + " |")


def _run(n: int, model: bool, keep: list[str]) -> dict:
    """`one` in a fresh process."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.build_memory",
            "--one",
            str(n),
            *(["--model"] if model else []),
            *keep,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        args = sys.argv[3:]
        folder = Path(args[args.index("--folder") + 1]) if "--folder" in args else None
        print(json.dumps(one(int(sys.argv[2]), "--model" in args, folder)))
    else:
        main()
