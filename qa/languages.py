"""Texts → their language: documents by py3langid, questions by their script and stop words.

A document's language is detected once, when it is read, by py3langid (langid.py's model
of 97 languages, numpy only) on a sample of its prose: code blocks, inline code, URLs and
markup are left out, for documentation quotes English identifiers in every language. A
question is too short for that model to be sure and must be placed in microseconds (a cold
`qa ask` cannot load a model for it), so it is placed among the languages the index holds:
by its script (Hangul, kana, Han, Cyrillic, Greek…), then, for Latin script, by its stop
words and letters. When that leaves several languages, the question is read in each of them
(qa.lexical), so an unsure guess costs a little precision, never the match.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

ENGLISH = "en"
SAMPLE_CHARS = 4000  # of prose: enough for a sure guess, cheap on a long document
MIN_CHARS = 40  # less prose than this is too little to tell

# ISO 639-1 → bm25s's stop-word list for it (read at build time, saved with the index)
STOPWORD_LISTS = {
    "en": "STOPWORDS_EN", "de": "STOPWORDS_GERMAN", "fr": "STOPWORDS_FRENCH",
    "es": "STOPWORDS_SPANISH", "pt": "STOPWORDS_PORTUGUESE", "it": "STOPWORDS_ITALIAN",
    "nl": "STOPWORDS_DUTCH", "ru": "STOPWORDS_RUSSIAN", "sv": "STOPWORDS_SWEDISH",
    "da": "STOPWORDS_DANISH", "no": "STOPWORDS_NORWEGIAN", "tr": "STOPWORDS_TURKISH",
}  # fmt: skip
CJK = ("zh", "ja", "ko")

_SKIP = re.compile(
    r"```.*?(?:```|\Z)|`[^`\n]*`|https?://\S+|<[^>\n]+>|\{\{.*?\}\}|[#*_>|\-=~\[\]()]+",
    re.DOTALL,
)
_SCRIPTS = [  # (language or group, characters); the first that a question uses decides
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),  # kana: Japanese even among Han characters
    ("zh", re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")),
    ("cyrillic", re.compile(r"[\u0400-\u04ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
]
CYRILLIC = {"uk": re.compile(r"[іїєґІЇЄҐ]"), "ru": re.compile(r"[ыэъёЫЭЪЁ]")}
NON_LATIN = {"ko", "ja", "zh", "el", "ar", "hi", "ru", "uk", "bg", "sr", "mk", "be", "kk"}
_LETTERS = {  # letters that only some Latin-script languages write
    "de": "äöüß", "es": "ñ¿¡", "pt": "ãõ", "fr": "èêëîûùœ", "it": "ìò", "pl": "ąęłńśźż",
    "tr": "ğış", "cs": "ěřůč", "nl": "ĳ", "sv": "å", "da": "æø", "no": "æø", "ro": "ăș",
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")


def prose_sample(text: str) -> str:
    """Up to SAMPLE_CHARS of `text`'s prose: code, URLs and markup left out."""
    return " ".join(_SKIP.sub(" ", text[: SAMPLE_CHARS * 3]).split())[:SAMPLE_CHARS]


def document_language(text: str) -> str:
    """The ISO 639-1 code of the language `text` is written in; "" when there is too little
    prose to tell."""
    sample = prose_sample(text)
    if len(sample) < MIN_CHARS:
        return ""
    if _plainly_english(sample):  # most folders: no model is loaded for them
        return ENGLISH
    lang, _ = _identifier().classify(sample)
    return str(lang)


_ENGLISH = frozenset(
    "the of and to a in is that for it with as on be are this by or from an you can not".split()
)


def _plainly_english(sample: str) -> bool:
    """Prose whose letters are ASCII (all but one in 50: a "café" or "naïve"; quotes and
    dashes are no letters) and in which English function words are at least an eighth of
    the words (a quarter to a third in English prose; a few in other languages' text)."""
    letters = [ch for ch in sample if ch.isalpha()]
    if sum(not ch.isascii() for ch in letters) > len(letters) / 50:
        return False
    words = _WORD.findall(sample.lower())
    return len(words) >= 8 and sum(w in _ENGLISH for w in words) >= len(words) / 8


# What documents are told apart among: the languages with a stemmer, CJK and other widely
# written ones. langid's 97 include rare neighbours (Wu for Chinese, Aragonese for Spanish)
# that it names for a short or code-heavy document of the common one.
WRITTEN = set(CJK) | set(
    "af ar be bg bn bs ca cs cy da de el en eo es et eu fa fi fr ga gl gu he hi hr hu hy id is "
    "it ka kk km kn lb lt lv mk ml mn mr ms nb ne nl no pa pl pt ro ru si sk sl sq sr sv sw ta "
    "te th tl tr uk ur vi yi".split()
)


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # deferred: ~1 s to load

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(sorted(WRITTEN & set(identifier.nb_classes)))
    return identifier


def question_languages(
    question: str, present: Iterable[str], stopwords: dict[str, frozenset[str]]
) -> list[str]:
    """The languages of the index (`present`) that `question` may be in, likeliest first:
    one when its script or its stop words and letters say, else every candidate."""
    present = sorted(set(present) - {""}) or [ENGLISH]
    script = next((name for name, chars in _SCRIPTS if chars.search(question)), "latin")
    if script == "cyrillic":
        marked = [lang for lang, chars in CYRILLIC.items() if chars.search(question)]
        cands = [lang for lang in present if lang in marked] or [
            lang for lang in present if lang in {"ru", "uk", "bg", "sr", "mk", "be", "kk"}
        ]
    elif script == "latin":
        cands = [lang for lang in present if lang not in NON_LATIN]
        cands = _by_words(question, cands, stopwords) if len(cands) > 1 else cands
    elif script == "zh" and "zh" not in present and "ja" in present:
        cands = ["ja"]  # Han characters alone, in a folder of Japanese
    else:
        cands = [script] if script in present else []
    return cands or present


def _by_words(question: str, cands: list[str], stopwords: dict[str, frozenset[str]]) -> list[str]:
    """The Latin-script candidates whose stop words and letters the question uses most; all
    of them when none stands out."""
    words = [w.lower() for w in _WORD.findall(question)]
    lowered = question.lower()
    score = {
        lang: sum(w in stopwords.get(lang, ()) for w in words)
        + 2 * sum(ch in lowered for ch in _LETTERS.get(lang, ""))
        for lang in cands
    }
    best = max(score.values())
    top = [lang for lang in cands if score[lang] == best]
    return top if best > 0 and len(top) == 1 else cands
