"""The command line's options, declared once: those every command shares (--docs, --index,
--in, --json, --refresh) and the long lists of `qa index` (their values become one
qa.options.BuildOptions) and `qa eval` (qa.evaluation.workspace).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

DOCS = click.option(
    "--docs",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of documents (default: the bundled seeds).",
)
INDEX = click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="QA_INDEX",
    help="Index folder (default: a per-user folder for DOCS; env QA_INDEX).",
)
JSON = click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
REFRESH = click.option(
    "--refresh/--no-refresh",
    default=None,
    help="Bring the index up to date with its folder first (a stat walk; default: on, or "
    "`refresh` in the config file).",
)
IN = click.option(
    "--in",
    "names",
    metavar="NAME[,NAME]",
    help="Search these collections (`qa collections`; default: `collections` in the config).",
)


def number(*names: str, default: float | None, kind: click.ParamType, help: str) -> Any:
    """A numeric option whose range click checks (a bad value is one usage line, exit 2)."""
    return click.option(*names, default=default, show_default=True, type=kind, help=help)


MAX_WORDS = number(
    "--max-words", default=100, kind=click.IntRange(min=5), help="Longest passage, in words."
)
SHORT = number(
    "--short-max-words",
    default=200,
    kind=click.IntRange(min=0),
    help="Longest passage of a document at most twice as long (0: --max-words for all).",
)


def _together(*options: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Several options as one decorator, listed in the order `--help` shows them."""

    def apply(command: Any) -> Any:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


INDEX_FLAGS = _together(
    click.option("--rebuild", is_flag=True, help="Re-embed everything, even unchanged documents."),
    MAX_WORDS,
    SHORT,
    click.option(
        "--engine",
        type=click.Choice(["local", "ray"]),
        default="local",
        show_default=True,
        help="Embed here, or on Ray (pip install '.[ray]').",
    ),
    click.option("--address", help="Ray cluster address ('auto': a running cluster; none: local)."),
    number("--workers", default=2, kind=click.IntRange(min=1), help="Ray embedding actors."),
    number("--gpus-per-worker", default=0.0, kind=click.FloatRange(min=0), help="GPUs per actor."),
    click.option(
        "--exclude",
        multiple=True,
        metavar="GLOB",
        help="Leave out files matching GLOB (gitignore rules; repeatable). See also .qaignore.",
    ),
    number(
        "--file-timeout",
        default=60.0,
        kind=click.FloatRange(min=0, min_open=True),
        help="Seconds one file's reader may run before the file is skipped.",
    ),
    number(
        "--file-memory",
        default=2048,
        kind=click.IntRange(min=64),
        help="MB of memory one file's reader may use before the file is skipped.",
    ),
    click.option(
        "--quantize",
        type=click.Choice(["int8", "float32"]),
        help="Embed with the int8-quantised model (faster, slightly less exact; questions follow "
        "the index) or float32. Default: as the index was built; float32 for a new one.",
    ),
    click.option(
        "--follow-links/--no-follow-links",
        default=None,
        help="Read symbolic links to files outside the folder (default: as the index was built, "
        "or `follow_links` in the config; off for a new index).",
    ),
    click.option(
        "--model",
        metavar="PATH_OR_NAME",
        help="The sentence-transformers model that embeds: a folder, or a name in the local "
        "Hugging Face cache (default: as the index was built, `model` in the config, "
        "$QA_MODEL, the packaged all-MiniLM-L6-v2). Questions use the index's model.",
    ),
    click.option(
        "--ocr",
        type=click.Choice(["auto", "off", "force"]),
        help="Read scans with Tesseract: auto (images, PDF pages without text), off, or force "
        "(every PDF page with a picture). Default: as the index was built, or `ocr` in the "
        "config; auto for a new index.",
    ),
    click.option(
        "--ocr-lang",
        metavar="LANGS",
        help="Tesseract languages, e.g. eng+deu (default: as the index was built, or `ocr_lang` "
        "in the config; every installed language for a new index).",
    ),
    click.option(
        "-v", "--verbose", is_flag=True, help="Show library logs and why each file failed."
    ),
    click.option("--name", help="Name this folder as a collection (default: the folder's name)."),
)
TUNING_FLAGS = _together(
    MAX_WORDS,
    SHORT,
    number(
        "--overlap", default=1, kind=click.IntRange(min=0), help="Sentences shared by neighbours."
    ),
    click.option("--with-title", is_flag=True, help="Embed and match each passage with its title."),
    number(
        "--context", default=0, kind=click.IntRange(min=0), help="Preceding sentences read too."
    ),
    click.option("--paragraphs", is_flag=True, help="Blank lines end passages; even cuts."),
    number(
        "--dense-weight", default=0.55, kind=click.FloatRange(0, 1), help="Dense share of score."
    ),
    number(
        "--sentence-weight", default=0.75, kind=click.FloatRange(0, 1), help="Best sentence share."
    ),
    number("--field-weight", default=None, kind=click.FloatRange(0), help="Title/date BM25 field."),
    number("--neighbour-weight", default=None, kind=click.FloatRange(0), help="Neighbour share."),
)
