"""Vectors on disk in shards: `<name>.npy` (the vectors) and `<name>.json` (their keys).

A shard is committed by the rename of its `.json`, written last, so a reader never takes a
half-written shard; one whose files do not agree (cut short by a crash) is ignored, and its
texts are simply embedded again. Keys are opaque strings chosen by the caller. Used for
resumable builds (each embedded slice is a shard) and by Ray workers, which write their
vectors as shards beside the index instead of sending them through the driver.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np


def write_shard(
    folder: Path, keys: list[str], vectors: np.ndarray, tokens: np.ndarray | None = None
) -> Path:
    """Save `vectors` (one row per key), and each text's word pieces if given, as a new shard
    in `folder`; return its `.json` path (the keys: a list, or with tokens an object)."""
    name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}"
    np.save(folder / f"{name}.npy", np.asarray(vectors))
    tmp = folder / f"{name}.json.tmp"
    meta: Any = keys if tokens is None else {"keys": keys, "tokens": [int(n) for n in tokens]}
    tmp.write_text(json.dumps(meta))
    os.replace(tmp, folder / f"{name}.json")
    return folder / f"{name}.json"


def read_shards(
    folder: Path,
    dtype: type = np.float32,
    tokens: dict[str, int] | None = None,
    read: set[str] | None = None,
) -> dict[str, np.ndarray]:
    """Every committed shard's vectors in `folder`, by key, as `dtype`; damaged shards are
    skipped. Word pieces the shards recorded go into `tokens` if given. With `read`, shards
    named there are left out and the names of those read are added (read only what is new)."""
    done: dict[str, np.ndarray] = {}
    if not folder.is_dir():
        return done
    for meta in sorted(folder.glob("*.json")):
        if read is not None:
            if meta.name in read:
                continue
            read.add(meta.name)
        try:
            got = json.loads(meta.read_text())
            vectors = np.load(meta.with_suffix(".npy"), allow_pickle=False)
        except (OSError, ValueError):
            continue
        keys = got["keys"] if isinstance(got, dict) else got
        if len(keys) != len(vectors):
            continue
        done.update(zip(keys, vectors.astype(dtype, copy=False), strict=True))
        if tokens is not None and isinstance(got, dict):
            tokens.update(zip(keys, got["tokens"], strict=True))
    return done
