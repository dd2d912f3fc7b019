"""Answer sentence → the short answer inside it: a date for "when", a name for "who", a place
for "where", a number for "how many", when one can be found reliably.

Rules, not a model: the question's first words say what kind of answer it wants; the
sentence's candidates of that kind (regular expressions for dates and numbers, runs of
capitalised words for names and places) that are not words of the question itself are
scored by how close they sit to the question's words in the sentence, the nearest wins.
Questions of other kinds ("what", "why", "how") get no short answer: the sentence stands, as
it does for kinds not in SHOWN. How often the short answer is right on SQuAD is measured by
`qa eval` (`short@1`) and, by kind, by benchmarks/short_answers.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
DAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
YEAR = r"(?:1[0-9]{3}|20[0-9]{2})"
DATE = re.compile(
    rf"\b(?:(?:early|mid|late)[- ])?(?:{DAY},? )?"
    rf"(?:{MONTH} \d{{1,2}}(?:st|nd|rd|th)?(?:,? {YEAR})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{MONTH}(?:,? {YEAR})?"
    rf"|{MONTH},? {YEAR}|{MONTH}"
    rf"|{YEAR}s?(?:\s?[–-]\s?{YEAR}|\s?(?:BC|AD|BCE|CE)\b)?|\d{{1,2}}(?:st|nd|rd|th) century"
    rf"|{DAY})\b"
)
YEAR_ONLY = re.compile(rf"\b{YEAR}s?(?:\s?[–-]\s?(?:{YEAR}|[0-9]{{2}}))?\b")
NUMBER_WORDS = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|hundred|dozen)"
)
SCALE = r"(?:hundred|thousand|million|billion|trillion|percent|per cent)"
NUMBER = re.compile(
    rf"(?:[$£€¥]\s?)?\b(?:\d+(?:,\d{{3}})*(?:\.\d+)?|{NUMBER_WORDS}(?:[- ]{NUMBER_WORDS})*)"
    rf"(?:\s?%|(?:\s{SCALE})+)?",
    re.IGNORECASE,
)
NAME = re.compile(
    r"\b[A-Z][\w'’.\-]*(?:\s+(?:(?:of|de|da|del|der|van|von|al|bin|la|le|du|the|and|&)\s+)?"
    r"[A-Z][\w'’.\-]*)*"
)
NOT_A_NAME = re.compile(rf"[IVXLCDM]+|{MONTH}|{DAY}")  # Roman numerals, months, days
# code: inline (`x`, ``x``, {func}`x`, :meth:`x`) or as written in a code block (a keyword
# argument `abort=True`, a call `confirm(`)
CODE = re.compile(r"`+([^`\n]+?)`+|\b(\w+=[\w\"'.-]+)|\b([A-Za-z_][\w.]*\()")
PLACE_CUE = re.compile(r"\b(?:in|at|on|from|near|to|into|outside|inside|across)\s+(?:the\s+)?$")
KINDS = (
    ("year", re.compile(r"^(?:in )?(?:what|which) year\b|^what century\b|^what decade\b", re.I)),
    ("month", re.compile(r"^(?:in |during )?(?:what|which) month\b", re.I)),
    ("when", re.compile(r"^when\b|^(?:on |in )?(?:what|which) (?:date|day)\b", re.I)),
    ("who", re.compile(r"^(?:who|whom)\b|^(?:by |to )?whom\b|^whose\b", re.I)),
    ("where", re.compile(r"^where\b|^in (?:what|which) (?:city|country|state|place)\b", re.I)),
    # "How do I count …?", "How can an argument read …?": a way of doing, in docs a name in code
    ("method", re.compile(r"^how (?:do|does|can|could|should|would|may|might|to)\b", re.I)),
    (
        "number",
        re.compile(
            r"^(?:about |roughly |approximately )?how (?:many|much)\b"
            r"|^what (?:percentage|percent|proportion|fraction)\b",
            re.I,
        ),
    ),
)
# Kinds whose short answers are right often enough to show: on SQuAD part A through the
# whole pipeline (benchmarks/short_answers.py) they equal the gold answer at least half of the
# times they are given; "who" (0.42: sentences name several people) is left to the sentence.
SHOWN = frozenset({"year", "month", "when", "where", "number"})
ALL_KINDS = frozenset(kind for kind, _ in KINDS)
STOP = frozenset(
    "a an the of in on at to for by with from and or is was were are be been did do does "
    "what which who whom whose when where how why that this it its as".split()
)
SENTENCE_OPENERS = frozenset(
    "The A An In On At It He She They This That These Those However After Before During "
    "When While Although Since As By For From Its His Her Their There Some Many Most Like "
    "Both Each Other Under Over Following According With Without Unlike".split()
)


def kind_of(question: str) -> str | None:
    """What kind of short answer `question` wants: year, when, who, where, method (a way of
    doing: "How do I …?", answered in docs by code, never shown as a short answer), number,
    or None."""
    text = question.strip()
    for kind, pattern in KINDS:
        if pattern.search(text):
            return kind
    return None


def short_answer(
    question: str, sentence: str, kinds: frozenset[str] = SHOWN
) -> tuple[int, int] | None:
    """Offsets in `sentence` of the short answer to `question`, or None when the question's
    kind is not one of `kinds` or the sentence holds no candidate of that kind."""
    kind = kind_of(question)
    if kind not in kinds:
        return None
    asked = {w.lower() for w in re.findall(r"\w+", question)} - STOP
    stems = {w[:5] for w in asked}
    anchors = [m.start() for m in re.finditer(r"\w+", sentence) if m.group().lower()[:5] in stems]
    best: tuple[tuple[bool, int], int, int] | None = None
    for lo, hi in _candidates(kind, sentence):
        lo, hi = _trim_asked(sentence, lo, hi, asked)
        if lo >= hi:
            continue  # the question's own words are not its answer
        distance = min((abs(a - lo) for a in anchors), default=0)
        # people are mostly named in full: a one-word "who" candidate is a last resort
        key = (kind == "who" and " " not in sentence[lo:hi], distance)
        if best is None or key < best[0]:
            best = (key, lo, hi)
    return None if best is None else (best[1], best[2])


def _candidates(kind: str, sentence: str) -> Iterator[tuple[int, int]]:
    """Spans of `sentence` that could answer a question of `kind`."""
    if kind == "year":
        yield from (m.span() for m in YEAR_ONLY.finditer(sentence))
    elif kind == "month":
        yield from (m.span() for m in DATE.finditer(sentence) if re.search(MONTH, m.group()))
    elif kind == "when":
        yield from (m.span() for m in DATE.finditer(sentence))
    elif kind == "number":
        yield from (m.span() for m in NUMBER.finditer(sentence) if not _is_year(m.group()))
    elif kind == "method":
        for m in CODE.finditer(sentence):
            yield m.span(m.lastindex or 0)
    else:
        for m in NAME.finditer(sentence):
            lo, hi = _trim_opener(sentence, *m.span())
            if lo >= hi:
                continue
            if kind == "where" and not PLACE_CUE.search(sentence[max(0, lo - 20) : lo]):
                continue
            if DATE.fullmatch(sentence[lo:hi]) or NOT_A_NAME.fullmatch(sentence[lo:hi]):
                continue
            yield lo, hi


def _trim_asked(sentence: str, lo: int, hi: int, asked: set[str]) -> tuple[int, int]:
    """Shrink `sentence[lo:hi]` past words of the question (or stop words) at either end:
    in "NFL Commissioner Roger Goodell", asked who the NFL commissioner was, the answer is
    "Roger Goodell"."""
    words = list(re.finditer(r"[\w'’.\-]+", sentence[lo:hi]))
    keep = [m for m in words if _bare(m.group()) not in asked | STOP]
    if not keep:
        return hi, hi
    end = lo + keep[-1].end()
    if sentence[end - 1] == "." and not re.search(r"\b\w\.$", sentence[lo:end]):
        end -= 1  # a full stop, not an initial's
    return lo + keep[0].start(), end


def _bare(word: str) -> str:
    return re.sub(r"(?:['’]s)?[.\-]*$", "", word).lower()


def _is_year(text: str) -> bool:
    return bool(YEAR_ONLY.fullmatch(text.strip()))


def _trim_opener(sentence: str, lo: int, hi: int) -> tuple[int, int]:
    """Drop a capitalised sentence opener ("The", "In") from the front of a name run."""
    first = re.match(r"[\w'’.\-]+", sentence[lo:hi])
    if lo == 0 or sentence[:lo].rstrip().endswith((".", "!", "?", '"')):
        if first and first.group() in SENTENCE_OPENERS:
            rest = re.search(r"\s+", sentence[lo:hi])
            return (lo + rest.end(), hi) if rest else (hi, hi)
    return lo, hi
