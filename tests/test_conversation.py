"""Follow-up questions: rules on their own, then on the real index and through `budgetqa chat`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ingest.settings import Settings
from rag.conversation import Turn, interpret, load_turn, save_turn, session_path

ROOT = Path(__file__).resolve().parent.parent
NAMES = {"清城区工信局", "北关区工信局", "万里街道"}


def names_in(text: str) -> set[str]:
    return {n for n in NAMES if n in text}


FIRST = Turn("q", "清城区工信局2024年政府性基金预算财政拨款收入是多少？", "清城区工信局")


@pytest.mark.parametrize(
    ("follow_up", "understood"),
    [
        ("那一般公共预算呢？", "清城区工信局2024年一般公共预算财政拨款收入是多少？"),
        ("2023年呢？", "清城区工信局2023年政府性基金预算财政拨款收入是多少？"),
        ("支出呢？", "清城区工信局2024年政府性基金预算财政拨款支出是多少？"),
        ("那北关区工信局呢？", "北关区工信局2024年政府性基金预算财政拨款收入是多少？"),
        ("三公经费呢？", "清城区工信局2024年三公经费是多少？"),
        ("机关运行经费是多少？", "清城区工信局2024年机关运行经费是多少？"),
        ("为什么增加？", "清城区工信局2024年政府性基金预算财政拨款收入为什么增加？"),
    ],
)
def test_a_follow_up_is_completed_from_the_previous_question(follow_up: str, understood: str) -> None:
    turn = interpret(follow_up, FIRST, names_in)
    assert turn.understood == understood and turn.rewritten


def test_a_question_naming_a_report_or_all_reports_stands_alone() -> None:
    q = "万里街道2025年三公经费预算是多少？"
    assert interpret(q, FIRST, names_in).understood == q
    q = "各部门的三公经费谁最多？"
    assert interpret(q, FIRST, names_in).understood == q
    assert not interpret("那一般公共预算呢？", None, names_in).rewritten  # nothing before it


def test_sessions_survive_between_calls_and_bad_names_are_refused(tmp_path: Path) -> None:
    from ingest.errors import BadInputError

    path = session_path(tmp_path, "desk-1")
    assert load_turn(path) is None
    save_turn(path, FIRST)
    assert load_turn(path) == FIRST
    path.write_text("{broken", encoding="utf-8")
    assert load_turn(path) is None  # a damaged session starts afresh
    with pytest.raises(BadInputError, match="对话名称"):
        session_path(tmp_path, "../etc")


def test_follow_up_is_answered_about_the_previous_report(qa) -> None:  # noqa: ANN001
    first, turn = qa.converse("清城区工信局2024年政府性基金预算财政拨款收入是多少？", None)
    assert "42,400" in first.answer and not first.asked
    second, _ = qa.converse("那一般公共预算呢？", turn)
    assert second.asked == "那一般公共预算呢？"
    assert second.question == "清城区工信局2024年一般公共预算财政拨款收入是多少？"
    assert "6,268.57" in second.answer
    assert {c.doc_id for c in second.citations} == {"qingcheng-gongxinju-2024-juesuan"}
    assert any(n.status == "verified" and "6,268.57" in n.text for n in second.numbers)


def _cli(settings: Settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {"BUDGETQA_HOME": str(settings.home), "PATH": "/usr/bin:/bin", "HOME": str(settings.home)}
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_chat_in_the_terminal_keeps_the_report_and_saves_the_conversation(
    corpus_settings: Settings, tmp_path: Path
) -> None:
    script = (
        "清城区工信局2024年政府性基金预算财政拨款收入是多少？\n那一般公共预算呢？\n"
        f"/save {tmp_path / 'talk.md'}\n/new\n那一般公共预算呢？\n/quit\n"
    )
    r = _cli(corpus_settings, "chat", stdin=script)
    assert r.returncode == 0, r.stderr
    assert "理解为：清城区工信局2024年一般公共预算财政拨款收入是多少？" in r.stdout
    assert "6,268.57" in r.stdout and "已保存 2 个问答" in r.stdout
    saved = (tmp_path / "talk.md").read_text(encoding="utf-8")
    assert "理解为" in saved and "**来源**" in saved and "与表格中同一项一致" in saved
    assert r.stdout.count("理解为：") == 1  # after /new the follow-up is asked as it stands


def test_ask_follow_up_and_markdown_from_the_shell(corpus_settings: Settings, tmp_path: Path) -> None:
    home = tmp_path / "home"
    import shutil

    shutil.copytree(corpus_settings.home, home)
    settings = corpus_settings.with_(home=home)
    r = _cli(settings, "ask", "--session", "desk", "北关区工信局2024年机关运行经费支出多少？")
    assert r.returncode == 0, r.stderr
    r = _cli(settings, "ask", "--session", "desk", "--format", "md", "为什么减少？")
    assert r.returncode == 0, r.stderr
    assert "*理解为：北关区工信局2024年机关运行经费支出为什么减少？*" in r.stdout
    assert "**来源**" in r.stdout and "北关区" in r.stdout
    r = _cli(settings, "ask", "--session", "../x", "为什么？")
    assert r.returncode == 2 and "对话名称" in r.stderr and "Traceback" not in r.stderr
