"""The `budgetqa` command: JSON shape and one-line errors with exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ingest.settings import Settings
from tests.conftest import ROOT


def run(args: list[str], home: Path, **env_vars: str) -> subprocess.CompletedProcess[str]:
    """`budgetqa ARGS` in a new process with BUDGETQA_HOME=home and any BUDGETQA_* given."""
    env = dict(os.environ, BUDGETQA_HOME=str(home), **env_vars)
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _one_clear_line(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_ask_json_has_the_documented_fields(corpus_settings: Settings) -> None:
    proc = run(["ask", "清城区工信局2024年政府性基金预算财政拨款收入为什么增加？", "--json"], corpus_settings.home)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert {"question", "answer", "mode", "abstained", "citations", "retrieved"} <= set(data)
    cite = data["citations"][0]
    assert {"n", "doc_id", "title", "section", "page", "chunk_id", "kind", "text", "quote"} <= set(cite)
    assert {"chunk_id", "doc_id", "score", "text"} <= set(data["retrieved"][0])


def test_docs_lists_reports(corpus_settings: Settings) -> None:
    proc = run(["docs"], corpus_settings.home)
    assert proc.returncode == 0
    assert "qingcheng-gongxinju-2024-juesuan" in proc.stdout and "决算" in proc.stdout


def test_bad_input_errors(corpus_settings: Settings, tmp_path: Path) -> None:
    _one_clear_line(run(["ask", "收入是多少", "--doc", "nope"], corpus_settings.home), "unknown doc_id 'nope'")
    _one_clear_line(run(["ask", "  "], corpus_settings.home), "question is empty")
    _one_clear_line(run(["ask", "收入是多少"], tmp_path / "fresh"), "run `budgetqa ingest` first")
    _one_clear_line(run(["ask", "收入", "--top-k", "0"], corpus_settings.home), "top-k")
    _one_clear_line(run(["ingest", str(tmp_path / "missing")], tmp_path / "h2"), "no such file or folder")
