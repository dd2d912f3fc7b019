"""Text → unit vectors with onnxruntime + tokenizers only: the torch-free query path.

`export` turns a sentence-transformers model into a folder holding `model.onnx` (the whole
model: transformer, pooling and L2 normalisation, so the graph's first output is the final
vector; its second output is the transformer's token embeddings, which `encode_spans` pools
over spans of the text: "late chunking"), `tokenizer.json` and `onnx.json`.
sentence-transformers' own ONNX backend needs `optimum`, which does not install beside
transformers 5, so the export uses `torch.onnx.export` on the
model itself. The export is written to a temporary folder and renamed into place, so a
half-written export is never read.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from embeddings.batches import encode_sorted

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUTS = ("embedding", "token_embeddings")  # the text's vector; its tokens' (for spans)
OPTIMIZED = "optimized.onnx"  # graph-optimised model; weights in OPTIMIZED + ".data"


def export(model_path: Path, folder: Path) -> Path:
    """Export the model at `model_path` into `folder` (atomically); return `folder`."""
    from embeddings.models import offline_and_quiet

    offline_and_quiet()
    # deferred: torch and sentence-transformers are needed only to export (5 s import)
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
    model.eval()
    tmp = folder.parent / f".{folder.name}.{uuid.uuid4().hex}.tmp"
    tmp.mkdir(parents=True)
    try:
        sample = model.tokenizer(["a b", "c"], padding=True, return_tensors="pt")
        names = [n for n in INPUTS if n in sample]
        axes = {n: {0: "batch", 1: "tokens"} for n in names} | {
            "embedding": {0: "batch"},
            "token_embeddings": {0: "batch", 1: "tokens"},
        }
        # The tracer warns about shape checks it freezes; the parity test covers their effect.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _pooled_module(model, names),
                tuple(sample[n] for n in names),
                str(tmp / "model.onnx"),
                input_names=names,
                output_names=list(OUTPUTS),
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        model.tokenizer.backend_tokenizer.save(str(tmp / "tokenizer.json"))
        meta = {
            "inputs": names,
            "outputs": list(OUTPUTS),
            "max_seq_length": int(model.max_seq_length or 256),
            "dim": int(model.get_embedding_dimension() or 0),
            "source": str(model_path),
        }
        (tmp / "onnx.json").write_text(json.dumps(meta))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _pooled_module(model, names):
    """The model as a torch Module taking positional tensors (the class needs torch, deferred)."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors):
            out = self.model(dict(zip(names, tensors, strict=True)))
            pooled = torch.nn.functional.normalize(out["sentence_embedding"], dim=-1)
            return pooled, out["token_embeddings"]

    return Pooled()


def is_exported(folder: Path, spans: bool = False) -> bool:
    """Whether `folder` holds a complete export (with `spans`: one that also outputs token
    embeddings, which exports before late chunking lack; queries need only the vector)."""
    if not all((folder / n).is_file() for n in ("model.onnx", "tokenizer.json", "onnx.json")):
        return False
    return not spans or "token_embeddings" in _meta(folder).get("outputs", ())


def _meta(folder: Path) -> dict:
    try:
        return json.loads((folder / "onnx.json").read_text())
    except (OSError, ValueError):
        return {}


class OnnxEncoder:
    """Encodes like the exported sentence-transformers model, without torch."""

    def __init__(self, folder: Path, threads: int | None = None, prepack: bool = True) -> None:
        """Load the export in `folder`. `prepack=False` skips repacking the weights for
        batched matrix products: 0.15 s less to load, a few ms more per batch; right for a
        process that encodes one question and exits."""
        import onnxruntime as ort  # deferred: 0.05 s, only when encoding
        from tokenizers import Tokenizer

        meta = json.loads((folder / "onnx.json").read_text())
        self._inputs: list[str] = meta["inputs"]
        self.spans = "token_embeddings" in meta.get("outputs", ())  # encode_spans works
        self.dim: int = meta["dim"]
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(meta["max_seq_length"])
        self._tokenizer.enable_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or physical_cores()
        options.log_severity_level = 3
        if not prepack:
            options.add_session_config_entry("session.disable_prepacking", "1")
        if not (folder / OPTIMIZED).is_file():
            _optimize(folder, options)
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        self._session = ort.InferenceSession(
            str(folder / OPTIMIZED), options, providers=["CPUExecutionProvider"]
        )

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Normalised embeddings of `texts`, in order; `on_batch(n)` after each n texts."""
        return encode_sorted(texts, self.dim, batch_size, self._run, on_batch)

    def encode_spans(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        batch_size: int = 32,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Each text's vector followed by one vector per `(start, end)` character span of it,
        from one forward pass ("late chunking"): the mean of the token embeddings inside the
        span, normalised, so a sentence's vector sees its passage. A span past the model's
        window (the text was truncated) is encoded alone. Rows: text 0, its spans, text 1, …;
        `on_batch(n)` after each n texts."""
        if not self.spans:
            raise ValueError("this ONNX export has no token-embedding output: export it again")
        first = np.cumsum([0, *(1 + len(s) for s in spans)])
        out = np.zeros((int(first[-1]), self.dim), dtype=np.float32)
        alone: dict[int, str] = {}  # rows whose span the window did not reach
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for lo in range(0, len(order), batch_size):
            ids = order[lo : lo + batch_size]
            encodings = self._tokenizer.encode_batch([texts[i] for i in ids])
            pooled, tokens = self._session.run(None, self._feeds(encodings))
            for j, i in enumerate(ids):
                out[first[i]] = pooled[j]
                rows = _pool_spans(tokens[j], encodings[j].offsets, spans[i])
                for n, vector in enumerate(rows):
                    if vector is None:
                        a, b = spans[i][n]
                        alone[int(first[i]) + 1 + n] = texts[i][a:b]
                    else:
                        out[first[i] + 1 + n] = vector
            if on_batch is not None:
                on_batch(len(ids))
        if alone:
            out[list(alone)] = self.encode(list(alone.values()))
        return out

    def _run(self, texts: list[str]) -> np.ndarray:
        feeds = self._feeds(self._tokenizer.encode_batch(texts))
        result = self._session.run(["embedding"], feeds)
        return np.asarray(result[0], dtype=np.float32)

    def _feeds(self, encodings: list) -> dict[str, np.ndarray]:
        """The model's inputs for a batch of tokenizer encodings (padded alike)."""
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        return {n: feeds[n] for n in self._inputs}


def _pool_spans(
    tokens: np.ndarray, offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]]
) -> list[np.ndarray | None]:
    """Per span, the normalised mean of the embeddings of the tokens inside it (None when no
    token is: the span lies past the window). Special and padding tokens have empty offsets."""
    bounds = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    starts, ends = bounds[:, 0], bounds[:, 1]
    real = ends > starts
    pooled: list[np.ndarray | None] = []
    for a, b in spans:
        inside = real & (starts < b) & (ends > a)
        if not inside.any():
            pooled.append(None)
            continue
        mean = np.asarray(tokens[inside], dtype=np.float32).mean(axis=0)
        pooled.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
    return pooled


def physical_cores() -> int:
    """The physical cores this process may run on: one ONNX Runtime thread per core (a second
    hyper-thread on a core only contends for its matrix units). Linux reads the CPU topology;
    elsewhere, or if it cannot be read, every logical CPU counts."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    cores = set()
    for cpu in cpus:
        topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            package = (topology / "physical_package_id").read_text().strip()
            cores.add((package, (topology / "core_id").read_text().strip()))
        except OSError:
            return len(cpus)
    return len(cores) or os.cpu_count() or 1


def _optimize(folder: Path, options) -> None:
    """Write the graph-optimised model beside `model.onnx`, its weights in a separate file.

    Optimising takes half of a cold start, so it is done once. Weights in their own file are
    memory-mapped by onnxruntime instead of parsed out of one 90 MB protobuf: loading drops
    from 0.2 s to 0.05 s. Both files are written in a scratch folder and moved in weights
    first, so a model file is only ever seen with its weights beside it.
    """
    import onnxruntime as ort

    scratch = folder / f".opt-{uuid.uuid4().hex}"
    scratch.mkdir()
    try:
        options.optimized_model_filepath = str(scratch / OPTIMIZED)
        options.add_session_config_entry(
            "session.optimized_model_external_initializers_file_name", OPTIMIZED + ".data"
        )
        options.add_session_config_entry(
            "session.optimized_model_external_initializers_min_size_in_bytes", "1024"
        )
        ort.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        os.replace(scratch / (OPTIMIZED + ".data"), folder / (OPTIMIZED + ".data"))
        os.replace(scratch / OPTIMIZED, folder / OPTIMIZED)
        (folder / "model.optimized.onnx").unlink(missing_ok=True)  # qa 0.1's single-file form
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    options.optimized_model_filepath = ""


def cache_folder(model_path: Path, cache_root: Path) -> Path:
    """Where the export of `model_path` lives under `cache_root`; changes when the model does."""
    import hashlib

    stamp = [str(model_path.resolve())]
    for name in ("config.json", "modules.json", "model.safetensors", "pytorch_model.bin"):
        if (model_path / name).is_file():
            stat = (model_path / name).stat()
            stamp.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    key = hashlib.sha1("|".join(stamp).encode()).hexdigest()[:16]
    return cache_root / f"{model_path.name}-{key}"


QUANTIZATIONS = ("int8",)  # what `load_or_export(quantize=…)` makes besides float32


def quantized(folder: Path) -> Path:
    """The int8 copy of the export in `folder`, made once beside it (atomically): onnxruntime's
    dynamic quantisation, weights stored as int8 and activations quantised per batch."""
    out = folder.parent / f"{folder.name}-int8"
    if is_exported(out, spans=True):
        return out
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = folder.parent / f".{out.name}.{uuid.uuid4().hex}.tmp"
    tmp.mkdir(parents=True)
    quiet = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # "consider pre-processing" notes on root
    try:
        for name in ("tokenizer.json", "onnx.json"):
            shutil.copy(folder / name, tmp / name)
        quantize_dynamic(folder / "model.onnx", tmp / "model.onnx", weight_type=QuantType.QInt8)
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        logging.getLogger().setLevel(quiet)
    return out


def load_or_export(
    model_path: Path,
    cache_root: Path,
    prepack: bool = True,
    spans: bool = False,
    quantize: str | None = None,
) -> OnnxEncoder:
    """The ONNX encoder of `model_path`, exported under `cache_root` on first use (needs torch
    that once; every later load is torch-free); with `spans`, one that can `encode_spans`
    (an older export is replaced); `quantize="int8"`: its int8 copy (see `quantized`)."""
    folder = cache_folder(model_path, cache_root)
    if not is_exported(folder, spans or quantize is not None):
        export(model_path, folder)
        shutil.rmtree(folder.parent / f"{folder.name}-int8", ignore_errors=True)  # stale now
    if quantize is not None:
        if quantize not in QUANTIZATIONS:
            raise ValueError(f"unknown quantisation {quantize!r}: one of {QUANTIZATIONS}")
        folder = quantized(folder)
    return OnnxEncoder(folder, prepack=prepack)
