"""Text → unit vectors with onnxruntime + tokenizers only: the torch-free query path.

`export` turns a sentence-transformers model into a folder holding `model.onnx` (the whole
model: transformer, pooling and L2 normalisation, so the graph's output is the final vector),
`tokenizer.json` and `onnx.json`. sentence-transformers' own ONNX backend needs `optimum`,
which does not install beside transformers 5, so the export uses `torch.onnx.export` on the
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
from typing import Any

import numpy as np

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OPTIMIZED = "optimized.onnx"  # graph-optimised model; weights in OPTIMIZED + ".data"
TOKEN_BUDGET = 1024  # padded word pieces per batch (OnnxEncoder.encode)
MAX_BATCH = 128  # texts per batch, however short
COUNT_SLICE = 2048  # texts tokenised at a time to count their word pieces


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
        axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"embedding": {0: "batch"}}
        # The tracer warns about shape checks it freezes; the parity test covers their effect.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _pooled_module(model, names),
                tuple(sample[n] for n in names),
                str(tmp / "model.onnx"),
                input_names=names,
                output_names=["embedding"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        model.tokenizer.backend_tokenizer.save(str(tmp / "tokenizer.json"))
        meta = {
            "inputs": names,
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
            out = self.model(dict(zip(names, tensors, strict=True)))["sentence_embedding"]
            return torch.nn.functional.normalize(out, dim=-1)

    return Pooled()


def is_exported(folder: Path) -> bool:
    """Whether `folder` holds a complete export."""
    return all((folder / n).is_file() for n in ("model.onnx", "tokenizer.json", "onnx.json"))


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
        self.dim: int = meta["dim"]
        # the exported tokenizer pads a batch to its longest text: off, so word pieces are
        # counted per text and _run pads each batch to its own longest
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(meta["max_seq_length"])
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
        batch_size: int | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Normalised embeddings of `texts`, in order; `on_batch(n)` after each n texts.

        The texts are tokenised once, then run longest first in batches of at most
        TOKEN_BUDGET padded word pieces (MAX_BATCH texts), unless `batch_size` fixes the
        count: ONNX Runtime keeps memory for its largest batch, which grows with batch ×
        length². Measured (docs/performance.md, long passages and short sentences):
        32 texts per batch held 724 MB above the model, a budget of 1024 word pieces 34 MB,
        and ran 1.2–1.4× as fast; 2048 held 86 MB, 4096 265 MB and were slower."""
        return self.encode_counted(texts, batch_size, on_batch)[0]

    def encode_counted(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """`encode`'s vectors, and each text's word pieces as `count_tokens` counts them, from
        the one tokenisation (a build pools passages by these counts)."""
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encodings], dtype=np.int64)
        order = np.argsort(-lengths, kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        lo = 0
        while lo < len(order):
            longest = int(lengths[order[lo]])
            count = batch_size or max(1, min(MAX_BATCH, TOKEN_BUDGET // max(1, longest)))
            rows = order[lo : lo + count]
            out[rows] = self._run([encodings[i] for i in rows], longest)
            lo += len(rows)
            if on_batch is not None:
                on_batch(len(rows))
        return out, lengths

    def count_tokens(self, texts: Sequence[str]) -> np.ndarray:
        """How many word pieces the model reads of each text (special tokens included, at
        most the model's window), COUNT_SLICE texts at a time: a tokenised text holds its
        ids, offsets and masks, so 75k sentences tokenised at once held 375 MB (26 MB in
        slices)."""
        counts = np.zeros(len(texts), dtype=np.int64)
        for lo in range(0, len(texts), COUNT_SLICE):
            part = self._tokenizer.encode_batch(list(texts[lo : lo + COUNT_SLICE]))
            counts[lo : lo + len(part)] = [len(e.ids) for e in part]
        return counts

    def _run(self, encodings: list[Any], width: int) -> np.ndarray:
        """The model's vectors of tokenised texts, padded to `width` word pieces."""
        feeds = {name: np.zeros((len(encodings), width), dtype=np.int64) for name in INPUTS}
        for row, e in enumerate(encodings):
            n = len(e.ids)
            feeds["input_ids"][row, :n] = e.ids
            feeds["attention_mask"][row, :n] = 1
            feeds["token_type_ids"][row, :n] = e.type_ids
        result = self._session.run(None, {n: feeds[n] for n in self._inputs})
        return np.asarray(result[0], dtype=np.float32)


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


def short_hash(text: str, length: int) -> str:
    """The first `length` hex digits of the SHA-1 of `text`, by CPython's own SHA-1 where it
    has one: hashlib would load OpenSSL, a hundredth of a cold question."""
    try:
        from _sha1 import sha1
    except ImportError:  # pragma: no cover - builds without it
        from hashlib import sha1
    return sha1(text.encode()).hexdigest()[:length]


def cache_folder(model_path: Path, cache_root: Path) -> Path:
    """Where the export of `model_path` lives under `cache_root`; changes when the model does."""
    stamp = [str(model_path.resolve())]
    for name in ("config.json", "modules.json", "model.safetensors", "pytorch_model.bin"):
        if (model_path / name).is_file():
            stat = (model_path / name).stat()
            stamp.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    key = short_hash("|".join(stamp), 16)
    return cache_root / f"{model_path.name}-{key}"


QUANTIZATIONS = ("int8",)  # what `load_or_export(quantize=…)` makes besides float32


def quantized(folder: Path) -> Path:
    """The int8 copy of the export in `folder`, made once beside it (atomically): onnxruntime's
    dynamic quantisation, weights stored as int8 and activations quantised per batch."""
    out = folder.parent / f"{folder.name}-int8"
    if is_exported(out):
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
    quantize: str | None = None,
) -> OnnxEncoder:
    """The ONNX encoder of `model_path`, exported under `cache_root` on first use (needs torch
    that once; every later load is torch-free); `quantize="int8"`: its int8 copy (see
    `quantized`)."""
    folder = cache_folder(model_path, cache_root)
    if not is_exported(folder):
        export(model_path, folder)
        shutil.rmtree(folder.parent / f"{folder.name}-int8", ignore_errors=True)  # stale now
    if quantize is not None:
        if quantize not in QUANTIZATIONS:
            raise ValueError(f"unknown quantisation {quantize!r}: one of {QUANTIZATIONS}")
        folder = quantized(folder)
    return OnnxEncoder(folder, prepack=prepack)
