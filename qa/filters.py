"""What a question may be answered from: filters → the index rows retrieval may rank.

Options (`qa ask --path GLOB --type pdf,md --since DATE --until DATE --lang de,fr`), or the
same in the question (`path:GLOB type:pdf,md since:DATE until:DATE lang:de`, for `qa chat`),
narrow by document (its language as detected when it was read: qa.languages);
the question may also hold `+word` (the passage must contain it), `-word` (must not) and
`"exact phrase"` (must contain it, case and spacing aside). Words match as search matches
them: stemmed, so `+visit` also accepts "visits". The mask is applied inside retrieval, before
the top k are cut (qa.retrieve), so ten filtered results are ten good ones.

Decisions: `--path` takes gitignore-style globs relative to the indexed folder (`reports/`,
`**/*.md`, `2021-*`); `--since`/`--until` are inclusive ISO dates on the document's own date
(qa.documents.find_date) and leave out documents without one; `+` and `-` bind to a word
only at the start of a word, so "C++" and "e-mail" are ordinary text; a `-word` before the
question's last "?" is what is asked about, not a filter ("What does -v do?", "How do I pass
a file named -foo.txt?": documentation is full of flags), so exclusions go after the "?" or
in a question without one ("ferry times -winter", "When does it leave? -winter").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from qa.errors import UsageError
from qa.index import Index


@dataclass(frozen=True)
class Filters:
    """Document filters (path globs, types, date range) and passage filters (words)."""

    paths: tuple[str, ...] = ()
    types: tuple[str, ...] = ()  # suffixes, lower case, no dot
    since: date | None = None
    until: date | None = None
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    phrases: tuple[str, ...] = field(default=())
    langs: tuple[str, ...] = ()  # document languages, ISO 639-1 (qa.languages)

    def __bool__(self) -> bool:
        return any(
            (
                *(self.paths, self.types, self.since, self.until),
                *(self.must, self.must_not, self.phrases, self.langs),
            )
        )

    def and_(self, other: Filters) -> Filters:
        """Passages that pass both (for dates: the narrower range)."""
        return Filters(
            (*self.paths, *other.paths),
            (*self.types, *other.types),
            max((d for d in (self.since, other.since) if d), default=None),
            min((d for d in (self.until, other.until) if d), default=None),
            (*self.must, *other.must),
            (*self.must_not, *other.must_not),
            (*self.phrases, *other.phrases),
            tuple(set(self.langs) & set(other.langs))
            if self.langs and other.langs
            else (*self.langs, *other.langs),
        )


def parse_date(text: str, option: str) -> date:
    """An ISO date (YYYY-MM-DD, or YYYY-MM / YYYY for the first day); else a usage error."""
    for pattern, pad in ((r"\d{4}-\d{2}-\d{2}", ""), (r"\d{4}-\d{2}", "-01"), (r"\d{4}", "-01-01")):
        if re.fullmatch(pattern, text.strip()):
            try:
                return date.fromisoformat(text.strip() + pad)
            except ValueError:
                break
    raise UsageError(f"{option} {text!r} is not a date: give YYYY-MM-DD, e.g. 2021-03-01")


def parse_types(values: tuple[str, ...]) -> tuple[str, ...]:
    """`pdf,md`, `.PDF` → ("pdf", "md")."""
    return tuple(t.strip().lower().lstrip(".") for v in values for t in v.split(",") if t.strip())


def parse_langs(values: tuple[str, ...], option: str) -> tuple[str, ...]:
    """`de,fr`, `DE` → ("de", "fr"): ISO 639-1 codes; anything else is a usage error."""
    langs = parse_types(values)
    bad = [lang for lang in langs if not re.fullmatch(r"[a-z]{2}", lang)]
    if bad:
        raise UsageError(f"{option} {bad[0]!r} is not a language: give ISO 639-1 codes, e.g. de,fr")
    return langs


_QUOTED = re.compile(r'"([^"]+)"')
_SIGNED = re.compile(r"(?:(?<=\s)|^)([+-])([^\W\d_][\w.'-]*)")
_FIELD = re.compile(r"(?:(?<=\s)|^)(path|type|since|until|lang):(\S+)")


def parse_question(question: str) -> tuple[str, Filters]:
    """The text to search, and the filters the question holds. The search text keeps +words
    and phrases (they are what is asked about) and drops -words and `field:value`s."""
    fields: dict[str, list[str]] = {"path": [], "type": [], "since": [], "until": [], "lang": []}
    for name, value in _FIELD.findall(question):
        fields[name].append(value)
    search = _FIELD.sub("", question)
    asked_end = search.rfind("?")  # a -word before it is a flag asked about (module docstring)
    signed = [
        (m[1], m[2]) for m in _SIGNED.finditer(search) if m[1] == "+" or m.start() > asked_end
    ]
    filters = Filters(
        paths=tuple(fields["path"]),
        types=parse_types(tuple(fields["type"])),
        since=parse_date(fields["since"][-1], "since:") if fields["since"] else None,
        until=parse_date(fields["until"][-1], "until:") if fields["until"] else None,
        must=tuple(w for sign, w in signed if sign == "+"),
        must_not=tuple(w for sign, w in signed if sign == "-"),
        phrases=tuple(p.strip() for p in _QUOTED.findall(search) if p.strip()),
        langs=parse_langs(tuple(fields["lang"]), "lang:"),
    )
    search = _SIGNED.sub(
        lambda m: m[2] if m[1] == "+" else m[0] if m.start() < asked_end else "", search
    )
    search = " ".join(_QUOTED.sub(r"\1", search).split())
    return search or question, filters


def allowed_rows(index: Index, filters: Filters) -> np.ndarray | None:
    """One bool per index row: may this passage answer? None when nothing is filtered."""
    if not filters:
        return None
    allowed = _document_rows(index, filters)
    for word in filters.must:
        rows = index.lexical.rows_with(word)
        if rows is not None:
            allowed &= rows
    for word in filters.must_not:
        rows = index.lexical.rows_with(word)
        if rows is not None:
            allowed &= ~rows
    for phrase in filters.phrases:
        allowed &= _rows_with_phrase(index, phrase, allowed)
    return allowed


def _document_rows(index: Index, filters: Filters) -> np.ndarray:
    """Rows of the documents that pass the path, type and date filters (array operations over
    the documents, per question: no per-row Python)."""
    table = _documents(index)
    keep = np.ones(len(table.rels), dtype=bool)
    if filters.paths:
        keep &= table.matching(filters.paths)
    if filters.types:
        keep &= np.isin(table.suffixes, list(filters.types))
    if filters.since:
        keep &= table.days >= filters.since.toordinal()
    if filters.until:
        keep &= (table.days >= 0) & (table.days <= filters.until.toordinal())
    if filters.langs:
        keep &= np.isin(table.langs, list(filters.langs))
    return np.repeat(keep, table.counts)


@dataclass(frozen=True)
class _Documents:
    """The documents of one index version as columns, in row order: path, suffix, date
    (ordinal, -1 when undated), passages; and the --path globs matched so far (a chat session
    or an agent asks many questions under the same --path)."""

    folder: Path
    rels: list[str]
    suffixes: np.ndarray
    days: np.ndarray
    counts: np.ndarray
    langs: np.ndarray
    matched: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)

    def matching(self, globs: tuple[str, ...]) -> np.ndarray:
        """Which documents the gitignore-style globs match."""
        if globs not in self.matched:
            from pathspec import GitIgnoreSpec

            spec = GitIgnoreSpec.from_lines(globs)
            self.matched[globs] = np.fromiter(
                (spec.match_file(r) for r in self.rels), bool, len(self.rels)
            )
        return self.matched[globs]


# The table of the live version of each index folder (a new version replaces it).
_TABLES: dict[Path, _Documents] = {}


def _documents(index: Index) -> _Documents:
    root = index.folder.parent
    table = _TABLES.get(root)
    if table is None or table.folder != index.folder:
        entries = index.manifest.documents
        rels = list(entries)
        table = _TABLES[root] = _Documents(
            index.folder,
            rels,
            index.document_suffixes,
            np.array([_ordinal(entries[r].date) for r in rels], dtype=np.int64),
            np.array([entries[r].chunks for r in rels], dtype=np.int64),
            index.document_languages,
        )
    return table


def _ordinal(text: str | None) -> int:
    day = _day(text)
    return day.toordinal() if day else -1


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _rows_with_phrase(index: Index, phrase: str, allowed: np.ndarray) -> np.ndarray:
    """Rows among `allowed` whose text holds `phrase` (case and runs of spaces aside): the
    phrase's words narrow the candidates, then each candidate's text is read."""
    candidates = index.lexical.rows_with(phrase)
    rows = allowed if candidates is None else allowed & candidates
    wanted = " ".join(phrase.casefold().split())
    found = np.zeros(len(allowed), dtype=bool)
    for row in np.flatnonzero(rows):
        text = " ".join(index.chunks[int(row)].text.casefold().split())
        found[row] = wanted in text
    return found
