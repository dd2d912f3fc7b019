"""A documents folder against its index: the files added, changed or removed since the index
was built, found by a stat walk (size and modification time: nothing is read or hashed).

A changed stat is only a hint: the build that follows reads those files again and compares
their text's hash, so a file that was only touched costs one read and no embedding.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.files import list_folder, stat_files
from qa.formats import read_anew
from qa.manifest import Manifest


@dataclass(frozen=True)
class Changes:
    """Files (POSIX paths inside the folder) that differ from what the index recorded."""

    added: list[str]
    changed: list[str]
    removed: list[str]

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def find_changes(docs_root: Path, manifest: Manifest) -> Changes:
    """What differs between the folder now (listed with the index's ignore rules) and the
    stats its manifest recorded; a document that the listing now sets aside (a link found to
    lead outside the folder) has changed, whatever its stat."""
    listing = list_folder(docs_root, manifest.exclude, follow_links=manifest.follow_links)
    stats = stat_files(docs_root, [*listing.rels, *(s.rel for s in listing.skipped)])
    recorded = manifest.stats
    set_aside = {s.rel for s in listing.skipped if s.rel in manifest.documents}
    set_aside |= {r for r in manifest.documents if read_anew(r, manifest.readers)}  # read anew
    return Changes(
        added=[r for r in stats if r not in recorded],
        changed=[
            r
            for r, st in stats.items()
            if r in recorded and (list(st) != recorded[r] or r in set_aside)
        ],
        removed=[r for r in recorded if r not in stats],
    )
