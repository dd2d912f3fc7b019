"""The user's defaults: `~/.config/qa/config.toml`, or the file `$QA_CONFIG` names.

    k = 8                          # passages per answer (qa ask -k)
    refresh = true                 # bring the index up to date before answering
    collections = ["notes", "papers"]   # what `qa ask` searches when not told (qa ask --in)
    follow_links = true            # qa index reads links to files outside the folder
    ocr = "auto"                   # qa index reads scans: "auto", "off" or "force"
    ocr_lang = "eng+deu"           # in these Tesseract languages (default: all installed)
    model = "~/models/multilingual-e5-small"   # qa index embeds new indexes with this model

Options on the command line win over the file. A missing file is no configuration; a file
that is not TOML, an unknown key or a value of the wrong kind is one line naming the file and
the key, exit 2.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from qa.errors import UsageError


@dataclass(frozen=True)
class Config:
    """Defaults for `qa ask` and `qa chat`."""

    k: int = 5
    refresh: bool = True
    collections: tuple[str, ...] = ()
    follow_links: bool | None = None  # None: as the index was built (off for a new one)
    ocr: str | None = None  # None: as the index was built (auto for a new one)
    ocr_lang: str | None = None  # None: as the index was built (all installed for a new one)
    model: str | None = None  # None: as the index was built ($QA_MODEL or the default if new)


KEYS = ("k", "refresh", "collections", "follow_links", "ocr", "ocr_lang", "model")


def config_path() -> Path:
    """$QA_CONFIG, else config.toml in the per-user config folder."""
    if os.environ.get("QA_CONFIG"):
        return Path(os.environ["QA_CONFIG"]).expanduser()
    from qa.userdirs import user_dir

    return user_dir("config") / "config.toml"


def load_config() -> Config:
    """The configuration file's settings over the defaults."""
    path = config_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the config file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path} is not valid TOML: {exc}") from None
    for key in raw:
        if key not in KEYS:
            raise UsageError(f"{path}: unknown key {key!r} (known: {', '.join(KEYS)})")
    k = raw.get("k", 5)
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise UsageError(f"{path}: k must be a whole number of at least 1, not {k!r}")
    refresh = raw.get("refresh", True)
    follow_links = raw.get("follow_links")
    for key, value in (("refresh", refresh), ("follow_links", follow_links)):
        if value is not None and not isinstance(value, bool):
            raise UsageError(f"{path}: {key} must be true or false, not {value!r}")
    names = raw.get("collections", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise UsageError(f'{path}: collections must be a list of names, e.g. ["notes"]')
    ocr, ocr_lang = raw.get("ocr"), raw.get("ocr_lang")
    if ocr is not None and ocr not in ("auto", "off", "force"):
        raise UsageError(f'{path}: ocr must be "auto", "off" or "force", not {ocr!r}')
    if ocr_lang is not None and (not isinstance(ocr_lang, str) or not ocr_lang):
        raise UsageError(f'{path}: ocr_lang must be Tesseract language codes, e.g. "eng+deu"')
    model = raw.get("model")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise UsageError(f"{path}: model must be a folder or a model name, not {model!r}")
    return Config(
        k=k,
        refresh=refresh,
        collections=tuple(names),
        follow_links=follow_links,
        ocr=ocr,
        ocr_lang=ocr_lang,
        model=model,
    )
