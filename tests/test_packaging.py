"""qa installed the way a user installs it: the wheel's contents, and a plain `pip install`."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS
from tests.test_formats import HTML

pytestmark = pytest.mark.slow  # builds indexes with the model or starts processes

SAMPLE = "When did Lavrov plan to visit Japan?"


def build_wheel(out: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return next(out.glob("qa-*.whl"))


def test_the_wheel_ships_the_seeds_and_the_styles(tmp_path: Path):
    names = set(zipfile.ZipFile(build_wheel(tmp_path)).namelist())
    for seed in SEEDS.iterdir():
        assert f"qa/seeds/{seed.name}" in names
    assert "tui/app.tcss" in names
    assert {"qa/formats/pdf.py", "qa/formats/office.py", "qa/isolation.py"} <= names


@pytest.mark.model
def test_a_plain_install_reads_html_and_answers_on_the_bundled_seeds(tmp_path: Path):
    """`pip install <repo>` (not editable, no extras) into a fresh venv, run from elsewhere."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    installed = subprocess.run([*pip, str(ROOT)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-3000:]
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("PYTHONPATH", None)
    qa = str(venv / "bin" / "qa")
    docs = tmp_path / "pages"
    docs.mkdir()
    (docs / "ferry.html").write_text(HTML)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [qa, *args], capture_output=True, text=True, env=env, cwd=elsewhere, timeout=900
        )

    indexed = run("index", str(docs))
    assert indexed.returncode == 0, indexed.stderr
    assert "1 added" in indexed.stdout and "Traceback" not in indexed.stderr
    answer = run("ask", SAMPLE)
    assert answer.returncode == 0, answer.stderr
    assert "early March" in answer.stdout and "000_1d2b28749ff36f0e.txt" in answer.stdout
