"""Feedback that improves the tool: 对/错 on a real answer, kept in the home, exported as gold questions
that `budgetqa eval --gold` reads and runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from eval.gold import load_gold
from ingest.errors import BadInputError
from ingest.settings import Settings
from tests.conftest import ROOT
from ui.feedback import load_feedback, make_feedback, parse_numbers, save_feedback

QUESTION = "清城区工信局2024年政府性基金预算财政拨款收入为什么增加？"


def test_numbers_as_a_journalist_writes_them() -> None:
    assert parse_numbers("2024年42,400万元；123.16%，3辆") == (("42400", "万元"), ("123.16", "%"), ("3", "辆"))


def test_feedback_is_kept_and_exported_as_gold_that_eval_runs(qa, corpus_settings: Settings, tmp_path: Path) -> None:  # noqa: ANN001
    answer = qa.ask(QUESTION)
    home = tmp_path / "home"
    right = make_feedback(answer, "对", comment="与原文一致")
    assert any(Decimal(v) == 42400 and u == "万元" for v, u in right.numbers)  # its ✓ numbers are expected
    save_feedback(home, right)
    with pytest.raises(BadInputError, match="请为“错”选一个原因"):
        make_feedback(answer, "错")
    wrong = make_feedback(answer, "错", "数字错", "增幅应为123.16%", numbers="123.16%", evidence="增长123.16%")
    save_feedback(home, wrong)
    assert [f.verdict for f in load_feedback(home)] == ["对", "错"]

    env = dict(os.environ, BUDGETQA_HOME=str(home))
    gold = tmp_path / "反馈.jsonl"
    cli = [sys.executable, "-m", "ui.cli"]
    done = subprocess.run([*cli, "feedback", "--export", str(gold)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "2 条反馈" in done.stdout, done.stderr
    questions = load_gold(gold)
    assert [q.type for q in questions] == ["why", "why"]
    assert questions[0].doc == "qingcheng-gongxinju-2024-juesuan" and questions[0].evidence
    assert any(n.value == Decimal("42400") for n in questions[0].expected_numbers)
    assert [(n.value, n.unit) for n in questions[1].expected_numbers] == [(Decimal("123.16"), "%")]

    env["BUDGETQA_HOME"] = str(corpus_settings.home)
    ran = subprocess.run(
        [*cli, "eval", "--gold", str(gold), "--json"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert not result["skipped"] and len(result["per_question"]) >= 2  # both questions read and scored
