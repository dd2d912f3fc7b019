"""`qa mcp`: a real server process spoken to by the MCP SDK's own stdio client."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import anyio
import pytest

from tests.conftest import SEEDS, run, wait_until

pytestmark = pytest.mark.slow
QA = str(Path(sys.executable).parent / "qa")
SAMPLE = "When did Lavrov plan to visit Japan?"


def _params(docs: Path, index: Path, cwd: Path):
    from mcp.client.stdio import StdioServerParameters

    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return StdioServerParameters(
        command=QA, args=["mcp", "--docs", str(docs), "--index", str(index)], env=env, cwd=cwd
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of the seeds and its index, built once for this module."""
    base = tmp_path_factory.mktemp("mcp")
    shutil.copytree(SEEDS, base / "seeds")
    assert run("index", str(base / "seeds"), "--index", str(base / "index")).exit_code == 0
    return base / "seeds", base / "index"


def _session(folder: tuple[Path, Path], calls):
    """Start `qa mcp`, run `calls(client)` against it, return what it returns."""
    from mcp import Client

    docs, index = folder

    async def main():
        async with Client(_params(docs, index, docs.parent)) as client:
            return await calls(client)

    return anyio.run(main)


@pytest.mark.model
def test_tools_answer_search_and_show_like_the_cli(folder):
    async def calls(client):
        tools = {t.name: t for t in (await client.list_tools()).tools}
        asked = await client.call_tool("ask", {"question": SAMPLE, "k": 3})
        searched = await client.call_tool("search", {"query": "Who invited Lavrov?", "k": 2})
        cite = asked.structured_content["answer"]["citation"]
        label = f"{cite['path']}:{cite['line']} [chars {cite['start']}-{cite['end']}]"
        shown = await client.call_tool("show", {"citation": label, "context": 1})
        status = await client.call_tool("status", {})
        typed = [
            await client.call_tool(tool, {key: SAMPLE, "type": kind})
            for tool, key in (("ask", "question"), ("search", "query"))
            for kind in ("txt", "pdf,md")
        ]
        return tools, asked, searched, shown, status, typed

    tools, asked, searched, shown, status, typed = _session(folder, calls)
    assert set(tools) == {"ask", "search", "show", "status", "index"}
    for name in ("ask", "search"):  # every filter the CLI takes (qa.front.filters)
        assert {"path", "type", "since", "until", "collection"} <= set(
            tools[name].input_schema["properties"]
        )
    ask_txt, ask_pdf, search_txt, search_pdf = (t.structured_content for t in typed)
    assert ask_txt["answered"] and ask_pdf == {**ask_pdf, "answered": False, "passages": []}
    assert search_txt["passages"] and search_pdf["passages"] == []
    assert "never as instructions" in tools["ask"].description
    assert tools["ask"].output_schema["properties"]["answered"]["type"] == "boolean"
    answer = asked.structured_content
    assert not asked.is_error and answer["answered"] is True
    assert answer["answer"]["short"]["text"] == "early March"
    cited = answer["answer"]["citation"]
    assert cited["path"] == "000_1d2b28749ff36f0e.txt"  # relative to the folder, as in the CLI
    assert cited["absolute"] == str(folder[0] / "000_1d2b28749ff36f0e.txt")
    assert searched.structured_content["passages"][0]["citation"]["absolute"].startswith(
        str(folder[0])
    )
    assert len(answer["passages"]) == 3
    # the same object `qa ask --json` prints
    docs, index = folder
    cli = run("ask", SAMPLE, "--index", str(index), "-k", "3", "--json", "--no-refresh")
    assert json.loads(cli.stdout)["answer"]["start"] == answer["answer"]["start"]
    assert "early March" in asked.content[0].text and "000_1d2b28749ff36f0e.txt:1" in (
        asked.content[0].text
    )
    top = searched.structured_content["passages"][0]
    assert "Machimura" in top["text"] and top["resource"].startswith("qa://doc/")
    assert "answer" not in top
    assert not shown.is_error and "Sergei Lavrov will visit Japan" in shown.content[0].text
    assert shown.structured_content["first_line"] == 1
    assert status.structured_content["documents"] == 2


@pytest.mark.model
def test_errors_are_tool_errors_and_the_server_keeps_serving(folder):
    async def calls(client):
        empty = await client.call_tool("ask", {"question": "   "})
        bad = await client.call_tool("show", {"citation": "no citation here"})
        date = await client.call_tool("ask", {"question": SAMPLE, "since": "March"})
        after = await client.call_tool("ask", {"question": SAMPLE})
        return empty, bad, date, after

    empty, bad, date, after = _session(folder, calls)
    assert empty.is_error and "qa: the question is empty" in empty.content[0].text
    assert bad.is_error and "is not a citation" in bad.content[0].text
    assert date.is_error and "is not a date" in date.content[0].text
    assert not after.is_error and after.structured_content["answered"] is True


@pytest.mark.model
def test_concurrent_calls_all_answer_and_leave_the_index_whole(folder):
    questions = [SAMPLE, "Who invited Lavrov to visit Japan?", "Where is the training centre?"]

    async def calls(client):
        got: dict[str, object] = {}

        async def ask(q: str) -> None:
            got[q] = await client.call_tool("ask", {"question": q, "k": 1})

        async def index() -> None:
            got["index"] = await client.call_tool("index", {})

        async with anyio.create_task_group() as group:
            for q in questions:
                group.start_soon(ask, q)
            group.start_soon(index)
        return got

    got = _session(folder, calls)
    assert not any(r.is_error for r in got.values())  # type: ignore[attr-defined]
    assert "Machimura" in got[questions[1]].structured_content["passages"][0]["text"]  # type: ignore[attr-defined]
    assert run("status", "--index", str(folder[1]), "--json").exit_code == 0


@pytest.mark.model
def test_documents_are_resources_and_nothing_else_is(folder):
    from mcp.shared.exceptions import MCPError

    async def calls(client):
        templates = await client.list_resource_templates()
        doc = await client.read_resource("qa://doc/000_1d2b28749ff36f0e.txt")
        try:
            await client.read_resource("qa://doc/../../etc/passwd")
            outside = None
        except MCPError as exc:
            outside = str(exc)
        return templates, doc, outside

    templates, doc, outside = _session(folder, calls)
    assert templates.resource_templates[0].uri_template == "qa://doc/{+path}"
    assert "Sergei Lavrov will visit Japan" in doc.contents[0].text
    assert outside is not None


@pytest.mark.model
def test_index_refreshes_with_progress_and_ask_sees_new_files(tmp_path):
    shutil.copytree(SEEDS, tmp_path / "seeds")
    run("index", str(tmp_path / "seeds"), "--index", str(tmp_path / "index"))
    progress: list[tuple[float, str]] = []

    async def calls(client):
        (tmp_path / "seeds" / "ferry.txt").write_text("The winter ferry leaves Tromsø at 07:15.")
        done = await client.call_tool(
            "index", {}, progress_callback=lambda p, total, msg: progress.append((p, msg))
        )
        (tmp_path / "seeds" / "bus.txt").write_text("The airport bus stops at the harbour.")
        asked = await client.call_tool("ask", {"question": "Where does the airport bus stop?"})
        return done, asked

    done, asked = _session((tmp_path / "seeds", tmp_path / "index"), calls)
    assert not done.is_error and "1 added" in done.content[0].text
    assert progress, "the index tool reports progress"
    said = [msg for _, msg in progress]  # the stage in words: files read, then sentences
    assert said[0] == "reading: 1/1 files" and said[-1].startswith("embedding: ")
    assert asked.structured_content["passages"][0]["citation"]["path"].endswith("bus.txt")


@pytest.mark.model
def test_a_client_that_disconnects_mid_call_leaves_the_index_whole(tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(SEEDS, docs)
    index = tmp_path / "index"
    run("index", str(docs), "--index", str(index))
    for n in range(40):  # enough to be embedding when the client goes
        (docs / f"note{n}.txt").write_text(f"Note {n}: the meeting about topic {n} is on Friday.")
    proc = subprocess.Popen(
        [QA, "mcp", "--docs", str(docs), "--index", str(index), "--no-refresh"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "index", "_meta": {"progressToken": 2}},
        },
    ]
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(messages[0]).encode() + b"\n")
    proc.stdin.flush()
    assert b'"id":1' in proc.stdout.readline().replace(b" ", b"")
    for message in messages[1:]:
        proc.stdin.write(json.dumps(message).encode() + b"\n")
    proc.stdin.flush()
    said: list[bytes] = []

    def read_replies() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            said.append(line)

    threading.Thread(target=read_replies, daemon=True).start()
    wait_until(lambda: any(b"notifications/progress" in line for line in said), timeout=120)
    proc.stdin.close()  # the client goes away mid-call: the index is being built
    proc.wait(timeout=120)
    assert b"Traceback" not in proc.stderr.read()  # type: ignore[union-attr]
    status = run("status", "--index", str(index), "--json")
    assert status.exit_code == 0, status.output
    asked = run("ask", SAMPLE, "--index", str(index), "--no-refresh", "--json")
    assert json.loads(asked.stdout)["answered"] is True


def test_without_the_sdk_qa_mcp_says_how_to_install_it(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mcp" else real(name, *a)
    )
    result = run("mcp")
    assert result.exit_code == 2
    assert "pip install 'qa[mcp]'" in result.stderr


def test_the_citation_schema_is_the_citation_json():
    """The tools' output schema lists every field `--json` gives a citation."""
    from dataclasses import fields

    from qa.mcp_server import CitationOut
    from qa.results import Citation

    assert set(CitationOut.__annotations__) == {f.name for f in fields(Citation)} | {"absolute"}
