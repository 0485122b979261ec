"""The `budgetqa` command: JSON shape and one-line errors with exit code 2."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.settings import Settings
from tests.conftest import ROOT
from ui.cli import COMMANDS


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
    _one_clear_line(run(["ask", "收入是多少", "--doc", "nope"], corpus_settings.home), "没有报告编号为「nope」的报告")
    _one_clear_line(run(["ask", "  "], corpus_settings.home), "问题是空的")
    _one_clear_line(run(["ask", "收入是多少"], tmp_path / "fresh"), "请先运行 budgetqa ingest")
    _one_clear_line(run(["ask", "收入", "--top-k", "0"], corpus_settings.home), "--top-k 0 超出范围")
    _one_clear_line(run(["ingest", str(tmp_path / "missing")], tmp_path / "h2"), "找不到这个文件或文件夹")
    _one_clear_line(run(["check", "某某单位2024年三公经费支出5万元"], corpus_settings.home), "看不出句子说的是")
    _one_clear_line(run(["ask"], corpus_settings.home), "缺少参数：问题")  # argparse's own errors, in Chinese
    _one_clear_line(run(["ask", "q", "--top-k", "x"], corpus_settings.home), "--top-k：'x' 不是整数")


CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = re.compile(r"\b(error|warning|usage|options|positional|show this help|no such|not a|unsupported)\b", re.I)


def test_every_message_a_user_reads_is_one_chinese_line(tmp_path: Path) -> None:
    """The journalist's mistakes (the acceptance check d1): one Chinese line, no English, no traceback."""
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(bytes(range(256)) * 8)
    for args, home in (
        (["ingest", "/nonexistent/report.pdf"], tmp_path / "h1"),
        (["ask", "三公经费是多少？"], tmp_path / "empty"),
        (["ingest", str(junk)], tmp_path / "h3"),
    ):
        proc = run(args, home)
        first = next(ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip())
        assert len(CJK.findall(first)) >= 4 and not ENGLISH.search(first), first
        assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", ["", *sorted(COMMANDS)])
def test_help_is_chinese_with_an_example(command: str) -> None:
    proc = run([*([command] if command else []), "--help"], Path("/nonexistent-home"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("用法：") and not ENGLISH.search(proc.stdout), proc.stdout
    assert len(CJK.findall(proc.stdout)) >= 40
    if command and command != "docs":  # docs: ui/cli_docs.py says its own
        assert "示例：\n  budgetqa " + command in proc.stdout, proc.stdout


def test_compare_shows_a_juesuan_reports_own_stage_and_counts_what_rows_show(corpus_settings: Settings) -> None:
    """北关's 决算 states '三公经费支出预算为 0.2 万元，支出决算为 0 万元' (its tables lack the item): the row
    is the 决算 0, not the 预算 0.2; the header counts table cells and text-stated figures apart."""
    proc = run(["compare", "三公经费", "--json"], corpus_settings.home)
    assert proc.returncode == 0, proc.stderr
    rows = {r["doc_id"]: r for r in json.loads(proc.stdout)["rows"]}
    beiguan = rows["beiguan-gongxinju-2024-juesuan"]
    assert beiguan["stage"] == "决算" and beiguan["value_wan"] == 0, beiguan
    text = run(["compare", "三公经费"], corpus_settings.home).stdout.splitlines()[0]
    in_table = sum(1 for r in rows.values() if r["table"])  # a row from the text has no table
    assert f"{len(rows)} 个报告中，{in_table} 个的表格中有这一项，" in text and "只在文字中写明" in text, text
