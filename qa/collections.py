"""Named collections: folders indexed under a name, searched one or several at a time.

`qa index DOCS --name NAME` records NAME → (folder, index folder) in `collections.json`
beside the config file; without `--name`, the folder's name is used unless another folder
already has it (then the folder is indexed but not named, and qa says so). `qa ask --in A,B`
answers from each collection and merges the passages by score (`merge`); citations keep
their folder, as every citation names its file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qa.errors import QAError, UsageError
from qa.results import Result


@dataclass(frozen=True)
class Collection:
    """A named folder and its index folder."""

    name: str
    docs: Path
    index: Path


def registry_path() -> Path:
    from qa.config import config_path

    return config_path().parent / "collections.json"


def load_all() -> dict[str, Collection]:
    """Every registered collection by name (none when nothing was registered)."""
    path = registry_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path} ({exc}): fix or delete it") from None
    return {
        name: Collection(name, Path(c["docs"]), Path(c["index"]))
        for name, c in raw.items()
        if isinstance(c, dict) and {"docs", "index"} <= set(c)
    }


def register(name: str | None, docs: Path, index: Path) -> str | None:
    """Name the folder `docs` (indexed at `index`); `name` None means the folder's name, if
    free. Returns a line to tell the user when the folder could not be named."""
    known = load_all()
    explicit = name is not None
    name = name or docs.name
    taken = known.get(name)
    if taken is not None and taken.docs != docs and not explicit:
        return f"qa: the name {name!r} is taken by {taken.docs}; name this one with --name NAME"
    known[name] = Collection(name, docs, index)
    path = registry_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(
        json.dumps(
            {c.name: {"docs": str(c.docs), "index": str(c.index)} for c in known.values()},
            indent=1,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    os.replace(tmp, path)  # readers see the old list or the new one
    return None


def summaries() -> list[dict[str, Any]]:
    """Each collection as `qa collections --json` gives it: name, folders, and its size and
    build time (or the error that keeps it from being read)."""
    from qa import index as index_mod

    rows = []
    for c in load_all().values():
        row: dict[str, Any] = {"name": c.name, "docs": str(c.docs), "index": str(c.index)}
        try:
            manifest = index_mod.live_manifest(c.index)
            row.update(
                documents=len(manifest.documents),
                passages=manifest.passages,
                built_at=manifest.built_at,
            )
        except QAError as exc:
            row["error"] = str(exc)
        rows.append(row)
    return rows


def named(names: str | tuple[str, ...]) -> list[Collection]:
    """The collections `a,b` (or a tuple of names) names; an unknown name is a usage error."""
    wanted = [n.strip() for n in (names.split(",") if isinstance(names, str) else names)]
    known = load_all()
    missing = [n for n in wanted if n and n not in known]
    if missing:
        have = ", ".join(sorted(known)) or "none yet: `qa index DOCS --name NAME` makes one"
        raise UsageError(f"no collection named {missing[0]!r} (collections: {have})")
    return [known[n] for n in dict.fromkeys(wanted) if n]


def merge(per_collection: list[Result], k: int) -> Result:
    """One result from the same question answered in several collections: the answer of the
    most confident collection (answered first, then by top score), and the `k` best passages
    of all by score, that answer's passage first."""
    best = max(
        per_collection, key=lambda r: (r.answered, r.passages[0].score if r.passages else -1)
    )
    rest = [p for r in per_collection for p in r.passages if not (r is best and p is r.passages[0])]
    top = best.passages[:1] + sorted(rest, key=lambda p: -p.score)
    passages = [replace(p, rank=i) for i, p in enumerate(top[:k], start=1)]
    return replace(best, passages=passages)
