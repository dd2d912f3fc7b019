"""Encoding many texts in length-sorted batches, with progress."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def encode_sorted(
    texts: Sequence[str],
    dim: int,
    batch: int,
    run: Callable[[list[str]], np.ndarray],
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """`run` over batches of `texts`, longest first so each batch pads to similar lengths;
    rows of the result are in the order of `texts`; `on_batch(n)` after each batch."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    for lo in range(0, len(order), batch):
        ids = order[lo : lo + batch]
        out[ids] = run([texts[i] for i in ids])
        if on_batch is not None:
            on_batch(len(ids))
    return out
