"""The front door: what `qa` (the CLI), `qa mcp` and `qa chat` share, so they cannot drift.

Which index a request means (--docs, --index, collections, the config's default), its
filters, asking one collection or several, and what `show` and `status` say: each is decided
here once; the front ends only parse their arguments and lay out what comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.errors import QAError, UsageError

if TYPE_CHECKING:
    from qa.build import BuildReport
    from qa.filters import Filters
    from qa.manifest import Manifest
    from qa.results import Result
    from qa.sources import Excerpt
    from qa.workspace import Workspace


def workspaces(
    *,
    docs: Path | None = None,
    index: Path | None = None,
    names: str | None = None,
    default: Iterable[str] = (),
) -> list[Workspace]:
    """What a request searches: the collections `names` (comma-separated), else --docs /
    --index, else the `default` collections (the config's), else the seeds."""
    from qa.workspace import Workspace

    default = tuple(default)
    if names is None and docs is None and index is None and default:
        names = ",".join(default)
    if names is None:
        return [Workspace.resolve(docs, index)]
    if docs is not None or index is not None:
        raise UsageError("--in names collections: give it or --docs/--index, not both")
    from qa.collections import named

    return [Workspace.resolve(c.docs if c.docs.is_dir() else None, c.index) for c in named(names)]


def make_current(
    ws: Workspace,
    *,
    refresh: bool,
    say: Callable[[str], None],
    build: Callable[[Workspace], Any] | None = None,
) -> None:
    """Build a missing index (with `build`, e.g. one that shows progress); with `refresh`,
    bring an existing one up to date. What happened is one line to `say`."""
    if ws.needs_build():
        say(f"no current index for {ws.docs}; building it once.")
        (build or (lambda w: w.build()))(ws)
    elif refresh:
        refreshed = ws.refresh()
        if refreshed is not None:
            say(refreshed.summary())


def filters(
    *,
    paths: Iterable[str] = (),
    types: Iterable[str] = (),
    since: str | None = None,
    until: str | None = None,
    langs: Iterable[str] = (),
    flag: str = "--",
) -> Filters:
    """The filters of a request, checked: gitignore-style path globs, file types (`pdf,md`),
    dates (YYYY-MM-DD) a document must be dated from / until, its languages (`de,fr`); an
    error names the option as `flag` + its name (`--since` on the command line, `since` for
    a tool)."""
    from qa.filters import Filters, parse_date, parse_langs, parse_types

    return Filters(
        paths=tuple(p for p in paths if p),
        types=parse_types(tuple(types)),
        since=parse_date(since, f"{flag}since") if since else None,
        until=parse_date(until, f"{flag}until") if until else None,
        langs=parse_langs(tuple(langs), f"{flag}lang"),
    )


def ask(
    targets: list[Workspace],
    questions: list[str],
    *,
    k: int,
    conversation: bool = False,
    filters: Filters | None = None,
) -> list[Result]:
    """Each question answered from `targets` (one result per question, several collections
    merged by score); with `conversation`, the questions are the turns of one."""
    from qa.collections import merge
    from qa.conversation import Conversation

    talk = Conversation() if conversation else None
    if len(targets) == 1:
        return targets[0].ask(questions, k, talk, filters=filters)
    searches = [talk.turn(q).search for q in questions] if talk else None
    per = [ws.ask(questions, k, searches=searches, filters=filters) for ws in targets]
    return [merge([r[i] for r in per], k) for i in range(len(questions))]


def shown_manifests(
    *, docs: Path | None = None, index: Path | None = None, names: str | None = None
) -> Iterator[Manifest]:
    """The indexes `show` may show from: those named, else every index qa knows of (the
    default one, then the collections) that can be read."""
    from qa import index as index_mod
    from qa.collections import load_all
    from qa.workspace import Workspace

    if docs is not None or index is not None or names is not None:
        for ws in workspaces(docs=docs, index=index, names=names):
            yield index_mod.live_manifest(ws.root)
        return
    roots = [Workspace.resolve(None, None).root, *(c.index for c in load_all().values())]
    for root in dict.fromkeys(roots):
        try:
            yield index_mod.live_manifest(root)
        except QAError:  # not built yet, or damaged: it holds nothing to show
            continue


def numbered(cut: Excerpt) -> Iterator[tuple[int, str, int, int]]:
    """`show`'s lines: (line number, text, start, end of the cited span within the line;
    start == end where the line holds none of it)."""
    offset = 0
    for n, line in enumerate(cut.lines, start=cut.first_line):
        lo, hi = max(cut.start - offset, 0), min(cut.end - offset, len(line))
        yield n, line, lo, max(lo, hi)
        offset += len(line) + 1


def show_text(cut: Excerpt) -> str:
    """`show` as plain text: the path, then numbered lines."""
    lines = [f"{n:>6} │ {line}" for n, line, _, _ in numbered(cut)]
    return "\n".join([str(cut.path), *lines])


def show_json(cut: Excerpt) -> dict[str, Any]:
    """`show` as data (the MCP tool's structured result)."""
    return {
        "path": str(cut.path),
        "first_line": cut.first_line,
        "lines": cut.lines,
        "start": cut.start,
        "end": cut.end,
        "stale": cut.stale,
    }


def status_lines(info: dict[str, Any], *, list_skipped: bool = False) -> list[str]:
    """`status` as text: one `key value` line each, skipped files counted by kind (or, with
    `list_skipped`, every skipped file and why, tab-separated)."""
    from qa.documents import Skipped, skip_counts

    skipped = [Skipped(s["path"], s["reason"], s["kind"]) for s in info["skipped"]]
    if list_skipped:
        return [f"{s.rel}\t{s.reason}" for s in skipped]
    lines = []
    for key, value in info.items():
        if key == "skipped":
            counts = skip_counts(skipped)
            value = f"{len(skipped)}{f' ({counts})' if counts else ''}"
        lines.append(f"{key:<10} {value}")
    return lines


def report_lines(report: BuildReport) -> list[str]:
    """What a build did besides its summary, in at most a dozen lines whatever the folder:
    why it was a full rebuild, the skipped files grouped, how many were ignored."""
    from qa.documents import skip_report

    lines = [f"Full rebuild: {report.full_rebuild_reason}."] if report.full_rebuild_reason else []
    lines += skip_report(report.skipped)
    if report.ignored:
        lines.append(f"{report.ignored} files and folders ignored (hidden, ignore rules)")
    return lines


def collection_lines(rows: list[dict[str, Any]]) -> list[str]:
    """`qa collections` as text: each collection's name, folder, size and age (or error)."""
    import time

    from qa.terminal import age

    if not rows:
        return ["No collections yet: `qa index DOCS --name NAME` makes one."]
    lines = []
    for row in rows:
        size = (
            f"{row['documents']} documents, {row['passages']} passages, built "
            f"{age(time.time() - row['built_at'])} ago"
            if "error" not in row
            else row["error"]
        )
        lines.append(f"{row['name']:<16} {row['docs']}  ({size})")
    return lines
