"""What a build is asked to do, as one value: how files are read and chunked, which graph
embeds them, where the work runs, and whether everything is redone.

`qa index`'s flags (and the config) become one BuildOptions in the CLI; it goes down unchanged
through qa.workspace to qa.build, so a new option touches this class and the code that reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.chunks import ChunkSettings
from qa.files import ReadSettings

if TYPE_CHECKING:
    from embeddings.ray_encoder import RaySettings
    from qa.config import Config
    from qa.workspace import BuiltWith

AS_BUILT = ("follow_links", "ocr", "ocr_lang")  # how a folder is read: kept unless changed


@dataclass(frozen=True)
class BuildOptions:
    """A build's options (`qa index`'s flags), passed whole from the CLI to qa.build."""

    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    reading: ReadSettings = field(default_factory=ReadSettings)
    # the graph that embeds: "int8" or "float32"; None keeps the index's (float32 for a new one)
    quantize: str | None = None
    ray: RaySettings | None = None  # build on Ray (qa index --engine ray) instead of here
    rebuild: bool = False  # re-embed everything, even unchanged documents
    retry_skipped: bool = True  # read the files skipped last time again (not on a refresh)


def as_built(flags: dict[str, Any], *, config: Config, built: BuiltWith) -> dict[str, Any]:
    """`flags` with the reading settings not given (None) taken from the config, else from
    how the index was built (the defaults for a new one); `model` from the flag or the
    config (a folder made absolute), else None: as the index was built."""
    settled = dict(flags)
    for key in AS_BUILT:
        for value in (flags.get(key), getattr(config, key), getattr(built, key)):
            if value is not None:
                settled[key] = value
                break
    model = flags.get("model") or config.model  # else None: as the index was built
    if model and Path(model).expanduser().is_dir():  # recorded whole: asked from anywhere
        model = str(Path(model).expanduser().resolve())
    return {**settled, "model": model}


def build_options(
    *,
    max_words: int,
    short_max_words: int,
    exclude: tuple[str, ...],
    file_timeout: float,
    file_memory: int,
    follow_links: bool,
    ocr: str,
    ocr_lang: str,
    quantize: str | None,
    engine: str,
    address: str | None,
    workers: int,
    gpus_per_worker: float,
    rebuild: bool,
    verbose: bool,
) -> BuildOptions:
    """The options of `qa index`'s flags, checked (a bad combination is a usage error)."""
    from qa.errors import UsageError
    from qa.formats.ocr import OcrSettings, check_languages
    from qa.isolation import Limits

    ray = None
    if engine == "ray":
        import sys

        from embeddings.ray_encoder import RaySettings

        progress = sys.stderr.isatty()  # Ray Data's own bars, one per stage
        ray = RaySettings(
            address=address, workers=workers, gpus_per_worker=gpus_per_worker, progress=progress
        )
    elif address:
        raise UsageError("--address goes with --engine ray")
    if ocr_lang and (why := check_languages(ocr_lang)):
        raise UsageError(why)
    limits = Limits(timeout=file_timeout, memory_mb=file_memory, verbose=verbose)
    reading = ReadSettings(
        exclude=exclude,
        limits=limits,
        follow_links=follow_links,
        ocr=OcrSettings(mode=ocr, lang=ocr_lang),
    )
    return BuildOptions(
        chunking=ChunkSettings(max_words=max_words, short_max_words=short_max_words),
        reading=reading,
        quantize=quantize,
        ray=ray,
        rebuild=rebuild,
    )
