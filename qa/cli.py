"""The `qa` command: click commands that call the core and format what it returns.

Results go to stdout, progress and diagnostics to stderr, so `qa ask --json | jq` always works.
Errors are one line on stderr with the exit codes of `qa.errors.ExitCode`.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from qa.errors import ExitCode, QAError, UsageError

if TYPE_CHECKING:  # run-time imports are deferred to keep `qa --help` instant
    from qa.answer import Citation, Result
    from qa.build import BuildReport
    from qa.index import Manifest
    from qa.workspace import Workspace


class QAGroup(click.Group):
    """A click group whose every error is one line on stderr."""

    def main(self, *args: Any, **kwargs: Any) -> NoReturn:
        kwargs["standalone_mode"] = False
        _quiet_libraries()
        try:
            rv = super().main(*args, **kwargs)
        except QAError as exc:
            _fail(str(exc), exc.exit_code)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except (click.Abort, KeyboardInterrupt):
            _fail("interrupted", ExitCode.INTERRUPTED)
        sys.exit(rv if isinstance(rv, int) else ExitCode.OK)


def _quiet_libraries() -> None:
    """Library loggers and warnings stay off the terminal (`qa index --verbose` shows them):
    a folder of odd files must not flood stderr with a parser's complaints."""
    import logging
    import warnings

    logging.getLogger().setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"qa: {message}", err=True)
    sys.exit(code)


_DOCS = click.option(
    "--docs",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of documents (default: the bundled seeds).",
)
_INDEX = click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="QA_INDEX",
    help="Index folder (default: a per-user folder for DOCS; env QA_INDEX).",
)
_JSON = click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
_REFRESH = click.option(
    "--refresh/--no-refresh",
    default=None,
    help="Bring the index up to date with its folder first (a stat walk; default: on, or "
    "`refresh` in the config file).",
)
_IN = click.option(
    "--in",
    "names",
    metavar="NAME[,NAME]",
    help="Search these collections (`qa collections`; default: `collections` in the config).",
)


def _number(*names: str, default: float | None, kind: click.ParamType, help: str) -> Any:
    """A numeric option whose range click checks (a bad value is one usage line, exit 2)."""
    return click.option(*names, default=default, show_default=True, type=kind, help=help)


_MAX_WORDS = _number(
    "--max-words", default=100, kind=click.IntRange(min=5), help="Longest passage, in words."
)
_SHORT = _number(
    "--short-max-words",
    default=200,
    kind=click.IntRange(min=0),
    help="Longest passage of a document at most twice as long (0: --max-words for all).",
)


@click.group(cls=QAGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="qa", prog_name="qa")
def cli() -> None:
    """Ask questions of your own documents, offline.

    Start with `qa ask "your question"`: with no --docs it works on the bundled seeds and builds
    their index on first use.
    """


@cli.command("index")
@click.argument("docs", required=False, type=click.Path(path_type=Path, file_okay=False))
@_INDEX
@click.option("--rebuild", is_flag=True, help="Re-embed everything, even unchanged documents.")
@_MAX_WORDS
@_SHORT
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Embed here, or on Ray (pip install '.[ray]').",
)
@click.option("--address", help="Ray cluster address ('auto': a running cluster; none: local).")
@_number("--workers", default=2, kind=click.IntRange(min=1), help="Ray embedding actors.")
@_number("--gpus-per-worker", default=0.0, kind=click.FloatRange(min=0), help="GPUs per actor.")
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Leave out files matching GLOB (gitignore rules; repeatable). See also .qaignore.",
)
@_number(
    "--file-timeout",
    default=60.0,
    kind=click.FloatRange(min=0, min_open=True),
    help="Seconds one file's reader may run before the file is skipped.",
)
@_number(
    "--file-memory",
    default=2048,
    kind=click.IntRange(min=64),
    help="MB of memory one file's reader may use before the file is skipped.",
)
@click.option(
    "--quantize",
    type=click.Choice(["int8", "float32"]),
    help="Embed with the int8-quantised model (faster, slightly less exact; questions follow "
    "the index) or float32. Default: as the index was built; float32 for a new one.",
)
@click.option(
    "--follow-links/--no-follow-links",
    default=None,
    help="Read symbolic links to files outside the folder (default: as the index was built, "
    "or `follow_links` in the config; off for a new index).",
)
@click.option("-v", "--verbose", is_flag=True, help="Show library logs and why each file failed.")
@click.option("--name", help="Name this folder as a collection (default: the folder's name).")
def index_cmd(
    docs: Path | None,
    index_dir: Path | None,
    rebuild: bool,
    max_words: int,
    short_max_words: int,
    engine: str,
    address: str | None,
    workers: int,
    gpus_per_worker: float,
    exclude: tuple[str, ...],
    file_timeout: float,
    file_memory: int,
    quantize: str | None,
    follow_links: bool | None,
    verbose: bool,
    name: str | None,
) -> None:
    """(Re)build the index of DOCS (default: the seeds), embedding only what changed.

    Every file is read on its own: one that cannot be read (damaged, locked, a scan, too slow,
    too big) is skipped with a reason, never the end of the build. Hidden folders,
    node_modules, virtualenvs and what .gitignore/.qaignore exclude are never read.
    """
    from qa.chunks import ChunkSettings
    from qa.config import load_config
    from qa.files import ReadSettings
    from qa.isolation import Limits
    from qa.workspace import Workspace

    if verbose:
        _log_verbosely()

    ray = None
    if engine == "ray":
        from embeddings.ray_encoder import RaySettings

        ray = RaySettings(
            address=address,
            workers=workers,
            gpus_per_worker=gpus_per_worker,
            progress=sys.stderr.isatty(),  # Ray Data's own bars, one per stage
        )
    elif address:
        raise UsageError("--address goes with --engine ray")
    chunking = ChunkSettings(max_words=max_words, short_max_words=short_max_words)
    limits = Limits(timeout=file_timeout, memory_mb=file_memory, verbose=verbose)
    ws = Workspace.resolve(docs, index_dir, chunking=chunking, ray=ray, quantize=quantize)
    ws.docs = ws.docs or ws.indexed_docs()  # `qa index --index DIR`: the folder DIR indexes
    if follow_links is None:
        follow_links = load_config().follow_links
    if follow_links is None:
        follow_links = ws.built_with_links()
    ws.reading = ReadSettings(exclude=exclude, limits=limits, follow_links=follow_links)
    try:
        report = _build(ws, rebuild)
    except KeyboardInterrupt:
        _fail(
            "interrupted: the index is as it was before; `qa index` again resumes from the "
            "passages already embedded",
            ExitCode.INTERRUPTED,
        )
    _print_report(report, ws)
    if verbose and report.seconds:
        split = ", ".join(f"{name} {sec:.2f} s" for name, sec in report.seconds.items())
        click.echo(f"qa: time: {split}", err=True)
    from qa.collections import register

    notice = register(name, ws.docs, ws.root)
    if notice:
        click.echo(notice, err=True)


def _log_verbosely() -> None:
    """Debug logs of qa and of the libraries it uses, on stderr."""
    import logging

    logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s", force=True)


def _build(ws: Workspace, rebuild: bool = False) -> BuildReport:
    """Build with a progress bar on stderr (on Ray: Ray Data's bars)."""
    if ws.ray is not None:
        click.echo(f"Indexing {_plain(str(ws.docs))} on Ray…", err=True)
        return ws.build(None, rebuild=rebuild)
    with _progress(f"Indexing {ws.docs}") as on_progress:
        return ws.build(on_progress, rebuild=rebuild)


@contextmanager
def _progress(label: str) -> Iterator[Any]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    console = Console(stderr=True)
    if not console.is_terminal:  # no bar in logs and pipes: the summary line says it all
        yield None
        return
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(_plain(label), total=None)

        def on_progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield on_progress


def _print_report(report: BuildReport, ws: Workspace) -> None:
    """At most a dozen lines on stderr, whatever the folder: skipped files are grouped."""
    from qa.documents import skip_report

    if report.full_rebuild_reason:
        click.echo(f"Full rebuild: {report.full_rebuild_reason}.", err=True)
    for line in skip_report(report.skipped):
        click.echo(_plain(line), err=True)
    if report.ignored:
        click.echo(f"{report.ignored} files and folders ignored (hidden, ignore rules)", err=True)
    click.echo(f"Indexed {_plain(str(ws.docs))}: {report.summary()} → {ws.root}")


@cli.command("ask")
@click.argument("question")
@_DOCS
@_INDEX
@_IN
@click.option("-k", "k", type=click.IntRange(min=1), help="How many passages to show [default: 5].")
@click.option(
    "--conversation", is_flag=True, help="With `-`: the lines are turns of one conversation."
)
@_JSON
@_REFRESH
@click.option(
    "--path",
    "paths",
    multiple=True,
    metavar="GLOB",
    help="Only documents matching GLOB (gitignore style, relative to the folder; repeatable).",
)
@click.option(
    "--type", "types", multiple=True, metavar="EXT[,EXT]", help="Only these file types: pdf,md."
)
@click.option("--since", metavar="DATE", help="Only documents dated DATE or later (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Only documents dated DATE or earlier.")
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Terminal text, one JSON object per question (= --json), or Markdown.",
)
def ask_cmd(
    question: str,
    docs: Path | None,
    index_dir: Path | None,
    names: str | None,
    k: int | None,
    conversation: bool,
    as_json: bool,
    refresh: bool | None,
    paths: tuple[str, ...],
    types: tuple[str, ...],
    since: str | None,
    until: str | None,
    output: str,
) -> None:
    """Answer QUESTION from the documents; `-` reads one question per line from stdin.

    With --conversation, each line is the next turn of one conversation: follow-ups such as
    "Who invited him?" are searched with the context of the turns before them.

    In the question, +word (a passage must contain it), -word (must not) and "a phrase"
    (must contain it) narrow the answer, as do path:GLOB type:pdf since:DATE until:DATE.
    """
    from qa.config import load_config
    from qa.conversation import Conversation
    from qa.filters import Filters, parse_date, parse_types
    from qa.workspace import clip_question

    config = load_config()
    k = k or config.k
    filters = Filters(
        paths=paths,
        types=parse_types(types),
        since=parse_date(since, "--since") if since else None,
        until=parse_date(until, "--until") if until else None,
    )

    questions = _read_questions(question)
    clipped = [clip_question(q) for q in questions]
    if any(cut for _, cut in clipped):
        click.echo("qa: a question was cut to its first 2,000 characters", err=True)
    targets = _workspaces(docs, index_dir, names, config.collections)
    for ws in targets:
        _make_current(ws, config.refresh if refresh is None else refresh)
    asked = [q for q, _ in clipped]
    if len(targets) == 1:
        results = targets[0].ask(
            asked, k, Conversation() if conversation else None, filters=filters
        )
    else:
        from qa.collections import merge
        from qa.conversation import search_text

        searches = (
            [search_text(asked[: i + 1]) for i in range(len(asked))] if conversation else None
        )
        per = [ws.ask(asked, k, searches=searches, filters=filters) for ws in targets]
        results = [merge([r[i] for r in per], k) for i in range(len(asked))]
    output = "json" if as_json else output
    if output == "text":
        _print_folders(results)
    for n, result in enumerate(results):
        if output == "json":
            from qa.answer import result_to_json

            click.echo(json.dumps(result_to_json(result), ensure_ascii=False, allow_nan=False))
        elif output == "markdown":
            from qa.markdown import result_to_markdown

            click.echo(("\n" if n else "") + result_to_markdown(result), nl=False)
        else:
            _print_result(result)


def _workspaces(
    docs: Path | None, index_dir: Path | None, names: str | None, default: tuple[str, ...]
) -> list[Workspace]:
    """What to search: --in's collections, else --docs/--index, else the config's
    collections, else the seeds."""
    from qa.workspace import Workspace

    if names is None and docs is None and index_dir is None and default:
        names = ",".join(default)
    if names is None:
        return [Workspace.resolve(docs, index_dir)]
    if docs is not None or index_dir is not None:
        raise UsageError("--in names collections: give it or --docs/--index, not both")
    from qa.collections import named

    return [Workspace.resolve(c.docs if c.docs.is_dir() else None, c.index) for c in named(names)]


def _make_current(ws: Workspace, refresh: bool) -> None:
    """Build a missing index; with `refresh`, bring an existing one up to date (one line)."""
    if ws.needs_build():
        click.echo(f"qa: no current index for {ws.docs}; building it once.", err=True)
        _build(ws)
    elif refresh:
        refreshed = ws.refresh()
        if refreshed is not None:
            click.echo(f"qa: {refreshed.summary()}", err=True)


def _read_questions(question: str) -> list[str]:
    if question != "-":
        from qa.workspace import require_question

        return [require_question(question)]
    questions = [line.strip() for line in sys.stdin if line.strip()]
    if not questions:
        raise UsageError("no questions on stdin: give one question per line")
    return questions


def _plain(text: str) -> str:
    from qa.terminal import printable

    return printable(text)


def _print_folders(results: list[Result]) -> None:
    """The indexed folders the citations below are relative to, named once."""
    folders = {p.citation.folder: None for r in results for p in r.passages}
    if folders:
        click.secho(f"In {_plain(', '.join(folders))}:", dim=True)


def _print_result(result: Result) -> None:
    from rich.console import Console
    from rich.padding import Padding
    from rich.text import Text

    from qa.terminal import highlighted

    console = Console(highlight=False)
    console.print(Text(f"Q: {_plain(result.question)}", style="bold"))
    if result.answered and result.answer and result.citation:
        a, short = result.answer, result.passages[0].short
        line = highlighted(a.text, a.start, a, short, ANSWER_STYLE)
        if short is None:
            console.print(Text.assemble(("A: ", "bold green"), line))
        else:  # the short answer alone, readable without colours, then its sentence
            console.print(Text.assemble(("A: ", "bold green"), (_plain(short.text), "bold green")))
            console.print(Text.assemble("   ", line))
        console.print(Text(f"   {_citation_line(result.citation)}", style="cyan"))
    else:
        console.print(Text(result.no_answer(), style="bold yellow"))
    for p in result.passages:
        console.print()
        console.print(
            Text.assemble(
                (f"{p.rank}. ", "bold"),
                (f"[{p.score:.2f}] ", "dim"),
                (_citation_line(p.citation), "cyan"),
            )
        )
        console.print(Padding(_highlighted(p), (0, 0, 0, 3)))
    console.print()


ANSWER_STYLE = {"": "green", "sentence": "green", "short": "bold green underline"}
PASSAGE_STYLE = {"": "", "sentence": "bold yellow", "short": "bold yellow underline"}


def _highlighted(p: Any) -> Any:
    """Passage text with its answer sentence in bold yellow, the short answer underlined;
    blank-line runs folded."""
    from qa.terminal import highlighted

    return highlighted(p.text, p.citation.start, p.answer, p.short, PASSAGE_STYLE, _compact)


def _compact(text: str) -> str:
    return _plain(re.sub(r"[ \t\xa0]*\n\s*", "\n", text))


def _citation_line(c: Citation) -> str:
    return _plain(c.label())


@cli.command("status")
@_DOCS
@_INDEX
@click.option("--skipped", "list_skipped", is_flag=True, help="List every skipped file and why.")
@_JSON
def status_cmd(
    docs: Path | None, index_dir: Path | None, list_skipped: bool, as_json: bool
) -> None:
    """What is indexed: documents, passages, model, when built, size on disk, skipped files."""
    from qa.documents import Skipped, skip_counts
    from qa.workspace import Workspace

    info = Workspace.resolve(docs, index_dir).status()
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, allow_nan=False))
        return
    skipped = [Skipped(s["path"], s["reason"], s["kind"]) for s in info["skipped"]]
    if list_skipped:
        for s in skipped:
            click.echo(f"{_plain(s.rel)}\t{_plain(s.reason)}")
        return
    for key, value in info.items():
        if key == "skipped":
            counts = skip_counts(skipped)
            click.echo(f"{'skipped':<10} {len(skipped)}{f' ({counts})' if counts else ''}")
        else:
            click.echo(f"{key:<10} {value}")


@cli.command("eval")
@click.argument("questions", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--squad", type=click.Path(path_type=Path, dir_okay=False), help="SQuAD v1.1 JSON.")
@click.option("--beir", type=click.Path(path_type=Path, file_okay=False), help="BEIR folder.")
@_DOCS
@_INDEX
@_MAX_WORDS
@_SHORT
@_number("--overlap", default=1, kind=click.IntRange(min=0), help="Sentences shared by neighbours.")
@click.option("--with-title", is_flag=True, help="Embed and match each passage with its title.")
@_number("--context", default=0, kind=click.IntRange(min=0), help="Preceding sentences read too.")
@click.option("--paragraphs", is_flag=True, help="Blank lines end passages; even cuts.")
@_number("--dense-weight", default=0.55, kind=click.FloatRange(0, 1), help="Dense share of score.")
@_number(
    "--sentence-weight", default=0.75, kind=click.FloatRange(0, 1), help="Best sentence share."
)
@_number("--field-weight", default=None, kind=click.FloatRange(0), help="Title/date BM25 field.")
@_number("--neighbour-weight", default=None, kind=click.FloatRange(0), help="Neighbour share.")
@click.option("--no-context", is_flag=True, help="Conversations: search the last turn alone.")
@click.option("--dedupe", is_flag=True, help="Drop passages overlapping a better one.")
@_JSON
def eval_cmd(
    questions: Path | None,
    squad: Path | None,
    beir: Path | None,
    docs: Path | None,
    index_dir: Path | None,
    max_words: int,
    short_max_words: int,
    overlap: int,
    with_title: bool,
    context: int,
    paragraphs: bool,
    dense_weight: float,
    sentence_weight: float,
    field_weight: float | None,
    neighbour_weight: float | None,
    no_context: bool,
    dedupe: bool,
    as_json: bool,
) -> None:
    """Score retrieval on QUESTIONS.jsonl, a SQuAD file (--squad) or a BEIR folder (--beir)."""
    from dataclasses import replace

    from qa import evaluation
    from qa.chunks import ChunkSettings
    from qa.retrieve import SearchSettings
    from qa.workspace import Workspace

    if sum(x is not None for x in (questions, squad, beir)) != 1:
        raise UsageError("give exactly one of QUESTIONS, --squad FILE or --beir DIR")
    chunking = ChunkSettings(max_words, overlap, with_title, context, paragraphs, short_max_words)
    search = SearchSettings(
        dense_weight=dense_weight, sentence_weight=sentence_weight, dedupe=dedupe
    )
    if field_weight is not None:
        search = replace(search, field_weight=field_weight)
    if neighbour_weight is not None:
        search = replace(search, neighbour_weight=neighbour_weight)
    data = questions or squad or beir
    assert data is not None
    if not data.exists():
        raise UsageError(f"{data} does not exist")
    if questions is None:
        cache = evaluation.cache_folder(data)
        docs = cache / "docs"
        docs.mkdir(parents=True, exist_ok=True)
        name = f"index-{max_words}-{overlap}-{int(with_title)}-{context}-{int(paragraphs)}"
        if short_max_words != ChunkSettings.short_max_words:
            name += f"-s{short_max_words}"
        index_dir = index_dir or cache / name
    ws = Workspace.resolve(docs, index_dir, chunking=chunking, search=search)
    items = evaluation.load_questions(questions) if questions else []
    beir_set = None
    if squad:
        items = evaluation.squad_corpus(squad, ws.docs)  # type: ignore[arg-type]
    elif beir:
        beir_set = evaluation.beir_corpus(beir, ws.docs)  # type: ignore[arg-type]
    _print_report(_build(ws), ws) if (squad or beir or ws.needs_build()) else None
    retriever = ws.retriever()
    metrics: dict[str, float | None]
    with _progress("Scoring") as on_progress:
        if beir_set is not None:
            metrics = {**evaluation.score_beir(retriever, beir_set, on_progress)}
        else:
            metrics = evaluation.score_questions(
                items, lambda part: evaluation.ask_batch(ws, part, not no_context), on_progress
            )
    if as_json:
        click.echo(json.dumps(metrics, allow_nan=False))
    else:
        for key, value in metrics.items():
            shown = f"{value:.4f}" if isinstance(value, float) else value
            click.echo(f"{key:<20} {'n/a' if value is None else shown}")


@cli.command("show")
@click.argument("citation")
@_DOCS
@_INDEX
@_IN
@_number("-C", "--context", default=3, kind=click.IntRange(min=0), help="Lines around the passage.")
def show_cmd(
    citation: str, docs: Path | None, index_dir: Path | None, names: str | None, context: int
) -> None:
    """Print the passage a CITATION points at (as `qa ask` prints it) with lines around it.

    Only documents of an index are shown: of the index --docs/--index/--in name, else of
    whichever index qa has built (the seeds' and your collections') holds the cited file.
    """
    from rich.console import Console
    from rich.text import Text

    from qa.sources import excerpt_in

    cut = excerpt_in(_shown_manifests(docs, index_dir, names), citation, context=context)
    console = Console(highlight=False)
    console.print(Text(_plain(str(cut.path)), style="cyan"))
    offset = 0
    for n, line in enumerate(cut.lines, start=cut.first_line):
        text = Text(f"{n:>6} │ ", style="dim")
        body = Text(_plain(line))
        lo, hi = max(cut.start - offset, 0), min(cut.end - offset, len(line))
        if lo < hi:
            body.stylize("bold yellow", lo, hi)
        console.print(text + body, soft_wrap=True)
        offset += len(line) + 1


def _shown_manifests(
    docs: Path | None, index_dir: Path | None, names: str | None
) -> Iterator[Manifest]:
    """The indexes `qa show` may show from: those named, else every index qa knows of
    (the default one, then the collections) that can be read."""
    from qa import index as index_mod
    from qa.collections import load_all
    from qa.workspace import Workspace

    if docs is not None or index_dir is not None or names is not None:
        for ws in _workspaces(docs, index_dir, names, ()):
            yield index_mod.live_manifest(ws.root)
        return
    roots = [Workspace.resolve(None, None).root, *(c.index for c in load_all().values())]
    for root in dict.fromkeys(roots):
        try:
            yield index_mod.live_manifest(root)
        except QAError:  # not built yet, or damaged: it holds nothing to show
            continue


@cli.command("watch")
@click.argument("docs", required=False, type=click.Path(path_type=Path, file_okay=False))
@_INDEX
def watch_cmd(docs: Path | None, index_dir: Path | None) -> None:
    """Keep the index of DOCS current as files change, one line per update; Ctrl-C stops.

    A burst of saves is one update; only changed files are read and embedded. Stopping at
    any moment leaves the index consistent (as before or after the update that was running).
    """
    import time

    from qa.watch import watch
    from qa.workspace import Refreshed, Workspace

    ws = Workspace.resolve(docs, index_dir)
    ws.docs = ws.docs or ws.indexed_docs()
    _make_current(ws, refresh=False)  # `watch` refreshes first itself

    def said(update: Refreshed) -> None:
        click.echo(f"{time.strftime('%H:%M:%S')} {update.summary()}")

    click.echo(f"qa: watching {_plain(str(ws.docs))} (Ctrl-C stops)", err=True)
    try:
        watch(ws, said)
    except KeyboardInterrupt:
        click.echo("qa: stopped watching; the index is consistent", err=True)


@cli.command("mcp")
@_DOCS
@_INDEX
@click.option("--in", "collection", metavar="NAME", help="Serve this collection by default.")
@_REFRESH
def mcp_cmd(
    docs: Path | None, index_dir: Path | None, collection: str | None, refresh: bool | None
) -> None:
    """Serve qa to MCP clients (agents, editors) over stdio until the client goes away.

    Tools: ask, search, show, status, index; each indexed document is the resource
    qa://doc/PATH. The index is loaded (built if missing) before serving and kept warm;
    ask and search refresh it first, as `qa ask` does. Register it in a client as the
    command `qa mcp --docs DIR`. Needs the MCP SDK: pip install 'qa[mcp]'.
    """
    import importlib.util

    from qa.config import load_config

    if importlib.util.find_spec("mcp") is None:
        raise UsageError("qa mcp needs the MCP SDK: pip install 'qa[mcp]' (or pip install mcp)")
    from qa.mcp_server import Service, serve

    config = load_config()
    service = Service(docs, index_dir, collection, config.refresh if refresh is None else refresh)
    ws = service.workspace()  # built if missing: errors here are one line, before serving
    ws.retriever()  # loaded now, so the first call is as fast as the rest
    click.echo(f"qa: serving {_plain(service.served())} over MCP on stdio", err=True)
    serve(service)


@cli.command("collections")
@_JSON
def collections_cmd(as_json: bool) -> None:
    """The named collections (`qa index DOCS --name NAME`): folder, size and age of each."""
    from qa import index as index_mod
    from qa.collections import load_all
    from qa.terminal import age

    rows = []
    for c in load_all().values():
        row: dict[str, Any] = {"name": c.name, "docs": str(c.docs), "index": str(c.index)}
        try:
            manifest = index_mod.live_manifest(c.index)
            row["documents"] = len(manifest.documents)
            row["passages"] = manifest.passages
            row["built_at"] = manifest.built_at
        except QAError as exc:
            row["error"] = str(exc)
        rows.append(row)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False, allow_nan=False))
        return
    if not rows:
        click.echo("No collections yet: `qa index DOCS --name NAME` makes one.")
    for row in rows:
        size = (
            f"{row['documents']} documents, {row['passages']} passages, built "
            f"{age(time.time() - row['built_at'])} ago"
            if "error" not in row
            else row["error"]
        )
        click.echo(f"{_plain(row['name']):<16} {_plain(row['docs'])}  ({size})")


@cli.command("chat")
@_DOCS
@_INDEX
@_IN
@_REFRESH
def chat_cmd(
    docs: Path | None, index_dir: Path | None, names: str | None, refresh: bool | None
) -> None:
    """Open the terminal app: ask, read cited answers, open sources, rebuild."""
    from qa.config import load_config
    from tui.app import QAApp

    config = load_config()
    (ws, *more) = _workspaces(docs, index_dir, names, config.collections)
    if more:
        raise UsageError("qa chat reads one collection at a time: give one name to --in")
    QAApp(ws, watch=config.refresh if refresh is None else refresh).run()


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="qa")
