"""A folder watched: the index brought up to date after each burst of changes.

watchfiles (Rust `notify`) reports file events; a burst of saves is one batch (events closer
than STEP_MS apart, for at most DEBOUNCE_MS), and events that arrive while an update runs are
batched for the next one. Each batch runs `Workspace.refresh`, the same stat walk and
incremental build as `qa ask` (events inside hidden or ignored folders cost a walk, no build).
An update is a new index version switched atomically, so stopping at any moment (Ctrl-C)
leaves the index as it was before or after that update.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from qa.workspace import Refreshed, Workspace

STEP_MS = 400  # a pause this long ends a burst of saves
DEBOUNCE_MS = 3000  # and a burst is cut into batches of at most this long


def watch(
    ws: Workspace, on_update: Callable[[Refreshed], None], stop: threading.Event | None = None
) -> None:
    """Refresh the index now, then after each batch of file events below its folder, until
    `stop` is set (or, in the main thread, Ctrl-C raises KeyboardInterrupt)."""
    from watchfiles import watch as file_events

    docs = ws.docs or ws.indexed_docs()
    first = ws.refresh()
    if first is not None:
        on_update(first)
    for _ in file_events(docs, stop_event=stop, step=STEP_MS, debounce=DEBOUNCE_MS):
        done = ws.refresh()
        if done is not None:
            on_update(done)
