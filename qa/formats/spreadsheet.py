"""Spreadsheets and delimited text → Extracted: each sheet a section, each row a line that
names its columns ("Region: North · Q3: 41200"), so a passage about one row says what its
numbers mean.

Workbooks (.xlsx, .xlsm, .xlsb, .xls, .ods) are read by python-calamine (Rust's calamine: formulas
come back as the values last computed, dates as dates); .csv and .tsv by Python's csv module.
The first non-empty row of a sheet is its header when it holds text in every filled cell;
otherwise columns are named by their letters (A, B, …). At most MAX_CELLS cells of a sheet are
read; the rest is named in one closing line, so nothing is cut silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from qa.formats import Extracted, TextBuilder, Unreadable, check_size, open_checked

MAX_CELLS = 200_000  # per sheet: a row line each, about 10 MB of text at most
SEPARATOR = " · "


def read_workbook(path: Path) -> Extracted:
    """Every sheet of a workbook, in order, its name the section of its rows."""
    from python_calamine import CalamineWorkbook  # deferred: only for spreadsheets

    book = open_checked(_open_workbook(CalamineWorkbook), path, "spreadsheet")
    out = TextBuilder()
    failed: list[str] = []
    with book:
        for name in book.sheet_names:
            try:
                rows = book.get_sheet_by_name(name).iter_rows()  # a row at a time
            except Exception as exc:  # a chart sheet, a damaged one: the others are still read
                failed.append(f"sheet {name!r}: {type(exc).__name__}")
                continue
            _add_sheet(out, name, rows)
    if failed and not out.text:
        raise Unreadable("damaged", "; ".join(failed))
    return out.extracted(title=path.stem)


def _open_workbook(workbook: Any) -> Any:
    """calamine's opener, a password-protected file said as such (not "damaged")."""

    def opened(path: str) -> Any:
        try:
            return workbook.from_path(path)
        except Exception as exc:
            if "Password" in type(exc).__name__:
                raise Unreadable("needs a password", "the workbook is encrypted") from None
            raise

    return opened


def read_delimited(path: Path) -> Extracted:
    """A .csv or .tsv file (UTF-8, else Latin-1) as one sheet of header-named rows; read as
    plain text when it is no table (rows of differing widths, prose) or quotes break it."""
    from qa.formats.text import decode, read_plain

    check_size(path)
    text = decode(path.read_bytes())
    tsv = path.suffix.lower() == ".tsv"
    try:  # a .tsv's quotes are text: quoting it is a CSV convention
        rows = list(csv.reader(io.StringIO(text, newline=""), **_dialect(text, tsv=tsv)))
    except csv.Error:  # an unclosed quote ran into the field size limit
        return read_plain(path)
    if not _tabular(rows):
        return read_plain(path)
    out = TextBuilder()
    _add_sheet(out, None, rows)
    return out.extracted(title=path.stem)


def _dialect(text: str, *, tsv: bool) -> dict[str, Any]:
    """How to split the text: tabs and no quoting for .tsv, else the sniffed CSV dialect."""
    if tsv:
        return {"delimiter": "\t", "quoting": csv.QUOTE_NONE}
    return {"dialect": _sniff(text)}


def _tabular(rows: list[list[str]]) -> bool:
    """Whether rows look like a table: most of the first 50 non-empty rows have the same
    number of cells, more than one."""
    widths = [len(r) for r in rows[:50] if any(c.strip() for c in r)]
    if not widths:
        return True  # empty: said as such by the sheet reader
    common = max(set(widths), key=widths.count)
    return common > 1 and widths.count(common) >= 0.8 * len(widths)


def _sniff(text: str) -> Any:
    """The dialect of CSV text (comma, semicolon, tab, pipe), from its first lines."""
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        return "excel"


def _add_sheet(out: TextBuilder, name: str | None, rows: Iterable[Sequence[Any]]) -> None:
    """One sheet's rows as lines named by its header, in one block under section `name`."""
    raw = iter(rows)
    filled = ([_cell(v) for v in row] for row in raw)
    rows_left = (values for values in filled if any(values))
    first = next(rows_left, None)
    if first is None:
        return
    second = next(rows_left, None)
    lines: list[str] = []
    if _is_header(first, second):
        header = [v or _letters(i) for i, v in enumerate(first)]
        lines.append(SEPARATOR.join(v for v in first if v))
        body = [] if second is None else [second]
    else:
        header = [_letters(i) for i in range(len(first))]
        body = [first] if second is None else [first, second]
    cells = skipped = 0
    for values in itertools.chain(body, rows_left):
        cells += len(values)
        if cells > MAX_CELLS:  # the rest is counted, not formatted
            skipped = 1 + sum(any(v not in ("", None) for v in row) for row in raw)
            break
        lines.append(_row_line(header, values))
    if skipped:
        lines.append(f"({skipped} more rows not read: qa reads {MAX_CELLS:,} cells a sheet)")
    if name:
        out.section(name)
    out.add("\n".join(lines))


def _is_header(first: list[str], second: list[str] | None) -> bool:
    """Whether a sheet's first row names its columns: labels in every filled cell (no
    numbers or dates), or a label above a number in some column."""
    if not any(_numeric(v) for v in first if v):
        return sum(1 for v in first if v) >= 2 or second is not None
    below = second or []
    return any(
        v and not _numeric(v) and i < len(below) and _numeric(below[i]) for i, v in enumerate(first)
    )


def _numeric(value: str) -> bool:
    """A number or an ISO date, not a year heading a column ("2021")."""
    if len(value) == 4 and value.isdigit() and 1900 <= int(value) <= 2100:
        return False
    try:
        float(value.replace(",", ""))
    except ValueError:
        return value[:4].isdigit() and value[4:5] == "-"  # an ISO date
    return True


def _row_line(header: list[str], values: list[str]) -> str:
    """`Header: value` for each filled cell (columns past the header by their letters)."""
    named = (
        f"{header[i] if i < len(header) else _letters(i)}: {v}" for i, v in enumerate(values) if v
    )
    return SEPARATOR.join(named)


def _cell(value: Any) -> str:
    """A cell as text: numbers as a spreadsheet shows them, dates in ISO form, on one line."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):  # whole numbers without ".0", no binary noise (0.1 + 0.2)
        return str(int(value)) if value.is_integer() else f"{value:.12g}"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes").removesuffix(" 00:00")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return " ".join(str(value).split())


def _letters(index: int) -> str:
    """A column's letters, as spreadsheets name them: 0 → A, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name
