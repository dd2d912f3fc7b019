"""Reading and chunking real folders: this checkout against an earlier one, side by side.

    python -m benchmarks.read_folders FOLDER... [--before CHECKOUT]

For each folder, `qa.corpus.read_and_chunk` (listing, reading, chunking: everything of
`qa index` before the encoder) runs in a fresh process, once with this checkout's code and,
with --before, once with another checkout's (a `git worktree` of an older commit), sides
alternated. Prints files/s, passages/s, the files skipped and the peak memory of the process
and its workers. A side that fails prints its error: the old reader stopped on some folders.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, resource, sys, time
from pathlib import Path
from qa.corpus import read_and_chunk
from qa.chunks import ChunkSettings
started = time.perf_counter()
got = read_and_chunk(Path(sys.argv[1]), ChunkSettings())
docs, skipped, chunks = (got.docs, got.skipped, got.chunks) if hasattr(got, "docs") else got
seconds = time.perf_counter() - started
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
           resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
print(json.dumps({"seconds": seconds, "docs": len(docs), "skipped": len(skipped),
                  "passages": len(chunks), "peak_mb": peak}))
"""


def measure(code_root: Path, folder: Path) -> dict:
    """One read of `folder` with the qa package found in `code_root`."""
    env = {**os.environ, "PYTHONPATH": str(code_root)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder)],
        capture_output=True,
        text=True,
        env=env,
        cwd=code_root,
    )
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["failed"])[-1]
        return {"error": last[:70]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--before", type=Path, help="an older checkout to compare with")
    args = parser.parse_args()
    sides = [("this", ROOT)] + ([("before", args.before)] if args.before else [])
    print(
        f"{'folder':<14} {'side':<7} {'files':>6} {'passages':>8} {'skipped':>7} "
        f"{'s':>7} {'files/s':>8} {'pass./s':>8} {'peak MB':>8}"
    )
    for folder in args.folders:
        files = sum(1 for p in folder.rglob("*") if p.is_file())
        order = sides if hash(folder) % 2 else sides[::-1]
        for name, code in order:
            r = measure(code, folder)
            if "error" in r:
                print(f"{folder.name[:14]:<14} {name:<7} {files:>6}  {r['error']}")
                continue
            s = r["seconds"]
            print(
                f"{folder.name[:14]:<14} {name:<7} {files:>6} {r['passages']:>8} "
                f"{r['skipped']:>7} {s:>7.2f} {files / s:>8.1f} {r['passages'] / s:>8.1f} "
                f"{r['peak_mb']:>8.0f}"
            )


if __name__ == "__main__":
    main()
