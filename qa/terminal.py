"""Document text made safe for a terminal: it is data, never markup or control sequences."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from qa.errors import printable

if TYPE_CHECKING:
    from qa.results import Result, Span


def highlighted(
    text: str,
    start: int,
    sentence: Span,
    short: Span | None,
    styles: Mapping[str, str],
    clean: Callable[[str], str] = printable,
) -> Any:
    """`text` (found at offset `start` of its source) as rich Text, every piece made safe by
    `clean`, styled by role: `styles[""]` outside the answer sentence, `styles["sentence"]`
    inside it, `styles["short"]` on the short answer. The one renderer of the CLI and TUI."""
    from rich.text import Text  # deferred: only when something is shown

    parts = pieces(text, start, sentence, short)
    return Text.assemble(*((clean(t), styles[role]) for t, role in parts))


def age(seconds: float) -> str:
    """A duration as people say it: `42 s`, `3 min`, `2 h`, `5 d`."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"


ANSWER_STYLE = {"": "green", "sentence": "green", "short": "bold green underline"}
PASSAGE_STYLE = {"": "", "sentence": "bold yellow", "short": "bold yellow underline"}


def print_folders(results: list[Result]) -> bool:
    """The indexed folders the citations below are relative to, named once (dim); whether
    there are several (their citations are then printed whole: `qa show` takes them)."""
    from rich.console import Console  # deferred: only when something is shown

    folders = {p.citation.folder: None for r in results for p in r.passages}
    if folders:
        shown = f"In {printable(', '.join(folders))}:"
        Console(highlight=False, soft_wrap=True).print(shown, style="dim")
    return len(folders) > 1


def print_result(result: Result, *, absolute: bool = False) -> None:
    """`qa ask`'s answer to one question: the answer with its citation, then each passage
    with its rank, score, citation (`absolute` paths when several folders were searched)
    and text, the answer sentence highlighted."""
    from rich.console import Console  # deferred: only when something is shown
    from rich.padding import Padding
    from rich.text import Text

    console = Console(highlight=False)
    console.print(Text(f"Q: {printable(result.question)}", style="bold"))
    if result.answered and result.answer and result.citation:
        a, short = result.answer, result.passages[0].short
        line = highlighted(a.text, a.start, a, short, ANSWER_STYLE)
        if short is None:
            console.print(Text.assemble(("A: ", "bold green"), line))
        else:  # the short answer alone, readable without colours, then its sentence
            console.print(
                Text.assemble(("A: ", "bold green"), (printable(short.text), "bold green"))
            )
            console.print(Text.assemble("   ", line))
        cited = result.citation.label(absolute=absolute)
        console.print(Text(f"   {printable(cited)}", style="cyan"))
    else:
        console.print(Text(result.no_answer(), style="bold yellow"))
    for p in result.passages:
        console.print()
        console.print(
            Text.assemble(
                (f"{p.rank}. ", "bold"),
                (f"[{p.score:.2f}] ", "dim"),
                (printable(p.citation.label(absolute=absolute)), "cyan"),
            )
        )
        body = highlighted(p.text, p.citation.start, p.answer, p.short, PASSAGE_STYLE, _compact)
        console.print(Padding(body, (0, 0, 0, 3)))
        if p.also_in:
            console.print(Padding(Text(also_in_line(p.also_in), style="dim"), (0, 0, 0, 3)))
    console.print()


def also_in_line(paths: Sequence[str], shown: int = 3) -> str:
    """ "also in 11 files: a.pdf, b.pdf, c.pdf, …": where else a passage's text is."""
    noun = "file" if len(paths) == 1 else "files"
    more = ", …" if len(paths) > shown else ""
    return f"also in {len(paths)} {noun}: {', '.join(printable(p) for p in paths[:shown])}{more}"


def _compact(text: str) -> str:
    """Blank-line runs folded, made printable."""
    return printable(re.sub(r"[ \t\xa0]*\n\s*", "\n", text))


def pieces(text: str, start: int, sentence: Span, short: Span | None) -> list[tuple[str, str]]:
    """`text`, which begins at offset `start` of its source, cut for display into (piece,
    role) in order: role "" outside the answer sentence, "sentence" inside it, "short" for
    the short answer."""
    if short is None:
        cuts, roles = [sentence.start, sentence.end], ["", "sentence", ""]
    else:
        cuts = [sentence.start, short.start, short.end, sentence.end]
        roles = ["", "sentence", "short", "sentence", ""]
    bounds = [0, *(max(0, min(len(text), c - start)) for c in cuts), len(text)]
    return [(text[a:b], r) for (a, b), r in zip(pairwise(bounds), roles, strict=True) if b > a]


@contextmanager
def progress_bar(label: str) -> Iterator[Any]:
    """A progress bar on stderr while the block runs, fed by the `on_progress(done, total,
    stage)` it yields, the stage ("reading" files, "embedding" sentences) in its label; None
    where stderr is no terminal (logs and pipes get the summary alone)."""
    from rich.console import Console  # deferred: only when something is shown
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
        task = bar.add_task(printable(label), total=None)

        from qa.vectors import UNITS

        def on_progress(done: int, total: int, stage: str = "") -> None:
            what = f"{label}: {stage} {UNITS.get(stage, '')}" if stage else label
            bar.update(task, completed=done, total=total, description=printable(what.strip()))

        yield on_progress
