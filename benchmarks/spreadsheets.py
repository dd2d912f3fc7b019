"""Reading a workbook: python-calamine (what qa uses) against openpyxl, on the same file.

    python -m benchmarks.spreadsheets [ROWS]

A workbook of ROWS rows × 10 columns (text, whole numbers, decimals, dates; default 50,000)
is written with openpyxl, then read back to rows of Python values by each library, best of
three; the table also gives the time of qa's whole reader (rows to header-named lines).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path


def make(path: Path, rows: int) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Data")
    sheet.append(["Region", "Item", *(f"M{m}" for m in range(1, 7)), "Rate", "Since"])
    start = dt.date(2020, 1, 1)
    for i in range(rows):
        row = [f"Region {i % 7}", f"Item {i}", *(i * m for m in range(1, 7)), i / 7]
        sheet.append([*row, start + dt.timedelta(days=i % 900)])
    book.save(path)


def best(fn, times: int = 3) -> float:
    took = []
    for _ in range(times):
        start = time.perf_counter()
        fn()
        took.append(time.perf_counter() - start)
    return min(took)


def main() -> None:
    from python_calamine import CalamineWorkbook

    from qa.formats.spreadsheet import read_workbook

    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.xlsx"
        make(path, rows)

        def calamine() -> None:
            with CalamineWorkbook.from_path(str(path)) as book:
                book.get_sheet_by_name("Data").to_python()

        def openpyxl_rows() -> None:
            import openpyxl

            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            list(book["Data"].iter_rows(values_only=True))
            book.close()

        a, b = best(calamine), best(openpyxl_rows)
        whole = best(lambda: read_workbook(path))
        size = path.stat().st_size / 2**20
    print(f"{rows:,} rows × 10 columns, {size:.1f} MB .xlsx")
    print("| reader | best of 3 (s) | vs calamine |")
    print("|---|---|---|")
    print(f"| python-calamine `to_python()` | {a:.2f} | 1.0× |")
    print(f"| openpyxl read-only `iter_rows(values_only=True)` | {b:.2f} | {b / a:.1f}× |")
    print(f"| qa's reader (calamine + header-named lines) | {whole:.2f} | {whole / a:.1f}× |")


if __name__ == "__main__":
    main()
