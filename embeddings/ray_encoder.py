"""Text → vectors on a Ray cluster: Ray Data `map_batches` over a pool of embedding actors.

Each actor builds its own encoder once (from a picklable factory) and embeds batches of texts.
`encode` sends the vectors back to the driver; `encode_to_shards` has each actor write its
vectors as a shard (embeddings.shards) into a folder the workers share with the driver, and
sends back only the keys it wrote, so the driver checks that no row is missing. An actor that
dies (a crashed or lost worker) is restarted by Ray and its batch retried (`max_restarts`,
`max_task_retries`); a batch that still fails fails the build, never leaves a silent hole.
`map` runs plain functions as Ray tasks (used to fill FAISS shards in parallel). Progress is
Ray Data's own bars when `RaySettings.progress` is set. Ray is an optional extra:
`pip install '.[ray]'`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


class RayMissing(ImportError):
    """Ray is not installed."""


@dataclass(frozen=True)
class RaySettings:
    """Where and how wide to run: `address` None starts a local runtime, "auto" joins one."""

    address: str | None = None
    workers: int = 2
    cpus_per_worker: float = 1.0
    gpus_per_worker: float = 0.0
    batch_size: int = 64
    progress: bool = False  # show Ray Data's progress bars (on stderr)


class _EmbedActor:
    """Holds one encoder; turns a batch of {"row", "text"} into {"row", "vector"}."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.encoder = factory()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.encoder.encode(list(batch["text"]))
        return {"row": batch["row"], "vector": np.asarray(vectors, dtype=np.float32)}


class _ShardActor(_EmbedActor):
    """Embeds a batch of {"key", "text"} and writes it as a shard; returns {"key"}."""

    def __init__(self, factory: Callable[[], Any], folder: str) -> None:
        super().__init__(factory)
        self.folder = Path(folder)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from embeddings.shards import write_shard

        vectors = self.encoder.encode(list(batch["text"]))
        write_shard(self.folder, [str(k) for k in batch["key"]], vectors)
        return {"key": batch["key"]}


def _apply(fn: Callable[[Any], Any], item: Any) -> Any:
    """`fn(item)`: a plain function for `ray.remote`, which refuses partials."""
    return fn(item)


class RayEncoder:
    """An encoder with the same `encode` as SentenceEncoder, run by Ray Data actors."""

    def __init__(self, factory: Callable[[], Any], settings: RaySettings | None = None) -> None:
        try:
            import ray  # deferred: optional extra, 0.6 s import
        except ImportError:
            raise RayMissing("Ray is not installed: pip install '.[ray]'") from None
        self.factory = factory
        self.settings = settings or RaySettings()
        self._local: Any = None  # the factory's encoder on the driver, for count_tokens
        if not ray.is_initialized():
            os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
            ray.init(
                address=self.settings.address,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.ERROR,
                ignore_reinit_error=True,
            )
        from ray.data import DataContext

        DataContext.get_current().enable_progress_bars = self.settings.progress

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Vectors of `texts`, in order; `on_batch(n)` as batches come back."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        rows = [{"row": i, "text": t} for i, t in enumerate(texts)]
        embedded = self._on_actors(rows, _EmbedActor, (self.factory,), batch_size)
        out: np.ndarray | None = None
        seen = np.zeros(len(texts), dtype=bool)
        for batch in embedded.iter_batches(batch_format="numpy", batch_size=None):
            vectors = np.stack(list(batch["vector"]))
            if out is None:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[batch["row"]] = vectors
            seen[batch["row"]] = True
            if on_batch is not None:
                on_batch(len(batch["row"]))
        if out is None or not seen.all():
            raise RuntimeError(f"Ray returned {int(seen.sum())} of {len(texts)} vectors")
        return out

    def count_tokens(self, texts: Sequence[str]) -> np.ndarray:
        """How many word pieces the model reads of each text: counted here, by an encoder
        of the factory's made on the driver once (tokenising is cheap; no actor needed)."""
        if self._local is None:
            self._local = self.factory()
        return self._local.count_tokens(texts)

    def encode_to_shards(
        self,
        texts: Sequence[str],
        keys: Sequence[str],
        folder: Path,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        """Embed `texts` on the workers, which write them into `folder` as shards keyed by
        `keys`; raises if any key was not written."""
        rows = [{"key": k, "text": t} for k, t in zip(keys, texts, strict=True)]
        written = self._on_actors(rows, _ShardActor, (self.factory, str(folder)))
        missing = set(keys)
        for batch in written.iter_batches(batch_format="numpy", batch_size=None):
            missing.difference_update(str(k) for k in batch["key"])
            if on_batch is not None:
                on_batch(len(batch["key"]))
        if missing:
            raise RuntimeError(
                f"Ray workers wrote {len(keys) - len(missing)} of {len(keys)} shards' rows"
            )

    def _on_actors(
        self, rows: list[dict], actor: type, args: tuple, batch_size: int | None = None
    ) -> Any:
        """A Ray dataset of `rows` mapped in batches by a pool of `actor(*args)`, each actor
        restarted and its batch retried if its worker dies."""
        import ray

        s = self.settings
        return ray.data.from_items(rows).map_batches(
            actor,
            fn_constructor_args=args,
            batch_size=batch_size or s.batch_size,
            batch_format="numpy",
            concurrency=s.workers,
            num_cpus=s.cpus_per_worker,
            num_gpus=s.gpus_per_worker,
            max_restarts=3,
            max_task_retries=3,
        )

    def map(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        """`[fn(x) for x in items]`, each call a Ray task (retried if its worker dies)."""
        import ray

        task = ray.remote(num_cpus=self.settings.cpus_per_worker, max_retries=3)(_apply)
        return ray.get([task.remote(fn, x) for x in items])
