"""A documents folder → the files qa reads: ignore rules applied, unreadable types set aside.

Never read: hidden files and folders (`.git` among them), `node_modules`, `__pycache__`,
virtual environments (any folder holding `pyvenv.cfg`), and whatever `.gitignore` or
`.qaignore` files in the folder exclude (gitignore rules, through pathspec; a folder's ignore
file applies below it), plus `qa index --exclude GLOB` patterns. Ignored files are not
"skipped": they are not documents of the corpus. Files of types qa cannot read are.

Symbolic links never widen what is served: a link to a file inside the folder is not a
document of its own (the file is read where it is, once, if the rules let it be read); a link
whose target lies outside the folder is skipped ("link outside the folder") unless
`follow_links` is set (`qa index --follow-links`); a broken link is skipped. Linked folders are
walked only with `follow_links`, and only when they lead outside the folder, each real folder
once (a link back up can never make the walk endless).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.documents import Skipped, unsupported
from qa.errors import UsageError, printable
from qa.formats import reader_name
from qa.formats.ocr import OcrSettings
from qa.isolation import Limits

NEVER_READ = frozenset({"node_modules", "__pycache__", "site-packages", "venv"})
IGNORE_FILES = (".gitignore", ".qaignore")


@dataclass(frozen=True)
class Listing:
    """The files to read (POSIX paths relative to the folder, sorted), the files of other
    types, and how many files the ignore rules left out."""

    rels: list[str]
    skipped: list[Skipped]
    ignored: int


def list_folder(root: Path, exclude: Iterable[str] = (), *, follow_links: bool = False) -> Listing:
    """Walk `root` and sort out what to read (links as the module's docstring says)."""
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder: give the folder of documents to index")
    rules = [("", _spec(list(exclude)))] if exclude else []
    rels: list[str] = []
    skipped: list[Skipped] = []
    ignored = 0
    real_root = os.path.realpath(root)
    walked = {real_root}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=follow_links):
        here = Path(dirpath).relative_to(root).as_posix()
        here = "" if here == "." else here + "/"
        rules = [(base, spec) for base, spec in rules if here.startswith(base)]
        rules += _ignore_files(Path(dirpath), here, filenames)
        kept = []
        for d in sorted(dirnames):
            path = os.path.join(dirpath, d)
            if _never_read(Path(path)) or _ignored(rules, here + d + "/"):
                ignored += 1
            elif not follow_links:  # os.walk does not enter linked folders then
                kept.append(d)
            elif (
                _link(path, real_root) != "inside"
                and (real := os.path.realpath(path)) not in walked
            ):
                walked.add(real)  # each real folder once, so no link makes the walk loop
                kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            rel = here + name
            link = _link(os.path.join(dirpath, name), real_root)
            if name.startswith(".") or _ignored(rules, rel) or link == "inside":
                ignored += 1
            elif not _utf8(rel):
                shown = printable(rel)  # the index files and the terminal hold only UTF-8
                skipped.append(Skipped(shown, "file name is not UTF-8: rename it", "bad name"))
            elif link == "broken":
                skipped.append(Skipped(rel, "broken link: its target does not exist", "link"))
            elif link == "outside" and not follow_links:
                skipped.append(Skipped(rel, LINK_OUTSIDE, "link"))
            elif reader_name(name) is None:
                skipped.append(unsupported(rel))
            else:
                rels.append(rel)
    return Listing(sorted(rels), skipped, ignored)


LINK_OUTSIDE = "link outside the folder: `qa index --follow-links` reads it"


def _link(path: str, real_root: str) -> str | None:
    """What a symbolic link leads to: "inside" the folder, "outside" it, or "broken"; None
    for a file or folder that is not a link."""
    if not os.path.islink(path):
        return None
    target = os.path.realpath(path)
    if not os.path.exists(target):
        return "broken"
    return "inside" if within(target, real_root) else "outside"


def within(path: str, folder: str) -> bool:
    """Whether absolute `path` is `folder` or lies below it (both already resolved)."""
    return os.path.commonpath([path, folder]) == folder


def _utf8(rel: str) -> bool:
    """Whether a path decoded from the file system is valid text (not surrogate-escaped bytes,
    which no index file, JSON output or terminal could carry)."""
    try:
        rel.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _never_read(folder: Path) -> bool:
    """Hidden folders, dependency and cache folders, virtual environments."""
    name = folder.name
    return name.startswith(".") or name in NEVER_READ or (folder / "pyvenv.cfg").exists()


def _ignore_files(folder: Path, here: str, names: list[str]) -> list[tuple[str, Any]]:
    """The rules of the ignore files in `folder`, applying below it."""
    rules = []
    for name in IGNORE_FILES:
        if name in names:
            try:
                lines = (folder / name).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            rules.append((here, _spec(lines)))
    return rules


def _spec(lines: list[str]) -> Any:
    from pathspec import GitIgnoreSpec  # deferred: only when there are rules to apply

    return GitIgnoreSpec.from_lines(lines)


def _ignored(rules: list[tuple[str, Any]], rel: str) -> bool:
    """Whether a path (folders end with "/") is excluded by the rules that apply to it."""
    return any(spec.match_file(rel[len(base) :]) for base, spec in rules)


Stat = tuple[int, int]  # a file's size and modification time (ns): what the index checks


def stat_files(root: Path, rels: Iterable[str]) -> dict[str, Stat]:
    """Size and modification time of each file; (-1, -1) for one that cannot be stat'ed."""
    stats: dict[str, Stat] = {}
    base = str(root)
    for rel in rels:
        try:
            st = os.stat(os.path.join(base, rel))
            stats[rel] = (st.st_size, st.st_mtime_ns)
        except (OSError, ValueError):
            stats[rel] = (-1, -1)
    return stats


@dataclass(frozen=True)
class ReadSettings:
    """How a folder is read: extra exclude patterns and the limits on each file's reader."""

    exclude: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    follow_links: bool = False  # read links to files outside the folder (qa index --follow-links)
    ocr: OcrSettings = field(default_factory=OcrSettings)  # how scans are read (qa index --ocr)
