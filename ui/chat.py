"""`budgetqa chat`: a terminal conversation. Each question may leave out what the one before named
(report, year, item); the completed question is shown before its answer. Commands start with "/"."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from ingest.errors import BudgetQAError
from ingest.model import Answer
from rag.conversation import Turn
from ui.takeaway import conversation_docx, conversation_markdown

HELP = "命令：/new 另起话题（不沿用上文） · /save 文件.md|文件.docx 保存对话 · /quit 退出"


def run_chat(qa, ask_options: dict, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:  # noqa: ANN001
    from ui.cli import print_answer

    interactive = stdin.isatty()
    previous: Turn | None = None
    answers: list[Answer] = []
    print(f"budgetqa 对话 · {HELP}", file=out)
    while True:
        if interactive:
            out.write("问> ")
            out.flush()
        line = stdin.readline()
        if not line:
            return 0
        q = line.strip()
        if not q:
            continue
        if q in ("/quit", "/exit", "/q"):
            return 0
        if q in ("/new", "/reset"):
            previous = None
            print("（已另起话题：下一个问题不沿用上文）", file=out)
            continue
        if q.startswith("/save"):
            print(_save(q[len("/save") :].strip(), answers), file=out)
            continue
        if q.startswith("/"):
            print(HELP, file=out)
            continue
        try:
            answer, previous = qa.converse(q, previous, **ask_options)
        except BudgetQAError as exc:
            print(f"⚠ {exc}", file=out)
            continue
        answers.append(answer)
        if answer.asked:
            print(f"理解为：{answer.question}", file=out)
        print_answer(answer, out)
        print(file=out)
        out.flush()


def _save(target: str, answers: list[Answer]) -> str:
    if not target:
        return "⚠ 用法：/save 对话.md 或 /save 对话.docx"
    if not answers:
        return "⚠ 还没有可保存的问答"
    path = Path(target).expanduser()
    try:
        if path.suffix.lower() == ".docx":
            conversation_docx(answers, path)
        elif path.suffix.lower() in (".md", ".markdown", ".txt"):
            path.write_text(conversation_markdown(answers), encoding="utf-8")
        else:
            return f"⚠ {path}: 请用 .md 或 .docx 结尾"
    except OSError as exc:
        return f"⚠ 无法写入 {path}：{exc.strerror or exc}"
    return f"已保存 {len(answers)} 个问答到 {path}"
