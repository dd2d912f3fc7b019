"""Retrieval on scanned and photographed pages against the same pages as text (issue 31).

    python -m benchmarks.ocr_accuracy [--articles 4] [--pages 7] [--questions 100] [--dpi 200]
                                      [--specks 400] [--seed 31]

The first N articles of SQuAD v1.1 dev part A (and no other SQuAD data) are laid out as A4
pages: the title on the first, then whole paragraphs, as many as fit (at most --pages pages an
article; a paragraph is never cut, so each question's paragraph is on one page). The pages are
drawn with Pillow in DejaVu Serif (Pillow's own font when it is missing) at --dpi, written as:

    text/        each page's text as a .txt (ARTICLE-pageN.txt): the plain-text baseline
    scans/       each article an image-only PDF, its pages turned up to 1°, with grey grain
                 and --specks dark specks of dust a page
    photos/      each page a JPEG (ARTICLE-pageN.jpg, quality 60), turned 1.5°, a little blurred
    scans-ocr/   what qa's OCR read on each scanned page, as .txt files (issue 31's baseline:
    photos-ocr/  the same pages' OCR text indexed as plain files)

Each folder is indexed by `qa index` in a process of its own, timed, with a fresh OCR cache
(the model's ONNX export is shared). A seeded sample of the articles' questions (as many from
each article) is asked in this process as `qa eval` asks (qa.evaluation.ask_batch). A question
is right at rank k when the passage at rank k is from its article and holds a gold answer
(case- and whitespace-insensitive). Right page: of the questions right at rank 1, the share
whose top passage cites the page the question's paragraph was drawn on (a PDF's p.N, or the
page's own file). Near misses refused: of the questions of
benchmarks/data/squad-a-near-misses.jsonl (written blind: the first 4 articles' topics, facts
they do not give), how many each index answers with answered=false. Prints a Markdown table,
then what OCR read back: the share of each page's words, and the sampled questions whose answer
is no longer on their page.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import DATA, SQUAD, run_qa
from qa import evaluation
from qa.evaluation import EvalQuestion

FONTS = Path("/usr/share/fonts/truetype/dejavu")
A4 = (8.27, 11.69)  # inches
MARGIN = 0.8  # inches
BODY_PT, TITLE_PT = 11, 15
SEED = 31
SPECKS = 400  # dark specks of dust on a scanned page
NEAR = DATA / "squad-a-near-misses.jsonl"  # questions the first 4 articles do not answer


@dataclass(frozen=True)
class Page:
    """One drawn page: its article (the file stem), its number from 1, the article's title
    (a heading on page 1 only) and its paragraphs."""

    article: str
    number: int
    title: str
    paragraphs: tuple[str, ...]

    def text(self) -> str:
        """The page's text as drawn: the title on page 1, then the paragraphs."""
        heading = f"{self.title}\n\n" if self.number == 1 else ""
        return heading + "\n\n".join(self.paragraphs) + "\n"

    def name(self, suffix: str) -> str:
        """The page's own file name: ARTICLE-pageN.suffix."""
        return f"{self.article}-page{self.number}{suffix}"


def flat(text: str) -> str:
    """Lower case, runs of white space as one space."""
    return re.sub(r"\s+", " ", text).strip().lower()


def font(dpi: int, points: float, bold: bool = False) -> Any:
    """DejaVu Serif (bold) at `points` for `dpi`; Pillow's own font when it is missing."""
    from PIL import ImageFont

    size = round(points * dpi / 72)
    path = FONTS / ("DejaVuSerif-Bold.ttf" if bold else "DejaVuSerif.ttf")
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def wrap(text: str, face: Any, width: int) -> list[str]:
    """`text` broken into lines at most `width` pixels wide in `face`."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        wider = f"{line} {word}".strip()
        if line and face.getlength(wider) > width:
            lines.append(line)
            line = word
        else:
            line = wider
    return [*lines, line] if line else lines


def geometry(dpi: int) -> dict[str, int]:
    """Page size, margin, text width and height, line and gap heights in pixels at `dpi`."""
    width, height = round(A4[0] * dpi), round(A4[1] * dpi)
    margin = round(MARGIN * dpi)
    line = round(BODY_PT * dpi / 72 * 1.45)
    return {
        "width": width,
        "height": height,
        "margin": margin,
        "text_width": width - 2 * margin,
        "text_height": height - 2 * margin,
        "line": line,
        "gap": line // 2,
        "title": round(TITLE_PT * dpi / 72 * 1.3) + line,
    }


def stem(n: int, article: dict) -> str:
    """The file stem of the `n`th article: NN-Its_title."""
    return f"{n:02d}-{evaluation.slug(article['title'].replace('_', ' '))}"


def layout(data: list[dict], pages: int, dpi: int) -> tuple[list[Page], dict[str, int]]:
    """The articles' pages (whole paragraphs, at most `pages` an article; a paragraph taller
    than a page is left out) and the page each kept paragraph is on, by "article/index"."""
    at = geometry(dpi)
    body = font(dpi, BODY_PT)
    out: list[Page] = []
    where: dict[str, int] = {}
    for n, article in enumerate(data):
        title, name = article["title"].replace("_", " "), stem(n, article)
        number, used = 1, at["title"]
        held: list[str] = []
        for i, para in enumerate(article["paragraphs"]):
            text = " ".join(para["context"].split())
            tall = len(wrap(text, body, at["text_width"])) * at["line"] + at["gap"]
            if tall > at["text_height"] - at["title"]:
                continue
            if held and used + tall > at["text_height"]:
                out.append(Page(name, number, title, tuple(held)))
                number, held, used = number + 1, [], 0
                if number > pages:
                    break
            held.append(text)
            used += tall
            where[f"{name}/{i}"] = number
        else:
            out.append(Page(name, number, title, tuple(held)))
    return out, where


def sample(data: list[dict], where: dict[str, int], count: int, seed: int) -> list[EvalQuestion]:
    """`count` questions of the drawn paragraphs, as many from each article, seeded; each
    question's source is its article and its id "article/paragraph/question id"."""
    rng = random.Random(seed)
    share, extra = divmod(count, len(data))
    items: list[EvalQuestion] = []
    for n, article in enumerate(data):
        name = stem(n, article)
        pool = [
            EvalQuestion(
                f"{name}/{i}/{q['id']}",
                (q["question"],),
                tuple(dict.fromkeys(a["text"] for a in q["answers"])),
                name,
            )
            for i, para in enumerate(article["paragraphs"])
            if f"{name}/{i}" in where
            for q in para["qas"]
        ]
        items += rng.sample(pool, min(len(pool), share + (n < extra)))
    return items


def page_of(item: EvalQuestion, where: dict[str, int]) -> int:
    """The page the question's paragraph was drawn on."""
    return where[item.id.rsplit("/", 1)[0]]


def draw(page: Page, dpi: int) -> Any:
    """The page as a white greyscale A4 picture: the title in bold on page 1, then the
    paragraphs."""
    from PIL import Image, ImageDraw

    at = geometry(dpi)
    picture = Image.new("L", (at["width"], at["height"]), 255)
    pen = ImageDraw.Draw(picture)
    body = font(dpi, BODY_PT)
    x = y = at["margin"]
    if page.number == 1:
        pen.text((x, y), page.title, font=font(dpi, TITLE_PT, bold=True), fill=0)
        y += at["title"]
    for para in page.paragraphs:
        for line in wrap(para, body, at["text_width"]):
            pen.text((x, y), line, font=body, fill=0)
            y += at["line"]
        y += at["gap"]
    return picture


def scanned(picture: Any, rng: Any, dpi: int, specks: int) -> Any:
    """A scanner's copy: turned by up to ±1°, grey grain and `specks` dark specks of dust."""
    import numpy as np
    from PIL import Image

    turned = picture.rotate(rng.uniform(-1, 1), resample=Image.Resampling.BICUBIC, fillcolor=255)
    pixels = np.asarray(turned, dtype=np.float32)
    pixels += rng.normal(0, 12, pixels.shape)
    dust = rng.random(pixels.shape) < specks / pixels.size
    size = max(1, dpi // 100)  # a speck of 2×2 pixels at 200 dpi
    for dy in range(size):
        for dx in range(size):
            pixels[np.roll(dust, (dy, dx), axis=(0, 1))] = rng.uniform(0, 90)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")


def photographed(picture: Any, rng: Any, dpi: int) -> Any:
    """A phone's photo: cream paper on a grey desk, turned 1.5° either way, a little blurred."""
    from PIL import Image, ImageFilter, ImageOps

    paper = ImageOps.colorize(picture, black=(35, 32, 30), white=(236, 230, 216))
    turned = paper.rotate(
        1.5 * rng.choice([-1, 1]),
        resample=Image.Resampling.BICUBIC,
        expand=True,
        fillcolor=(88, 88, 92),
    )
    return turned.filter(ImageFilter.GaussianBlur(0.9 * dpi / 200))


def write_folders(
    pages: list[Page], root: Path, dpi: int, specks: int, seed: int
) -> dict[str, Path]:
    """text/, scans/ (a PDF an article) and photos/ (a JPEG a page) of the pages."""
    import numpy as np

    rng = np.random.default_rng(seed)
    folders = {name: root / name for name in ("text", "scans", "photos")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    for article in dict.fromkeys(p.article for p in pages):
        own = [p for p in pages if p.article == article]
        scans = []
        for page in own:
            (folders["text"] / page.name(".txt")).write_text(page.text(), encoding="utf-8")
            picture = draw(page, dpi)
            scans.append(scanned(picture, rng, dpi, specks))
            photo = photographed(picture, rng, dpi)
            photo.save(folders["photos"] / page.name(".jpg"), quality=60, dpi=(dpi, dpi))
        scans[0].save(
            folders["scans"] / f"{article}.pdf",
            save_all=True,
            append_images=scans[1:],
            resolution=dpi,
        )
    return folders


def fresh_caches(tmp: Path) -> dict[str, str]:
    """Per-user folders in `tmp` (an empty OCR cache), sharing the ONNX export of the model."""
    from qa.workspace import onnx_cache

    exported = onnx_cache()
    cache = tmp / "cache"
    (cache / "qa").mkdir(parents=True)
    if exported.is_dir():
        (cache / "qa" / "onnx").symlink_to(exported)
    return {"XDG_CACHE_HOME": str(cache), "XDG_CONFIG_HOME": str(tmp / "config")}


def build(folder: Path, index: Path) -> float:
    """Seconds of `qa index FOLDER --index INDEX` in a new process."""
    env = dict(os.environ)
    env.pop("OMP_THREAD_LIMIT", None)  # qa sets it in its readers only
    start = time.perf_counter()
    run_qa("index", str(folder), "--index", str(index), env=env)
    return time.perf_counter() - start


def ocr_pages(folder: Path) -> dict[str, str]:
    """What qa's readers read on each page of the scans or photos in `folder` (from the OCR
    cache the build filled), by the page's own file name stem."""
    from qa.formats import reader, reader_name

    pages = {}
    for path in sorted(folder.iterdir()):
        read = reader(reader_name(path) or "")(path)
        if path.suffix == ".pdf":
            starts = [*read.page_starts, len(read.text)]
            for n in range(len(starts) - 1):
                text = read.text[starts[n] : starts[n + 1]].replace("\f", "")
                pages[f"{path.stem}-page{n + 1}"] = text.strip()
        else:
            pages[path.stem] = read.text.strip()
    return pages


def write_text(pages: dict[str, str], folder: Path) -> Path:
    """Each page's text as STEM.txt in `folder`."""
    folder.mkdir()
    for stem, text in pages.items():
        (folder / f"{stem}.txt").write_text(text + "\n", encoding="utf-8")
    return folder


def article_of(path: str) -> str:
    """The article a cited file belongs to: its stem without -pageN."""
    return re.sub(r"-page\d+$", "", Path(path).stem)


def cited_page(citation: Any) -> int | None:
    """The page a citation points at: N of an ARTICLE-pageN file, else the PDF's p.N."""
    found = re.search(r"-page(\d+)$", Path(citation.path).stem)
    return int(found.group(1)) if found else citation.page


def hit_rank(item: EvalQuestion, passages: list[Any]) -> int | None:
    """Rank of the first passage from the question's article holding a gold answer."""
    answers = [flat(a) for a in item.answers]
    for p in passages:
        if article_of(p.citation.path) == item.source and any(a in flat(p.text) for a in answers):
            return int(p.rank)
    return None


def score(
    folder: Path,
    index: Path,
    items: list[EvalQuestion],
    where: dict[str, int],
    near: list[EvalQuestion],
) -> dict:
    """acc@1, acc@5 and the right-page share of the questions on the index of `folder`, and
    how many of the `near` misses (questions the articles do not answer) were refused."""
    from qa.workspace import Workspace

    ws = Workspace.resolve(folder, index)
    refused = sum(not said.answered for said in evaluation.ask_batch(ws, near, False))
    ranks, right_page, misses = [], 0, []
    for lo in range(0, len(items), 64):
        part = items[lo : lo + 64]
        for item, said in zip(part, evaluation.ask_batch(ws, part, False), strict=True):
            rank = hit_rank(item, said.passages)
            ranks.append(rank)
            if rank == 1:
                right_page += cited_page(said.passages[0].citation) == page_of(item, where)
            elif rank is None:
                misses.append(item.id)
    metrics = evaluation.rank_metrics(ranks)
    first = sum(r == 1 for r in ranks)
    return {
        "acc@1": metrics["acc@1"],
        "acc@5": metrics["acc@5"],
        "right page": right_page / first if first else 0.0,
        "misses": misses,
        "refused": f"{refused} of {len(near)}" if near else "—",
    }


def read_back(pages: list[Page], read: dict[str, str]) -> float:
    """Share of the drawn pages' words found among the words OCR read on the same page."""
    found = total = 0
    for page in pages:
        got = set(read.get(page.name(""), "").split())
        want = page.text().split()
        found += sum(w in got for w in want)
        total += len(want)
    return found / max(1, total)


def lost(items: list[EvalQuestion], where: dict[str, int], read: dict[str, str]) -> list[str]:
    """The questions none of whose gold answers is in the OCR text of their page."""
    out = []
    for item in items:
        text = flat(read.get(f"{item.source}-page{page_of(item, where)}", ""))
        if not any(flat(a) in text for a in item.answers):
            out.append(f"{item.source} p.{page_of(item, where)}: {item.answers[0]!r}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=4)
    parser.add_argument("--pages", type=int, default=7, help="most pages an article")
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--specks", type=int, default=SPECKS, help="dust on a scanned page")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    data = json.loads(SQUAD.read_text(encoding="utf-8"))["data"][: args.articles]
    pages, where = layout(data, args.pages, args.dpi)
    items = sample(data, where, args.questions, args.seed)
    near = evaluation.load_questions(NEAR) if NEAR.exists() and args.articles >= 4 else []
    rows, reads = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ.update(fresh_caches(root))  # this process and the `qa index` ones
        folders = write_folders(pages, root, args.dpi, args.specks, args.seed)
        order = ["text", "scans", "photos", "scans-ocr", "photos-ocr"]
        for name in order:
            if name.endswith("-ocr"):
                reads[name] = ocr_pages(folders[name[: -len("-ocr")]])
                folders[name] = write_text(reads[name], root / name)
            seconds = build(folders[name], root / f"index-{name}")
            got = score(folders[name], root / f"index-{name}", items, where, near)
            rows.append((name, seconds, got))
    print(
        f"{len(data)} articles of SQuAD v1.1 dev part A, {len(pages)} A4 pages at "
        f"{args.dpi} dpi ({args.specks} specks a scanned page), {len(items)} questions "
        f"(seed {args.seed})"
    )
    print(
        "| variant | pages | build seconds | pages/minute | acc@1 | acc@5 | right page "
        "| near misses refused |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, seconds, got in rows:
        rate = f"{len(pages) / seconds * 60:.0f}" if name in ("scans", "photos") else "—"
        print(
            f"| {name} | {len(pages)} | {seconds:.1f} | {rate} | {got['acc@1']:.3f} | "
            f"{got['acc@5']:.3f} | {got['right page']:.1%} | {got['refused']} |"
        )
    print()
    print("| OCR of | words read back | questions whose answer OCR lost |")
    print("|---|---|---|")
    gone = {}
    for name in ("scans", "photos"):
        read = reads[f"{name}-ocr"]
        gone[name] = lost(items, where, read)
        print(f"| {name} | {read_back(pages, read):.1%} | {len(gone[name])} |")
    for name, _, got in rows:
        if got["misses"]:
            print(f"\nnot in the top {evaluation.EVAL_K} of {name}: {', '.join(got['misses'])}")
    for name, answers in gone.items():
        if answers:
            print(f"\nanswers lost by the OCR of {name}: " + "; ".join(answers))


if __name__ == "__main__":
    main()
