"""The shape of the code: stages import only the stages below them, asking loads no build
code, options travel as values (no long positional signatures), the CLI stays a thin shell."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT

QA = ROOT / "qa"


def _loaded_after(imports: str) -> set[str]:
    """The qa and heavy modules loaded by `imports` in a fresh interpreter."""
    code = f"import sys\n{imports}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(out.stdout.split())


def test_reading_and_vectors_do_not_import_the_index():
    loaded = _loaded_after("import qa.corpus, qa.changes, qa.keys, qa.files, qa.vectors")
    assert "qa.index" not in loaded and "qa.build" not in loaded
    assert "qa.terminal" not in loaded  # reading never imports the renderer
    assert "qa.manifest" in loaded  # the index format's records, read without the index


def test_asking_loads_no_build_code():
    loaded = _loaded_after("import qa.workspace, qa.front, qa.answer, qa.filters")
    build_stack = {"qa.build", "qa.corpus", "qa.vectors", "qa.keys", "qa.changes", "qa.cluster"}
    assert not build_stack & loaded
    assert "qa.index" in loaded and "qa.retrieve" in loaded  # what answering does need


def test_no_function_takes_more_than_six_positional_parameters():
    long = []
    for path in QA.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
                positional = [n for n in names if n not in ("self", "cls")]
                if len(positional) > 6:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert long == []


def test_the_cli_is_a_thin_shell():
    lines = (QA / "cli.py").read_text(encoding="utf-8").count("\n")
    assert lines < 450, f"qa/cli.py has {lines} lines: move what is not parsing or output"
