from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run

SAMPLE = "When did Lavrov plan to visit Japan?"


@pytest.mark.model
def test_ask_json_follows_the_schema(seed_index: Path):
    result = run("ask", SAMPLE, "--index", str(seed_index), "--json", "-k", "3")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert set(out) == {"question", "answered", "answer", "passages"}
    assert out["question"] == SAMPLE and out["answered"] is True
    assert set(out["answer"]) == {"text", "start", "end", "short", "citation"}
    assert "early march" in out["answer"]["text"].lower()
    assert out["answer"]["short"] == {"text": "early March", "start": 98, "end": 109}
    assert len(out["passages"]) == 3
    for rank, p in enumerate(out["passages"], start=1):
        assert set(p) == {"rank", "score", "text", "answer", "citation", "also_in"}
        assert p["also_in"] == []  # the seeds hold no copies
        assert p["rank"] == rank
        assert set(p["answer"]) == {"text", "start", "end", "short"}
        assert set(p["citation"]) == {
            "path",
            "line",
            "end_line",
            "start",
            "end",
            "title",
            "date",
            "page",
            "section",
            "folder",
            "lang",
            "absolute",
        }
        assert p["citation"]["lang"] == "en"  # the seeds are English news
        folder = p["citation"]["folder"]
        assert Path(p["citation"]["absolute"]) == Path(folder) / p["citation"]["path"]
        assert (Path(folder) / p["citation"]["path"]).is_file()
    cited = out["answer"]["citation"]
    assert cited["path"] == "000_1d2b28749ff36f0e.txt"  # relative to the indexed folder
    assert cited["folder"] == str(seed_index.parent / "seeds")


@pytest.mark.model
def test_human_output_has_highlight_and_citation(seed_index: Path):
    result = run("ask", SAMPLE, "--index", str(seed_index))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"In {seed_index.parent / 'seeds'}:"  # the folder, named once
    assert lines[2] == "A: early March"  # the short answer first, then its sentence
    assert lines[3].strip() == "Sergei Lavrov will visit Japan in early March"
    assert re.match(r"000_1d2b28749ff36f0e\.txt:1 \[chars 0-\d+\] ·", lines[4].strip())
    assert str(seed_index.parent) not in "\n".join(lines[1:])  # citations are relative
    assert '· "Sergei Lavrov will visit Japan in early March"' in " ".join(result.stdout.split())


@pytest.mark.model
def test_unanswerable_says_so_plainly(seed_index: Path):
    result = run("ask", "What is the capital of Australia?", "--index", str(seed_index))
    assert result.exit_code == 0
    assert "No passage answers this well" in result.stdout
    assert "A: " not in result.stdout


@pytest.mark.model
def test_batch_from_stdin_gives_one_line_per_question(seed_index: Path):
    questions = (
        f"{SAMPLE}\n\nWho invited Lavrov to visit Japan?\nWhat is the capital of Australia?\n"
    )
    result = run("ask", "-", "--index", str(seed_index), "--json", input=questions)
    assert result.exit_code == 0
    lines = [json.loads(x) for x in result.stdout.strip().splitlines()]
    assert [x["question"] for x in lines] == [
        SAMPLE,
        "Who invited Lavrov to visit Japan?",
        "What is the capital of Australia?",
    ]
    assert [x["answered"] for x in lines] == [True, True, False]


@pytest.mark.model
@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_is_one_line_and_exit_2(seed_index: Path, question: str):
    result = run("ask", question, "--index", str(seed_index))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "question is empty" in result.stderr


def test_missing_index_folder_is_one_line_and_exit_2(tmp_path: Path):
    result = run("ask", SAMPLE, "--index", str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "no index at" in result.stderr


def test_missing_docs_folder_is_one_line_and_exit_2(tmp_path: Path):
    result = run("index", str(tmp_path / "nope"), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "is not a folder" in result.stderr


def test_unknown_option_is_one_line_and_exit_2():
    result = run("ask", SAMPLE, "--frobnicate")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "--frobnicate" in result.stderr


@pytest.mark.model
def test_damaged_index_exits_1(seed_index: Path, tmp_path: Path):
    import shutil

    copy = tmp_path / "ix"
    shutil.copytree(seed_index, copy)
    (copy / "CURRENT").write_text("v-gone\n")
    result = run("ask", SAMPLE, "--index", str(copy))
    assert result.exit_code == 1
    assert "qa index --rebuild" in result.stderr


@pytest.mark.model
def test_index_reports_changes_and_status_describes_it(tmp_path: Path):
    import shutil

    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "seeds", docs)
    result = run("index", str(docs), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 0, result.output
    assert "2 added" in result.stdout
    status = run("status", "--index", str(tmp_path / "ix"), "--json")
    info = json.loads(status.stdout)
    assert info["documents"] == 2 and info["passages"] > 2
    assert info["model"] == "all-MiniLM-L6-v2" and info["bytes"] > 0


@pytest.mark.model
def test_eval_on_seed_questions(seed_index: Path):
    result = run(
        "eval",
        str(ROOT / "tests" / "data" / "seed-questions.jsonl"),
        "--index",
        str(seed_index),
        "--json",
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["acc@1"] == 1.0
    assert metrics["unanswerable_acc"] == 1.0


@pytest.mark.slow  # starts processes
def test_help_is_instant_and_imports_nothing_heavy():
    code = (
        "import sys; from qa.cli import cli\n"
        "try:\n    cli.main(['--help'], prog_name='qa')\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'faiss', 'bm25s')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout
    assert "ask" in out.stdout and "index" in out.stdout


@pytest.mark.model
def test_real_entry_point_answers_the_sample(seed_index: Path):
    qa = Path(sys.executable).parent / "qa"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [str(qa), "ask", SAMPLE, "--index", str(seed_index), "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert "early March" in json.loads(out.stdout)["answer"]["text"]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--max-words", "2"], "Invalid value for '--max-words': 2 is not in the range x>=5."),
        (
            ["--short-max-words", "-1"],
            "Invalid value for '--short-max-words': -1 is not in the range x>=0.",
        ),
        (
            ["--file-timeout", "0"],
            "Invalid value for '--file-timeout': 0.0 is not in the range x>0.",
        ),
    ],
)
def test_bad_passage_sizes_are_one_line_errors(tmp_path: Path, option, message):
    result = run("index", str(ROOT / "seeds"), "--index", str(tmp_path / "ix"), *option)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"qa: {message}"  # one line, no traceback


def strict_json(text: str) -> dict:
    """Parse JSON the way strict parsers do: NaN and Infinity are errors."""

    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.model
def test_eval_json_is_strict_where_a_figure_cannot_be_measured(seed_index: Path, tmp_path):
    questions = tmp_path / "q.jsonl"  # no source and no unanswerable question: n/a figures
    questions.write_text(
        json.dumps({"question": "When did Lavrov plan to visit Japan?", "answers": ["March"]})
    )
    result = run("eval", str(questions), "--index", str(seed_index), "--json")
    assert result.exit_code == 0, result.output
    metrics = strict_json(result.stdout.strip().splitlines()[-1])
    assert metrics["unanswerable_acc"] is None and metrics["source@1"] is None
    human = run("eval", str(questions), "--index", str(seed_index))
    assert "unanswerable_acc     n/a" in human.stdout


@pytest.mark.model
def test_index_with_only_an_index_folder_names_the_folder_it_indexes(seed_index: Path):
    result = run("index", "--index", str(seed_index))
    assert result.exit_code == 0, result.output
    docs = json.loads(run("status", "--index", str(seed_index), "--json").stdout)["docs"]
    assert result.stdout.startswith(f"Indexed {docs}: ")
    assert "None" not in result.output


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.startswith("qa, version ")


def test_ctrl_c_outside_a_build_says_only_interrupted(monkeypatch):
    import qa.workspace

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(qa.workspace.Workspace, "resolve", interrupt)
    result = run("status")
    assert result.exit_code == 130 and result.stderr.strip() == "qa: interrupted"


@pytest.mark.model
def test_ask_as_markdown(seed_index: Path):
    result = run("ask", SAMPLE, "--index", str(seed_index), "--format", "markdown", "-k", "2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"## {SAMPLE}"
    assert "**early March**" in result.stdout
    assert lines[-1].startswith("2. [") and "#L" in lines[-1]


@pytest.mark.model
def test_index_quantize_int8_is_kept_by_refreshes_and_queried_with_its_graph(tmp_path: Path):
    import shutil

    from qa import index as index_mod
    from qa.workspace import Workspace

    docs, ix = tmp_path / "docs", tmp_path / "ix"
    shutil.copytree(ROOT / "seeds", docs)
    assert run("index", str(docs), "--index", str(ix), "--quantize", "int8").exit_code == 0
    assert index_mod.load(ix).manifest.model == "all-MiniLM-L6-v2+int8"
    ws = Workspace.resolve(docs, ix)
    (answer,) = ws.ask([SAMPLE])
    assert answer.answered and Path(answer.passages[0].citation.path).name.startswith("000")
    assert ws._warm.query_model[1] == "int8"  # questions embedded by the graph the index was
    (docs / "new.txt").write_text("The spare key is under the blue flowerpot.")
    refreshed = ws.refresh()  # a plain refresh keeps int8: only the new file is embedded
    assert refreshed is not None and refreshed.report is not None
    assert refreshed.report.embedded == 1 and refreshed.report.full_rebuild_reason is None
    assert index_mod.load(ix).manifest.model == "all-MiniLM-L6-v2+int8"
    back = run("index", str(docs), "--index", str(ix), "--quantize", "float32")
    assert back.exit_code == 0 and "the model changed" in back.output
    assert index_mod.load(ix).manifest.model == "all-MiniLM-L6-v2"
    assert Workspace.resolve(docs, ix).ask([SAMPLE])[0].answered


def test_unknown_quantisation_is_one_line_and_exit_2(tmp_path: Path):
    result = run("index", str(ROOT / "seeds"), "--index", str(tmp_path / "ix"), "--quantize", "q4")
    assert result.exit_code == 2 and "q4" in result.output
