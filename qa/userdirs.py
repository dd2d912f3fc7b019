"""The per-user folders qa keeps its config, indexes and caches in.

On Linux and the BSDs they follow the XDG base directory spec directly (`$XDG_CONFIG_HOME`,
`$XDG_DATA_HOME`, `$XDG_CACHE_HOME`, else `~/.config`, `~/.local/share`, `~/.cache`), which is
what platformdirs answers there; importing platformdirs' Unix module pulls in tempfile, shutil
and the compression modules, a tenth of a cold `qa ask`. Elsewhere (macOS, Windows) platformdirs
answers.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_XDG = {
    "config": ("XDG_CONFIG_HOME", ".config"),
    "data": ("XDG_DATA_HOME", ".local/share"),
    "cache": ("XDG_CACHE_HOME", ".cache"),
}


def _xdg(kind: str) -> Path:
    """qa's folder of `kind` under the XDG base directories."""
    variable, default = _XDG[kind]
    base = os.environ.get(variable, "")
    if not os.path.isabs(base):  # unset, empty or relative: the spec's default
        base = os.path.join(os.path.expanduser("~"), default)
    return Path(base) / "qa"


def user_dir(kind: str) -> Path:
    """qa's per-user folder of `kind` ("config", "data" or "cache")."""
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return _xdg(kind)
    import platformdirs

    find = {
        "config": platformdirs.user_config_dir,
        "data": platformdirs.user_data_dir,
        "cache": platformdirs.user_cache_dir,
    }[kind]
    return Path(find("qa", appauthor=False))
