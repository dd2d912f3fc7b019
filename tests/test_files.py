"""Which files of a folder qa reads: ignore rules, sniffed text, the short skip report."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import cli
from qa.documents import Skipped, skip_report
from qa.files import list_folder


def tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    return root


def test_hidden_dependency_cache_and_virtualenv_folders_are_never_read(tmp_path: Path):
    tree(
        tmp_path,
        {
            "notes.md": "# Notes",
            ".hidden.txt": "secret",
            ".git/config": "[core]",
            "node_modules/pkg/README.md": "a dependency",
            "src/__pycache__/mod.txt": "cache",
            "env/pyvenv.cfg": "home = /usr",
            "env/lib/site.txt": "a virtualenv",
            "src/app.py": "print('hello')",
        },
    )
    listing = list_folder(tmp_path)
    assert listing.rels == ["notes.md", "src/app.py"]
    assert listing.ignored == 5  # .hidden.txt, .git, node_modules, __pycache__, env


def test_gitignore_and_qaignore_are_honoured_where_they_stand(tmp_path: Path):
    tree(
        tmp_path,
        {
            ".gitignore": "build/\n*.log\n",
            ".qaignore": "drafts/*\n!drafts/keep.md\n",
            "build/out.txt": "generated",
            "run.log": "log lines",
            "drafts/old.md": "old draft",
            "drafts/keep.md": "keep this",
            "docs/.gitignore": "private.md\n",
            "docs/private.md": "private",
            "docs/public.md": "public",
            "private.md": "a private.md outside docs/ is not covered by docs/.gitignore",
        },
    )
    assert list_folder(tmp_path).rels == ["docs/public.md", "drafts/keep.md", "private.md"]


@pytest.mark.model
def test_exclude_globs_from_the_command_line(tmp_path: Path):
    docs = tree(
        tmp_path / "docs",
        {
            "a.md": "The lighthouse keeper lit the lamp at dusk.",
            "archive/b.md": "Old text about the lamp.",
            "c.txt": "Another note about lamps.",
        },
    )
    result = CliRunner().invoke(
        cli,
        [
            "index",
            str(docs),
            "--index",
            str(tmp_path / "ix"),
            "--exclude",
            "archive/",
            "--exclude",
            "*.txt",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1 added" in result.stdout
    status = CliRunner().invoke(cli, ["status", "--index", str(tmp_path / "ix"), "--json"])
    assert '"documents": 1' in status.stdout


def test_text_is_sniffed_by_content_not_by_suffix(tmp_path: Path):
    tree(
        tmp_path,
        {
            "guide.rst": "Guide\n=====\n\nText.",
            "Makefile": "all:\n\techo hi\n",
            "data.bin": b"\x00\x01",
            "photo.psd": b"8BPS",
            "blob.xyz": bytes(range(256)),
        },
    )
    listing = list_folder(tmp_path)
    # .bin and .psd are never documents; .xyz is sniffed by its reader (and found binary)
    assert listing.rels == ["Makefile", "blob.xyz", "guide.rst"]
    assert {s.rel for s in listing.skipped} == {"data.bin", "photo.psd"}


def test_the_skip_report_stays_short_for_a_thousand_files():
    kinds = ["no text layer", "damaged", "needs a password", "timed out", "empty"]
    skipped = [
        Skipped(f"img/{i}.png", "unsupported file type (.png)", "unsupported type")
        for i in range(400)
    ]
    skipped += [
        Skipped(f"gif/{i}.gif", "unsupported file type (.gif)", "unsupported type")
        for i in range(100)
    ]
    skipped += [
        Skipped(
            f"k{i % 13}/{i}.pdf", f"reason {i}", kinds[i % 5] if i % 13 else f"odd kind {i % 7}"
        )
        for i in range(500)
    ]
    lines = skip_report(skipped)
    assert len(lines) <= 12
    assert lines[0].startswith("1000 files skipped")
    assert "500 unsupported type: .png 400, .gif 100" in "\n".join(lines)
    assert any(line.strip().startswith(("8", "9")) and "no text layer" in line for line in lines)
