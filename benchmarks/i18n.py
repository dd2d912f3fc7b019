"""Questions in many languages over translated documentation: quality per language.

    python -m benchmarks.i18n QUESTIONS.jsonl [QUESTIONS.jsonl …] --docs DIR [--index DIR]
        [--set FIELD=VALUE …]   (qa.retrieve.SearchSettings, e.g. --set language_weight=0.2)

Each question line carries `lang` (its language) beside the usual fields (benchmarks/data/
i18n-*.jsonl). Prints, per language and in all: acc@1 and acc@5 (a passage of the source file
holding an answer), `lang@1` (the first passage comes from a file in the language of the
source: the translation the reader asked in, or the English page when only that exists) and
the share of unanswerable questions refused. A file's language is the one the index detected
for it, else the `<lang>` of an `i18n/<lang>/` folder in its path, else English.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

from qa.evaluation import EvalQuestion, ask_batch, hit_rank, load_questions

_FOLDER_LANG = re.compile(r"(?:^|/)i18n/([a-z]{2})(?:[-_][a-zA-Z]+)?/")


def path_language(path: str, detected: dict[str, str]) -> str:
    """The language of the file at `path`: as the index detected it, else by its folder."""
    if detected.get(path):
        return detected[path]
    found = _FOLDER_LANG.search(path)
    return found.group(1) if found else "en"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("questions", nargs="+", type=Path)
    parser.add_argument("--docs", type=Path, required=True)
    parser.add_argument("--index", type=Path)
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    args = parser.parse_args()
    from qa.retrieve import SearchSettings
    from qa.workspace import Workspace

    items: list[EvalQuestion] = []
    langs: list[str] = []
    for path in args.questions:
        items += load_questions(path)
        langs += [json.loads(line)["lang"] for line in path.read_text().splitlines() if line]
    tuned = {k: float(v) for k, v in (item.split("=", 1) for item in args.set)}
    ws = Workspace.resolve(args.docs, args.index, search=SearchSettings(**tuned))  # type: ignore[arg-type]
    if ws.needs_build():
        ws.build()
    manifest = ws.load().manifest
    detected = {rel: getattr(d, "lang", "") for rel, d in manifest.documents.items()}
    rows: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for lo in range(0, len(items), 32):
        part = items[lo : lo + 32]
        for item, lang, said in zip(part, langs[lo:], ask_batch(ws, part, False), strict=False):
            for key in (lang, "all"):
                row = rows[key]
                if item.unanswerable:
                    row["refused"].append(not said.answered)
                    continue
                rank = hit_rank(item, said.passages)
                row["acc@1"].append(rank == 1)
                row["acc@5"].append(rank is not None and rank <= 5)
                want = path_language(item.source or "", detected)
                top = said.passages[0].citation.path if said.passages else ""
                row["lang@1"].append(path_language(top, detected) == want)
    print(f"{len(items)} questions, {args.docs}")
    print("| language | questions | acc@1 | acc@5 | lang@1 | unanswerable refused |")
    print("|---|---|---|---|---|---|")
    for lang in sorted(rows, key=lambda k: (k == "all", k)):
        row = rows[lang]
        n = len(row["acc@1"]) + len(row["refused"])

        def mean(key: str, row: dict[str, list[float]] = row) -> str:
            got = row[key]
            return f"{sum(got) / len(got):.2f}" if got else "–"

        refused = f"{sum(row['refused']):.0f}/{len(row['refused'])}" if row["refused"] else "–"
        cells = [lang, str(n), mean("acc@1"), mean("acc@5"), mean("lang@1"), refused]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
