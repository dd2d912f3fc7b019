"""Per-file work → results, in worker processes that a hung or runaway reader cannot outlive.

Readers of binary formats (PDF, Office, e-books, HTML) run in a pool of worker processes
(pebble): a file whose reader runs past `Limits.timeout` or grows past `Limits.memory_mb`
is stopped and its worker replaced, and a reader that crashes its process (a segfault in a C
library) takes only that file down. The pool also reads files on several cores at once.
Workers are started by a fork server, never forked from a process that holds threads (the
TUI, an encoder). Library chatter in workers (loggers, warnings, C libraries writing to
stderr) is silenced unless `verbose`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MEMORY_EXIT = 75  # a worker's exit code when it stopped itself for using too much memory


@dataclass(frozen=True)
class Limits:
    """How long and how much memory one file's reader may take, and how many workers."""

    timeout: float = 60.0  # seconds
    memory_mb: int = 2048  # resident memory of one worker process
    workers: int = 0  # 0: one per core
    verbose: bool = False  # let library logs and tracebacks through


Failure = Callable[[Any, str, str], Any]  # (item, kind, reason) → the result to use instead


def map_isolated(
    fn: Callable[[T], R],
    items: Sequence[T],
    limits: Limits,
    on_failure: Failure,
    on_result: Callable[[R], None] | None = None,
) -> list[R]:
    """`fn` over `items` in worker processes, results in order; an item whose worker timed
    out, ran out of memory or died gets `on_failure(item, kind, reason)` instead.
    `on_result(result)` is called with each result, in order, as soon as it is in."""
    results = []
    for result in iter_isolated(fn, items, limits, on_failure):
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def iter_isolated(
    fn: Callable[[T], R], items: Sequence[T], limits: Limits, on_failure: Failure
) -> Iterator[R]:
    """map_isolated's results one at a time, in order, each let go of once yielded (a
    caller that writes them away never holds them all)."""
    if not items:
        return
    import multiprocessing

    from pebble import ProcessPool  # deferred: only builds with files of binary formats

    workers = min(limits.workers or cores(), len(items))
    pool = ProcessPool(
        max_workers=workers,
        initializer=prepare_worker,
        initargs=(limits.memory_mb, limits.verbose, ocr_share(workers)),
        context=multiprocessing.get_context("forkserver"),
    )
    try:
        futures = deque(pool.schedule(fn, args=(item,), timeout=limits.timeout) for item in items)
        for item in items:
            yield _result(futures.popleft(), item, limits, on_failure)
    finally:
        pool.stop()
        pool.join()


def ocr_share(workers: int) -> int:
    """The Tesseract processes one of `workers` readers may run at once: twice its share of
    the cores (at most all of them), so that a scan keeps every core busy while the other
    readers read files that need no OCR (a share of exactly its cores left one of two idle
    for a third of a mixed folder's build: benchmarks/ocr.py --folder)."""
    return max(1, min(cores(), 2 * cores() // workers))


def cores() -> int:
    """The cores this process may run on (fewer than the machine's under a CPU affinity)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _result(future: Any, item: Any, limits: Limits, on_failure: Failure) -> Any:
    from concurrent.futures import TimeoutError

    from pebble import ProcessExpired

    try:
        return future.result()
    except TimeoutError:
        return on_failure(item, "timed out", f"stopped after {limits.timeout:g} s")
    except ProcessExpired as exc:
        if exc.exitcode == MEMORY_EXIT:
            return on_failure(item, "too much memory", f"stopped at {limits.memory_mb} MB")
        return on_failure(item, "crashed the reader", f"exit code {exc.exitcode}")
    except Exception as exc:  # fn's own errors are caught inside it; this is the pool's
        return on_failure(item, "reader error", f"{type(exc).__name__}: {exc}"[:160])


def prepare_worker(memory_mb: int, verbose: bool, ocr_threads: int = 1) -> None:
    """Set up a worker process: quiet unless verbose, a memory watchdog, and its share of
    the cores for the Tesseract processes of a scan (qa.formats.ocr.ocr_threads)."""
    os.environ["QA_OCR_THREADS"] = str(ocr_threads)
    # each tesseract on one thread (its OpenMP threads fight the pool's processes); set here,
    # in a reader, never in qa's own process: FAISS's OpenMP hangs under this limit
    os.environ["OMP_THREAD_LIMIT"] = "1"
    if verbose:
        logging.basicConfig(level=logging.DEBUG, format="qa worker: %(message)s")
    else:
        logging.disable(logging.CRITICAL)
        warnings.simplefilter("ignore")
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)  # C libraries (PDFium, libxml2) write to stderr directly
        os.dup2(devnull, 1)  # and nothing may ever reach `qa ask --json`'s stdout
    threading.Thread(target=_watch_memory, args=(memory_mb,), daemon=True).start()


def _watch_memory(memory_mb: int) -> None:
    """Exit the worker at once when its resident memory passes `memory_mb`.

    A thread, not an rlimit: PDFium reserves large address ranges it never touches, so an
    address-space limit would stop readers that use little memory."""
    import resource
    import sys

    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, else KiB
    while resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit <= memory_mb * 2**20:
        time.sleep(0.05)
    os._exit(MEMORY_EXIT)
