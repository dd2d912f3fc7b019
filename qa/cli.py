"""The `qa` command: click commands that call the core and format what it returns.

Results go to stdout, progress and diagnostics to stderr, so `qa ask --json | jq` always works.
Errors are one line on stderr with the exit codes of `qa.errors.ExitCode`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from qa.errors import ExitCode, QAError, UsageError
from qa.flags import DOCS, IN, INDEX, INDEX_FLAGS, JSON, REFRESH, TUNING_FLAGS, number

if TYPE_CHECKING:  # run-time imports are deferred to keep `qa --help` instant
    from qa.build import BuildReport
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


@click.group(cls=QAGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="qa", prog_name="qa")
def cli() -> None:
    """Ask questions of your own documents, offline.

    Start with `qa ask "your question"`: with no --docs it works on the bundled seeds and builds
    their index on first use.
    """


@cli.command("index")
@click.argument("docs", required=False, type=click.Path(path_type=Path, file_okay=False))
@INDEX
@INDEX_FLAGS
def index_cmd(
    docs: Path | None,
    index_dir: Path | None,
    verbose: bool,
    name: str | None,
    **flags: Any,
) -> None:
    """(Re)build the index of DOCS (default: the seeds), embedding only what changed.

    Every file is read on its own: one that cannot be read (damaged, locked, a scan, too slow,
    too big) is skipped with a reason, never the end of the build. Hidden folders,
    node_modules, virtualenvs and what .gitignore/.qaignore exclude are never read.
    """
    from qa.config import load_config
    from qa.options import as_built, build_options
    from qa.workspace import Workspace

    if verbose:
        _log_verbosely()
    ws = Workspace.resolve(docs, index_dir)
    ws.docs = ws.docs or ws.indexed_docs()  # `qa index --index DIR`: the folder DIR indexes
    flags = as_built(flags, config=load_config(), built=ws.built_with())
    ws.model = flags.pop("model")  # None: as the index was built
    ws.building = build_options(verbose=verbose, **flags)
    try:
        report = _build(ws)
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


def _build(ws: Workspace) -> BuildReport:
    """Build with a progress bar on stderr (on Ray: Ray Data's bars)."""
    if ws.building.ray is not None:
        click.echo(f"Indexing {_plain(str(ws.docs))} on Ray…", err=True)
        return ws.build(None)
    from qa.terminal import progress_bar

    with progress_bar(_plain(f"Indexing {ws.docs}")) as on_progress:
        return ws.build(on_progress)


def _print_report(report: BuildReport, ws: Workspace) -> None:
    """At most a dozen lines on stderr, whatever the folder, then the summary on stdout."""
    from qa.front import report_lines

    for line in report_lines(report):
        click.echo(_plain(line), err=True)
    click.echo(f"Indexed {_plain(str(ws.docs))}: {report.summary()} → {ws.root}")


@cli.command("ask")
@click.argument("question")
@DOCS
@INDEX
@IN
@click.option("-k", "k", type=click.IntRange(min=1), help="How many passages to show [default: 5].")
@click.option(
    "--conversation", is_flag=True, help="With `-`: the lines are turns of one conversation."
)
@JSON
@REFRESH
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
    "--lang", "langs", multiple=True, metavar="LANG[,LANG]", help="Only documents in: de,fr."
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Terminal text, one JSON object per question (= --json), or Markdown.",
)
def ask_cmd(
    *,
    question: str,
    docs: Path | None,
    index_dir: Path | None,
    names: str | None,
    k: int | None,
    conversation: bool,
    as_json: bool,
    refresh: bool | None,
    output: str,
    **narrow: Any,
) -> None:
    """Answer QUESTION from the documents; `-` reads one question per line from stdin.

    With --conversation, each line is the next turn of one conversation: follow-ups such as
    "Who invited him?" are searched with the context of the turns before them.

    In the question, +word (a passage must contain it), -word (must not) and "a phrase"
    (must contain it) narrow the answer, as do path:GLOB type:pdf since:DATE until:DATE lang:de.
    """
    from qa import front
    from qa.config import load_config
    from qa.workspace import clip_question

    config = load_config()
    filters = front.filters(**narrow)  # --path, --type, --since, --until, --lang
    questions = _read_questions(question)
    clipped = [clip_question(q) for q in questions]
    if any(cut for _, cut in clipped):
        click.echo("qa: a question was cut to its first 2,000 characters", err=True)
    targets = front.workspaces(docs=docs, index=index_dir, names=names, default=config.collections)
    for ws in targets:
        _make_current(ws, config.refresh if refresh is None else refresh)
    asked = [q for q, _ in clipped]
    results = front.ask(targets, asked, k=k or config.k, conversation=conversation, filters=filters)
    output = "json" if as_json else output
    several = False
    if output == "text":
        from qa.terminal import print_folders

        several = print_folders(results)
    for n, result in enumerate(results):
        if output == "json":
            from qa.results import result_to_json

            click.echo(json.dumps(result_to_json(result), ensure_ascii=False, allow_nan=False))
        elif output == "markdown":
            from qa.markdown import result_to_markdown

            click.echo(("\n" if n else "") + result_to_markdown(result), nl=False)
        else:
            from qa.terminal import print_result

            print_result(result, absolute=several)


def _make_current(ws: Workspace, refresh: bool) -> None:
    """Build a missing index (with a progress bar); with `refresh`, bring it up to date."""
    from qa import front

    front.make_current(
        ws, refresh=refresh, say=lambda line: click.echo(f"qa: {line}", err=True), build=_build
    )


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


@cli.command("status")
@DOCS
@INDEX
@click.option("--skipped", "list_skipped", is_flag=True, help="List every skipped file and why.")
@JSON
def status_cmd(
    docs: Path | None, index_dir: Path | None, list_skipped: bool, as_json: bool
) -> None:
    """What is indexed: documents, passages, model, when built, size on disk, skipped files."""
    from qa.front import status_lines
    from qa.workspace import Workspace

    info = Workspace.resolve(docs, index_dir).status()
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, allow_nan=False))
        return
    for line in status_lines(info, list_skipped=list_skipped):
        click.echo(_plain(line))


@cli.command("eval")
@click.argument("questions", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--squad", type=click.Path(path_type=Path, dir_okay=False), help="SQuAD v1.1 JSON.")
@click.option("--beir", type=click.Path(path_type=Path, file_okay=False), help="BEIR folder.")
@DOCS
@INDEX
@TUNING_FLAGS
@click.option("--no-context", is_flag=True, help="Conversations: search the last turn alone.")
@click.option("--no-merge", is_flag=True, help="Keep overlapping passages of a file apart.")
@JSON
def eval_cmd(
    *,
    questions: Path | None,
    squad: Path | None,
    beir: Path | None,
    docs: Path | None,
    index_dir: Path | None,
    no_context: bool,
    as_json: bool,
    **tuning: Any,
) -> None:
    """Score retrieval on QUESTIONS.jsonl, a SQuAD file (--squad) or a BEIR folder (--beir)."""
    from qa import evaluation

    if sum(x is not None for x in (questions, squad, beir)) != 1:
        raise UsageError("give exactly one of QUESTIONS, --squad FILE or --beir DIR")
    data = questions or squad or beir
    assert data is not None
    if not data.exists():
        raise UsageError(f"{data} does not exist")
    ws = evaluation.workspace(data, docs=docs, index=index_dir, corpus=questions is None, **tuning)
    task = evaluation.Task.of(ws, questions=questions, squad=squad, beir=beir)
    _print_report(_build(ws), ws) if (squad or beir or ws.needs_build()) else None
    from qa.terminal import progress_bar

    with progress_bar("Scoring") as on_progress:
        metrics = task.score(ws, use_context=not no_context, on_progress=on_progress)
    if as_json:
        click.echo(json.dumps(metrics, allow_nan=False))
    else:
        for key, value in metrics.items():
            shown = f"{value:.4f}" if isinstance(value, float) else value
            click.echo(f"{key:<20} {'n/a' if value is None else shown}")


@cli.command("show")
@click.argument("citation")
@DOCS
@INDEX
@IN
@number("-C", "--context", default=3, kind=click.IntRange(min=0), help="Lines around the passage.")
def show_cmd(
    citation: str, docs: Path | None, index_dir: Path | None, names: str | None, context: int
) -> None:
    """Print the passage a CITATION points at (as `qa ask` prints it) with lines around it.

    Only documents of an index are shown: of the index --docs/--index/--in name, else of
    whichever index qa has built (the seeds' and your collections') holds the cited file.
    """
    from rich.console import Console
    from rich.text import Text

    from qa.front import numbered, shown_manifests
    from qa.sources import excerpt_in

    shown = shown_manifests(docs=docs, index=index_dir, names=names)
    cut = excerpt_in(shown, citation, context=context)
    console = Console(highlight=False)
    console.print(Text(_plain(str(cut.path)), style="cyan"))
    for n, line, lo, hi in numbered(cut):
        body = Text(_plain(line))
        body.stylize("bold yellow", lo, hi)
        console.print(Text(f"{n:>6} │ ", style="dim") + body, soft_wrap=True)


@cli.command("watch")
@click.argument("docs", required=False, type=click.Path(path_type=Path, file_okay=False))
@INDEX
def watch_cmd(docs: Path | None, index_dir: Path | None) -> None:
    """Keep the index of DOCS current as files change, one line per update; Ctrl-C stops.

    A burst of saves is one update; only changed files are read and embedded. Stopping at
    any moment leaves the index consistent (as before or after the update that was running).
    """

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
@DOCS
@INDEX
@click.option("--in", "collection", metavar="NAME", help="Serve this collection by default.")
@REFRESH
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
@JSON
def collections_cmd(as_json: bool) -> None:
    """The named collections (`qa index DOCS --name NAME`): folder, size and age of each."""
    from qa.collections import summaries
    from qa.front import collection_lines

    rows = summaries()
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False, allow_nan=False))
        return
    for line in collection_lines(rows):
        click.echo(_plain(line))


@cli.command("chat")
@DOCS
@INDEX
@IN
@REFRESH
def chat_cmd(
    docs: Path | None, index_dir: Path | None, names: str | None, refresh: bool | None
) -> None:
    """Open the terminal app: ask, read cited answers, open sources, rebuild."""
    from qa.config import load_config
    from qa.front import workspaces
    from tui.app import QAApp

    config = load_config()
    (ws, *more) = workspaces(docs=docs, index=index_dir, names=names, default=config.collections)
    if more:
        raise UsageError("qa chat reads one collection at a time: give one name to --in")
    QAApp(ws, watch=config.refresh if refresh is None else refresh).run()


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="qa")
