"""Only what was indexed is served: the one rule of qa.sources, and links in a folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.errors import UsageError
from qa.files import LINK_OUTSIDE, list_folder
from qa.sources import NotServed, excerpt, served_document
from tests.conftest import SEEDS, manifest_of, run

SECRET = "root:x:0:0 the secret nobody indexed"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A folder `docs` with two indexed notes (one in a subfolder), a secret file beside it,
    and the working directory inside the folder's parent."""
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "note.md").write_text("first line\nsecond line\n")
    (docs / "sub" / "deep.md").write_text("deep text\n")
    (docs / ".env").write_text(SECRET)  # in the folder, never indexed
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    monkeypatch.chdir(tmp_path)
    return docs, secret


def test_every_spelling_of_an_indexed_document_opens_it(world):
    docs, _ = world
    served = manifest_of(docs, "note.md", "sub/deep.md")
    for spelled in [
        "docs/note.md",  # as qa prints it from the folder's parent
        str(docs / "note.md"),
        "note.md",  # relative to the indexed folder
        "docs/sub/../note.md",
        "docs/%6eote.md",  # percent-encoded, as a resource URI may carry it
        str(docs / "sub" / ".." / "sub" / "deep.md"),
    ]:
        rel, path = served_document(served, spelled)
        assert rel in served.documents and path == docs / rel, spelled


def test_nothing_outside_the_index_is_served_however_it_is_spelled(world):
    docs, secret = world
    served = manifest_of(docs, "note.md", "sub/deep.md")
    for spelled in [
        str(secret),
        "secret.txt",
        "../secret.txt",
        "docs/../secret.txt",
        "docs/sub/../../secret.txt",
        "../../../../../../etc/passwd",
        "/etc/passwd",
        "docs/%2e%2e/secret.txt",
        "%2e%2e%2fsecret.txt",
        "docs/.env",  # inside the folder, but not indexed
        "DOCS/NOTE.MD",  # a case variant names no indexed document
        "docs/note.md\x00.png",
        "docs/note.md%00",
        "~/secret.txt",
        "",
        "docs",
        ".",
        "a/" * 5000 + "note.md",
    ]:
        with pytest.raises(NotServed, match="not a document of this index"):
            served_document(served, spelled)


def test_a_document_that_became_a_link_out_of_the_folder_is_refused(world):
    docs, secret = world
    served = manifest_of(docs, "note.md", "sub/deep.md")
    (docs / "note.md").unlink()
    (docs / "note.md").symlink_to(secret)
    with pytest.raises(NotServed, match="links outside the indexed folder"):
        served_document(served, "docs/note.md")
    (docs / "sub" / "deep.md").unlink()
    os.rmdir(docs / "sub")
    (docs / "sub").symlink_to(secret.parent)  # a folder on the way now leads out
    with pytest.raises(NotServed):
        served_document(served, "docs/sub/deep.md")
    # an index built with --follow-links serves the links it read
    followed = manifest_of(docs, "note.md", follow_links=True)
    assert served_document(followed, "docs/note.md")[0] == "note.md"


def test_refusals_are_one_printable_line(world):
    docs, _ = world
    served = manifest_of(docs, "note.md")
    for citation, said in [
        ("/etc/passwd\x1b[2J" + "x" * 10_000 + ":1 [chars 0-5]", "not a document of this index"),
        ("/etc/passwd\x1b[2J\nmore:1 [chars 0-5]" + "x" * 10_000, "is not a citation"),
    ]:
        with pytest.raises(UsageError, match=said) as refused:
            excerpt(served, citation)
        message = str(refused.value)
        assert "\n" not in message and "\x1b" not in message and len(message) < 600


def test_a_citation_of_an_indexed_document_is_shown(world):
    docs, _ = world
    cut = excerpt(manifest_of(docs, "note.md"), "docs/note.md:2 [chars 11-17]", context=0)
    assert cut.lines == ["second line"] and cut.text[cut.start : cut.end] == "second"


# Pieces an attacker would combine: separators, parent steps, encodings, the real names.
PIECES = st.sampled_from(
    [
        "..",
        "/",
        "\\",
        ".",
        "%2e",
        "%2f",
        "%2E%2E",
        "%00",
        "\x00",
        "docs",
        "sub",
        "note.md",
        "deep.md",
        "secret.txt",
        ".env",
        "etc",
        "passwd",
        "~",
        "%",
        "é",
        " ",
        "//",
        "\u202e",
    ]
)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(PIECES, max_size=30), lead=st.sampled_from(["", "/", "./", "../"]))
def test_fuzzed_citations_never_leave_the_index(world, parts, lead):
    docs, secret = world
    served = manifest_of(docs, "note.md", "sub/deep.md")
    spelled = lead + "".join(parts)
    for text in (spelled, f"{spelled}:1", f"{spelled}:1 [chars 0-5]"):
        try:
            rel, path = served_document(served, text)
        except NotServed:
            continue
        assert rel in served.documents
        assert Path(os.path.realpath(path)).is_relative_to(docs.resolve())
        assert SECRET not in path.read_text()


def test_links_out_of_the_folder_are_skipped_unless_followed(tmp_path: Path):
    docs, outside = tmp_path / "docs", tmp_path / "outside"
    (docs / "real").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.md").write_text(SECRET)
    (outside / "kept.md").write_text("notes kept elsewhere")
    (docs / "real" / "a.md").write_text("a")
    (docs / ".env").write_text(SECRET)
    (docs / "notes.md").symlink_to(outside / "secret.md")  # a file link out
    (docs / "again.md").symlink_to(docs / "real" / "a.md")  # a file link in: read once
    (docs / "hidden.md").symlink_to(docs / ".env")  # a link into what is never read
    (docs / "gone.md").symlink_to(tmp_path / "nothing.md")  # broken
    (docs / "elsewhere").symlink_to(outside)  # a folder link out
    (docs / "loop").symlink_to(docs)  # a folder link back in
    (outside / "back").symlink_to(tmp_path)  # from outside, back up over the folder

    listing = list_folder(docs)
    assert listing.rels == ["real/a.md"]
    reasons = {s.rel: s.reason for s in listing.skipped}
    assert reasons["notes.md"] == LINK_OUTSIDE
    assert "broken link" in reasons["gone.md"]
    assert "again.md" not in reasons and "hidden.md" not in reasons

    followed = list_folder(docs, follow_links=True)
    # each real folder walked once: not again through `loop` or `elsewhere/back/...`
    assert followed.rels == ["elsewhere/kept.md", "elsewhere/secret.md", "notes.md", "real/a.md"]
    assert "notes.md" not in {s.rel for s in followed.skipped}


def test_a_document_set_aside_by_the_listing_has_changed(tmp_path: Path):
    """An index of an older qa that read a link out of the folder drops it on refresh."""
    from dataclasses import replace

    from qa.changes import find_changes
    from qa.files import stat_files

    docs = tmp_path / "docs"
    docs.mkdir()
    (tmp_path / "secret.md").write_text(SECRET)
    (docs / "notes.md").symlink_to(tmp_path / "secret.md")
    (docs / "plain.md").write_text("plain")
    stats = {rel: list(st) for rel, st in stat_files(docs, ["notes.md", "plain.md"]).items()}
    old = replace(manifest_of(docs, "notes.md", "plain.md"), stats=stats)
    assert find_changes(docs, old).changed == ["notes.md"]
    assert not find_changes(docs, replace(old, follow_links=True))


# --- end to end: the CLI and a real `qa mcp` over a folder holding a link out ---------------

OUT_SPELLINGS = [
    "{secret}:1",
    "{secret}:1 [chars 0-10]",
    "../secret.txt:1",
    "docs/../secret.txt:1",
    "docs/../../../../../../{secret}:1",
    "docs/%2e%2e/secret.txt:1",
    "docs/%2E%2E%2Fsecret.txt:1",
    "docs/link.md:1",
    "docs/.env:1",
    "/etc/passwd:1",
    "~/.ssh/id_rsa:1",
    "DOCS/000_1D2B28749FF36F0E.TXT:1",
]


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A copy of the seeds with a link out to a secret (and a hidden .env), indexed as
    `qa index` indexes it (so it is also a collection)."""
    import shutil

    base = tmp_path_factory.mktemp("linked")
    docs = base / "docs"
    shutil.copytree(SEEDS, docs)
    secret = base / "secret.txt"
    secret.write_text(SECRET)
    (docs / "link.md").symlink_to(secret)
    (docs / ".env").write_text(SECRET)
    built = run("index", str(docs), "--index", str(base / "index"))
    assert built.exit_code == 0, built.output
    return docs, base / "index", secret


@pytest.mark.model
def test_qa_show_refuses_everything_outside_the_index(linked, monkeypatch):
    from qa.collections import register

    docs, index, secret = linked
    register(None, docs, index)  # as `qa index` did, in this test's own config folder
    monkeypatch.chdir(docs.parent)
    status = json.loads(run("status", "--index", str(index), "--json").stdout)
    assert {"path": "link.md", "kind": "link", "reason": LINK_OUTSIDE} in status["skipped"]
    assert status["documents"] == 2
    for spelling in OUT_SPELLINGS + ["docs/link.md\x00:1"]:
        citation = spelling.format(secret=secret)
        for where in ([], ["--index", str(index)], ["--docs", str(docs)]):
            shown = run("show", citation, *where)
            assert shown.exit_code == 2, (citation, where, shown.output)
            assert SECRET not in shown.output and "the secret" not in shown.stderr
            assert shown.stderr.startswith("qa: ") and shown.stderr.count("\n") == 1
    good = "docs/000_1d2b28749ff36f0e.txt:1"
    for where in ([], ["--index", str(index)], ["--in", "docs"]):  # found in the collections
        shown = run("show", good, *where)
        assert shown.exit_code == 0 and "Sergei Lavrov will visit Japan" in shown.stdout, where


@pytest.mark.model
def test_follow_links_reads_them_and_is_kept_until_turned_off(tmp_path):
    import shutil

    docs, index = tmp_path / "docs", tmp_path / "index"
    shutil.copytree(SEEDS, docs)
    (tmp_path / "kept.md").write_text("The harbour ferry leaves at 07:15 every weekday.")
    (docs / "ferry.md").symlink_to(tmp_path / "kept.md")
    (docs / "again.txt").symlink_to(docs / "000_1d2b28749ff36f0e.txt")

    def documents() -> list[str]:
        from qa.index import live_manifest

        return sorted(live_manifest(index).documents)

    assert run("index", str(docs), "--index", str(index), "--follow-links").exit_code == 0
    assert documents() == ["000_1d2b28749ff36f0e.txt", "002_80cab102279fe767.txt", "ferry.md"]
    shown = run("show", f"{docs}/ferry.md:1", "--index", str(index))
    assert shown.exit_code == 0 and "harbour ferry" in shown.stdout
    assert run("index", str(docs), "--index", str(index)).exit_code == 0  # as it was built
    assert "ferry.md" in documents()
    assert run("index", str(docs), "--index", str(index), "--no-follow-links").exit_code == 0
    assert "ferry.md" not in documents()
    asked = run("ask", "When does the harbour ferry leave?", "--index", str(index), "--json")
    assert "07:15" not in asked.stdout


@pytest.mark.model
def test_a_hostile_mcp_client_gets_nothing_outside_the_index(linked):
    import subprocess
    import sys

    import anyio
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters
    from mcp.shared.exceptions import MCPError

    from qa.collections import register

    docs, index, secret = linked
    register(None, docs, index)  # as `qa index` did, in this test's own config folder
    qa = str(Path(sys.executable).parent / "qa")
    params = StdioServerParameters(
        command=qa,
        args=["mcp", "--docs", str(docs), "--index", str(index)],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        cwd=docs.parent,
    )
    uris = [
        "qa://doc/link.md",
        "qa://doc/.env",
        "qa://doc/../secret.txt",
        "qa://doc/%2e%2e/secret.txt",
        "qa://doc/..%2Fsecret.txt",
        f"qa://doc/{secret}",
        f"qa://doc/{docs}/../secret.txt",
        "qa://doc//etc/passwd",
        "qa://doc/000_1d2b28749ff36f0e.txt%00",
    ]

    async def calls(client):
        tools = {t.name: t for t in (await client.list_tools()).tools}
        shows = []
        for spelling in OUT_SPELLINGS + ["docs/link.md\x00:1", "x" * 100_000 + ":1"]:
            citation = spelling.format(secret=secret)
            for collection in (None, "docs"):
                args = {"citation": citation, **({"collection": collection} if collection else {})}
                shows.append(await client.call_tool("show", args))
        reads = []
        for uri in uris:
            try:
                got = await client.read_resource(uri)
                reads.append(" ".join(getattr(c, "text", "") for c in got.contents))
            except MCPError as exc:
                reads.append(f"refused: {exc}")
        huge = await client.call_tool("ask", {"question": "Lavrov " * 50_000})
        after = await client.call_tool("ask", {"question": "When did Lavrov plan to visit Japan?"})
        return tools, shows, reads, huge, after

    async def main():
        async with Client(params) as client:
            return await calls(client)

    tools, shows, reads, huge, after = anyio.run(main)
    assert "Only documents of the index are shown" in tools["show"].description
    for shown in shows:
        assert shown.is_error and SECRET not in shown.content[0].text
        assert "qa: " in shown.content[0].text
    for read in reads:
        assert read.startswith("refused") and SECRET not in read, read
    assert SECRET not in str(huge.content)
    assert not after.is_error and after.structured_content["answered"] is True

    started = subprocess.run(  # no client: it says what it serves, then stops at end of input
        [qa, "mcp", "--docs", str(docs), "--index", str(index)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=300,
    )
    assert f"serving {docs} (index {index}); collections: docs" in started.stderr
