"""Should builds embed with an int8-quantised ONNX model? Speed and quality against float32.

    python benchmarks/int8_encoder.py [squad] [scifact]

Quantises the exported model with onnxruntime's dynamic int8 quantisation, then in one run:
encoding throughput of both on the same 600 SQuAD passages, their cosine, and `qa eval` on
SQuAD part A and/or SciFact with the int8 model embedding both the passages and the
questions (its own index, beside the float32 one in the eval cache). Prints Markdown tables.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
DATA = {
    "squad": ["--squad", str(EVAL / "squad" / "squad-v1.1-dev-part-a.json")],
    "scifact": ["--beir", str(EVAL / "scifact")],
}
METRICS = {"squad": ["acc@1", "acc@5", "highlight@1"], "scifact": ["ndcg@10", "recall@100"]}


def quantised(folder: Path) -> Path:
    """An int8 copy of the export in `folder` (made once, beside it)."""
    import shutil

    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = folder.parent / (folder.name + "-int8")
    if not (out / "model.onnx").is_file():
        out.mkdir(exist_ok=True)
        for name in ("tokenizer.json", "onnx.json"):
            shutil.copy(folder / name, out / name)
        quantize_dynamic(folder / "model.onnx", out / "model.onnx", weight_type=QuantType.QInt8)
    return out


def passages(n_articles: int = 4) -> list[str]:
    """The indexed texts of the first SQuAD articles' passages."""
    import tempfile

    from qa import evaluation
    from qa.build import read_and_chunk
    from qa.chunks import ChunkSettings, indexed_text

    with tempfile.TemporaryDirectory() as tmp:
        evaluation.squad_corpus(Path(DATA["squad"][1]), Path(tmp) / "docs", articles=n_articles)
        settings = ChunkSettings()
        chunks = read_and_chunk(Path(tmp) / "docs", settings).chunks
        return [indexed_text(c, settings) for c in chunks]


def speed(fp32, int8) -> None:
    """Throughput and cosine of the two encoders on the same passages, interleaved."""
    texts = passages()
    fp32.encode(texts[:32])
    int8.encode(texts[:32])
    times = {"float32": 0.0, "int8": 0.0}
    for _ in range(2):
        for name, enc in (("float32", fp32), ("int8", int8)):
            start = time.perf_counter()
            vectors = enc.encode(texts)
            times[name] += time.perf_counter() - start
            if name == "float32":
                reference = vectors
    cosine = (reference * vectors).sum(axis=1)
    print(f"| encoder ({len(texts)} passages ×2) | passages/s | vs float32 | cosine to float32 |")
    print("|---|---|---|---|")
    for name, t in times.items():
        ratio = times["float32"] / t
        cos = "1" if name == "float32" else f"mean {cosine.mean():.3f}, min {cosine.min():.3f}"
        print(f"| {name} | {2 * len(texts) / t:.1f} | {ratio:.2f}× | {cos} |")


def evaluate(dataset: str, index_dir: Path | None) -> dict[str, float]:
    """`qa eval --json` on `dataset` in this process (so a patched encoder applies)."""
    from qa.cli import cli

    args = ["eval", *DATA[dataset], "--json"] + (["--index", str(index_dir)] if index_dir else [])
    out = CliRunner().invoke(cli, args, catch_exceptions=False)
    if out.exit_code:
        raise SystemExit(out.output)
    return json.loads(out.output.strip().splitlines()[-1])


def main() -> None:
    import embeddings.onnx_encoder as onnx
    from embeddings.models import packaged_model_path
    from qa import evaluation
    from qa.workspace import _onnx_cache

    fp32_folder = onnx.cache_folder(packaged_model_path(), _onnx_cache())
    fp32 = onnx.load_or_export(packaged_model_path(), _onnx_cache())
    int8_folder = quantised(fp32_folder)
    speed(fp32, onnx.OnnxEncoder(int8_folder))
    for dataset in sys.argv[1:]:
        baseline = evaluate(dataset, None)
        original = onnx.load_or_export
        onnx.load_or_export = lambda _m, _c, prepack=True: onnx.OnnxEncoder(  # type: ignore
            int8_folder, None, prepack
        )
        try:
            cache = evaluation.cache_folder(Path(DATA[dataset][1]))
            quantized = evaluate(dataset, cache / "index-int8")
        finally:
            onnx.load_or_export = original
        cols = METRICS[dataset]
        print(f"\n| {dataset} | " + " | ".join(cols) + " |")
        print("|---" * (len(cols) + 1) + "|")
        for name, m in (("float32", baseline), ("int8", quantized)):
            print(f"| {name} | " + " | ".join(f"{m[c]:.3f}" for c in cols) + " |", flush=True)


if __name__ == "__main__":
    main()
